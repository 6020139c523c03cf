package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/internal/contract"
	"github.com/galeno-health/galeno/internal/testutil"
)

func TestCORS(t *testing.T) {
	_, ts := start(t, Options{})
	pre := call(t, ts, "OPTIONS", "/api/v2/medics/11/", "", "Origin: http://localhost:5173",
		"Access-Control-Request-Method: PATCH", "Access-Control-Request-Headers: authorization, content-type")
	if pre.status != 204 ||
		pre.header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
		pre.header.Get("Access-Control-Allow-Credentials") != "true" ||
		pre.header.Get("Access-Control-Allow-Methods") != "GET, HEAD, PATCH, OPTIONS" ||
		pre.header.Get("Access-Control-Allow-Headers") != "authorization, content-type" {
		t.Fatalf("preflight: %d %v", pre.status, pre.header)
	}
	pre = call(t, ts, "OPTIONS", "/anything/at/all", "", "Origin: https://app.example.org", "Access-Control-Request-Method: DELETE")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "https://app.example.org" {
		t.Fatalf("preflight for any origin and path: %d %v", pre.status, pre.header)
	}
	got := call(t, ts, "GET", "/api/v2/medics/", "", token, "Origin: http://localhost:5173")
	if got.status != 200 || got.header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
		!strings.Contains(got.header.Get("Access-Control-Expose-Headers"), "Retry-After") {
		t.Fatalf("simple request: %d %v", got.status, got.header)
	}

	_, off := start(t, Options{NoCORS: true})
	pre = call(t, off, "OPTIONS", "/api/v2/medics/", "", "Origin: http://localhost:5173", "Access-Control-Request-Method: GET")
	if pre.status != 405 || pre.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("with CORS off a preflight is an unknown method: %d %v", pre.status, pre.header)
	}
}

// eventually polls cond until it holds or five seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReloadsTheSpecFileWhenItChanges(t *testing.T) {
	path := t.TempDir() + "/spec.yaml"
	writeSpec(t, path, "one")
	var log testutil.SyncBuffer
	s, ts := start(t, Options{SpecFile: path, PollInterval: 10 * time.Millisecond, Log: &log, Quiet: true})
	go s.Watch(t.Context())
	name := func() string { return fmt.Sprint(call(t, ts, "GET", "/things/1", "").json(t)["name"]) }
	if got := name(); got != "one" {
		t.Fatalf("before any edit: %q", got)
	}

	writeSpec(t, path, "uno-after-an-edit")
	eventually(t, "the edit to be served", func() bool { return name() == "uno-after-an-edit" })

	if err := os.WriteFile(path, []byte("openapi: 3.0.3\npaths: [broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the broken edit to be logged", func() bool { return strings.Contains(log.String(), "kept the last good spec") })
	if got := name(); got != "uno-after-an-edit" {
		t.Fatalf("a broken edit replaced the spec: %q", got)
	}

	invalid := strings.Replace(strings.Replace(testSpec, "NAME", "x", 1), "value: {name: x, id: 1}", "value: {name: x, id: one}", 1)
	if err := os.WriteFile(path, []byte(invalid), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the invalid example to be logged", func() bool {
		return strings.Contains(log.String(), "GET /things/{thing_id} response 200 application/json example First: id: Must be an integer.")
	})
	if got := name(); got != "uno-after-an-edit" {
		t.Fatalf("a spec with an invalid example replaced the spec: %q", got)
	}

	writeSpec(t, path, "dos-fixed")
	eventually(t, "the fixed spec to be served", func() bool { return name() == "dos-fixed" })
	if !strings.Contains(log.String(), "reloaded "+path+" (1 operations)") {
		t.Fatalf("reload not logged:\n%s", log.String())
	}
}

func TestRefusesInvalidExamplesUnlessAllowed(t *testing.T) {
	path := t.TempDir() + "/spec.yaml"
	bad := strings.Replace(strings.Replace(testSpec, "NAME", "x", 1), "value: {name: x, id: 1}", "value: {name: 7, id: 1, extra: true}", 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{SpecFile: path})
	var invalid *InvalidExamplesError
	if !errors.As(err, &invalid) || len(invalid.Violations) != 2 ||
		!strings.Contains(err.Error(), "example First: name: Must be a string.") ||
		!strings.Contains(err.Error(), "example First: extra: This field is not allowed.") {
		t.Fatalf("want both violations listed, got %v", err)
	}
	var log testutil.SyncBuffer
	if _, err := New(Options{SpecFile: path, AllowInvalidExamples: true, Log: &log}); err != nil {
		t.Fatalf("--allow-invalid-examples: %v", err)
	}
	if !strings.Contains(log.String(), "serving anyway") {
		t.Fatalf("allowed violations are not logged: %q", log.String())
	}
	if _, err := New(Options{SpecFile: t.TempDir() + "/missing.yaml"}); err == nil {
		t.Fatal("a missing spec file started")
	}
}

func TestJournal(t *testing.T) {
	_, ts := start(t, Options{JournalSize: 3})
	call(t, ts, "GET", "/api/v2/medics/", "", token)
	call(t, ts, "GET", "/api/v2/medics/11/", "", token)
	call(t, ts, "GET", "/api/v2/medics/?limit=0", "", token)
	call(t, ts, "POST", "/v1/institutional/accounts", "{}")
	read := func() []journalEntry {
		var out struct{ Requests []journalEntry }
		got := call(t, ts, "GET", "/__mock/requests", "")
		if got.status != 200 {
			t.Fatalf("journal: %d %s", got.status, got.body)
		}
		if err := json.Unmarshal(got.body, &out); err != nil {
			t.Fatal(err)
		}
		return out.Requests
	}
	entries := read()
	if len(entries) != 3 {
		t.Fatalf("the journal keeps the last 3 requests, got %d: %+v", len(entries), entries)
	}
	first, invalid, denied := entries[0], entries[1], entries[2]
	if first.Method != "GET" || first.Path != "/api/v2/medics/11/" || first.Status != 200 || first.Operation != "getMedic" ||
		first.Served != "MedicsList.results[1]" || len(first.Errors) != 0 {
		t.Errorf("path-aware entry: %+v", first)
	}
	if invalid.Query != "limit=0" || invalid.Status != 400 || len(invalid.Errors) != 1 || invalid.Errors[0] != "limit: Must be at least 1." {
		t.Errorf("invalid request entry: %+v", invalid)
	}
	if denied.Status != 401 || len(denied.Errors) != 1 || denied.Errors[0] != "Authorization: send Authorization: Bearer <credential>" {
		t.Errorf("denied request entry: %+v", denied)
	}
	if got := call(t, ts, "DELETE", "/__mock/requests", ""); got.status != 204 {
		t.Fatalf("clear: %d", got.status)
	}
	if entries := read(); len(entries) != 0 {
		t.Fatalf("cleared journal still has %+v", entries)
	}
	if got := call(t, ts, "POST", "/__mock/requests", ""); got.status != 405 || got.header.Get("Allow") != "DELETE, GET, HEAD" {
		t.Fatalf("POST journal: %d %v", got.status, got.header)
	}
	if got := call(t, ts, "GET", "/__mock/nothing", ""); got.status != 404 {
		t.Fatalf("unknown control endpoint: %d", got.status)
	}
}

func TestLogsOneLinePerRequest(t *testing.T) {
	var log testutil.SyncBuffer
	s, ts := start(t, Options{Log: &log})
	call(t, ts, "GET", "/api/v2/medics/?limit=0", "", token)
	call(t, ts, "GET", "/api/v2/medics/", "", token)
	s.Close()
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", log.String())
	}
	line := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} GET /api/v2/medics/\?limit=0 → 400 listMedics error [0-9.]+ms — limit: Must be at least 1\.$`)
	if !line.MatchString(lines[0]) || !strings.Contains(lines[1], "GET /api/v2/medics/ → 200 listMedics MedicsList") {
		t.Fatalf("log lines: %q", lines)
	}

	var quiet testutil.SyncBuffer
	q, qs := start(t, Options{Log: &quiet, Quiet: true})
	call(t, qs, "GET", "/api/v2/medics/", "", token)
	q.Close()
	if quiet.String() != "" {
		t.Fatalf("--quiet logged %q", quiet.String())
	}
}

func TestDelay(t *testing.T) {
	_, ts := start(t, Options{Delay: 80 * time.Millisecond})
	for _, c := range []struct {
		target string
		header []string
		least  time.Duration
	}{
		{"/api/v2/medics/", []string{token}, 80 * time.Millisecond},
		{"/api/v2/medics/", []string{token, "Prefer: delay=150ms"}, 150 * time.Millisecond},
		{"/api/v2/medics/?__delay=120", []string{token}, 120 * time.Millisecond},
	} {
		began := time.Now()
		if got := call(t, ts, "GET", c.target, "", c.header...); got.status != 200 {
			t.Fatalf("%s: %d", c.target, got.status)
		}
		if took := time.Since(began); took < c.least {
			t.Errorf("%s %v: answered after %v, want at least %v", c.target, c.header, took, c.least)
		}
	}
	if got := call(t, ts, "GET", "/api/v2/medics/", "", token, "Prefer: delay=forever"); got.status != 400 {
		t.Errorf("bad delay: %d %s", got.status, got.body)
	}
}

// TestDynamicBodiesAreSchemaValidAndSeeded generates bodies for every response schema of the
// contract with many seeds and validates each one.
func TestDynamicBodiesAreSchemaValidAndSeeded(t *testing.T) {
	api := embeddedSpec(t)
	opts := append([]openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.MultiErrors()}, contract.SchemaOptions()...)
	schemas := 0
	for _, path := range sortedKeys(api.Paths.Map()) {
		for method, op := range api.Paths.Value(path).Operations() {
			for code, ref := range op.Responses.Map() {
				for ct, mt := range ref.Value.Content {
					schemas++
					for seed := range uint64(40) {
						value, err := normalized(newGenerator(seed, false).value(mt.Schema.Value, "", 0))
						if err != nil {
							t.Fatal(err)
						}
						if err := mt.Schema.Value.VisitJSON(value, opts...); err != nil {
							t.Fatalf("%s %s %s %s seed %d: %s\n%v", method, path, code, ct, seed, marshalJSON(value), err)
						}
					}
					a := marshalJSON(newGenerator(7, false).value(mt.Schema.Value, "", 0))
					b := marshalJSON(newGenerator(7, false).value(mt.Schema.Value, "", 0))
					if !bytes.Equal(a, b) {
						t.Fatalf("%s %s %s: seed 7 gave %s then %s", method, path, code, a, b)
					}
				}
			}
		}
	}
	if schemas < 100 {
		t.Fatalf("only %d response schemas generated", schemas)
	}

	_, ts := start(t, Options{})
	get := func(target string, header ...string) answer {
		got := call(t, ts, "GET", target, "", append(header, token)...)
		if got.status != 200 {
			t.Fatalf("%s: %d %s", target, got.status, got.body)
		}
		value, _ := normalizedJSON(got.body)
		if err := api.Components.Schemas["MedicPage"].Value.VisitJSON(value, opts...); err != nil {
			t.Fatalf("dynamic body is not a MedicPage: %s: %v", got.body, err)
		}
		return got
	}
	a := get("/api/v2/medics/", "Prefer: dynamic=true, seed=9")
	b := get("/api/v2/medics/?__dynamic=true&__seed=9")
	c := get("/api/v2/medics/", "Prefer: dynamic=true, seed=10")
	if !bytes.Equal(a.body, b.body) || bytes.Equal(a.body, c.body) {
		t.Fatalf("seed 9 twice: %s / %s; seed 10: %s", a.body, b.body, c.body)
	}
	notFound := call(t, ts, "GET", "/api/v2/medics/1/", "", token, "Prefer: dynamic=true, code=404")
	if value, _ := normalizedJSON(notFound.body); notFound.status != 404 || api.Components.Schemas["PrescryptoError"].Value.VisitJSON(value) != nil {
		t.Fatalf("dynamic 404: %d %s", notFound.status, notFound.body)
	}

	_, seeded := start(t, Options{Seed: new(uint64(3))})
	first := call(t, seeded, "GET", "/api/v2/medics/?__dynamic", "", token)
	second := call(t, seeded, "GET", "/api/v2/medics/?__dynamic", "", token)
	if first.status != 200 || !bytes.Equal(first.body, second.body) {
		t.Fatalf("--seed must make dynamic bodies repeat: %s / %s", first.body, second.body)
	}
}

func TestPatternStrings(t *testing.T) {
	cases := []struct {
		pattern        string
		minLen, maxLen int
	}{
		{`^[A-Za-z0-9@.+_-]+$`, 1, 30},
		{`^[0-9]{4}$`, 0, -1},
		{`^[A-Z]{2}$`, 0, -1},
		{`^(acc|usr)_[a-f0-9]{16}$`, 0, -1},
		{`^\+?[0-9 ()-]{7,15}$`, 7, 15},
		{`^[^@\s]+@[a-z]+\.(com|org)$`, 0, 40},
		{`[a-z]+`, 12, 20},
	}
	for _, c := range cases {
		re := regexp.MustCompile(c.pattern)
		for seed := range uint64(200) {
			rnd := rand.New(rand.NewPCG(seed, 1))
			s, err := patternString(rnd, c.pattern, c.minLen, c.maxLen)
			n := utf8.RuneCountInString(s)
			if err != nil || !re.MatchString(s) || n < c.minLen || (c.maxLen >= 0 && n > c.maxLen) {
				t.Fatalf("%s [%d,%d] seed %d: %q (%v)", c.pattern, c.minLen, c.maxLen, seed, s, err)
			}
		}
	}
}
