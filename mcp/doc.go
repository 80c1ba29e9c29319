// Package mcp is the Model Context Protocol server of objectos: AI agents
// list, describe, query and change the records of a Stack, and run its
// actions, as tools of MCP's Streamable HTTP transport at {base}/mcp.
//
//	stack, err := objectos.New(ctx, objectos.Options{
//		Artifact: artifact,
//		Store:    st,
//		Plugins: []objectos.Plugin{rest.New(rest.Options{}), auth.New(authOpts), apikey.New(apikey.Options{}), security.New(),
//			mcp.New(mcp.Options{Enabled: true})}, // or mcp.Options{}.WithEnv(os.Getenv)
//	})
//
// The endpoint is stateless (no Mcp-Session-Id) and answers in JSON, never
// with server-sent events. Every request is authenticated as the REST routes
// are (an API key, a bearer session token or the session cookie), so an
// agent connects with a key in a header:
//
//	{"url": "http://127.0.0.1:8080/api/v1/mcp", "headers": {"Authorization": "Bearer os_pk_live_…"}}
//
// Tools (the upstream ObjectStack names and input schemas): list_objects,
// describe_object, query_records, aggregate_records, get_record,
// create_record, update_record, delete_record, list_actions and run_action. Each runs as the caller
// through the Stack's engine, so permissions, record access, field security,
// validation and hooks apply exactly as on the data API, and each declares
// an output schema that its structured result matches. A failure the caller
// can act on (an unknown object, a record they may not see, a validation
// error, a spent rate limit) is a tool result with isError set, whose text
// is the error as JSON: {"code": "RECORD_NOT_FOUND", "message": "…"}.
// Resources: objectos://objects and objectos://objects/{name}, the
// metadata the caller may see.
//
// System objects (sys_*) are hidden from every tool and resource unless
// Options.SystemObjects lists them.
package mcp
