package store

import "context"

// Exec runs a statement outside the engine, for tests that set up what
// earlier versions left in a database.
func (s *Store) Exec(ctx context.Context, query string) error {
	_, err := s.db.DB.ExecContext(ctx, query)
	return err
}

// Indexes lists the valid indexes of the current schema (or the SQLite
// file) by name.
func (s *Store) Indexes(ctx context.Context) (map[string]bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cat, err := s.readCatalog(ctx, tx.Tx)
	if err != nil {
		return nil, err
	}
	return cat.indexes, nil
}
