package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// A token (a medic's, or inside an institutional API key) is "<key id>.<secret>": the key id (48
// random bits) finds the row, and the secret (192 random bits) is checked against its stored SHA-256
// in constant time. Only the hash is stored; the token itself is shown once, when issued.
const (
	tokenKeyIDBytes  = 6
	tokenSecretBytes = 24
)

// ErrInvalidToken is returned for a token that is malformed or unknown.
var ErrInvalidToken = errors.New("db: invalid token")

// IssueMedicToken creates a new API token for a medic and returns it; it cannot be recovered later.
func (s *Store) IssueMedicToken(ctx context.Context, medicID int64, now time.Time) (string, error) {
	token, keyID, secretHash := s.newToken()
	_, err := s.exec(ctx, `INSERT INTO medic_tokens (medic_id, key_id, secret_hash, created_at) VALUES (?, ?, ?, ?)`,
		medicID, keyID, secretHash, now)
	if err != nil {
		return "", fmt.Errorf("db: issue token for medic %d: %w", medicID, err)
	}
	return token, nil
}

// MedicByToken returns the medic a token belongs to, or ErrInvalidToken. One query finds both the
// token and its medic: nearly every request carries a valid token.
func (s *Store) MedicByToken(ctx context.Context, token string) (*Medic, error) {
	type medicToken struct {
		Medic
		SecretHash string `db:"secret_hash"`
	}
	row, err := checkToken(ctx, s, `SELECT `+medicColumns+`, medic_tokens.secret_hash`+medicFrom+`
		JOIN medic_tokens ON medic_tokens.medic_id = medics.id WHERE medic_tokens.key_id = ?`,
		token, func(r *medicToken) string { return r.SecretHash })
	if err != nil {
		return nil, err
	}
	return &row.Medic, nil
}

// UseEntropy makes r, which must be safe for concurrent use, the source of the tokens, API keys and
// account ids the database issues from now on, instead of crypto/rand: only for `galeno sandbox`,
// whose credentials are fixed development values (a seeded r issues the same ones every time).
func (d *DB) UseEntropy(r io.Reader) { d.entropy = r }

// random fills b from the store's entropy source (crypto/rand unless UseEntropy chose another).
func (s *Store) random(b []byte) {
	if s.entropy == nil {
		rand.Read(b)
		return
	}
	if _, err := io.ReadFull(s.entropy, b); err != nil {
		panic(fmt.Sprintf("db: read the entropy source: %v", err)) // as crypto/rand.Read would
	}
}

// newToken returns a fresh token, with the key id and secret hash to store for it.
func (s *Store) newToken() (token, keyID, secretHash string) {
	id := make([]byte, tokenKeyIDBytes)
	secret := make([]byte, tokenSecretBytes)
	s.random(id)
	s.random(secret)
	keyID, secretHex := hex.EncodeToString(id), hex.EncodeToString(secret)
	return keyID + "." + secretHex, keyID, hashSecret(secretHex)
}

// tokenOwner checks token against the row that query (selecting owner_id and secret_hash, with the
// key id as its one argument) finds, and returns the owner's id, or ErrInvalidToken.
func (s *Store) tokenOwner(ctx context.Context, query, token string) (int64, error) {
	type owner struct {
		OwnerID    int64  `db:"owner_id"`
		SecretHash string `db:"secret_hash"`
	}
	row, err := checkToken(ctx, s, query, token, func(r *owner) string { return r.SecretHash })
	if err != nil {
		return 0, err
	}
	return row.OwnerID, nil
}

// checkToken finds token's row with query (the key id as its one argument) and checks the token's
// secret, in constant time, against the hash that secretHash reads from the row; ErrInvalidToken
// when the token is malformed, unknown or wrong.
func checkToken[T any](ctx context.Context, s *Store, query, token string, secretHash func(*T) string) (*T, error) {
	keyID, secret, ok := splitToken(token)
	if !ok {
		return nil, ErrInvalidToken
	}
	var row T
	err := s.get(ctx, &row, query, keyID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, fmt.Errorf("db: look up token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(secretHash(&row))) != 1 {
		return nil, ErrInvalidToken
	}
	return &row, nil
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
