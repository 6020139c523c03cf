// Package dbtest gives tests a fresh, migrated database on every backend Galeno supports.
//
// SQLite always runs (a temporary file per test). PostgreSQL runs when GALENO_TEST_PG names a server
// (`make test` starts a throwaway one); each test gets its own schema, so packages and tests can
// run in parallel. Without GALENO_TEST_PG the PostgreSQL cases skip, except under CI=true, where
// they fail.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/galeno-health/galeno/db"
)

// EnvPostgres names the environment variable holding the test server's URL.
const EnvPostgres = "GALENO_TEST_PG"

// Backend opens a fresh migrated database for one test.
type Backend struct {
	Name string
	Open func(t testing.TB) *db.DB
}

// Backends lists every backend: SQLite and PostgreSQL.
func Backends() []Backend {
	return []Backend{{"sqlite", SQLite}, {"postgres", Postgres}}
}

// Each runs fn as one subtest per backend, each with its own fresh database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, b.Open(t))
		})
	}
}

// SQLite returns a migrated database in a temporary file, closed when the test ends.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	return Open(t, "sqlite:"+filepath.Join(t.TempDir(), "galeno.db"))
}

// Postgres returns a migrated database in a schema of its own on the GALENO_TEST_PG server, dropped
// when the test ends.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	return Open(t, PostgresURL(t))
}

// PostgresURL returns the URL of a new, empty schema on the GALENO_TEST_PG server, dropped when the
// test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	server := os.Getenv(EnvPostgres)
	if server == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: under CI=true the PostgreSQL tests must run (use `make test`)", EnvPostgres)
		}
		t.Skipf("%s is not set; run `make test` to start a throwaway PostgreSQL", EnvPostgres)
	}
	admin := adminPool(t, server)
	name := "test_" + randomHex(8)
	if _, err := admin.Exec(`CREATE SCHEMA ` + name); err != nil {
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + name + ` CASCADE`); err != nil {
			t.Errorf("dbtest: drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("dbtest: %s is not a URL: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
)

// adminPool is the package's shared connection to the test server, used to create and drop schemas.
func adminPool(t testing.TB, server string) *sql.DB {
	t.Helper()
	if !strings.HasPrefix(server, "postgres://") && !strings.HasPrefix(server, "postgresql://") {
		t.Fatalf("dbtest: %s must be a postgres:// URL", EnvPostgres)
	}
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("postgres", server)
		if adminErr == nil {
			admin.SetMaxOpenConns(2)
			adminErr = admin.Ping()
		}
	})
	if adminErr != nil {
		t.Fatalf("dbtest: connect to %s: %v", EnvPostgres, adminErr)
	}
	return admin
}

// Open returns the migrated database at dsn (sqlite:PATH, or a schema from PostgresURL), closed
// when the test ends, for tests that also open the database themselves.
func Open(t testing.TB, dsn string) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return d
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
