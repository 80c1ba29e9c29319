package mcp_test

import (
	"fmt"

	"github.com/objectos-go/objectos/mcp"
)

// Options.WithEnv is how a server reads OS_MCP_SERVER_ENABLED and
// OS_MCP_SERVER_NAME; pass the result to mcp.New among the Stack's plugins.
func ExampleOptions_WithEnv() {
	env := map[string]string{"OS_MCP_SERVER_ENABLED": "true", "OS_MCP_SERVER_NAME": "crm"}
	opts := mcp.Options{}.WithEnv(func(k string) string { return env[k] })
	fmt.Println(opts.Enabled, opts.Name)
	// Output: true crm
}
