package rest

import "github.com/objectos-go/objectos"

// docsRoutes serves the API reference page (Options.Docs).
func (h *handler) docsRoutes(r *objectos.Router) {}
