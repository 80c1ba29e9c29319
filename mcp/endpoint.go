package mcp

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/objectos-go/objectos"
)

// endpoint is {base}/mcp: the HTTP checks of the REST routes — origin,
// method, credentials, body size — answered in the Stack's wrapped error
// envelope, in front of the SDK's stateless Streamable HTTP handler, which
// then sees only authenticated POSTs of a bounded size.
type endpoint struct {
	st      *objectos.Stack
	maxBody int64
	sdk     http.Handler
}

func newEndpoint(st *objectos.Stack, srv *sdkmcp.Server, maxBody int64) *endpoint {
	return &endpoint{st: st, maxBody: maxBody, sdk: sdkmcp.NewStreamableHTTPHandler(
		func(*http.Request) *sdkmcp.Server { return srv },
		&sdkmcp.StreamableHTTPOptions{
			Stateless:    true,
			JSONResponse: true,
			Logger:       sdkLogger(st),
			// The endpoint has checked the body's size already.
			MaxRequestBodyBytes: maxBody,
			// The SDK refuses a request that reached a loopback listener
			// under another host name, against DNS rebinding of an
			// unauthenticated local server. Every request here is
			// authenticated, and a rebound page has no credentials for
			// this server, while a reverse proxy on the same machine that
			// keeps the Host header (the usual set-up) would be refused.
			// The Origin check below stays.
			DisableLocalhostProtection: true,
		},
	)}
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !e.originAllowed(r, o) {
		e.st.WriteError(w, r, objectos.NewError(objectos.CodePermissionDenied, "Requests from this origin may not use the MCP endpoint."))
		return
	}
	if r.Method != http.MethodPost {
		// No server-sent event stream (GET) and no sessions to end
		// (DELETE): the endpoint is stateless.
		w.Header().Set("Allow", http.MethodPost)
		e.st.WriteError(w, r, objectos.Errorf(objectos.CodeMethodNotAllowed, "Method %s is not allowed here; use POST.", r.Method).
			With("allowed", []string{http.MethodPost}))
		return
	}
	p, ok := e.st.RequirePrincipal(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, e.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			e.st.WriteError(w, r, objectos.Errorf(objectos.CodePayloadTooLarge, "The request body is larger than %d bytes.", e.maxBody).
				With("max", e.maxBody))
			return
		}
		e.st.WriteError(w, r, objectos.NewError(objectos.CodeInvalidJSON, "The request body could not be read.").WithCause(err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// The SDK serves a stateless request in the request's context, so the
	// tools see the caller (and the rate limiter's state) there.
	e.sdk.ServeHTTP(w, r.WithContext(objectos.WithPrincipal(r.Context(), p)))
}

// originAllowed is the check against DNS rebinding and cross-site use: a
// browser's Origin must be the server's own (as the request reached it) or
// one the Stack's CORS policy allows.
func (e *endpoint) originAllowed(r *http.Request, origin string) bool {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	origin = strings.TrimRight(origin, "/")
	return strings.EqualFold(origin, scheme+"://"+r.Host) || e.st.OriginAllowed(origin)
}
