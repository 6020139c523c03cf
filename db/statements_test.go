package db_test

import (
	"context"
	"testing"

	"github.com/galeno-health/galeno/db/dbtest"
)

// A column changing type under a prepared statement (a migration run by another process) makes
// PostgreSQL refuse the statement; the store prepares it again instead of failing.
func TestPreparedStatementsSurviveAColumnTypeChange(t *testing.T) {
	d := dbtest.Postgres(t)
	ctx := context.Background()
	m := newMedic(t, &d.Store, "typed@example.com", nil)
	for range 2 { // every connection of the pool that ran it holds the statement
		if _, err := d.MedicByID(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Exec(ctx, `ALTER TABLE medics ALTER COLUMN name TYPE VARCHAR(300)`); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		got, err := d.MedicByID(ctx, m.ID)
		if err != nil || got.Name != m.Name {
			t.Fatalf("after the type change: %v, %+v", err, got)
		}
	}
}
