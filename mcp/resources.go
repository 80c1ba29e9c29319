package mcp

import (
	"context"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/objectos-go/objectos"
)

// The resources: the metadata agents may see, as JSON in the shapes of
// list_objects and describe_object.
const (
	objectsURI      = "objectos://objects"
	objectURIPrefix = objectsURI + "/"
)

func (s *server) addResources() {
	s.srv.AddResource(&sdkmcp.Resource{
		URI: objectsURI, Name: "objects", Title: "Objects",
		Description: "The objects the caller may read, with their labels and field counts (as list_objects gives them).",
		MIMEType:    "application/json",
	}, s.readObjects)
	s.srv.AddResourceTemplate(&sdkmcp.ResourceTemplate{
		URITemplate: objectURIPrefix + "{name}", Name: "object", Title: "Object",
		Description: "One object's fields, actions and the caller's permissions (as describe_object gives them).",
		MIMEType:    "application/json",
	}, s.readObject)
}

func (s *server) readObjects(ctx context.Context, req *sdkmcp.ReadResourceRequest) (*sdkmcp.ReadResourceResult, error) {
	list, err := s.objectList(ctx)
	if err != nil {
		return nil, s.resourceError(ctx, req.Params.URI, err)
	}
	return jsonResource(req.Params.URI, list)
}

// readObject serves objectos://objects/{name}; an object the caller may not
// see is "resource not found", like one that does not exist.
func (s *server) readObject(ctx context.Context, req *sdkmcp.ReadResourceRequest) (*sdkmcp.ReadResourceResult, error) {
	uri := req.Params.URI
	name, err := url.PathUnescape(strings.TrimPrefix(uri, objectURIPrefix))
	if err != nil || name == "" || strings.Contains(name, "/") {
		return nil, sdkmcp.ResourceNotFoundError(uri)
	}
	d, err := s.describe(ctx, name)
	if err != nil {
		return nil, s.resourceError(ctx, uri, err)
	}
	return jsonResource(uri, d)
}

// resourceError is the JSON-RPC error of a failed read: resource not found
// for an object the caller may not see, else an internal error, logged
// with its cause.
func (s *server) resourceError(ctx context.Context, uri string, err error) error {
	e := objectos.AsError(err)
	if e.Code == objectos.CodeObjectNotFound {
		return sdkmcp.ResourceNotFoundError(uri)
	}
	if e.HTTPStatus() >= 500 {
		s.st.Logger().ErrorContext(ctx, "objectos: mcp resource read failed", "request_id", objectos.RequestID(ctx),
			"uri", uri, "code", string(e.Code), "error", err.Error())
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: e.Message}
}

func jsonResource(uri string, v any) (*sdkmcp.ReadResourceResult, error) {
	b, err := marshal(v)
	if err != nil {
		return nil, err
	}
	return &sdkmcp.ReadResourceResult{Contents: []*sdkmcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
}
