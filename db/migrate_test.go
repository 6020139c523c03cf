package db_test

import (
	"context"
	"database/sql"
	"slices"
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
	var want []int64
	for v := int64(1); v <= version; v++ {
		want = append(want, v)
	}
	if version < 1 || !slices.Equal(applied, want) {
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

// schemaColumn is one column as both databases can describe it.
type schemaColumn struct {
	table, name, kind string
	notNull           bool
}

// sqliteKinds and postgresKinds map each database's column types to one name, where SQLite's stands
// for PostgreSQL's (JSON is TEXT in SQLite, JSONB in PostgreSQL).
var (
	sqliteKinds   = map[string]string{"INTEGER": "integer", "TEXT": "text", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp"}
	postgresKinds = map[string]string{"bigint": "integer", "integer": "integer", "text": "text", "jsonb": "text",
		"boolean": "boolean", "date": "date", "timestamp with time zone": "timestamp"}
)

// TestSQLiteAndPostgresSchemasMatch compares, after every migration, the two schemas column by
// column: the same tables, the same columns in the same order, of corresponding types and
// nullability, so that a migration written for one database is not forgotten in the other.
func TestSQLiteAndPostgresSchemasMatch(t *testing.T) {
	ctx := context.Background()
	lite, pg := dbtest.SQLite(t), dbtest.Postgres(t)
	scan := func(pool *sql.DB, query string, kinds map[string]string) []schemaColumn {
		t.Helper()
		rows, err := pool.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var columns []schemaColumn
		for rows.Next() {
			var c schemaColumn
			if err := rows.Scan(&c.table, &c.name, &c.kind, &c.notNull); err != nil {
				t.Fatal(err)
			}
			kind, ok := kinds[c.kind]
			if !ok {
				t.Errorf("%s.%s: type %q has no counterpart here; add it to the maps", c.table, c.name, c.kind)
			}
			c.kind = kind
			columns = append(columns, c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return columns
	}
	// SQLite does not report an INTEGER PRIMARY KEY as NOT NULL, though it cannot be NULL.
	sqliteColumns := scan(lite.Pool(), `SELECT m.name, c.name, upper(c.type), c."notnull" OR c.pk > 0
		FROM sqlite_master m JOIN pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT IN ('goose_db_version', 'sqlite_sequence')
		ORDER BY m.name, c.cid`, sqliteKinds)
	postgresColumns := scan(pg.Pool(), `SELECT table_name, column_name, data_type, is_nullable = 'NO'
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'
		ORDER BY table_name, ordinal_position`, postgresKinds)
	if len(sqliteColumns) == 0 {
		t.Fatal("no columns read")
	}
	byName := func(columns []schemaColumn) (map[string]schemaColumn, []string) {
		m, order := map[string]schemaColumn{}, []string{}
		for _, c := range columns {
			m[c.table+"."+c.name] = c
			order = append(order, c.table+"."+c.name)
		}
		return m, order
	}
	liteByName, liteOrder := byName(sqliteColumns)
	pgByName, pgOrder := byName(postgresColumns)
	for name, l := range liteByName {
		if p, ok := pgByName[name]; !ok {
			t.Errorf("%s is in SQLite only", name)
		} else if l != p {
			t.Errorf("%s: SQLite has %s (not null %t), PostgreSQL %s (not null %t)", name, l.kind, l.notNull, p.kind, p.notNull)
		}
	}
	for name := range pgByName {
		if _, ok := liteByName[name]; !ok {
			t.Errorf("%s is in PostgreSQL only", name)
		}
	}
	if !t.Failed() && !slices.Equal(liteOrder, pgOrder) {
		t.Errorf("the columns come in different orders:\nSQLite     %v\nPostgreSQL %v", liteOrder, pgOrder)
	}
}
