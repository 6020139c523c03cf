// Package db is Galeno's storage: connections, migrations, dialect helpers and one store file per resource.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // registers the "postgres" driver
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// maxPostgresConns bounds each process's PostgreSQL connections (mind max_connections when running several).
const maxPostgresConns = 20

// ErrNotFound is returned when a row does not exist (or is not visible to the caller).
var ErrNotFound = errors.New("db: not found")

// NotFoundError is an ErrNotFound that names what was looked for, for the messages that say so.
type NotFoundError struct {
	Resource string // "user", "institutional account", "organization"
	Key      string // the id or public id looked for
}

func (e *NotFoundError) Error() string { return "db: no " + e.Resource + " " + e.Key }

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// missing turns ErrNotFound into a *NotFoundError naming resource and key; other errors pass through.
func missing(err error, resource string, key any) error {
	if errors.Is(err, ErrNotFound) {
		return &NotFoundError{Resource: resource, Key: fmt.Sprint(key)}
	}
	return err
}

// Store runs queries on a connection pool or inside a transaction; every store method hangs off it.
type Store struct {
	ext     sqlx.ExtContext
	dialect Dialect
	stmts   *statements // on the pool only: transactions run their queries unprepared
	entropy io.Reader   // see UseEntropy; nil is crypto/rand
}

// DB is an open database: a Store on the connection pool, plus transactions, migrations and health checks.
type DB struct {
	Store
	pool *sqlx.DB
}

// Open connects to url: "postgres://…" (or "postgresql://…") for PostgreSQL, "sqlite:PATH" or
// "sqlite::memory:" for SQLite. It does not migrate; call Migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	var (
		pool *sqlx.DB
		err  error
	)
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		pool, err = openPostgres(url)
	case strings.HasPrefix(url, "sqlite:"):
		pool, err = openSQLite(strings.TrimPrefix(url, "sqlite:"))
	default:
		return nil, fmt.Errorf("db: unsupported database URL %q (want postgres://… or sqlite:PATH)", redact(url))
	}
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", redact(url), err)
	}
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: connect to %s: %w", redact(url), err)
	}
	d := dialectOf(pool.DriverName())
	return &DB{Store: Store{ext: pool, dialect: d, stmts: &statements{pool: pool}}, pool: pool}, nil
}

// openPostgres opens a pool of up to 20 connections, all kept while in use (a smaller idle pool
// would close and reopen connections under steady load), with lib/pq's binary_parameters on unless
// url sets it: a query with arguments then takes one round trip to the server (Parse, Bind and
// Execute sent together) instead of two (a Prepare first). It sends []byte arguments in binary
// format, which suits bytea and text columns.
func openPostgres(raw string) (*sqlx.DB, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("malformed URL")
	}
	q := u.Query()
	if !q.Has("binary_parameters") {
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
	}
	pool, err := sqlx.Open("postgres", u.String())
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(maxPostgresConns)
	pool.SetMaxIdleConns(maxPostgresConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	return pool, nil
}

// openSQLite opens path with foreign keys, WAL, a busy timeout and IMMEDIATE transactions, so that
// concurrent writers queue on the busy timeout instead of failing when a read lock cannot be upgraded.
func openSQLite(path string) (*sqlx.DB, error) {
	memory := path == ":memory:"
	if path == "" {
		return nil, errors.New("empty SQLite path (want sqlite:PATH or sqlite::memory:)")
	}
	params := url.Values{}
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "busy_timeout(10000)")
	params.Set("_txlock", "immediate")
	if !memory {
		params.Add("_pragma", "journal_mode(WAL)")
		params.Add("_pragma", "synchronous(NORMAL)")
	}
	pool, err := sqlx.Open("sqlite", "file:"+path+"?"+params.Encode())
	if err != nil {
		return nil, err
	}
	if memory {
		// Every connection to :memory: is a separate database: keep exactly one, forever.
		pool.SetMaxOpenConns(1)
		pool.SetConnMaxLifetime(0)
		pool.SetConnMaxIdleTime(0)
	} else {
		pool.SetMaxOpenConns(4)
	}
	return pool, nil
}

// redact hides the password of a database URL for error messages and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Dialect tells which SQL dialect the database speaks.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close closes the prepared statements and the connection pool.
func (d *DB) Close() error {
	d.stmts.close()
	return d.pool.Close()
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.pool.PingContext(ctx) }

// InTx runs fn in a transaction, committing when fn returns nil and rolling back otherwise.
func (d *DB) InTx(ctx context.Context, fn func(tx *Store) error) error {
	tx, err := d.pool.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := fn(&Store{ext: tx, dialect: d.dialect, entropy: d.entropy}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", d.dialect.translate(err))
	}
	return nil
}

// get scans one row into dest, turning "no rows" into ErrNotFound.
func (s *Store) get(ctx context.Context, dest any, query string, args ...any) error {
	query = s.ext.Rebind(query)
	err := s.run(ctx, query,
		func(st *sqlx.Stmt) error { return st.GetContext(ctx, dest, args...) },
		func() error { return sqlx.GetContext(ctx, s.ext, dest, query, args...) })
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return s.dialect.translate(err)
}

// selectAll scans every row into dest, a pointer to a slice.
func (s *Store) selectAll(ctx context.Context, dest any, query string, args ...any) error {
	query = s.ext.Rebind(query)
	return s.dialect.translate(s.run(ctx, query,
		func(st *sqlx.Stmt) error { return st.SelectContext(ctx, dest, args...) },
		func() error { return sqlx.SelectContext(ctx, s.ext, dest, query, args...) }))
}

// exec runs a statement and returns the number of rows it affected.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	query = s.ext.Rebind(query)
	var res sql.Result
	err := s.run(ctx, query,
		func(st *sqlx.Stmt) (err error) { res, err = st.ExecContext(ctx, args...); return err },
		func() (err error) { res, err = s.ext.ExecContext(ctx, query, args...); return err })
	if err != nil {
		return 0, s.dialect.translate(err)
	}
	return res.RowsAffected()
}

// run runs query with its cached prepared statement, or unprepared when it has none (in a
// transaction, or with the cache full), or when the statement went stale: a migration by another
// process changed the type of a column it returns, which PostgreSQL refuses for a prepared plan.
func (s *Store) run(ctx context.Context, query string, prepared func(*sqlx.Stmt) error, unprepared func() error) error {
	e, err := s.stmts.prepare(ctx, query)
	if err != nil {
		return err
	}
	if e == nil {
		return unprepared()
	}
	err = prepared(e.Stmt)
	stale := s.dialect.stalePlan(err)
	if stale {
		s.stmts.forget(query, e.Stmt)
	}
	e.release()
	if stale {
		return unprepared()
	}
	return err
}
