package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/internal/testutil"
)

// startServe runs serve with the flags in args (on a fresh SQLite database, any free port) until
// the test ends, and returns its address and its JSON logs.
func startServe(t *testing.T, args ...string) (addr string, logs *testutil.SyncBuffer) {
	t.Helper()
	args = append([]string{"--addr", "127.0.0.1:0", "--db", "sqlite:" + filepath.Join(t.TempDir(), "galeno.db")}, args...)
	cfg := testConfig(t, args...)
	logs = &testutil.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, cfg, slog.New(slog.NewJSONHandler(logs, nil)), func(a string) { addrs <- a })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case addr = <-addrs:
	case err := <-served:
		t.Fatalf("serve: %v", err)
	}
	return addr, logs
}

func TestServeSweepsAuditEventsOlderThanTheRetention(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "galeno.db")
	d, _, err := openMigrated(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, age := range []time.Duration{31 * day, 29 * day} {
		e := db.AuditEvent{At: time.Now().Add(-age), RequestID: age.String(), Family: "users", Operation: "getUserInfo", Outcome: 200}
		if err := d.RecordAuditEvents(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	startServe(t, "--db", dbURL, "--audit-retention", "30d")
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []string
		err := d.AuditEvents(context.Background(), db.AuditFilter{}, func(e *db.AuditEvent) error {
			left = append(left, e.RequestID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 1 && left[0] == (29*day).String() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events left: %v; want only the 29-day-old one", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServeAppliesItsConfiguration(t *testing.T) {
	addr, logs := startServe(t, "--body-limit", "2KiB", "--rate-limit", "0.01", "--rate-burst", "1")
	base := "http://" + addr

	// A body over the configured limit is refused, naming the limit.
	big := strings.NewReader(`{"uname":"` + strings.Repeat("a", 3000) + `","password":"x"}`)
	resp, err := http.Post(base+"/auth/login", "application/json", big)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || !strings.Contains(string(body), "limit 2 KiB") || resp.Header.Get("X-Request-ID") == "" {
		t.Errorf("over the body limit: %d %s", resp.StatusCode, body)
	}
	// That request spent the burst of 1: the next login is limited.
	resp, err = http.Post(base+"/auth/login", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("past the burst: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	// /docs, the contract and /metrics are served, with request IDs, and counted.
	for path, contentType := range map[string]string{"/docs": "text/html", "/openapi.yaml": "application/yaml", "/openapi.json": "application/json", "/metrics": "text/plain"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), contentType) || resp.Header.Get("X-Request-ID") == "" {
			t.Errorf("GET %s: %d %s, request ID %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("X-Request-ID"))
		}
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, sample := range []string{`galeno_http_requests_total{operation="loginPatient",status="413"} 1`, `galeno_http_requests_total{operation="loginPatient",status="429"} 1`,
		`galeno_http_requests_total{operation="/docs",status="200"} 1`} {
		if !strings.Contains(string(metrics), sample) {
			t.Errorf("no %s in /metrics", sample)
		}
	}

	if n := strings.Count(logs.String(), `"msg":"configuration"`); n != 1 {
		t.Errorf("%d configuration lines, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `"body-limit":"2KiB"`) || !strings.Contains(logs.String(), `"rate-burst":"1"`) {
		t.Errorf("the configuration line does not show the flags:\n%s", logs.String())
	}
}

// TestReadHeaderTimeoutDropsSlowClients plays a slow-loris client: it sends part of a request's
// headers and then nothing. The server must hang up after the read-header timeout.
func TestReadHeaderTimeoutDropsSlowClients(t *testing.T) {
	addr, _ := startServe(t, "--read-header-timeout", "300ms")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: galeno\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.ReadAll(conn)
	elapsed := time.Since(start)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept a slow client's connection open for %v (%v)", elapsed, err)
	}
	if elapsed < 250*time.Millisecond {
		t.Fatalf("the server hung up after %v, before the 300ms timeout", elapsed)
	}
}

// TestIdleTimeoutClosesKeptAliveConnections: after a response, a keep-alive connection that sends
// nothing more is closed after the idle timeout.
func TestIdleTimeoutClosesKeptAliveConnections(t *testing.T) {
	addr, _ := startServe(t, "--idle-timeout", "300ms")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: galeno\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v %v", err, resp)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: %v after %v, want the server to close it", err, time.Since(start))
	}
	if elapsed := time.Since(start); elapsed < 250*time.Millisecond || elapsed > 3*time.Second {
		t.Fatalf("idle connection closed after %v, want about 300ms", elapsed)
	}
}

func TestServeMetricsOnTheirOwnAddress(t *testing.T) {
	addr, logs := startServe(t, "--metrics-addr", "127.0.0.1:0")
	m := regexp.MustCompile(`"msg":"metrics serving","addr":"(http://[^"]+)"`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no metrics address in the logs:\n%s", logs.String())
	}
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, _ := get("http://" + addr + "/metrics"); status != http.StatusNotFound {
		t.Errorf("/metrics on the API address: %d, want 404", status)
	}
	if status, body := get(m[1]); status != http.StatusOK || !strings.Contains(body, `galeno_http_requests_total{operation="unmatched",status="404"} 1`) {
		t.Errorf("%s: %d\n%s", m[1], status, body)
	}
}

// The --help of the commands whose --db defaults to $GALENO_DB shows that URL without its password.
func TestHelpMasksThePasswordOfGALENO_DB(t *testing.T) {
	t.Setenv("GALENO_DB", "postgres://galeno:hunter2-secret@db.example:5432/galeno?sslmode=disable")
	for _, args := range [][]string{{"migrate", "--help"}, {"admin", "token", "--help"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 0 {
			t.Fatalf("%v: code %d, %s", args, code, errOut.String())
		}
		help := out.String() + errOut.String()
		if strings.Contains(help, "hunter2") || !strings.Contains(help, "postgres://galeno:****@db.example:5432/galeno") {
			t.Errorf("%v shows:\n%s", args, help)
		}
	}
}

func TestServeCORSOrigin(t *testing.T) {
	addr, _ := startServe(t, "--cors-origin", "https://app.example.com")
	for origin, want := range map[string]string{"https://app.example.com": "https://app.example.com", "https://evil.example": ""} {
		req, err := http.NewRequest(http.MethodOptions, "http://"+addr+"/api/v2/medics/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("preflight from %s: Access-Control-Allow-Origin %q, want %q", origin, got, want)
		}
	}
}
