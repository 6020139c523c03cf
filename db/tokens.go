package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// A medic token is "<key id>.<secret>": the key id (48 random bits) finds the row, and the secret
// (192 random bits) is checked against its stored SHA-256 in constant time. Only the hash is stored;
// the token itself is shown once, when issued.
const (
	tokenKeyIDBytes  = 6
	tokenSecretBytes = 24
)

// ErrInvalidToken is returned for a token that is malformed or unknown.
var ErrInvalidToken = errors.New("db: invalid token")

// IssueMedicToken creates a new API token for a medic and returns it; it cannot be recovered later.
func (s *Store) IssueMedicToken(ctx context.Context, medicID int64, now time.Time) (string, error) {
	keyID := make([]byte, tokenKeyIDBytes)
	secret := make([]byte, tokenSecretBytes)
	rand.Read(keyID)
	rand.Read(secret)
	key, secretHex := hex.EncodeToString(keyID), hex.EncodeToString(secret)
	_, err := s.exec(ctx, `INSERT INTO medic_tokens (medic_id, key_id, secret_hash, created_at) VALUES (?, ?, ?, ?)`,
		medicID, key, hashSecret(secretHex), now)
	if err != nil {
		return "", fmt.Errorf("db: issue token for medic %d: %w", medicID, err)
	}
	return key + "." + secretHex, nil
}

// MedicByToken returns the medic a token belongs to, or ErrInvalidToken.
func (s *Store) MedicByToken(ctx context.Context, token string) (*Medic, error) {
	key, secret, ok := splitToken(token)
	if !ok {
		return nil, ErrInvalidToken
	}
	var row struct {
		MedicID    int64  `db:"medic_id"`
		SecretHash string `db:"secret_hash"`
	}
	err := s.get(ctx, &row, `SELECT medic_id, secret_hash FROM medic_tokens WHERE key_id = ?`, key)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, fmt.Errorf("db: look up token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(row.SecretHash)) != 1 {
		return nil, ErrInvalidToken
	}
	return s.MedicByID(ctx, row.MedicID)
}

func splitToken(token string) (key, secret string, ok bool) {
	if len(token) != 2*tokenKeyIDBytes+1+2*tokenSecretBytes || token[2*tokenKeyIDBytes] != '.' {
		return "", "", false
	}
	key, secret = token[:2*tokenKeyIDBytes], token[2*tokenKeyIDBytes+1:]
	if _, err := hex.DecodeString(key); err != nil {
		return "", "", false
	}
	return key, secret, true
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
