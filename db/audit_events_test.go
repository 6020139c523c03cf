package db_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

func auditEvents(t *testing.T, d *db.DB, f db.AuditFilter) []db.AuditEvent {
	t.Helper()
	var events []db.AuditEvent
	if err := d.AuditEvents(context.Background(), f, func(e *db.AuditEvent) error {
		events = append(events, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return events
}

func TestAuditEventsAreSelectedByTimeObjectPrincipalAndOperation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		for i, e := range []db.AuditEvent{
			{At: t0, Principal: "medic:1", Operation: "getMedic", ObjectID: "7", Outcome: 200},
			{At: t0.Add(time.Hour), Principal: "medic:2", Operation: "getMedic", ObjectID: "7", Outcome: 404},
			{At: t0.Add(2 * time.Hour), Principal: "medic:1", Operation: "updateMedic", ObjectID: "8", Outcome: 202},
		} {
			e.RequestID, e.Family, e.ClientAddress = "r"+string(rune('0'+i)), "prescrypto", "192.0.2.1"
			if err := d.RecordAuditEvents(ctx, e); err != nil {
				t.Fatalf("record: %v", err)
			}
		}
		for _, c := range []struct {
			filter db.AuditFilter
			want   []string // request ids, oldest first
		}{
			{db.AuditFilter{}, []string{"r0", "r1", "r2"}},
			{db.AuditFilter{Since: t0.Add(time.Hour)}, []string{"r1", "r2"}},
			{db.AuditFilter{Until: t0.Add(time.Hour)}, []string{"r0"}},
			{db.AuditFilter{ObjectID: "7"}, []string{"r0", "r1"}},
			{db.AuditFilter{Principal: "medic:1"}, []string{"r0", "r2"}},
			{db.AuditFilter{Principal: "medic:1", Operation: "getMedic"}, []string{"r0"}},
			{db.AuditFilter{ObjectID: "9"}, nil},
		} {
			var got []string
			for _, e := range auditEvents(t, d, c.filter) {
				got = append(got, e.RequestID)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("%+v: got %v, want %v", c.filter, got, c.want)
			}
		}
		if e := auditEvents(t, d, db.AuditFilter{ObjectID: "8"}); len(e) != 1 || !e[0].At.Equal(t0.Add(2*time.Hour)) ||
			e[0].Outcome != 202 || e[0].Family != "prescrypto" || e[0].ClientAddress != "192.0.2.1" || e[0].Operation != "updateMedic" {
			t.Errorf("read back %+v", e)
		}
	})
}

func TestAuditEventsRefuseUpdates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := db.AuditEvent{At: time.Now(), RequestID: "r", Family: "prescrypto", Principal: "medic:1", Operation: "getMedic", Outcome: 200}
		if err := d.RecordAuditEvents(ctx, e); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, `UPDATE audit_events SET outcome = 404, principal = ''`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("an UPDATE of audit events was not refused: %v", err)
		}
		if got := auditEvents(t, d, db.AuditFilter{}); len(got) != 1 || got[0].Outcome != 200 || got[0].Principal != "medic:1" {
			t.Errorf("the event changed: %+v", got)
		}
	})
}

// TestAuditEventsOnlyTheSweepDeletes reads every Go source file of the module: the only statement
// that deletes or updates audit events is the retention sweep's.
func TestAuditEventsOnlyTheSweepDeletes(t *testing.T) {
	writes := regexp.MustCompile(`(?i)\b(update|delete\s+from|truncate(\s+table)?|insert\s+or\s+replace\s+into|replace\s+into)\s+audit_events\b`)
	var found []string
	err := filepath.WalkDir("..", func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if entry.IsDir() && (entry.Name() == "node_modules" || strings.HasPrefix(entry.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if entry.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range writes.FindAllString(string(src), -1) {
			found = append(found, filepath.ToSlash(path)+": "+m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0] != "../db/audit_events.go: DELETE FROM audit_events" {
		t.Errorf("statements writing audit events other than by INSERT: %q; want only the retention sweep's DELETE", found)
	}
}

func TestAuditEventsSweepInBatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cutoff := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for i := range 7 {
			e := db.AuditEvent{At: cutoff.Add(time.Duration(i-5) * time.Minute), RequestID: "r", Family: "users", Operation: "getUserInfo", Outcome: 200}
			if err := d.RecordAuditEvents(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		n, err := d.DeleteAuditEventsBefore(ctx, cutoff, 2)
		if err != nil || n != 5 {
			t.Fatalf("deleted %d: %v; want the 5 events before the cutoff", n, err)
		}
		if left := auditEvents(t, d, db.AuditFilter{}); len(left) != 2 || left[0].At.Before(cutoff) {
			t.Errorf("left %+v", left)
		}
	})
}

// BenchmarkRecordAuditEvent measures one event written alone (one INSERT and its commit).
func BenchmarkRecordAuditEvent(b *testing.B) {
	for _, backend := range dbtest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			d := backend.Open(b)
			e := db.AuditEvent{RequestID: "0123456789abcdef0123456789abcdef", Family: "prescrypto", Principal: "medic:1",
				Operation: "getMedic", ObjectID: "12", ClientAddress: "192.0.2.1", Outcome: 200}
			for b.Loop() {
				e.At = time.Now()
				if err := d.RecordAuditEvents(b.Context(), e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
