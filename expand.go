package objectos

import (
	"context"
	"slices"
	"strings"
)

const maxExpandDepth = 3

// ExpandSpec narrows one expanded reference (Query.ExpandSpecs and
// GetOptions.ExpandSpecs, keyed by the dotted expand path, e.g.
// "account.parent").
type ExpandSpec struct {
	// Fields of the referenced record to return; id is always returned.
	// Empty means every readable field.
	Fields []string
	// Filter the referenced record must match to replace the reference; a
	// reference to a record that does not match keeps its id, as one the
	// caller cannot read does.
	Filter *Filter
}

// expandNode is one reference field to expand, checked against the caller's
// access to its target, with the expansions nested in it.
type expandNode struct {
	field    *Field
	target   *Object
	denied   bool     // the caller may not read the target: ids stay
	rf       *Filter  // the caller's record filter on the target
	where    *Filter  // the spec's filter, bound
	fields   []string // the target's fields returned, nested references included
	children []*expandNode
}

// parseExpand checks every level of the expand paths up front, so that a
// mistake is reported whether or not any record has something to expand.
func (c *call) parseExpand(ctx context.Context, paths []string, specs map[string]ExpandSpec) ([]*expandNode, error) {
	for path := range specs {
		if !slices.Contains(paths, path) {
			paths = append(slices.Clip(paths), path) // a spec names its path; expanding it is implied
		}
	}
	return c.parseExpandLevel(ctx, paths, specs, "")
}

// parseExpandLevel checks one level of expand paths (relative to prefix)
// on the call's object; each target is read in a call of its own, with the
// caller's grant on it.
func (c *call) parseExpandLevel(ctx context.Context, paths []string, specs map[string]ExpandSpec, prefix string) ([]*expandNode, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	var out []*expandNode
	nested := map[string][]string{}
	index := map[string]int{}
	for _, path := range paths {
		full := prefix + path
		if strings.Count(full, ".") >= maxExpandDepth {
			return nil, Errorf(CodeInvalidField, "expand '%s' is deeper than %d levels.", full, maxExpandDepth).With("field", full)
		}
		head, rest, _ := strings.Cut(path, ".")
		if _, ok := index[head]; !ok {
			f := c.o.Field(head)
			if f == nil || (f.Internal && !c.sys) {
				return nil, c.unknownField(head, CodeInvalidField)
			}
			if f.Kind() != KindReference {
				return nil, fieldError(c.o, head, CodeInvalidField, "Field '%s' is not a reference and cannot be expanded.", head)
			}
			if !c.sys && !c.g.CanRead(head) {
				return nil, fieldError(c.o, head, CodeFieldNotAccessible, "Field '%s' is not readable.", head)
			}
			target := c.s.objects[f.Target()]
			if target == nil {
				return nil, fieldError(c.o, head, CodeInvalidField, "Field '%s' references an object that is not installed.", head)
			}
			index[head] = len(out)
			out = append(out, &expandNode{field: f, target: target})
		}
		if rest != "" {
			nested[head] = append(nested[head], rest)
		}
	}
	for _, n := range out {
		head := n.field.Name
		tg, rf, err := c.s.authorize(ctx, c.p, c.sys, n.target, AccessRead)
		switch {
		case IsCode(err, CodePermissionDenied):
			// Nothing of the target will be shown; its names are still
			// checked (with no grant, for existence only).
			n.denied, tg = true, nil
		case err != nil:
			return nil, err
		}
		n.rf = rf
		tc := &call{s: c.s, o: n.target, p: c.p, sys: c.sys, g: tg, rf: rf}
		spec := specs[prefix+head]
		if n.fields, err = tc.projection(spec.Fields); err != nil {
			return nil, err
		}
		if spec.Filter != nil {
			if n.where, err = tc.bindReadableFilter(spec.Filter); err != nil {
				return nil, err
			}
		}
		if n.children, err = tc.parseExpandLevel(ctx, nested[head], specs, prefix+head+"."); err != nil {
			return nil, err
		}
		n.fields = withExpand(n.fields, n.children)
	}
	return out, nil
}

// expandValues counts the values the filters of expansions bind.
func expandValues(nodes []*expandNode) int {
	n := 0
	for _, e := range nodes {
		n += e.where.values() + expandValues(e.children)
	}
	return n
}

func withExpand(fields []string, expand []*expandNode) []string {
	out := fields
	for _, e := range expand {
		if !slices.Contains(out, e.field.Name) {
			if len(out) == len(fields) {
				out = append([]string(nil), fields...)
			}
			out = append(out, e.field.Name)
		}
	}
	return out
}

// expand replaces reference ids in the records by the referenced records the
// caller may read (and that match the expansion's filter), one query per
// field and level. Other ids stay as they are.
func (s *Stack) expand(ctx context.Context, recs []Record, nodes []*expandNode) error {
	for _, e := range nodes {
		if e.denied {
			continue
		}
		var ids []any
		seen := map[string]bool{}
		for _, r := range recs {
			if id, ok := r[e.field.Name].(string); ok && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		rows, err := s.reader(ctx).Find(ctx, e.target, &Select{
			Where:  And(&Filter{Op: OpIn, Field: FieldID, Value: ids}, e.rf, e.where),
			Fields: readFields(e.target, e.fields, nil),
		})
		if err != nil {
			return err
		}
		byID := make(map[string]Record, len(rows))
		children := make([]Record, len(rows))
		for i, r := range rows {
			id, _ := r[FieldID].(string)
			s.computeFormulas(ctx, e.target, r, e.fields)
			w := wireInPlace(e.target, r, e.fields)
			children[i] = w
			byID[id] = w
		}
		if err := s.expand(ctx, children, e.children); err != nil {
			return err
		}
		for _, r := range recs {
			if id, ok := r[e.field.Name].(string); ok {
				if child, ok := byID[id]; ok {
					r[e.field.Name] = child
				}
			}
		}
	}
	return nil
}
