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
	byQuery sync.Map // query text → *cachedStmt
	count   atomic.Int32
}

// cachedStmt is a cached statement and the calls using it: a forgotten statement is closed by the
// last of them, never under one (database/sql would answer it "statement is closed").
type cachedStmt struct {
	*sqlx.Stmt
	mu        sync.Mutex
	users     int
	forgotten bool
}

// acquire counts one more call using e; false when e was forgotten meanwhile.
func (e *cachedStmt) acquire() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.forgotten {
		return false
	}
	e.users++
	return true
}

// release ends one call's use of e, closing it when it was forgotten and this was the last.
func (e *cachedStmt) release() {
	e.mu.Lock()
	e.users--
	last := e.forgotten && e.users == 0
	e.mu.Unlock()
	if last {
		e.Close()
	}
}

// prepare returns the prepared statement for query, acquired (release it after use); nil and no
// error when it should run unprepared (in a transaction, the cache is full, or it was just forgotten).
func (c *statements) prepare(ctx context.Context, query string) (*cachedStmt, error) {
	if c == nil {
		return nil, nil
	}
	if e, ok := c.byQuery.Load(query); ok {
		return acquired(e.(*cachedStmt)), nil
	}
	if c.count.Load() >= maxStatements {
		return nil, nil
	}
	st, err := c.pool.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	e := &cachedStmt{Stmt: st, users: 1}
	if prev, loaded := c.byQuery.LoadOrStore(query, e); loaded {
		st.Close()
		return acquired(prev.(*cachedStmt)), nil
	}
	c.count.Add(1)
	return e, nil
}

// acquired returns e acquired, or nil when it was forgotten meanwhile.
func acquired(e *cachedStmt) *cachedStmt {
	if e.acquire() {
		return e
	}
	return nil
}

// forget drops st, the statement cached for query, so that the next call prepares it again; it is
// closed once no call uses it.
func (c *statements) forget(query string, st *sqlx.Stmt) {
	v, ok := c.byQuery.Load(query)
	if !ok || v.(*cachedStmt).Stmt != st || !c.byQuery.CompareAndDelete(query, v) {
		return
	}
	c.count.Add(-1)
	e := v.(*cachedStmt)
	e.mu.Lock()
	e.forgotten = true
	unused := e.users == 0
	e.mu.Unlock()
	if unused {
		e.Close()
	}
}

// close closes every cached statement.
func (c *statements) close() {
	c.byQuery.Range(func(_, e any) bool {
		e.(*cachedStmt).Close()
		return true
	})
}
