package rest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/objectos-go/objectos"
)

// The metadata API (SPEC §8, reference §7.1): the deployment's objects,
// views, actions and permission sets as the caller may see them, in the
// wrapped envelope.
//
//	GET {base}/meta, {base}/meta/types   {types, entries}
//	GET {base}/meta/{type}               {type, items}
//	GET {base}/meta/{type}/{name}        {type, name, item}
//
// Objects the caller cannot read, and objects not exposed through the API,
// are absent from lists and 404 by name; fields the caller cannot read, and
// internal fields, are never described. Permission sets are for
// administrators. Every answer has an ETag (a hash of the body, which
// differs between callers who see differently) and honours If-None-Match.

// Metadata types.
const (
	metaObject     = "object"
	metaView       = "view"
	metaAction     = "action"
	metaPermission = "permission"
)

var metaTypes = []string{metaObject, metaView, metaAction, metaPermission}

// metaTypeOf folds the spellings of a type: plurals and the upstream names.
func metaTypeOf(s string) string {
	s = strings.ToLower(s)
	switch s {
	case "objects", "object":
		return metaObject
	case "views", "view":
		return metaView
	case "actions", "action":
		return metaAction
	case "permission", "permissions", "permissionset", "permissionsets", "permission_set", "permission_sets":
		return metaPermission
	}
	return ""
}

func (h *handler) metaRoutes(r *objectos.Router) {
	r.HandleFunc(http.MethodGet, "/meta", h.metaTypes)
	r.HandleFunc(http.MethodGet, "/meta/types", h.metaTypes)
	r.HandleFunc(http.MethodGet, "/meta/{type}", h.metaItems)
	r.HandleFunc(http.MethodGet, "/meta/{type}/{name}", h.metaItem)
}

// metaCaller authenticates a metadata request; on failure it has answered.
func (h *handler) metaCaller(w http.ResponseWriter, r *http.Request) (context.Context, bool) {
	p, ok := h.st.RequirePrincipal(w, r)
	if !ok {
		return nil, false
	}
	return objectos.WithPrincipal(r.Context(), p), true
}

func (h *handler) metaTypes(w http.ResponseWriter, r *http.Request) {
	ctx, ok := h.metaCaller(w, r)
	if !ok {
		return
	}
	p := objectos.PrincipalFrom(ctx)
	types := []string{}
	entries := []map[string]any{}
	for i, t := range metaTypes {
		if t == metaPermission && !p.IsAdmin() {
			continue
		}
		types = append(types, t)
		entries = append(entries, metaEntry(t, i))
	}
	h.writeMeta(w, r, map[string]any{"types": types, "entries": entries})
}

// metaEntry is upstream's per-type registry entry: objectos serves its
// metadata from the artifact, read-only.
func metaEntry(t string, order int) map[string]any {
	label, domain, desc := "", "", ""
	switch t {
	case metaObject:
		label, domain, desc = "Object", "data", "Business objects: fields, sharing, API exposure"
	case metaView:
		label, domain, desc = "View", "ui", "List and form views of objects"
	case metaAction:
		label, domain, desc = "Action", "automation", "Declarative actions on objects"
	case metaPermission:
		label, domain, desc = "Permission Set", "security", "Object and field grants"
	}
	return map[string]any{
		"type": t, "label": label, "description": desc, "filePatterns": []string{},
		"supportsOverlay": false, "allowOrgOverride": false, "allowRuntimeCreate": false,
		"supportsVersioning": false, "executionPinned": false, "loadOrder": order * 10,
		"domain": domain, "overrideSource": "registry",
	}
}

func (h *handler) metaItems(w http.ResponseWriter, r *http.Request) {
	h.serveMeta(w, r, func(ctx context.Context, t string) (any, error) {
		items, err := h.describeAll(ctx, t)
		return map[string]any{"type": t, "items": items}, err
	})
}

func (h *handler) metaItem(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	h.serveMeta(w, r, func(ctx context.Context, t string) (any, error) {
		item, err := h.describeOne(ctx, t, name)
		return map[string]any{"type": t, "name": name, "item": item}, err
	})
}

// serveMeta authenticates, resolves the path's type and writes what data
// returns for it.
func (h *handler) serveMeta(w http.ResponseWriter, r *http.Request, data func(ctx context.Context, t string) (any, error)) {
	ctx, ok := h.metaCaller(w, r)
	if !ok {
		return
	}
	t, err := h.metaType(ctx, r.PathValue("type"))
	if err != nil {
		h.st.WriteError(w, r, err)
		return
	}
	out, err := data(ctx, t)
	if err != nil {
		h.st.WriteError(w, r, err)
		return
	}
	h.writeMeta(w, r, out)
}

// metaType resolves a type of the path; permission sets need an
// administrator.
func (h *handler) metaType(ctx context.Context, s string) (string, error) {
	t := metaTypeOf(s)
	if t == "" {
		return "", objectos.Errorf(objectos.CodeNotFound, "Unknown metadata type '%s'; the types are %s.", clip(s, 64),
			strings.Join(metaTypes, ", ")).With("type", clip(s, 64))
	}
	if t == metaPermission && !objectos.PrincipalFrom(ctx).IsAdmin() {
		return "", objectos.NewError(objectos.CodePermissionDenied, "Permission sets are visible to administrators only.")
	}
	return t, nil
}

// clip bounds text of the caller that an answer repeats.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func (h *handler) describeAll(ctx context.Context, t string) ([]map[string]any, error) {
	items := []map[string]any{}
	if t == metaPermission {
		for _, ps := range h.st.Artifact().PermissionSets {
			items = append(items, permissionItem(ps))
		}
		return items, nil
	}
	descs, err := h.st.DescribeAll(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range descs {
		switch t {
		case metaObject:
			items = append(items, objectItem(d))
		case metaAction:
			for _, a := range d.Object.Actions {
				items = append(items, actionItem(d.Object, a))
			}
		}
	}
	if t == metaView {
		visible := map[string]*objectos.Description{}
		for _, d := range descs {
			visible[d.Object.Name] = d
		}
		for _, v := range h.st.Artifact().Views {
			if d := visible[v.Object]; d != nil {
				items = append(items, viewItem(d.Object, v))
			}
		}
	}
	return items, nil
}

func (h *handler) describeOne(ctx context.Context, t, name string) (map[string]any, error) {
	notFound := func(kind string) error {
		return objectos.Errorf(objectos.CodeNotFound, "No %s named '%s'.", kind, clip(name, 64)).With("name", clip(name, 64))
	}
	switch t {
	case metaObject:
		d, err := h.st.Describe(ctx, name)
		if err != nil {
			return nil, err
		}
		return objectItem(d), nil
	case metaView:
		for _, v := range h.st.Artifact().Views {
			if v.Name != name {
				continue
			}
			d, err := h.st.Describe(ctx, v.Object)
			if objectos.IsCode(err, objectos.CodeObjectNotFound) {
				break // a view of an object the caller cannot see does not exist for them
			}
			if err != nil {
				return nil, err
			}
			return viewItem(d.Object, v), nil
		}
		return nil, notFound("view")
	case metaAction:
		// "object.action", or a bare action name that only one object declares
		object, action, qualified := strings.Cut(name, ".")
		descs, err := h.st.DescribeAll(ctx)
		if err != nil {
			return nil, err
		}
		var found []map[string]any
		for _, d := range descs {
			if qualified && d.Object.Name != object {
				continue
			}
			if !qualified {
				action = name
			}
			if a := d.Object.Action(action); a != nil {
				found = append(found, actionItem(d.Object, a))
			}
		}
		switch len(found) {
		case 0:
			return nil, objectos.Errorf(objectos.CodeActionNotFound, "No action named '%s'.", clip(name, 64)).With("name", clip(name, 64))
		case 1:
			return found[0], nil
		}
		return nil, objectos.Errorf(objectos.CodeNotFound, "Several objects declare an action '%s'; name it as object.action.", clip(name, 64)).
			With("name", clip(name, 64))
	case metaPermission:
		for _, ps := range h.st.Artifact().PermissionSets {
			if ps.Name == name {
				return permissionItem(ps), nil
			}
		}
		return nil, notFound("permission set")
	}
	return nil, notFound(t)
}

// objectItem is upstream's object metadata with fields as a map keyed by
// name, plus what the caller may do: permissions, and each field's
// editable.
func objectItem(d *objectos.Description) map[string]any {
	o := d.Object
	fields := make(map[string]any, len(o.Fields))
	for _, f := range o.Fields {
		fields[f.Name] = fieldItem(f, d.Editable[f.Name])
	}
	methods := o.AllowedMethods()
	if methods == nil {
		methods = []objectos.APIMethod{}
	}
	actions := []string{}
	for _, a := range o.Actions {
		actions = append(actions, a.Name)
	}
	indexes := []map[string]any{}
	for _, ix := range o.Indexes {
		indexes = append(indexes, map[string]any{"fields": ix.Fields, "unique": ix.Unique})
	}
	item := map[string]any{
		"name": o.Name, "label": labelOf(o.Label, o.Name), "pluralLabel": o.PluralLabel,
		"sharingModel": o.Sharing(), "ownership": ownershipOf(o), "isSystem": o.System,
		"enable":  map[string]any{"apiEnabled": true, "apiMethods": methods, "searchable": o.Searchable()},
		"fields":  fields,
		"indexes": indexes,
		"actions": actions,
		"permissions": map[string]bool{
			"allowRead": d.Can[objectos.AccessRead], "allowCreate": d.Can[objectos.AccessCreate],
			"allowEdit": d.Can[objectos.AccessUpdate], "allowDelete": d.Can[objectos.AccessDelete],
		},
	}
	setIf(item, "description", o.Description)
	setIf(item, "icon", o.Icon)
	setIf(item, "nameField", o.NameField)
	if len(o.Validations) > 0 {
		// as declared, for clients to check a form before they send it
		// (the server checks every write itself)
		item["validations"] = o.Validations
	}
	return item
}

func ownershipOf(o *objectos.Object) objectos.Ownership {
	if o.Ownership == "" {
		return objectos.OwnershipUser
	}
	return o.Ownership
}

func labelOf(label, name string) string {
	if label != "" {
		return label
	}
	return name
}

func setIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// fieldItem is upstream's field metadata (reference §1.4).
func fieldItem(f *objectos.Field, editable bool) map[string]any {
	item := map[string]any{
		"name": f.Name, "type": f.Type, "label": labelOf(f.Label, f.Name),
		"required": f.Required, "readonly": f.Readonly || f.System && f.Name != objectos.FieldOwner || f.Type == objectos.TypeFormula,
		"system": f.System, "unique": f.Unique, "searchable": f.Searchable, "sortable": f.IsSortable(),
		"editable": editable,
	}
	setIf(item, "description", f.Description)
	setIf(item, "placeholder", f.Placeholder)
	setIf(item, "inlineHelpText", f.InlineHelpText)
	setIf(item, "autonumberFormat", f.AutonumberFormat)
	// the conditional rules, for clients to mirror (the server enforces
	// requiredWhen and readonlyWhen itself)
	setIf(item, "requiredWhen", string(f.RequiredWhen))
	setIf(item, "readonlyWhen", string(f.ReadonlyWhen))
	setIf(item, "visibleWhen", string(f.VisibleWhen))
	setIf(item, "expression", string(f.Expression))
	setIf(item, "returnType", string(f.ReturnType))
	if f.Hidden {
		item["hidden"] = true
	}
	if f.DefaultValue != nil {
		item["defaultValue"] = f.DefaultValue
	}
	if f.MinLength > 0 {
		item["minLength"] = f.MinLength
	}
	if f.MaxLength > 0 {
		item["maxLength"] = f.MaxLength
	}
	if f.Precision > 0 {
		item["precision"] = f.Precision
	}
	if f.Scale != nil {
		item["scale"] = *f.Scale
	}
	if f.Min != nil {
		item["min"] = *f.Min
	}
	if f.Max != nil {
		item["max"] = *f.Max
	}
	if len(f.Options) > 0 {
		item["options"] = f.Options
	}
	if t := f.Target(); t != "" {
		item["reference"] = t
		item["deleteBehavior"] = f.OnDelete()
	}
	return item
}

func viewItem(o *objectos.Object, v *objectos.View) map[string]any {
	columns := []string{}
	for _, c := range v.Columns {
		if o.Field(c) != nil {
			columns = append(columns, c)
		}
	}
	sort := []string{}
	for _, s := range v.Sort {
		if o.Field(strings.TrimLeft(strings.Fields(s + " ")[0], "-+")) != nil {
			sort = append(sort, s)
		}
	}
	item := map[string]any{"name": v.Name, "label": labelOf(v.Label, v.Name), "object": v.Object,
		"type": cmpOr(v.Type, "list"), "columns": columns, "sort": sort}
	if v.Filter != nil {
		item["filter"] = v.Filter
	}
	if v.PageSize > 0 {
		item["pageSize"] = v.PageSize
	}
	return item
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func actionItem(o *objectos.Object, a *objectos.Action) map[string]any {
	params := []map[string]any{}
	for _, p := range a.Params {
		pm := map[string]any{"name": p.Name, "label": labelOf(p.Label, p.Name), "type": p.Type, "required": p.Required}
		if len(p.Options) > 0 {
			pm["options"] = p.Options
		}
		setIf(pm, "reference", p.Reference)
		if p.DefaultValue != nil {
			pm["defaultValue"] = p.DefaultValue
		}
		setIf(pm, "helpText", p.HelpText)
		setIf(pm, "placeholder", p.Placeholder)
		params = append(params, pm)
	}
	item := map[string]any{
		"name": a.Name, "objectName": o.Name, "label": labelOf(a.Label, a.Name),
		"type": cmpOr(string(a.Type), string(objectos.ActionScript)), "params": params,
		"requiredPermissions": nonNil(a.RequiredPermissions),
	}
	setIf(item, "description", a.Description)
	setIf(item, "icon", a.Icon)
	setIf(item, "confirmText", a.ConfirmText)
	setIf(item, "successMessage", a.SuccessMessage)
	setIf(item, "variant", a.Variant)
	if len(a.Locations) > 0 {
		item["locations"] = a.Locations
	}
	if a.RefreshAfter {
		item["refreshAfter"] = true
	}
	return item
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func permissionItem(ps *objectos.PermissionSet) map[string]any {
	objects := map[string]objectos.ObjectPermission{}
	for k, v := range ps.Objects {
		objects[k] = v
	}
	fields := map[string]objectos.FieldPermission{}
	for k, v := range ps.Fields {
		fields[k] = v
	}
	item := map[string]any{"name": ps.Name, "label": labelOf(ps.Label, ps.Name), "isDefault": ps.IsDefault,
		"objects": objects, "fields": fields}
	setIf(item, "description", ps.Description)
	return item
}

// writeMeta writes {success: true, data} with an ETag, or 304 when the
// caller's If-None-Match names it.
func (h *handler) writeMeta(w http.ResponseWriter, r *http.Request, data any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"success": true, "data": data}); err != nil {
		h.st.WriteError(w, r, err)
		return
	}
	writeTagged(w, r, "application/json; charset=utf-8", buf.Bytes())
}

// writeTagged writes a body with a strong ETag of its content, or 304 Not
// Modified when If-None-Match names that tag.
func writeTagged(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:12]) + `"`
	w.Header().Set("ETag", tag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && slices.ContainsFunc(strings.Split(inm, ","), func(s string) bool {
		s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
		return s == tag || s == "*"
	}) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
