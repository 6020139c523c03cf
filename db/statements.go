package db

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
)

// maxStatements bounds the cache, in case some query text is built per call (e.g. IN lists).
const maxStatements = 500

// statements caches one prepared statement per query text on a pool (database/sql prepares it on
// each connection the first time it runs there). The database then parses and plans a query once
// per connection, not on every call, and each call is one round trip (Bind and Execute).
type statements struct {
	pool    *sqlx.DB
	byQuery sync.Map // query text → *sqlx.Stmt
	count   atomic.Int32
}

// prepare returns the prepared statement for query; nil and no error when it should run
// unprepared (in a transaction, or the cache is full).
func (c *statements) prepare(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if c == nil {
		return nil, nil
	}
	if st, ok := c.byQuery.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	if c.count.Load() >= maxStatements {
		return nil, nil
	}
	st, err := c.pool.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.byQuery.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sqlx.Stmt), nil
	}
	c.count.Add(1)
	return st, nil
}

// forget drops st, the statement cached for query, so that the next call prepares it again.
func (c *statements) forget(query string, st *sqlx.Stmt) {
	if c.byQuery.CompareAndDelete(query, st) {
		c.count.Add(-1)
		st.Close()
	}
}

// close closes every cached statement.
func (c *statements) close() {
	c.byQuery.Range(func(_, st any) bool {
		st.(*sqlx.Stmt).Close()
		return true
	})
}
