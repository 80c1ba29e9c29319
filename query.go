package objectos

// DefaultPageSize is the page size of a list without a limit.
const DefaultPageSize = 50

// Query is a list request against one object.
type Query struct {
	// Filter is a parsed filter (see [ParseFilter]); nil matches every record.
	Filter *Filter
	// Sort keys; id is appended as the final tie-breaker in the direction
	// of the last key. Empty means id ascending (creation order).
	Sort []SortKey
	// Fields restricts the returned fields; id is always returned. Empty
	// means every readable field.
	Fields []string
	// Expand lists reference fields to replace by the referenced record;
	// dotted paths ("account.parent") expand nested levels, at most 3 deep.
	Expand []string
	// ExpandSpecs narrow expansions by path: the fields returned and a
	// filter the referenced record must match (see ExpandSpec). A spec's
	// path is expanded even when Expand does not list it.
	ExpandSpecs map[string]ExpandSpec
	// Search is a case-insensitive containment search over the searchable
	// fields, AND-ed with the filter.
	Search string
	// SearchFields restricts Search to these text fields. Empty means the
	// object's searchable fields.
	SearchFields []string
	// Limit is the page size: 0 means DefaultPageSize; above the stack's
	// maximum it is clamped. Negative is refused.
	Limit int
	// Offset skips rows; it cannot be combined with Cursor.
	Offset int
	// Cursor continues from a previous page's NextCursor.
	Cursor string
	// SkipCount leaves Total unset (-1), saving a COUNT query.
	SkipCount bool
	// EstimateCount lets Total be the database's estimate when it is large
	// (above EstimateAbove), where an exact COUNT reads every match: on a
	// store that can estimate (PostgreSQL's planner), ListResult reports it
	// with TotalEstimated. Below that, and on other stores, Total is exact.
	EstimateCount bool
	// Lock locks the records read until the transaction ends (SELECT … FOR
	// UPDATE on PostgreSQL; SQLite serializes write transactions anyway),
	// for a read-modify-write inside Stack.Transact.
	Lock bool
}
