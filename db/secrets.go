package db

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"
)

// SecretOrCreate returns the server secret called name, storing candidate as its value first if it
// has none yet. Every server process on the database gets the same value, whichever stored it.
func (s *Store) SecretOrCreate(ctx context.Context, name string, candidate []byte, now time.Time) ([]byte, error) {
	_, err := s.exec(ctx, `INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, name, base64.StdEncoding.EncodeToString(candidate), now)
	if err != nil {
		return nil, fmt.Errorf("db: store secret %s: %w", name, err)
	}
	var encoded string
	if err := s.get(ctx, &encoded, `SELECT value FROM server_secrets WHERE name = ?`, name); err != nil {
		return nil, fmt.Errorf("db: secret %s: %w", name, err)
	}
	value, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("db: decode secret %s: %w", name, err)
	}
	return value, nil
}
