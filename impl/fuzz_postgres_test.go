package impl_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// postgresSnapshot restores a PostgreSQL schema, under its server's feet, to a saved copy of its
// rows (the saved_<table> tables next to them), the world a fuzz target's SQLite database holds.
type postgresSnapshot struct {
	pool      *sql.DB
	tables    []string          // in creation order, so that parents fill before their children
	sequences map[string]string // table → the column its sequence numbers
	// lsn is where the server's WAL was after the last restore: while it has not moved, nothing
	// was written and there is nothing to restore (other schemas' writes only cost a restore).
	lsn string
}

func openPostgresSnapshot(f *testing.F, url string) *postgresSnapshot {
	pool, err := sql.Open("postgres", url)
	if err != nil {
		f.Fatal(err)
	}
	pool.SetMaxOpenConns(1)
	f.Cleanup(func() { pool.Close() })
	return &postgresSnapshot{pool: pool, sequences: map[string]string{}}
}

// load copies every row of the SQLite database in file into the schema (empty and migrated),
// numbers its sequences on from there, and saves the rows as the copy restore goes back to.
func (s *postgresSnapshot) load(t *testing.T, file string) {
	t.Helper()
	ctx := t.Context()
	rows, err := s.pool.QueryContext(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname <> 'goose_db_version' ORDER BY c.oid`)
	if err != nil {
		t.Fatal(err)
	}
	s.tables = scanStrings(t, rows)
	rows, err = s.pool.QueryContext(ctx, `SELECT table_name || ' ' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range scanStrings(t, rows) {
		table, column, _ := strings.Cut(tc, " ")
		s.sequences[table] = column
	}

	lite, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	for _, table := range s.tables {
		if derivedTables[table] {
			continue
		}
		copyRows(t, lite, s.pool, table)
		if _, err := s.pool.ExecContext(ctx, `CREATE TABLE "saved_`+table+`" AS TABLE "`+table+`"`); err != nil {
			t.Fatalf("save %s: %v", table, err)
		}
	}
	s.lsn = "" // restore once, to number the sequences
	s.restore(t)
}

// copyRows inserts every row of table from one database into the other, column by column.
func copyRows(t *testing.T, from, to *sql.DB, table string) {
	t.Helper()
	rows, err := from.QueryContext(t.Context(), `SELECT * FROM "`+table+`"`)
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	placeholders := make([]string, len(columns))
	for i := range columns {
		placeholders[i] = fmt.Sprintf("$%d", i+1)
	}
	insert := `INSERT INTO "` + table + `" ("` + strings.Join(columns, `", "`) + `") VALUES (` + strings.Join(placeholders, ", ") + `)`
	for rows.Next() {
		values := make([]any, len(columns))
		pointers := make([]any, len(columns))
		for i := range values {
			pointers[i] = &values[i]
		}
		if err := rows.Scan(pointers...); err != nil {
			t.Fatal(err)
		}
		if _, err := to.ExecContext(t.Context(), insert, values...); err != nil {
			t.Fatalf("copy a row of %s: %v", table, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// restore empties every table and refills it from its saved copy, and numbers the sequences on
// from the copy's largest ids (as SQLite's AUTOINCREMENT does, so that both give the same ids),
// unless nothing was written since the last restore.
func (s *postgresSnapshot) restore(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if s.lsn != "" && s.walPosition(t) == s.lsn {
		return
	}
	tx, err := s.pool.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var statements []string
	for i := range s.tables {
		statements = append(statements, `DELETE FROM "`+s.tables[len(s.tables)-1-i]+`"`)
	}
	for _, table := range s.tables {
		if derivedTables[table] {
			continue
		}
		statements = append(statements, `INSERT INTO "`+table+`" SELECT * FROM "saved_`+table+`"`)
		if column, ok := s.sequences[table]; ok {
			statements = append(statements, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', '%[2]s'),
				COALESCE(MAX("%[2]s"), 1), MAX("%[2]s") IS NOT NULL) FROM "%[1]s"`, table, column))
		}
	}
	for _, stmt := range statements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("restore the snapshot: %s: %v", stmt, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s.lsn = s.walPosition(t)
}

func (s *postgresSnapshot) walPosition(t *testing.T) string {
	t.Helper()
	var lsn string
	if err := s.pool.QueryRowContext(context.Background(), `SELECT pg_current_wal_insert_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatalf("read the WAL position: %v", err)
	}
	return lsn
}

func scanStrings(t *testing.T, rows *sql.Rows) []string {
	t.Helper()
	defer rows.Close()
	var all []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		all = append(all, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}
