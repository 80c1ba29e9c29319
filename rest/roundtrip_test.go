package rest_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objectos-go/objectos"
	"github.com/objectos-go/objectos/internal/testenv"
	"github.com/objectos-go/objectos/objectostest"
	"github.com/objectos-go/objectos/store"
)

// typeRow is one field type with two values in ascending order: lo and hi
// as sent, loWire and hiWire as read back.
type typeRow struct {
	field          objectos.Field
	lo, hi         any
	loWire, hiWire any
	param          string // an implicit-equality parameter value matching hi ("" to skip)
	unsortable     bool
}

var abc = []objectos.Option{{Value: "a"}, {Value: "b"}, {Value: "c"}}

func typeRows() []typeRow {
	return []typeRow{
		{field: objectos.Field{Type: objectos.TypeText}, lo: "apple", hi: "banana", loWire: "apple", hiWire: "banana", param: "banana"},
		{field: objectos.Field{Type: objectos.TypeTextarea}, lo: "a\nb", hi: "b\nc", loWire: "a\nb", hiWire: "b\nc", param: "b\nc"},
		{field: objectos.Field{Type: objectos.TypeEmail}, lo: "a@x.io", hi: "b@x.io", loWire: "a@x.io", hiWire: "b@x.io", param: "b@x.io"},
		{field: objectos.Field{Type: objectos.TypeURL}, lo: "https://a.io", hi: "https://b.io", loWire: "https://a.io", hiWire: "https://b.io", param: "https://b.io"},
		{field: objectos.Field{Type: objectos.TypePhone}, lo: "+1 555 0100", hi: "+1 555 0199", loWire: "+1 555 0100", hiWire: "+1 555 0199", param: "+1 555 0199"},
		{field: objectos.Field{Type: objectos.TypeMarkdown}, lo: "# a", hi: "# b", loWire: "# a", hiWire: "# b", param: "# b"},
		{field: objectos.Field{Type: objectos.TypeHTML}, lo: "<a>", hi: "<b>", loWire: "<a>", hiWire: "<b>", param: "<b>"},
		{field: objectos.Field{Type: objectos.TypeRichtext}, lo: "<p>a</p>", hi: "<p>b</p>", loWire: "<p>a</p>", hiWire: "<p>b</p>", param: "<p>b</p>"},
		{field: objectos.Field{Type: objectos.TypeCode}, lo: "a()", hi: "b()", loWire: "a()", hiWire: "b()", param: "b()"},
		{field: objectos.Field{Type: objectos.TypeColor}, lo: "#000000", hi: "#ffffff", loWire: "#000000", hiWire: "#ffffff", param: "#ffffff"},
		{field: objectos.Field{Type: objectos.TypeNumber}, lo: -2.5, hi: 10, loWire: -2.5, hiWire: 10.0, param: "10"},
		{field: objectos.Field{Type: objectos.TypeCurrency, Scale: objectos.Ptr(2)}, lo: 9.99, hi: 1234.56, loWire: 9.99, hiWire: 1234.56, param: "1234.56"},
		{field: objectos.Field{Type: objectos.TypePercent}, lo: 5, hi: 99.5, loWire: 5.0, hiWire: 99.5, param: "99.5"},
		{field: objectos.Field{Type: objectos.TypeRating}, lo: 1, hi: 5, loWire: 1.0, hiWire: 5.0, param: "5"},
		{field: objectos.Field{Type: objectos.TypeSlider}, lo: 0, hi: 0.5, loWire: 0.0, hiWire: 0.5, param: "0.5"},
		{field: objectos.Field{Type: objectos.TypeProgress}, lo: 10, hi: 90, loWire: 10.0, hiWire: 90.0, param: "90"},
		{field: objectos.Field{Type: objectos.TypeBoolean}, lo: false, hi: true, loWire: false, hiWire: true, param: "true"},
		{field: objectos.Field{Type: objectos.TypeToggle}, lo: false, hi: true, loWire: false, hiWire: true, param: "true"},
		{field: objectos.Field{Type: objectos.TypeDate}, lo: "1999-12-31", hi: "2024-02-29", loWire: "1999-12-31", hiWire: "2024-02-29", param: "2024-02-29"},
		{field: objectos.Field{Type: objectos.TypeDatetime}, lo: "2024-03-15T14:30:00+02:00", hi: "2024-03-15T14:30:00.5Z",
			loWire: "2024-03-15T12:30:00.000Z", hiWire: "2024-03-15T14:30:00.500Z", param: "2024-03-15T14:30:00.500Z"},
		{field: objectos.Field{Type: objectos.TypeTime}, lo: "09:00", hi: "17:45:30.250", loWire: "09:00:00", hiWire: "17:45:30.250", param: "17:45:30.250"},
		{field: objectos.Field{Type: objectos.TypeSelect, Options: abc}, lo: "a", hi: "c", loWire: "a", hiWire: "c", param: "c"},
		{field: objectos.Field{Type: objectos.TypeRadio, Options: abc}, lo: "b", hi: "c", loWire: "b", hiWire: "c", param: "c"},
		{field: objectos.Field{Type: objectos.TypeMultiselect, Options: abc}, lo: []any{"a"}, hi: []any{"b", "c"}, loWire: []any{"a"}, hiWire: []any{"b", "c"}, param: "c", unsortable: true},
		{field: objectos.Field{Type: objectos.TypeCheckboxes, Options: abc}, lo: []any{}, hi: []any{"a", "b"}, loWire: []any{}, hiWire: []any{"a", "b"}, param: "b", unsortable: true},
		{field: objectos.Field{Type: objectos.TypeTags}, lo: []any{"x"}, hi: []any{"y", "z"}, loWire: []any{"x"}, hiWire: []any{"y", "z"}, param: "z", unsortable: true},
		{field: objectos.Field{Type: objectos.TypeLookup, Reference: "peer"}, lo: "p1", hi: "p2", loWire: "p1", hiWire: "p2", param: "p2"},
		{field: objectos.Field{Type: objectos.TypeMasterDetail, Reference: "peer"}, lo: "p1", hi: "p2", loWire: "p1", hiWire: "p2", param: "p2"},
		{field: objectos.Field{Type: objectos.TypeUser}, lo: "u1", hi: "u2", loWire: "u1", hiWire: "u2", param: "u2"},
		{field: objectos.Field{Type: objectos.TypeJSON}, lo: map[string]any{"a": 1}, hi: []any{"x", true, nil}, loWire: map[string]any{"a": 1.0}, hiWire: []any{"x", true, nil}, unsortable: true},
		{field: objectos.Field{Type: objectos.TypePassword}, lo: "pw1", hi: "pw2", loWire: objectos.MaskedValue, hiWire: objectos.MaskedValue, unsortable: true},
	}
}

func TestFieldTypesRoundTripOverHTTP(t *testing.T) {
	rows := typeRows()
	zoo := &objectos.Object{Name: "zoo"}
	for _, tr := range rows {
		f := tr.field
		f.Name = "f_" + string(f.Type)
		zoo.Fields = append(zoo.Fields, &f)
	}
	zoo.Fields = append(zoo.Fields, &objectos.Field{Name: "f_autonumber", Type: objectos.TypeAutonumber, AutonumberFormat: "Z-{0000}"})
	a := &objectos.Artifact{Objects: []*objectos.Object{
		{Name: "peer", Fields: []*objectos.Field{{Name: "name", Type: objectos.TypeText}}}, zoo}}

	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, a)
		s.as("u").Post("/api/v1/data/peer", `{"id":"p1"}`).Status(t, 201)
		s.as("u").Post("/api/v1/data/peer", `{"id":"p2"}`).Status(t, 201)
		lo, hi := map[string]any{"id": "lo"}, map[string]any{"id": "hi"}
		for _, tr := range rows {
			lo["f_"+string(tr.field.Type)] = tr.lo
			hi["f_"+string(tr.field.Type)] = tr.hi
		}
		for _, rec := range []map[string]any{lo, hi} {
			body, _ := json.Marshal(rec)
			s.as("u").Post("/api/v1/data/zoo", string(body)).Status(t, 201)
		}
		got := map[string]map[string]any{}
		for _, id := range []string{"lo", "hi"} {
			r := s.as("u").Get("/api/v1/data/zoo/" + id)
			r.Status(t, 200)
			got[id] = r.Value("record").(map[string]any)
		}
		assert.Equal(t, "Z-0001", got["lo"]["f_autonumber"])
		assert.Equal(t, "Z-0002", got["hi"]["f_autonumber"])
		for _, tr := range rows {
			name := "f_" + string(tr.field.Type)
			t.Run(string(tr.field.Type), func(t *testing.T) {
				assert.Equal(t, tr.loWire, got["lo"][name], "read lo")
				assert.Equal(t, tr.hiWire, got["hi"][name], "read hi")
				if tr.param != "" {
					r := s.as("u").Get("/api/v1/data/zoo?fields=id&" + url.Values{name: {tr.param}}.Encode())
					r.Status(t, 200)
					assert.Equal(t, []string{"hi"}, idsOf(r), "implicit equality")
					filter, _ := json.Marshal(map[string]any{name: map[string]any{"$eq": tr.hiWire}})
					if tr.field.Kind() == objectos.KindMulti {
						filter, _ = json.Marshal(map[string]any{name: tr.param})
					}
					r = s.as("u").Get("/api/v1/data/zoo?fields=id&filter=" + url.QueryEscape(string(filter)))
					r.Status(t, 200)
					assert.Equal(t, []string{"hi"}, idsOf(r), "filter %s", filter)
				}
				if tr.unsortable {
					r := s.as("u").Get("/api/v1/data/zoo?sort=" + name)
					assert.Equal(t, 400, r.StatusCode)
					assert.Equal(t, "INVALID_SORT", r.Value("code"))
					return
				}
				r := s.as("u").Get("/api/v1/data/zoo?fields=id&sort=" + name)
				r.Status(t, 200)
				assert.Equal(t, []string{"lo", "hi"}, idsOf(r), "ascending")
				r = s.as("u").Get("/api/v1/data/zoo?fields=id&sort=-" + name)
				assert.Equal(t, []string{"hi", "lo"}, idsOf(r), "descending")
			})
		}
	})
}

func idsOf(r *objectostest.Response) []string {
	var out []string
	for _, rec := range r.Value("records").([]any) {
		out = append(out, rec.(map[string]any)["id"].(string))
	}
	return out
}

// TestCursorWalkOverHTTP walks 1,000 rows with nextCursor while other
// requests insert rows: every original row comes back exactly once.
func TestCursorWalkOverHTTP(t *testing.T) {
	a := &objectos.Artifact{Objects: []*objectos.Object{{Name: "row", Fields: []*objectos.Field{
		{Name: "n", Type: objectos.TypeNumber}, {Name: "bucket", Type: objectos.TypeText}}}}}
	testenv.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, a)
		want := map[string]bool{}
		require.NoError(t, s.Stack.Transact(objectos.AsSystem(t.Context()), func(ctx contextT) error {
			for i := range 1000 {
				r, err := s.Stack.Create(ctx, "row", objectos.Record{"n": float64(i), "bucket": fmt.Sprint(i % 9)})
				if err != nil {
					return err
				}
				want[r.ID] = true
			}
			return nil
		}))
		for _, sortParam := range []string{"", "&sort=bucket", "&sort=-bucket,n"} {
			t.Run("sort"+sortParam, func(t *testing.T) {
				seen := map[string]int{}
				next := "/api/v1/data/row?limit=73&fields=id" + sortParam
				var wg sync.WaitGroup
				for page := 0; page < 100; page++ {
					r := s.as("u").Get(next)
					r.Status(t, 200)
					for _, id := range idsOf(r) {
						seen[id]++
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						w := s.as("w").Post("/api/v1/data/row", `{"n":-1,"bucket":"4"}`)
						assert.Equal(t, 201, w.StatusCode)
					}()
					if r.Value("hasMore") != true {
						assert.NotContains(t, r.Map(), "nextCursor")
						break
					}
					next = "/api/v1/data/row?limit=73&fields=id" + sortParam + "&cursor=" + url.QueryEscape(r.Value("nextCursor").(string))
				}
				wg.Wait()
				for id := range want {
					require.Equal(t, 1, seen[id], "row %s", id)
				}
				for id, n := range seen {
					require.Equal(t, 1, n, "row %s seen twice", id)
				}
			})
		}
		t.Run("offset and cursor pages agree", func(t *testing.T) {
			var byOffset, byCursor []string
			total := int(s.as("u").Get("/api/v1/data/row?limit=0").Value("total").(float64))
			for off := 0; off < total; off += 250 {
				byOffset = append(byOffset, idsOf(s.as("u").Get(fmt.Sprintf("/api/v1/data/row?sort=-bucket,n&fields=id&limit=250&offset=%d", off)))...)
			}
			next := "/api/v1/data/row?sort=-bucket,n&fields=id&limit=250"
			for {
				r := s.as("u").Get(next)
				byCursor = append(byCursor, idsOf(r)...)
				if r.Value("hasMore") != true {
					break
				}
				next = "/api/v1/data/row?sort=-bucket,n&fields=id&limit=250&cursor=" + url.QueryEscape(r.Value("nextCursor").(string))
			}
			assert.Len(t, byOffset, total)
			assert.Equal(t, byOffset, byCursor)
			sorted := append([]string(nil), byOffset...)
			sort.Strings(sorted)
			assert.Len(t, dedupe(sorted), total)
		})
	})
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
