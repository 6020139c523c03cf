package db_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

// TestConcurrentMigrationsOnPostgresApplyEachOnce starts the migrations of several processes on one
// PostgreSQL schema at once, as several `galeno serve` rolling out together would: the advisory
// lock lets exactly one apply each migration and the others find nothing left to do. Goose's version
// table exists beforehand, as in any database already in use, so that the processes race on the
// migrations themselves (without the lock, the losers fail with "relation already exists").
func TestConcurrentMigrationsOnPostgresApplyEachOnce(t *testing.T) {
	url := dbtest.PostgresURL(t)
	const processes = 4
	ctx := context.Background()
	createGooseVersionTable(t, url)
	dbs := make([]*db.DB, processes)
	for i := range dbs {
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		dbs[i] = d
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied []int64
		start   = make(chan struct{})
	)
	for _, d := range dbs {
		wg.Go(func() {
			<-start
			versions, err := d.Migrate(ctx)
			if err != nil {
				t.Errorf("concurrent migrate: %v", err)
			}
			mu.Lock()
			applied = append(applied, versions...)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()

	version, err := dbs[0].MigrationVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(applied)
	// The versions of the migration files: numbers reserved for work merged later may be missing.
	files, err := os.ReadDir("migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, f := range files {
		v, err := strconv.ParseInt(strings.SplitN(f.Name(), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", f.Name(), err)
		}
		want = append(want, v)
	}
	if version != want[len(want)-1] || !slices.Equal(applied, want) {
		t.Fatalf("applied %v across %d processes, want each of %v exactly once", applied, processes, want)
	}
}

// createGooseVersionTable creates goose's version table at version 0, as goose itself does.
func createGooseVersionTable(t *testing.T, url string) {
	t.Helper()
	conn, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	store, err := database.NewStore(database.DialectPostgres, goose.DefaultTablename)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateVersionTable(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	if err := store.Insert(t.Context(), conn, database.InsertRequest{Version: 0}); err != nil {
		t.Fatal(err)
	}
}
