package impl_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/impl"
)

func ptr[T any](v T) *T { return &v }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// sqliteDB is a fresh SQLite database, for tests of HTTP plumbing that does not depend on the backend.
func sqliteDB(t *testing.T) *db.DB { return dbtest.SQLite(t) }

// doMaybeBody is ts.do with a body that may be nil.
func doMaybeBody(t *testing.T, ts *testServer, method, path, contentType string, body *strings.Reader, header http.Header) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = body
	}
	return ts.do(t, method, path, contentType, r, header)
}

// jsonEqual compares two values as JSON.
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// concurrently makes n requests at once and counts the statuses they got.
func concurrently(t *testing.T, n int, request func(i int) (status int, err error)) map[int]int {
	t.Helper()
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			status, err := request(i)
			if err != nil {
				t.Error(err)
			}
			statuses <- status
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	return count
}

// concurrentGuesses sends n wrong-password logins at once and checks that at most allowed of them
// got to check a password (401) and the rest were refused (429); it returns how many were checked.
func concurrentGuesses(t *testing.T, n, allowed int, guess func() (status int, err error)) int {
	t.Helper()
	count := concurrently(t, n, func(int) (int, error) { return guess() })
	if count[401] < 1 || count[401] > allowed || count[401]+count[429] != n {
		t.Fatalf("statuses %v: want at most %d 401 and the rest 429", count, allowed)
	}
	return count[401]
}

// clock is a settable clock for servers under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// eachBackendWithClock is eachBackend with a server whose clock the test sets, starting at start.
func eachBackendWithClock(t *testing.T, start time.Time, fn func(t *testing.T, ts *testServer, c *clock)) {
	t.Helper()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			c := &clock{now: start}
			fn(t, newTestServerWith(t, b.Open(t), impl.Options{Now: c.Now}), c)
		})
	}
}
