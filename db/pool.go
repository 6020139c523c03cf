package db

import "database/sql"

// Pool is the database/sql connection pool, for instrumentation (its statistics as metrics); queries
// go through the stores.
func (d *DB) Pool() *sql.DB { return d.pool.DB }

// SetMaxOpenConns bounds the connections a PostgreSQL pool opens (default 20), and keeps them all
// idle between requests; n <= 0 keeps the default. With several processes on one server, keep
// n × processes under its max_connections. SQLite pools keep their own sizes (one connection for :memory:).
func (d *DB) SetMaxOpenConns(n int) {
	if n > 0 && d.dialect == Postgres {
		d.pool.SetMaxOpenConns(n)
		d.pool.SetMaxIdleConns(n)
	}
}
