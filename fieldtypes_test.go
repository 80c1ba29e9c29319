package objectos_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/store"
)

type typeCase struct {
	field *objectos.Field
	in    any            // written value
	want  any            // wire value read back
	eq    any            // a filter comparand that matches it (nil: skip)
	bad   map[string]any // field code -> refused value
}

var opts3 = []objectos.Option{{Value: "a"}, {Value: "b"}, {Value: "c"}}

// fieldTypeMatrix covers every supported field type (SPEC §2.1).
func fieldTypeMatrix() []typeCase {
	return []typeCase{
		{field: &objectos.Field{Type: objectos.TypeText, MaxLength: 5}, in: "héllo", want: "héllo", eq: "héllo",
			bad: map[string]any{"invalid_type": 5.0, "max_length": "toolong", "invalid_value": "a\x00b"}},
		{field: &objectos.Field{Type: objectos.TypeTextarea, MinLength: 2}, in: "line1\nline2", want: "line1\nline2", eq: "line1\nline2",
			bad: map[string]any{"min_length": "x", "invalid_type": true}},
		{field: &objectos.Field{Type: objectos.TypeEmail}, in: "ann@example.com", want: "ann@example.com", eq: "ann@example.com",
			bad: map[string]any{"invalid_email": "Ann <ann@example.com>"}},
		{field: &objectos.Field{Type: objectos.TypeURL}, in: "https://example.com/a?b=c", want: "https://example.com/a?b=c", eq: "https://example.com/a?b=c",
			bad: map[string]any{"invalid_url": "javascript:alert(1)"}},
		{field: &objectos.Field{Type: objectos.TypePhone}, in: "+1 (555) 010-9999", want: "+1 (555) 010-9999", eq: "+1 (555) 010-9999",
			bad: map[string]any{"invalid_phone": "call me"}},
		{field: &objectos.Field{Type: objectos.TypeMarkdown}, in: "# Title", want: "# Title", eq: "# Title"},
		{field: &objectos.Field{Type: objectos.TypeHTML}, in: "<b>x</b>", want: "<b>x</b>", eq: "<b>x</b>"},
		{field: &objectos.Field{Type: objectos.TypeRichtext}, in: "<p>rich</p>", want: "<p>rich</p>", eq: "<p>rich</p>"},
		{field: &objectos.Field{Type: objectos.TypeCode}, in: "fmt.Println()", want: "fmt.Println()", eq: "fmt.Println()"},
		{field: &objectos.Field{Type: objectos.TypeColor}, in: "#ff8800", want: "#ff8800", eq: "#ff8800"},
		{field: &objectos.Field{Type: objectos.TypeNumber, Precision: 6, Scale: objectos.Ptr(2)}, in: 1234.5, want: 1234.5, eq: 1234.5,
			bad: map[string]any{"invalid_number": "12", "max_scale": 1.234, "max_value": 12345.0}},
		{field: &objectos.Field{Type: objectos.TypeCurrency, Scale: objectos.Ptr(2), Min: objectos.Ptr(0.0)}, in: 1234.56, want: 1234.56, eq: 1234.56,
			bad: map[string]any{"min_value": -0.01}},
		{field: &objectos.Field{Type: objectos.TypePercent, Min: objectos.Ptr(0.0), Max: objectos.Ptr(100.0)}, in: 42.5, want: 42.5, eq: 42.5,
			bad: map[string]any{"max_value": 100.5}},
		{field: &objectos.Field{Type: objectos.TypeRating, Max: objectos.Ptr(5.0)}, in: 4.0, want: 4.0, eq: 4.0,
			bad: map[string]any{"max_value": 6.0}},
		{field: &objectos.Field{Type: objectos.TypeSlider}, in: -3.0, want: -3.0, eq: -3.0},
		{field: &objectos.Field{Type: objectos.TypeProgress}, in: 0.0, want: 0.0, eq: 0.0},
		{field: &objectos.Field{Type: objectos.TypeBoolean}, in: true, want: true, eq: true,
			bad: map[string]any{"invalid_boolean": "true"}},
		{field: &objectos.Field{Type: objectos.TypeToggle}, in: false, want: false, eq: false,
			bad: map[string]any{"invalid_boolean": 1.0}},
		{field: &objectos.Field{Type: objectos.TypeDate}, in: "2024-02-29", want: "2024-02-29", eq: "2024-02-29",
			bad: map[string]any{"invalid_date": "0000-01-01"}},
		{field: &objectos.Field{Type: objectos.TypeDatetime}, in: "2024-03-15T15:30:00.1234+01:00", want: "2024-03-15T14:30:00.123Z", eq: "2024-03-15T14:30:00.123Z",
			bad: map[string]any{"invalid_date": "0000-12-31T00:00:00Z"}},
		{field: &objectos.Field{Type: objectos.TypeTime}, in: "14:30", want: "14:30:00", eq: "14:30:00",
			bad: map[string]any{"invalid_time": "25:00:00"}},
		{field: &objectos.Field{Type: objectos.TypeSelect, Options: opts3}, in: "b", want: "b", eq: "b",
			bad: map[string]any{"invalid_option": "z"}},
		{field: &objectos.Field{Type: objectos.TypeRadio, Options: opts3}, in: "c", want: "c", eq: "c",
			bad: map[string]any{"invalid_option": "B"}},
		{field: &objectos.Field{Type: objectos.TypeMultiselect, Options: opts3}, in: []any{"a", "c", "a"}, want: []string{"a", "c"}, eq: "c",
			bad: map[string]any{"invalid_option": []any{"a", "z"}, "invalid_type": "a"}},
		{field: &objectos.Field{Type: objectos.TypeCheckboxes, Options: opts3}, in: []any{}, want: []string{}},
		{field: &objectos.Field{Type: objectos.TypeTags}, in: []any{"x", "y"}, want: []string{"x", "y"}, eq: "y",
			bad: map[string]any{"invalid_value": []any{""}}},
		{field: &objectos.Field{Type: objectos.TypeLookup, Reference: "target"}, in: "t1", want: "t1", eq: "t1",
			bad: map[string]any{"reference_not_found": "t404", "invalid_type": 3.0}},
		{field: &objectos.Field{Type: objectos.TypeMasterDetail, Reference: "target"}, in: "t1", want: "t1", eq: "t1"},
		{field: &objectos.Field{Type: objectos.TypeUser}, in: "user-1", want: "user-1", eq: "user-1"},
		{field: &objectos.Field{Type: objectos.TypeJSON}, in: map[string]any{"a": []any{1.0, "x", nil}, "b": true},
			want: map[string]any{"a": []any{1.0, "x", nil}, "b": true}},
		{field: &objectos.Field{Type: objectos.TypePassword}, in: "s3cret!", want: objectos.MaskedValue},
	}
}

func TestFieldTypeMatrix(t *testing.T) {
	matrix := fieldTypeMatrix()
	zoo := &objectos.Object{Name: "zoo"}
	for _, tc := range matrix {
		f := *tc.field
		f.Name = "f_" + string(f.Type)
		zoo.Fields = append(zoo.Fields, &f)
	}
	zoo.Fields = append(zoo.Fields, &objectos.Field{Name: "f_autonumber", Type: objectos.TypeAutonumber, AutonumberFormat: "Z-{YYYY}-{000}"})
	a := &objectos.Artifact{Objects: []*objectos.Object{{Name: "target", Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText}}}, zoo}}

	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newStack(t, st, a, func(o *objectos.Options) { o.Clock = newClock().Now })
		ctx := as("u1")
		mustCreate(t, s, ctx, "target", objectos.Record{"id": "t1", "name": "target"})
		in := objectos.Record{"f_autonumber": "ignored"}
		for _, tc := range matrix {
			in["f_"+string(tc.field.Type)] = tc.in
		}
		created := mustCreate(t, s, ctx, "zoo", in)
		assert.Equal(t, []string{"f_autonumber"}, created.Dropped)
		got, err := s.Get(ctx, "zoo", created.ID, objectos.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, created.Record, got.Record, "create echoes what a read returns")
		assert.Equal(t, "Z-2026-001", got.Record["f_autonumber"])

		for _, tc := range matrix {
			name := "f_" + string(tc.field.Type)
			t.Run(string(tc.field.Type), func(t *testing.T) {
				assert.Equal(t, tc.want, got.Record[name], "wire value")
				if tc.eq != nil {
					f := objectos.Eq(name, tc.eq)
					res, err := s.List(ctx, "zoo", objectos.Query{Filter: f})
					require.NoError(t, err)
					require.Len(t, res.Records, 1, "filter %s = %v", name, tc.eq)
				}
				for code, v := range tc.bad {
					_, err := s.Create(ctx, "zoo", objectos.Record{name: v})
					e := requireCode(t, err, objectos.CodeValidationFailed)
					assert.Equal(t, map[string]string{name: code}, fieldCodes(e), "value %#v", v)
				}
				// null is accepted by every optional field and reads back as null
				r := mustCreate(t, s, ctx, "zoo", objectos.Record{name: nil})
				assert.Nil(t, r.Record[name])
			})
		}
		// A masked password written back unchanged keeps the stored value.
		_, err = s.Update(ctx, "zoo", created.ID, objectos.Record{"f_password": objectos.MaskedValue}, objectos.WriteOptions{})
		require.NoError(t, err)
		raw, err := st.Find(system(), s.Object("zoo"), &objectos.Select{Where: objectos.Eq("id", created.ID), Fields: []string{"f_password"}})
		require.NoError(t, err)
		require.Len(t, raw, 1)
		assert.Equal(t, "s3cret!", raw[0]["f_password"], "the stored value is kept")
		_, err = s.List(ctx, "zoo", objectos.Query{Filter: objectos.Eq("f_password", "s3cret!")})
		requireCode(t, err, objectos.CodeInvalidFilter)
	})
}
