package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// The fuzz targets of impl put a database back to a saved world before every input; these
// snapshots do it under the server's feet, with SQL of each database's own.

// SQLiteSnapshot restores a SQLite database, under its server's feet, to the content of a saved copy.
type SQLiteSnapshot struct {
	conn   *sql.Conn // to the database, with foreign keys off so that tables empty in any order
	tables []string
	// version is the database's data_version after the last restore: while no other connection
	// commits, it stays the same, and there is nothing to restore.
	version int64
}

// OpenSQLiteSnapshot opens a connection of its own to the SQLite database at path.
func OpenSQLiteSnapshot(tb testing.TB, path string) *SQLiteSnapshot {
	pool, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(0)&_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := pool.Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn.Close()
		pool.Close()
	})
	return &SQLiteSnapshot{conn: conn}
}

// Save writes a copy of the database to file (VACUUM INTO), for Attach and PostgresSnapshot.Load.
func (s *SQLiteSnapshot) Save(t testing.TB, file string) {
	t.Helper()
	if _, err := s.conn.ExecContext(context.Background(), `VACUUM INTO ?`, file); err != nil {
		t.Fatalf("save the database: %v", err)
	}
}

// Attach makes the database file the copy Restore goes back to.
func (s *SQLiteSnapshot) Attach(t testing.TB, file string) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.conn.ExecContext(ctx, `ATTACH DATABASE ? AS saved`, file); err != nil {
		t.Fatalf("attach the snapshot: %v", err)
	}
	rows, err := s.conn.QueryContext(ctx, `SELECT name FROM saved.sqlite_master WHERE type = 'table' AND name <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		s.tables = append(s.tables, name)
	}
	if err := rows.Err(); err != nil || len(s.tables) == 0 {
		t.Fatalf("the snapshot's tables: %v %v", s.tables, err)
	}
}

// derivedTables are kept by triggers from other tables' rows: a snapshot empties them but does not
// copy them back, since the triggers refill them as the rows they count are restored.
var derivedTables = map[string]bool{"medic_owned_counts": true}

// Restore empties every table (sqlite_sequence too, so ids repeat) and refills it from the copy,
// unless the server has written nothing since the last restore.
func (s *SQLiteSnapshot) Restore(t testing.TB) {
	t.Helper()
	if version := s.dataVersion(t); s.version != 0 && version == s.version {
		return
	}
	statements := []string{"BEGIN IMMEDIATE"}
	for _, table := range s.tables {
		statements = append(statements, `DELETE FROM main."`+table+`"`)
	}
	for _, table := range s.tables {
		if !derivedTables[table] {
			statements = append(statements, `INSERT INTO main."`+table+`" SELECT * FROM saved."`+table+`"`)
		}
	}
	for _, stmt := range append(statements, "COMMIT") {
		if _, err := s.conn.ExecContext(context.Background(), stmt); err != nil {
			s.conn.ExecContext(context.Background(), "ROLLBACK")
			t.Fatalf("restore the snapshot: %s: %v", stmt, err)
		}
	}
	s.version = s.dataVersion(t)
}

// dataVersion reads PRAGMA data_version, which changes when another connection commits.
func (s *SQLiteSnapshot) dataVersion(t testing.TB) int64 {
	t.Helper()
	var v int64
	if err := s.conn.QueryRowContext(context.Background(), `PRAGMA data_version`).Scan(&v); err != nil {
		t.Fatalf("read the data version: %v", err)
	}
	return v
}

// PostgresSnapshot restores a PostgreSQL schema, under its server's feet, to a saved copy of its
// rows (the saved_<table> tables next to them), the world a fuzz target's SQLite database holds.
type PostgresSnapshot struct {
	pool      *sql.DB
	tables    []string          // in creation order, so that parents fill before their children
	sequences map[string]string // table → the column its sequence numbers
	// lsn is where the server's WAL was after the last restore: while it has not moved, nothing
	// was written and there is nothing to restore (other schemas' writes only cost a restore).
	lsn string
}

// OpenPostgresSnapshot opens a connection of its own to the PostgreSQL schema at url.
func OpenPostgresSnapshot(tb testing.TB, url string) *PostgresSnapshot {
	pool, err := sql.Open("postgres", url)
	if err != nil {
		tb.Fatal(err)
	}
	pool.SetMaxOpenConns(1)
	tb.Cleanup(func() { pool.Close() })
	return &PostgresSnapshot{pool: pool, sequences: map[string]string{}}
}

// Load copies every row of the SQLite database in file into the schema (empty and migrated),
// numbers its sequences on from there, and saves the rows as the copy Restore goes back to.
func (s *PostgresSnapshot) Load(t testing.TB, file string) {
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
	s.Restore(t)
}

// copyRows inserts every row of table from one database into the other, column by column.
func copyRows(t testing.TB, from, to *sql.DB, table string) {
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

// Restore empties every table and refills it from its saved copy, and numbers the sequences on
// from the copy's largest ids (as SQLite's AUTOINCREMENT does, so that both give the same ids),
// unless nothing was written since the last restore.
func (s *PostgresSnapshot) Restore(t testing.TB) {
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

// walPosition reads where the server's WAL is.
func (s *PostgresSnapshot) walPosition(t testing.TB) string {
	t.Helper()
	var lsn string
	if err := s.pool.QueryRowContext(context.Background(), `SELECT pg_current_wal_insert_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatalf("read the WAL position: %v", err)
	}
	return lsn
}

// scanStrings reads a column of strings.
func scanStrings(t testing.TB, rows *sql.Rows) []string {
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
