package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/objectos-go/objectos"
)

// tool is one MCP tool: what clients see of it — name, description, hints,
// the input schema inferred from In (refined by input) and the output
// schema inferred from Out — and its handler. A tool is added by writing a
// method that returns one and listing it in server.tools.
//
// The server decodes and validates the arguments, so run gets well-formed
// input (numbers kept exact, as json.Number where the type is any), and
// turns its result into structuredContent with the same JSON as text. An
// error from run becomes a tool result with isError set (see failed). run
// first takes its operation from the caller's budget: server.begin for a
// tool on an object (it resolves the object too), Stack.Charge otherwise;
// TestRateLimits fails for a listed tool it does not cover.
type tool[In, Out any] struct {
	name, title, description string
	hints                    hints
	// input refines the schema inferred from In where a Go type cannot say
	// it: bounds, enums, a value of several JSON types. Optional.
	input func(*jsonschema.Schema)
	run   func(ctx context.Context, in *In) (*Out, error)
}

// hints are a tool's annotations. Every tool here works on the Stack's own
// data only, so none is open-world.
type hints struct{ readOnly, destructive, idempotent bool }

// registrar is a tool of any argument and result types.
type registrar interface{ add(s *server) }

// add registers the tool. Its schemas come from fixed Go types, so an
// error building them is a programming error, and panics.
func (t tool[In, Out]) add(s *server) {
	in, err := jsonschema.For[In](nil)
	if err != nil {
		panic(fmt.Sprintf("mcp: tool %s: input schema: %v", t.name, err))
	}
	if t.input != nil {
		t.input(in)
	}
	resolved, err := in.Resolve(nil)
	if err != nil {
		panic(fmt.Sprintf("mcp: tool %s: input schema: %v", t.name, err))
	}
	out, err := jsonschema.For[Out](nil)
	if err != nil {
		panic(fmt.Sprintf("mcp: tool %s: output schema: %v", t.name, err))
	}
	s.srv.AddTool(&sdkmcp.Tool{
		Name: t.name, Title: t.title, Description: t.description,
		InputSchema: in, OutputSchema: out,
		Annotations: &sdkmcp.ToolAnnotations{
			Title:           t.title,
			ReadOnlyHint:    t.hints.readOnly,
			DestructiveHint: objectos.Ptr(t.hints.destructive),
			IdempotentHint:  t.hints.idempotent,
			OpenWorldHint:   objectos.Ptr(false),
		},
	}, func(ctx context.Context, req *sdkmcp.CallToolRequest) (*sdkmcp.CallToolResult, error) {
		args, err := decodeArgs[In](req.Params.Arguments, resolved)
		if err != nil {
			return s.failed(ctx, t.name, err), nil
		}
		res, err := t.run(ctx, args)
		if err != nil {
			return s.failed(ctx, t.name, err), nil
		}
		return succeeded(res)
	})
}

// decodeArgs validates the arguments against the tool's input schema, then
// decodes them keeping numbers exact. A mismatch is VALIDATION_FAILED.
func decodeArgs[In any](raw json.RawMessage, schema *jsonschema.Resolved) (*In, error) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		raw = json.RawMessage("{}")
	}
	var plain map[string]any
	if err := json.Unmarshal(raw, &plain); err != nil {
		return nil, objectos.NewError(objectos.CodeValidationFailed, "The arguments must be a JSON object.")
	}
	if err := schema.Validate(plain); err != nil {
		return nil, objectos.Errorf(objectos.CodeValidationFailed, "Invalid arguments: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	in := new(In)
	if err := dec.Decode(in); err != nil {
		return nil, objectos.Errorf(objectos.CodeValidationFailed, "Invalid arguments: %v", err)
	}
	return in, nil
}

// succeeded is a tool's result: structuredContent, and the same JSON as
// text for clients that read only content.
func succeeded(out any) (*sdkmcp.CallToolResult, error) {
	b, err := marshal(out)
	if err != nil {
		return nil, fmt.Errorf("mcp: encoding a tool result: %w", err)
	}
	return &sdkmcp.CallToolResult{
		StructuredContent: json.RawMessage(b),
		Content:           []sdkmcp.Content{&sdkmcp.TextContent{Text: string(b)}},
	}, nil
}

// toolError is the text of a failed tool call: the error's stable code, its
// message, and its client-safe fields and details.
type toolError struct {
	Code    objectos.Code         `json:"code"`
	Message string                `json:"message"`
	Fields  []objectos.FieldError `json:"fields,omitempty"`
	Details map[string]any        `json:"details,omitempty"`
}

// failed is the result of a tool call that failed: isError, with the error
// as JSON text. It carries no structuredContent, which clients check
// against the tool's output schema even on errors (the TypeScript SDK
// rejects a result that does not match it). A server failure is logged
// with its cause; the caller sees only its code and message.
func (s *server) failed(ctx context.Context, tool string, err error) *sdkmcp.CallToolResult {
	e := objectos.AsError(err)
	if e.HTTPStatus() >= 500 {
		s.st.Logger().ErrorContext(ctx, "objectos: mcp tool failed", "request_id", objectos.RequestID(ctx),
			"tool", tool, "code", string(e.Code), "error", err.Error())
	}
	b, merr := marshal(toolError{Code: e.Code, Message: e.Message, Fields: e.Fields, Details: e.Details})
	if merr != nil {
		b, _ = marshal(toolError{Code: objectos.CodeInternal, Message: "An internal error occurred."})
	}
	return &sdkmcp.CallToolResult{IsError: true, Content: []sdkmcp.Content{&sdkmcp.TextContent{Text: string(b)}}}
}

// marshal is JSON without HTML escaping and without the trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
