package db

import "context"

// SessionKeyHashes returns the stored hash of every session key, for tests that check what is kept.
func (s *Store) SessionKeyHashes(ctx context.Context) ([]string, error) {
	hashes := []string{}
	err := s.selectAll(ctx, &hashes, `SELECT key_hash FROM user_sessions`)
	return hashes, err
}

// Exec runs a statement no store method has (deleting a medic, moving medics between owners), for tests.
func (s *Store) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return s.exec(ctx, query, args...)
}

// MigrateDownTo rolls migrations back to version, for tests of a later migration on existing rows.
func (d *DB) MigrateDownTo(ctx context.Context, version int64) error {
	provider, err := d.migrationProvider(ctx)
	if err != nil {
		return err
	}
	_, err = provider.DownTo(ctx, version)
	return err
}
