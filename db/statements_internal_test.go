package db

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
)

// A statement forgotten (its plan went stale) while another call has just taken it from the cache
// stays open until that call is done with it, and is closed then.
func TestForgetDoesNotCloseAStatementInUse(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "statements.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	const query = `SELECT 1`
	taken := make(chan *sqlx.Stmt)
	forgotten := make(chan struct{})
	go func() { // another call whose plan went stale
		d.stmts.forget(query, <-taken)
		close(forgotten)
	}()
	var inUse *sqlx.Stmt
	var got int
	err = d.run(ctx, query,
		func(st *sqlx.Stmt) error {
			inUse = st
			taken <- st
			<-forgotten
			return st.GetContext(ctx, &got)
		},
		func() error { t.Error("ran unprepared"); return nil })
	if err != nil || got != 1 {
		t.Fatalf("the call that had taken the statement: %d, %v", got, err)
	}
	if err := inUse.GetContext(ctx, &got); err == nil {
		t.Error("the forgotten statement is still open after its last use")
	}
	if err := d.get(ctx, &got, query); err != nil || got != 1 {
		t.Fatalf("the next call: %d, %v", got, err)
	}
	if e, ok := d.stmts.byQuery.Load(query); !ok || e.(*cachedStmt).Stmt == inUse {
		t.Error("the next call did not prepare the query again")
	}
}
