package db

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// A session key (the sessionid cookie's value) is 256 random bits, base64url-encoded. Only its
// SHA-256 is stored, and sessions are looked up by that hash: finding a row needs the key's
// preimage, so the lookup's timing reveals nothing usable about any key.
const sessionKeyBytes = 32

var sessionKeyLen = base64.RawURLEncoding.EncodedLen(sessionKeyBytes)

// UserSession is a logged-in session of a user.
type UserSession struct {
	ID        int64     `db:"id"`
	UserID    int64     `db:"user_id"`
	CreatedAt time.Time `db:"created_at"`
	ExpiresAt time.Time `db:"expires_at"`
}

// CreateUserSession starts a session for a user and returns its key, which cannot be recovered later.
func (s *Store) CreateUserSession(ctx context.Context, sess *UserSession) (string, error) {
	raw := make([]byte, sessionKeyBytes)
	rand.Read(raw)
	key := base64.RawURLEncoding.EncodeToString(raw)
	err := s.get(ctx, &sess.ID, `INSERT INTO user_sessions (user_id, key_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?) RETURNING id`, sess.UserID, hashSecret(key), sess.CreatedAt.UTC(), sess.ExpiresAt.UTC())
	if err != nil {
		return "", fmt.Errorf("db: create session for user %d: %w", sess.UserID, err)
	}
	return key, nil
}

// UserSessionByKey returns the session a key opens at time now, and its user. A malformed,
// unknown or expired key, or one of a deactivated user, is ErrInvalidToken; an expired session
// is deleted on the way.
func (s *Store) UserSessionByKey(ctx context.Context, key string, now time.Time) (*UserSession, *User, error) {
	if len(key) != sessionKeyLen {
		return nil, nil, ErrInvalidToken
	}
	if _, err := base64.RawURLEncoding.DecodeString(key); err != nil {
		return nil, nil, ErrInvalidToken
	}
	var row struct {
		User
		SessionID        int64     `db:"session_id"`
		SessionCreatedAt time.Time `db:"session_created_at"`
		SessionExpiresAt time.Time `db:"session_expires_at"`
	}
	err := s.get(ctx, &row, `SELECT `+userColumns+`, session_id, session_created_at, session_expires_at
		FROM users JOIN (SELECT id AS session_id, user_id, created_at AS session_created_at, expires_at AS session_expires_at
			FROM user_sessions WHERE key_hash = ?) sessions ON sessions.user_id = users.id`, hashSecret(key))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrInvalidToken
	}
	if err != nil {
		return nil, nil, fmt.Errorf("db: look up session: %w", err)
	}
	if !row.SessionExpiresAt.After(now) {
		if err := s.DeleteUserSession(ctx, row.SessionID); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrInvalidToken
	}
	if !row.IsActive {
		return nil, nil, ErrInvalidToken
	}
	sess := &UserSession{ID: row.SessionID, UserID: row.ID, CreatedAt: row.SessionCreatedAt, ExpiresAt: row.SessionExpiresAt}
	return sess, &row.User, nil
}

// DeleteUserSession ends one session.
func (s *Store) DeleteUserSession(ctx context.Context, id int64) error {
	if _, err := s.exec(ctx, `DELETE FROM user_sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("db: delete session %d: %w", id, err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user except the session except (0 for none).
func (s *Store) DeleteUserSessions(ctx context.Context, userID, except int64) error {
	if _, err := s.exec(ctx, `DELETE FROM user_sessions WHERE user_id = ? AND id <> ?`, userID, except); err != nil {
		return fmt.Errorf("db: delete sessions of user %d: %w", userID, err)
	}
	return nil
}

// DeleteExpiredUserSessions deletes the sessions expired at time now and returns how many there were.
func (s *Store) DeleteExpiredUserSessions(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.exec(ctx, `DELETE FROM user_sessions WHERE expires_at <= ?`, now.UTC())
	if err != nil {
		return 0, fmt.Errorf("db: delete expired sessions: %w", err)
	}
	return n, nil
}
