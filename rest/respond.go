package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/jsonkind"
)

// fail writes the flat data-route error envelope
// {"error": message, "code": CODE, ...details, "fields": [...]}. Server
// failures are logged with their cause; only the client-safe message goes
// out.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := h.st.LogError(r, err)
	body := make(map[string]any, 3+len(e.Details))
	for k, v := range e.Details {
		body[k] = v
	}
	body["error"] = e.Message
	body["code"] = e.Code
	if len(e.Fields) > 0 {
		body["fields"] = e.Fields
	}
	objectos.SetRetryAfter(w.Header(), e)
	if e.HTTPStatus() == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="objectos"`)
	}
	if e.Code == objectos.CodeObjectAPIMethodNotAllowed || e.Code == objectos.CodeMethodNotAllowed {
		if allow, ok := e.Details["allow"].(string); ok {
			w.Header().Set("Allow", allow)
			delete(body, "allow")
		}
	}
	objectos.WriteJSON(w, e.HTTPStatus(), body)
}

// authenticate resolves the caller. Without credentials it answers 401
// UNAUTHENTICATED with the upstream anonymous-deny body; bad credentials
// keep their own code.
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request) (context.Context, bool) {
	p, err := h.st.Authenticate(r)
	if err == nil {
		return objectos.WithPrincipal(r.Context(), p), true
	}
	if errors.Is(err, objectos.ErrNoCredentials) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="objectos"`)
		e := objectos.AuthenticationRequired()
		objectos.WriteJSON(w, e.HTTPStatus(), map[string]string{
			"error": string(e.Code), "code": string(e.Code), "message": e.Message,
		})
		return nil, false
	}
	h.fail(w, r, err)
	return nil, false
}

// readObject reads a JSON object body: the content type must be JSON (415),
// the body within the size limit (413) and well-formed (400 INVALID_JSON).
func (h *handler) readObject(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	if err := h.checkJSONType(r); err != nil {
		return nil, err
	}
	raw, err := h.readRaw(w, r)
	if err != nil {
		return nil, err
	}
	return decodeObject(raw)
}

// readOptionalObject is readObject for bodies that may be left out.
func (h *handler) readOptionalObject(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	raw, err := h.readRaw(w, r)
	if err != nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil, err
	}
	if err := h.checkJSONType(r); err != nil {
		return nil, err
	}
	return decodeObject(raw)
}

func (h *handler) checkJSONType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return objectos.Errorf(objectos.CodeUnsupportedMediaType,
			"The request body must be JSON (Content-Type: application/json).")
	}
	return nil
}

func (h *handler) readRaw(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.opts.MaxBodyBytes {
		return nil, tooLarge(h.opts.MaxBodyBytes)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(h.opts.MaxBodyBytes)
		}
		return nil, objectos.NewError(objectos.CodeInvalidJSON, "The request body could not be read.").WithCause(err)
	}
	return raw, nil
}

func tooLarge(limit int64) error {
	return objectos.Errorf(objectos.CodePayloadTooLarge, "The request body is larger than %d bytes.", limit).
		With("max", limit)
}

// decodeObject decodes exactly one JSON object, keeping numbers exact.
func decodeObject(raw []byte) (map[string]any, error) {
	v, err := decodeValue(raw)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, objectos.Errorf(objectos.CodeInvalidJSON, "The request body must be a JSON object, not %s.", jsonkind.Of(v))
	}
	return m, nil
}

// decodeValue decodes exactly one JSON value, keeping numbers exact.
func decodeValue(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, objectos.NewError(objectos.CodeInvalidJSON, "The request body is empty; send JSON.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, objectos.NewError(objectos.CodeInvalidJSON, "The request body is not valid JSON.").WithCause(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, objectos.NewError(objectos.CodeInvalidJSON, "The request body has data after the JSON value.")
	}
	return v, nil
}

func etag(version string) string { return `"` + version + `"` }
