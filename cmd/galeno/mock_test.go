package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/internal/testutil"
	"github.com/galeno-health/galeno/mock"
)

// startMock runs serveMock with opts on a loopback port, logging to out, until cancel; it returns
// the mock's base URL once the start-up line names it.
func startMock(t *testing.T, ctx context.Context, opts mock.Options, out *testutil.SyncBuffer) (base string, done <-chan error) {
	t.Helper()
	opts.Log = out
	served := make(chan error, 1)
	go func() { served <- serveMock(ctx, opts, "127.0.0.1:0", out) }()
	started := regexp.MustCompile(`galeno mock: serving .* \(\d+ operations\) on (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if m := started.FindStringSubmatch(out.String()); m != nil {
			return m[1], served
		}
		if time.Now().After(deadline) {
			t.Fatalf("no start-up line: %q", out.String())
		}
	}
}

func TestMockServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out testutil.SyncBuffer
	base, done := startMock(t, ctx, mock.Options{}, &out)
	if !strings.Contains(out.String(), "serving embedded contract (31 operations)") {
		t.Fatalf("start-up line: %q", out.String())
	}
	req, _ := http.NewRequest("GET", base+"/api/v2/medics/11/", nil)
	req.Header.Set("Authorization", "Token abc")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "Matilde Montoya") {
		t.Fatalf("GET medic 11: %d %s", res.StatusCode, body)
	}
	// The mock serves the same API reference and contract as galeno serve.
	for path, want := range map[string]string{"/docs": "<redoc", "/openapi.yaml": "openapi: 3.0.3"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("GET %s: %d %.200s", path, res.StatusCode, body)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the mock did not stop")
	}
	if !strings.Contains(out.String(), "GET /api/v2/medics/11/ → 200 getMedic") {
		t.Fatalf("request not logged: %q", out.String())
	}
}

func TestMockFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"mock", "--help"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "-no-validate") ||
		!strings.Contains(errOut.String(), "-proxy URL") || !strings.Contains(errOut.String(), "-fallback") {
		t.Fatalf("--help: code %d, %q", code, errOut.String())
	}
	for _, args := range [][]string{
		{"mock", "--seed", "minus-one"},
		{"mock", "extra"},
		{"mock", "--spec", "/does/not/exist.yaml"},
		{"mock", "--addr", "256.0.0.1:99999"},
		{"mock", "--proxy", "localhost:8080"},
		{"mock", "--proxy", "ftp://example.com"},
		{"mock", "--errors"},
		{"mock", "--fallback"},
	} {
		errOut.Reset()
		if code := run(args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "galeno mock: ") {
			t.Errorf("%v: code %d, stderr %q", args, code, errOut.String())
		}
	}
}

// With --spec, /openapi.yaml, /openapi.json (and so /docs) show the file being mocked, reloads
// included, not the embedded contract.
func TestMockDocsShowTheSpecFile(t *testing.T) {
	contract, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "api.yaml")
	edit := func(title string) {
		edited := strings.Replace(string(contract), "title: Galeno clinical APIs", "title: "+title, 1)
		if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("Draft one")
	var out testutil.SyncBuffer
	base, _ := startMock(t, t.Context(), mock.Options{SpecFile: file, PollInterval: 10 * time.Millisecond}, &out)
	get := func(path string) string {
		t.Helper()
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
		}
		return string(body)
	}
	if yaml := get("/openapi.yaml"); !strings.Contains(yaml, "title: Draft one") || !strings.HasPrefix(yaml, "openapi: 3.0.3") {
		t.Fatalf("/openapi.yaml is not the file: %.200s", yaml)
	}
	if js := get("/openapi.json"); !strings.Contains(js, `"title":"Draft one"`) {
		t.Fatalf("/openapi.json is not the file: %.200s", js)
	}
	edit("Draft two")
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(get("/openapi.json"), `"title":"Draft two"`); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the reloaded spec is not served: %q", out.String())
		}
	}
	if yaml := get("/openapi.yaml"); !strings.Contains(yaml, "title: Draft two") {
		t.Fatalf("/openapi.yaml after the reload: %.200s", yaml)
	}
}

// With --proxy the start-up says where requests go, and answers carry the upstream's violations.
func TestMockProxyForwards(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id": 11}`)
	}))
	t.Cleanup(upstream.Close)
	target, err := url.Parse(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The start-up lines are read in order from a pipe; the log is off, so nothing else blocks on it.
	out, stdout := io.Pipe()
	go func() {
		_ = serveMock(t.Context(), mock.Options{Upstream: target, Quiet: true}, "127.0.0.1:0", stdout)
		stdout.Close()
	}()
	lines := bufio.NewScanner(out)
	var startup []string
	for len(startup) < 2 && lines.Scan() {
		startup = append(startup, lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	serving := regexp.MustCompile(`^galeno mock: serving .* on (http://127\.0\.0\.1:\d+)$`)
	if len(startup) != 2 || !serving.MatchString(startup[0]) ||
		startup[1] != "galeno mock: forwarding every request to "+upstream.URL+" and checking its answers against the contract" {
		t.Fatalf("start-up lines: %q", startup)
	}
	res, err := http.Get(serving.FindStringSubmatch(startup[0])[1] + "/v2/medics/11")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if body, _ := io.ReadAll(res.Body); res.StatusCode != 200 || string(body) != `{"id": 11}` ||
		res.Header.Get(mock.HeaderViolations) != "1; request: No operation of the contract matches GET /v2/medics/11." {
		t.Fatalf("GET /v2/medics/11 through the proxy: %d %v %s", res.StatusCode, res.Header, body)
	}
}
