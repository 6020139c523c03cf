package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/galeno-health/galeno/db"
)

// principalPattern is how audit events name principals.
var principalPattern = regexp.MustCompile(`^(medic|institution|user|patient):[^:\s]+$`)

func runAdminAudit(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin audit", "[--since WHEN] [--until WHEN] [--object ID] [--principal KIND:ID] [--operation ID] [--db URL]\n\n"+
		"Prints the audit events selected, oldest first, one JSON object a line. WHEN is a time (2026-01-31,\n"+
		"2026-01-31T08:00:00Z) or how long ago (36h, 30d).", stderr)
	var since, until moment
	fs.Var(&since, "since", "only events at or after WHEN")
	fs.Var(&until, "until", "only events before WHEN")
	object := fs.String("object", "", "only events about this record id (a medic's 12, an account's or a patient's id)")
	principal := fs.String("principal", "", "only events of this principal: medic:ID, institution:ID, user:ID or patient:ID")
	operation := fs.String("operation", "", "only events of this operation (openapi.yaml's operationId, e.g. getMedic)")
	dbURL := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *principal != "" && !principalPattern.MatchString(*principal) {
		return fmt.Errorf("--principal %q: want medic:ID, institution:ID, user:ID or patient:ID", *principal)
	}
	ctx := context.Background()
	d, _, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	enc := json.NewEncoder(stdout)
	filter := db.AuditFilter{Since: since.at, Until: until.at, ObjectID: *object, Principal: *principal, Operation: *operation}
	return d.AuditEvents(ctx, filter, func(e *db.AuditEvent) error { return enc.Encode(e) })
}

// moment is a flag of a point in time: RFC 3339, a date (midnight UTC), or a duration ago.
type moment struct{ at time.Time }

func (m *moment) String() string {
	if m.at.IsZero() {
		return ""
	}
	return m.at.Format(time.RFC3339)
}

func (m *moment) Set(s string) error {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		m.at = t
		return nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		m.at = t
		return nil
	}
	ago, err := parseDays(s)
	if err != nil {
		return fmt.Errorf("%q is not a time (2026-01-31, 2026-01-31T08:00:00Z) or a duration ago (36h, 30d)", s)
	}
	m.at = time.Now().Add(-ago)
	return nil
}
