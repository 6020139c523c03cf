package impl_test

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/impl"
	"github.com/galeno-health/galeno/internal/testutil"
)

// The fuzz targets send arbitrary requests to the operations of one family, through the real HTTP
// server: any method the spec gives, a path parameter, a query string, a content type, a credential
// of the world (by name: see world_test.go) or none, extra header lines and a body. Placeholders
// such as $medic in the parameter, query, headers and body become the world's ids, so the inputs
// reach the handlers of existing objects. Whatever the input, Galeno must not panic nor answer a
// 5xx, and every response must be one openapi.yaml documents for the operation (the harness checks
// the status and the body's schema).
//
// Each input goes to a server on SQLite and, when GALENO_TEST_PG is set (`make test`, `make fuzz`),
// to a twin on PostgreSQL holding the same world (the same ids and credentials): both must answer
// with the same status. Each database is put back to the world's snapshot before every input, so
// that an input's outcome depends on it alone and a failing input replays. `make test` runs the
// seed corpus in testdata/fuzz/<target>/; `make fuzz` fuzzes each target for a while.

func FuzzPrescrypto(f *testing.F)    { fuzzFamily(f, familyPrescrypto) }
func FuzzInstitutional(f *testing.F) { fuzzFamily(f, familyInstitutional) }
func FuzzUsers(f *testing.F)         { fuzzFamily(f, familyUsers) }
func FuzzPatients(f *testing.F)      { fuzzFamily(f, familyPatients) }

// fuzzBackend is one server of a fuzz target, with the snapshot of its database.
type fuzzBackend struct {
	name     string
	ts       *testServer
	logs     *testutil.SyncBuffer
	snapshot interface{ Restore(t testing.TB) }
}

func newFuzzBackend(f *testing.F, name, dsn string) *fuzzBackend {
	logs := &testutil.SyncBuffer{}
	ts := newTestServerWith(f, dbtest.Open(f, dsn), impl.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	return &fuzzBackend{name: name, ts: ts, logs: logs}
}

// send sends the input's request and returns the status, or 0 when no client could send the
// request or net/http refused it before Galeno saw it.
func (b *fuzzBackend) send(t *testing.T, w *world, op specOperation, param, query, contentType, credential, headers string, body []byte) int {
	t.Helper()
	// The previous input's read events are written in the background: written late, after the
	// restore, they would take ids the restored sequence hands out again (a 409 on PostgreSQL).
	b.ts.Server.FlushAudit()
	b.snapshot.Restore(t)
	b.logs.Reset()
	req := fuzzRequest(w, b.ts.URL, op, param, query, contentType, credential, headers, body)
	if req == nil {
		return 0
	}
	validating := b.ts.HTTP.Transport.(*validatingTransport)
	client := &http.Client{Transport: &validatingTransport{t: t, router: validating.router, next: galenoOnly{validating.next}}}
	resp, err := client.Do(req)
	if errors.Is(err, errRefusedByHTTPServer) {
		return 0
	}
	if err != nil {
		t.Fatalf("%s: %s %s: %v", b.name, req.Method, req.URL, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func fuzzFamily(f *testing.F, family string) {
	dir := f.TempDir()
	sqliteFile, snapshotFile := filepath.Join(dir, "galeno.db"), filepath.Join(dir, "snapshot.db")
	sqlite := newFuzzBackend(f, "SQLite", "sqlite:"+sqliteFile)
	sqliteCopy := dbtest.OpenSQLiteSnapshot(f, sqliteFile)
	sqlite.snapshot = sqliteCopy
	backends := []*fuzzBackend{sqlite}
	var postgresCopy *dbtest.PostgresSnapshot
	if os.Getenv(dbtest.EnvPostgres) != "" {
		url := dbtest.PostgresURL(f)
		postgres := newFuzzBackend(f, "PostgreSQL", url)
		postgresCopy = dbtest.OpenPostgresSnapshot(f, url)
		postgres.snapshot = postgresCopy
		backends = append(backends, postgres)
	}
	var (
		once sync.Once
		w    *world
		ops  []specOperation
	)
	f.Fuzz(func(t *testing.T, operation, param, query, contentType, credential, headers string, body []byte) {
		once.Do(func() {
			built := fuzzWorld(t, sqlite.ts.reportingTo(t), sqliteCopy, snapshotFile)
			if postgresCopy != nil {
				postgresCopy.Load(t, snapshotFile)
			}
			for _, op := range specOperations(t) {
				if op.family == family {
					ops = append(ops, op)
				}
			}
			w = built
		})
		if w == nil {
			t.Fatal("no world to fuzz: building it failed")
		}
		defer func() {
			for _, b := range backends {
				if t.Failed() {
					t.Logf("%s server log:\n%s", b.name, b.logs.String())
				}
			}
		}()
		op := pickOperation(ops, operation)
		var statuses []int
		for _, b := range backends {
			statuses = append(statuses, b.send(t, w, op, param, query, contentType, credential, headers, body))
		}
		if len(statuses) == 2 && statuses[0] != statuses[1] {
			t.Errorf("%s: SQLite answered %d, PostgreSQL %d", op.id, statuses[0], statuses[1])
		}
	})
}

// pickOperation returns the operation named by id, or one chosen by the hash of any other string.
func pickOperation(ops []specOperation, id string) specOperation {
	for _, op := range ops {
		if op.id == id {
			return op
		}
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return ops[h.Sum32()%uint32(len(ops))]
}

var pathParameter = regexp.MustCompile(`\{[^/{}]+\}`)

// fuzzRequest builds the request of one input, or returns nil when an HTTP client could not send it.
func fuzzRequest(w *world, base string, op specOperation, param, query, contentType, credential, headers string, body []byte) *http.Request {
	target := base + pathParameter.ReplaceAllLiteralString(op.path, w.expand(param))
	if query != "" {
		target += "?" + w.expand(query)
	}
	req, err := http.NewRequest(strings.ToUpper(op.method), target, bytes.NewReader([]byte(w.expand(string(body)))))
	if err != nil {
		return nil
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, c := range w.credentials() {
		if c.name == credential {
			for k, vs := range c.header {
				req.Header[k] = append(req.Header[k], vs...)
			}
		}
	}
	for _, line := range strings.Split(w.expand(headers), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok {
			req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
	}
	if !sendable(req) {
		return nil
	}
	return req
}

// sendable reports whether Go's HTTP client sends req as it is: header names are tokens, values
// hold no control characters, and the request line has no space or control character to split it.
func sendable(req *http.Request) bool {
	control := func(r rune) bool { return (r < ' ' && r != '\t') || r == 0x7f }
	notToken := func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) }
	for name, values := range req.Header {
		if name == "" || strings.IndexFunc(name, notToken) >= 0 {
			return false
		}
		for _, v := range values {
			if strings.IndexFunc(v, control) >= 0 {
				return false
			}
		}
	}
	uri := req.URL.RequestURI()
	return !strings.ContainsRune(uri, ' ') && strings.IndexFunc(uri, control) < 0
}

// errRefusedByHTTPServer is a response net/http wrote itself (a 4xx to a request it could not
// parse): it never reached Galeno, which gives every response a request ID.
var errRefusedByHTTPServer = errors.New("refused by net/http before Galeno")

// galenoOnly passes on Galeno's responses, and turns net/http's own refusals into
// errRefusedByHTTPServer (anything else without a request ID is an error).
type galenoOnly struct{ next http.RoundTripper }

func (g galenoOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.next.RoundTrip(req)
	if err != nil || resp.Header.Get(impl.HeaderRequestID) != "" {
		return resp, err
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 && resp.StatusCode < 500 {
		return nil, errRefusedByHTTPServer
	}
	return nil, fmt.Errorf("a %d response without a request ID", resp.StatusCode)
}

// sharedFuzzWorld is the world the first fuzz target of the process built, kept as a database
// file, so that the other targets restore it rather than build it again (its passwords take a
// while to hash).
var sharedFuzzWorld struct {
	mu       sync.Mutex
	world    *world
	database []byte
}

// fuzzWorld builds the world on ts's SQLite database (or copies the one built before) and saves it
// in file, the snapshot Restore goes back to.
func fuzzWorld(t *testing.T, ts *testServer, s *dbtest.SQLiteSnapshot, file string) *world {
	t.Helper()
	shared := &sharedFuzzWorld
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.world == nil {
		w := newWorld(t, ts)
		s.Save(t, file)
		database, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		shared.world, shared.database = w, database
	} else if err := os.WriteFile(file, shared.database, 0o600); err != nil {
		t.Fatal(err)
	}
	s.Attach(t, file)
	return shared.world
}
