package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AuditEvent records one operation on a clinical record: who did what to which object, from where,
// with which outcome. It never holds a secret (no token, key, password or session).
type AuditEvent struct {
	ID            int64     `db:"id" json:"id"`
	At            time.Time `db:"at" json:"at"`
	RequestID     string    `db:"request_id" json:"request_id"`
	Family        string    `db:"family" json:"family"`
	Principal     string    `db:"principal" json:"principal"` // "medic:12", "institution:3", "user:5", "patient:<id>" or ""
	Operation     string    `db:"operation" json:"operation"` // the contract's operationId
	ObjectID      string    `db:"object_id" json:"object_id"` // "" for a list
	ClientAddress string    `db:"client_address" json:"client_address"`
	Outcome       int       `db:"outcome" json:"outcome"` // the HTTP status answered
}

// AuditFilter selects audit events; zero fields select everything.
type AuditFilter struct {
	Since, Until time.Time // at >= Since and at < Until
	ObjectID     string
	Principal    string
	Operation    string
}

// RecordAuditEvents appends events (their IDs are not read back) in one statement. In a
// transaction, they are committed with the change they describe or not at all; batches of several
// sizes belong in transactions too, which run their statements unprepared (on the pool, each size
// would take a place in the prepared-statement cache).
func (s *Store) RecordAuditEvents(ctx context.Context, events ...AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]string, len(events))
	args := make([]any, 0, 8*len(events))
	for i, e := range events {
		rows[i] = "(?, ?, ?, ?, ?, ?, ?, ?)"
		args = append(args, e.At.UTC(), e.RequestID, e.Family, e.Principal, e.Operation, e.ObjectID, e.ClientAddress, e.Outcome)
	}
	_, err := s.exec(ctx, `INSERT INTO audit_events (at, request_id, family, principal, operation, object_id,
		client_address, outcome) VALUES `+strings.Join(rows, ", "), args...)
	if err != nil {
		return fmt.Errorf("db: record %d audit event(s): %w", len(events), err)
	}
	return nil
}

// AuditEvents calls each with the events f selects, oldest first, reading them as it goes (the
// trail may be far larger than memory).
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter, each func(*AuditEvent) error) error {
	var where []string
	var args []any
	for _, c := range []struct {
		cond  string
		value any
		set   bool
	}{
		{"at >= ?", f.Since.UTC(), !f.Since.IsZero()},
		{"at < ?", f.Until.UTC(), !f.Until.IsZero()},
		{"object_id = ?", f.ObjectID, f.ObjectID != ""},
		{"principal = ?", f.Principal, f.Principal != ""},
		{"operation = ?", f.Operation, f.Operation != ""},
	} {
		if c.set {
			where = append(where, c.cond)
			args = append(args, c.value)
		}
	}
	query := `SELECT id, at, request_id, family, principal, operation, object_id, client_address, outcome FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := s.ext.QueryxContext(ctx, s.ext.Rebind(query+` ORDER BY at, id`), args...)
	if err != nil {
		return fmt.Errorf("db: audit events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEvent
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("db: read audit event: %w", err)
		}
		e.At = e.At.UTC()
		if err := each(&e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: audit events: %w", err)
	}
	return nil
}

// DeleteAuditEventsBefore is the retention sweep, the only deletion of audit events: it deletes
// those older than cutoff, batch at a time (short statements, so that writers recording new events
// never wait long), and returns how many it deleted. Several processes may sweep at once: each
// deletes what the others have not.
func (s *Store) DeleteAuditEventsBefore(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	var total int64
	for {
		n, err := s.exec(ctx, `DELETE FROM audit_events WHERE id IN
			(SELECT id FROM audit_events WHERE at < ? ORDER BY at LIMIT ?)`, cutoff.UTC(), batch)
		if err != nil {
			return total, fmt.Errorf("db: sweep audit events before %s: %w", cutoff.UTC().Format(time.RFC3339), err)
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}
