package impl_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"

	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/impl"
)

var generatedRequestID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRequestIDsAreEchoedAndInEveryLogLine(t *testing.T) {
	var logs bytes.Buffer
	d := dbtest.SQLite(t)
	e, err := impl.NewEcho(impl.NewServer(d, impl.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	get := func(path, id string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if id != "" {
			req.Header.Set(impl.HeaderRequestID, id)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	// A sane ID from the client is kept, on successes and on errors of every kind.
	for path, status := range map[string]int{"/healthz": 200, "/api/v2/medics/": 401, "/v1/institutional/nope": 404, "/users/user/login/": 405} {
		if resp := get(path, "client-id-42"); resp.StatusCode != status || resp.Header.Get(impl.HeaderRequestID) != "client-id-42" {
			t.Errorf("GET %s: %d with %s %q, want %d with the client's ID", path, resp.StatusCode, impl.HeaderRequestID, resp.Header.Get(impl.HeaderRequestID), status)
		}
	}
	// Missing or insane IDs are replaced by fresh random ones.
	seen := map[string]bool{}
	for _, id := range []string{"", "", strings.Repeat("x", 129), "two words", "ñ"} {
		got := get("/api/v2/medics/", id).Header.Get(impl.HeaderRequestID)
		if !generatedRequestID.MatchString(got) || seen[got] {
			t.Errorf("sent %q: got ID %q, want a new random one", id, got)
		}
		seen[got] = true
	}

	// A request that logs more than its request line: every line names it.
	d.Close()
	logs.Reset()
	if resp := get("/readyz", "readiness-1"); resp.StatusCode != 503 {
		t.Fatalf("readyz on a closed database: %d", resp.StatusCode)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("want the readiness warning and the request line, got %q", lines)
	}
	for _, line := range lines {
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil || record["request_id"] != "readiness-1" {
			t.Errorf("log line without the request ID: %s", line)
		}
	}
}

// metricValue reads one sample ("name{labels}") from a Prometheus text exposition.
func metricValue(t *testing.T, exposition, sample string) float64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(exposition))
	for sc.Scan() {
		if value, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("%s: %v", sample, err)
			}
			return v
		}
	}
	t.Fatalf("no sample %s in:\n%s", sample, exposition)
	return 0
}

func scrape(t *testing.T, ts *testServer) string {
	t.Helper()
	resp, err := http.Get(ts.URL + "/metrics") // plain client: the exposition is not JSON
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return string(b)
}

func TestMetricsCountRequestsByOperationAndReportThePool(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		token := integrator(t, ts, "metrics@example.com")
		for _, email := range []openapi_types.Email{"m1@example.com", "m2@example.com"} {
			if resp, err := ts.CreateMedicWithResponse(t.Context(), gen.MedicCreate{Name: "M", Email: email, Password: ptr("password1")}, withToken(token)); err != nil || resp.StatusCode() != 201 {
				t.Fatalf("create medic: %v %v", err, resp)
			}
		}
		ts.do(t, "GET", "/api/v2/medics/", "", nil, nil) // 401
		ts.do(t, "GET", "/api/v2/medics/1/unknown/", "", nil, nil)
		ts.do(t, "GET", "/api/v2/medic-42-that-would-explode-cardinality/", "", nil, nil)
		ts.do(t, "DELETE", "/api/v2/medics/", "", nil, nil) // a spec path, an undocumented method
		ts.do(t, "GET", "/healthz", "", nil, nil)

		m := scrape(t, ts)
		for sample, want := range map[string]float64{
			`galeno_http_requests_total{operation="createMedic",status="201"}`:               2,
			`galeno_http_requests_total{operation="listMedics",status="401"}`:                1,
			`galeno_http_requests_total{operation="unmatched",status="404"}`:                 2,
			`galeno_http_requests_total{operation="unmatched",status="405"}`:                 1,
			`galeno_http_requests_total{operation="/healthz",status="200"}`:                  1,
			`galeno_http_request_duration_seconds_count{operation="createMedic"}`:            2,
			`galeno_http_request_duration_seconds_bucket{operation="createMedic",le="+Inf"}`: 2,
			`galeno_http_requests_in_flight`:                                                 1, // the scrape itself
		} {
			if got := metricValue(t, m, sample); got != want {
				t.Errorf("%s = %v, want %v", sample, got, want)
			}
		}
		if strings.Contains(m, "cardinality") {
			t.Error("a raw request path became a label")
		}
		dialect := string(ts.DB.Dialect())
		if got := metricValue(t, m, `go_sql_max_open_connections{db_name="`+dialect+`"}`); got != float64(ts.DB.Pool().Stats().MaxOpenConnections) || got < 1 {
			t.Errorf("max open connections %v, pool says %d", got, ts.DB.Pool().Stats().MaxOpenConnections)
		}
		if got := metricValue(t, m, `go_sql_open_connections{db_name="`+dialect+`"}`); got < 1 {
			t.Errorf("open connections %v after queries", got)
		}
		for _, sample := range []string{`go_sql_in_use_connections{db_name="` + dialect + `"}`, `go_sql_idle_connections{db_name="` + dialect + `"}`,
			`go_sql_wait_count_total{db_name="` + dialect + `"}`, `go_sql_wait_duration_seconds_total{db_name="` + dialect + `"}`} {
			metricValue(t, m, sample)
		}
		if !strings.Contains(m, "go_memstats_heap_alloc_bytes") || !strings.Contains(m, "process_resident_memory_bytes") {
			t.Error("no Go runtime or process metrics")
		}
	})
}

// TestEachServerHasItsOwnMetrics: two servers in one process (as here, or in any test) do not share
// a registry, so neither registration panics nor counts mix.
func TestEachServerHasItsOwnMetrics(t *testing.T) {
	a, b := newTestServer(t, sqliteDB(t)), newTestServer(t, sqliteDB(t))
	for range 3 {
		a.do(t, "GET", "/healthz", "", nil, nil)
	}
	b.do(t, "GET", "/healthz", "", nil, nil)
	if got := metricValue(t, scrape(t, a), `galeno_http_requests_total{operation="/healthz",status="200"}`); got != 3 {
		t.Errorf("server a counted %v health checks, want 3", got)
	}
	if got := metricValue(t, scrape(t, b), `galeno_http_requests_total{operation="/healthz",status="200"}`); got != 1 {
		t.Errorf("server b counted %v health checks, want 1", got)
	}
}

func TestBodyLimitIsConfigurableAndNamedInEachDialect(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t), impl.WithBodyLimit(1024))
	token := integrator(t, ts, "limit@example.com")
	big := `{"name":"` + strings.Repeat("a", 1100) + `","email":"big@example.com","password":"password1"}`
	auth := http.Header{"Authorization": {"Token " + token}}
	status, body := ts.do(t, "POST", "/api/v2/medics/", "application/json", strings.NewReader(big), auth)
	if status != 413 || jsonBody(t, body)["message"] != "Request body too large (limit 1 KiB)" {
		t.Errorf("with Content-Length: %d %s", status, body)
	}
	status, body = ts.do(t, "POST", "/api/v2/medics/", "application/json", io.MultiReader(strings.NewReader(big)), auth)
	if status != 413 || jsonBody(t, body)["message"] != "Request body too large (limit 1 KiB)" {
		t.Errorf("chunked: %d %s", status, body)
	}
	status, body = ts.do(t, "POST", "/users/user/login/", "application/json", strings.NewReader(big), nil)
	if want := `{"data":null,"errors":"The limit is 1 KiB.","message":"Request body too large","success":false}`; status != 413 || strings.TrimSpace(string(body)) != want {
		t.Errorf("users dialect: %d %s, want %s", status, body, want)
	}
	small := `{"name":"` + strings.Repeat("a", 100) + `","email":"small@example.com","password":"password1"}`
	if status, body := ts.do(t, "POST", "/api/v2/medics/", "application/json", strings.NewReader(small), auth); status != 201 {
		t.Errorf("a body under the limit: %d %s", status, body)
	}
}
