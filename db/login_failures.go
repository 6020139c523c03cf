package db

import (
	"context"
	"fmt"
	"time"
)

// Failed logins are kept per subject (such as "username:ada" or "address:192.0.2.1") so that every
// server process sharing the database sees the same counts.

// RecordLoginFailure notes one failed login at time at under each subject.
func (s *Store) RecordLoginFailure(ctx context.Context, at time.Time, subjects ...string) error {
	for _, subject := range subjects {
		if _, err := s.exec(ctx, `INSERT INTO login_failures (subject, failed_at) VALUES (?, ?)`, subject, at.UTC()); err != nil {
			return fmt.Errorf("db: record login failure: %w", err)
		}
	}
	return nil
}

// RecentLoginFailures returns the times of a subject's failed logins after since, newest first, at most limit.
func (s *Store) RecentLoginFailures(ctx context.Context, subject string, since time.Time, limit int) ([]time.Time, error) {
	times := []time.Time{}
	err := s.selectAll(ctx, &times, `SELECT failed_at FROM login_failures WHERE subject = ? AND failed_at > ?
		ORDER BY failed_at DESC LIMIT ?`, subject, since.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("db: recent login failures: %w", err)
	}
	return times, nil
}

// ClearLoginFailures forgets every failed login of a subject.
func (s *Store) ClearLoginFailures(ctx context.Context, subject string) error {
	if _, err := s.exec(ctx, `DELETE FROM login_failures WHERE subject = ?`, subject); err != nil {
		return fmt.Errorf("db: clear login failures: %w", err)
	}
	return nil
}

// ForgetLoginFailures deletes the failed logins of every subject at or before time before.
func (s *Store) ForgetLoginFailures(ctx context.Context, before time.Time) error {
	if _, err := s.exec(ctx, `DELETE FROM login_failures WHERE failed_at <= ?`, before.UTC()); err != nil {
		return fmt.Errorf("db: forget old login failures: %w", err)
	}
	return nil
}
