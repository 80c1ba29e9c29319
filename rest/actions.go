package rest

import (
	"net/http"

	"github.com/objectos-go/objectos"
)

// actionsRoutes serves POST /actions/{object}/{action}[/{recordId}] with the
// body {recordId?, params?}: 200 {success: true, data: <result>}, errors in
// the wrapped envelope {success: false, error: {code, message, httpStatus}}.
func (h *handler) action(w http.ResponseWriter, r *http.Request) {
	p, ok := h.st.RequirePrincipal(w, r)
	if !ok {
		return
	}
	ctx := objectos.WithPrincipal(r.Context(), p)
	name := r.PathValue("object")
	o := h.st.Object(name)
	switch {
	case o == nil:
		h.st.WriteError(w, r, objectos.Errorf(objectos.CodeObjectNotFound, "Object '%s' not found.", name).With("object", name))
		return
	case !o.APIEnabled():
		h.st.WriteError(w, r, objectos.Errorf(objectos.CodeObjectAPIDisabled, "Object '%s' is not exposed via the API.", name).With("object", name))
		return
	}
	body, err := h.readOptionalObject(w, r)
	if err != nil {
		h.st.WriteError(w, r, err)
		return
	}
	recordID := r.PathValue("recordId")
	var params map[string]any
	for k, v := range body {
		switch k {
		case "recordId":
			s, ok := v.(string)
			if !ok && v != nil {
				h.st.WriteError(w, r, objectos.NewError(objectos.CodeValidationFailed, "recordId must be a string.").With("field", "recordId"))
				return
			}
			if recordID == "" {
				recordID = s
			}
		case "params":
			m, ok := v.(map[string]any)
			if !ok && v != nil {
				h.st.WriteError(w, r, objectos.NewError(objectos.CodeValidationFailed, "params must be an object.").With("field", "params"))
				return
			}
			params = m
		default:
			h.st.WriteError(w, r, objectos.Errorf(objectos.CodeValidationFailed, "Unknown key '%s' in the action body; send {recordId?, params?}.", objectos.Clip(k)).With("field", k))
			return
		}
	}
	out, err := h.st.RunAction(ctx, name, r.PathValue("action"), recordID, plainParams(params))
	if err != nil {
		h.st.WriteError(w, r, err)
		return
	}
	objectos.WriteData(w, http.StatusOK, out)
}

// plainParams turns json.Number values into float64 for parameter checks.
func plainParams(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out, _ := plainJSON(m).(map[string]any)
	return out
}
