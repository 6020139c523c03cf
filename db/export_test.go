package db

import "context"

// SessionKeyHashes returns the stored hash of every session key, for tests that check what is kept.
func (s *Store) SessionKeyHashes(ctx context.Context) ([]string, error) {
	hashes := []string{}
	err := s.selectAll(ctx, &hashes, `SELECT key_hash FROM user_sessions`)
	return hashes, err
}
