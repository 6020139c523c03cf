package db

import (
	"context"
	"fmt"
	"time"
)

// Failed patient sign-ins, kept for a while to rate-limit password guessing per uname and per client
// address. A sign-in is recorded as failed before its password is checked (so that concurrent
// guesses count too) and forgotten again if it succeeds.

// AddPatientLoginFailure records a failed sign-in for uname from client and returns its id.
func (s *Store) AddPatientLoginFailure(ctx context.Context, uname, client string, at time.Time) (int64, error) {
	var id int64
	err := s.get(ctx, &id, `INSERT INTO patient_login_failures (uname, client, failed_at) VALUES (?, ?, ?) RETURNING id`,
		uname, client, at)
	if err != nil {
		return 0, fmt.Errorf("db: record failed sign-in of %s: %w", uname, err)
	}
	return id, nil
}

// DeletePatientLoginFailure forgets one failed sign-in.
func (s *Store) DeletePatientLoginFailure(ctx context.Context, id int64) error {
	if _, err := s.exec(ctx, `DELETE FROM patient_login_failures WHERE id = ?`, id); err != nil {
		return fmt.Errorf("db: delete failed sign-in %d: %w", id, err)
	}
	return nil
}

// ClearPatientLoginFailures forgets the failed sign-ins of uname from client, after a success.
func (s *Store) ClearPatientLoginFailures(ctx context.Context, uname, client string) error {
	if _, err := s.exec(ctx, `DELETE FROM patient_login_failures WHERE uname = ? AND client = ?`, uname, client); err != nil {
		return fmt.Errorf("db: clear failed sign-ins of %s: %w", uname, err)
	}
	return nil
}

// PrunePatientLoginFailures forgets the failed sign-ins older than before.
func (s *Store) PrunePatientLoginFailures(ctx context.Context, before time.Time) error {
	if _, err := s.exec(ctx, `DELETE FROM patient_login_failures WHERE failed_at < ?`, before); err != nil {
		return fmt.Errorf("db: prune failed sign-ins: %w", err)
	}
	return nil
}

// PatientLoginFailuresOfUname returns when sign-ins of uname failed since since, newest first, at most limit.
func (s *Store) PatientLoginFailuresOfUname(ctx context.Context, uname string, since time.Time, limit int) ([]time.Time, error) {
	return s.patientLoginFailures(ctx, "uname", uname, since, limit)
}

// PatientLoginFailuresOfClient returns when sign-ins from client failed since since, newest first, at most limit.
func (s *Store) PatientLoginFailuresOfClient(ctx context.Context, client string, since time.Time, limit int) ([]time.Time, error) {
	return s.patientLoginFailures(ctx, "client", client, since, limit)
}

func (s *Store) patientLoginFailures(ctx context.Context, column, value string, since time.Time, limit int) ([]time.Time, error) {
	times := []time.Time{}
	err := s.selectAll(ctx, &times, `SELECT failed_at FROM patient_login_failures
		WHERE `+column+` = ? AND failed_at >= ? ORDER BY failed_at DESC, id DESC LIMIT ?`, value, since, limit)
	if err != nil {
		return nil, fmt.Errorf("db: failed sign-ins by %s: %w", column, err)
	}
	return times, nil
}
