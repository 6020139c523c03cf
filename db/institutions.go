package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Institutional API keys are tokens with a prefix naming whose key it is, so that a doctor
// account's key can be told from an institution's without a lookup.
const (
	institutionKeyPrefix = "inst_"
	accountKeyPrefix     = "doc_"
)

// Institution is an organisation that creates doctor accounts with its API key.
type Institution struct {
	ID        int64     `db:"id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// CreateInstitution inserts i, sets its ID and returns its new API key, which cannot be recovered later.
func (s *Store) CreateInstitution(ctx context.Context, i *Institution) (string, error) {
	token, keyID, secretHash := s.newToken()
	err := s.get(ctx, &i.ID, `INSERT INTO institutions (name, key_id, secret_hash, created_at) VALUES (?, ?, ?, ?)
		RETURNING id`, i.Name, keyID, secretHash, i.CreatedAt)
	if err != nil {
		return "", fmt.Errorf("db: create institution: %w", err)
	}
	return institutionKeyPrefix + token, nil
}

// InstitutionByKey returns the institution an API key belongs to, or ErrInvalidToken.
func (s *Store) InstitutionByKey(ctx context.Context, key string) (*Institution, error) {
	id, err := s.keyOwner(ctx, "institutions", institutionKeyPrefix, key)
	if err != nil {
		return nil, err
	}
	var i Institution
	if err := s.get(ctx, &i, `SELECT id, name, created_at FROM institutions WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("db: institution %d: %w", id, err)
	}
	return &i, nil
}

// keyOwner returns the id of the row of table whose API key is key (prefix, then a token), or
// ErrInvalidToken (also for a revoked key).
func (s *Store) keyOwner(ctx context.Context, table, prefix, key string) (int64, error) {
	token, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return 0, ErrInvalidToken
	}
	return s.tokenOwner(ctx, `SELECT id AS owner_id, secret_hash FROM `+table+` WHERE key_id = ? AND key_revoked_at IS NULL`, token)
}
