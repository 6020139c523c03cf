package db

import (
	"context"
	"fmt"
	"time"
)

// Failed logins of every family, kept per subject (such as "users:username:ada" or
// "patients:address:192.0.2.1") until they expire, so that every server process sharing the
// database sees the same counts. Which subjects a login counts against, and for how long, is the
// caller's business (impl's login throttle).

// AddLoginFailure records one failed login against each subject, counting until expires, and
// returns the ids of its rows.
func (s *Store) AddLoginFailure(ctx context.Context, expires time.Time, subjects ...string) ([]int64, error) {
	ids := make([]int64, len(subjects))
	for i, subject := range subjects {
		err := s.get(ctx, &ids[i], `INSERT INTO login_failures (subject, expires_at) VALUES (?, ?) RETURNING id`,
			subject, expires.UTC())
		if err != nil {
			return nil, fmt.Errorf("db: record failed login of %s: %w", subject, err)
		}
	}
	return ids, nil
}

// LoginFailureExpiries returns when the failures of a subject that still count at now expire,
// latest first, at most limit.
func (s *Store) LoginFailureExpiries(ctx context.Context, subject string, now time.Time, limit int) ([]time.Time, error) {
	expiries := []time.Time{}
	err := s.selectAll(ctx, &expiries, `SELECT expires_at FROM login_failures WHERE subject = ? AND expires_at > ?
		ORDER BY expires_at DESC, id DESC LIMIT ?`, subject, now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("db: failed logins of %s: %w", subject, err)
	}
	return expiries, nil
}

// DeleteLoginFailures forgets the rows with these ids.
func (s *Store) DeleteLoginFailures(ctx context.Context, ids ...int64) error {
	for _, id := range ids {
		if _, err := s.exec(ctx, `DELETE FROM login_failures WHERE id = ?`, id); err != nil {
			return fmt.Errorf("db: delete failed login %d: %w", id, err)
		}
	}
	return nil
}

// ClearLoginFailures forgets every failed login of a subject.
func (s *Store) ClearLoginFailures(ctx context.Context, subject string) error {
	if _, err := s.exec(ctx, `DELETE FROM login_failures WHERE subject = ?`, subject); err != nil {
		return fmt.Errorf("db: clear failed logins of %s: %w", subject, err)
	}
	return nil
}

// DeleteExpiredLoginFailures forgets the failed logins of every subject that no longer count at now.
func (s *Store) DeleteExpiredLoginFailures(ctx context.Context, now time.Time) error {
	if _, err := s.exec(ctx, `DELETE FROM login_failures WHERE expires_at <= ?`, now.UTC()); err != nil {
		return fmt.Errorf("db: delete expired failed logins: %w", err)
	}
	return nil
}
