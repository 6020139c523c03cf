package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestRunVersionAndUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "galeno ") || strings.Contains(out.String(), "dev ") {
		t.Fatalf("version: code %d, out %q, err %q", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown command: code %d, err %q", code, errOut.String())
	}
	if code := run([]string{"version", "--help"}, &out, &errOut); code != 0 {
		t.Fatalf("version --help: code %d", code)
	}
}

func TestVersionLineReadsTheBuildInfo(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/galeno-health/galeno", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"},
			{Key: "vcs.time", Value: "2026-12-04T18:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, tc := range []struct {
		name, stamped string
		info          *debug.BuildInfo
		want          string
	}{
		{"module version", "", info, "galeno v1.4.0 (revision 0123abcd+modified, 2026-12-04T18:00:00Z, go1.26.8)"},
		{"stamped by the release", "1.4.1", info, "galeno 1.4.1 (revision 0123abcd+modified, 2026-12-04T18:00:00Z, go1.26.8)"},
		{"no VCS", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "galeno (devel) (no VCS revision (built without -buildvcs), go1.26.8)"},
		{"no build info", "", nil, "galeno (unknown) (no VCS revision (built without -buildvcs))"},
	} {
		if got := versionLine(tc.stamped, tc.info); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestAdminTokenPrintsOnlyTheToken(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "galeno.db")
	var out, errOut bytes.Buffer
	args := []string{"admin", "token", "--name", "Integrator", "--email", "integrator@example.com", "--db", dbURL}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("admin token: code %d, stderr %q", code, errOut.String())
	}
	token := strings.TrimSuffix(out.String(), "\n")
	if strings.ContainsAny(token, " \n") || len(token) < 40 {
		t.Fatalf("stdout is not one token line: %q", out.String())
	}
	medic, err := openDB(t, dbURL).MedicByToken(context.Background(), token)
	if err != nil || medic.Email != "integrator@example.com" || medic.OwnerID != nil {
		t.Fatalf("the printed token does not belong to the integrator: %v %+v", err, medic)
	}

	out.Reset()
	if code := run(args, &out, &errOut); code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), "already exists") {
		t.Fatalf("second admin token with the same email: code %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if code := run([]string{"admin", "token", "--db", dbURL}, &out, &errOut); code != 1 {
		t.Fatalf("admin token without flags: code %d", code)
	}
	if code := run([]string{"admin", "frobnicate"}, &out, &errOut); code != 1 {
		t.Fatalf("unknown admin subcommand: code %d", code)
	}
}

func TestMigrateReportsTheVersion(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "galeno.db")
	var out, errOut bytes.Buffer
	if code := run([]string{"migrate", "--db", dbURL}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "database at version") {
		t.Fatalf("migrate: code %d, out %q, err %q", code, out.String(), errOut.String())
	}
	if code := run([]string{"migrate", "--db", "mysql://nope"}, &out, &errOut); code != 1 {
		t.Fatalf("migrate with an unsupported URL: code %d", code)
	}
}

// TestServeShutsDownGracefully starts serve, holds a request in flight (its body still arriving),
// cancels serve as SIGTERM would, and checks the request still completes before serve returns.
func TestServeShutsDownGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan string, 1)
	served := make(chan error, 1)
	var logs bytes.Buffer
	cfg := testConfig(t, "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "galeno.db"))
	go func() {
		served <- serve(ctx, cfg, slog.New(slog.NewJSONHandler(&logs, nil)), func(a string) { addrs <- a })
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-served:
		t.Fatalf("serve: %v", err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}

	body, writer := io.Pipe()
	inFlight := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v2/medics/", body)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
			inFlight <- nil
			return
		}
		inFlight <- resp
	}()
	writer.Write([]byte(`{"name":`))
	time.Sleep(100 * time.Millisecond) // the server is now reading the body
	cancel()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-served:
		t.Fatalf("serve returned with a request in flight: %v", err)
	default:
	}
	writer.Write([]byte(`"A"}`))
	writer.Close()
	if resp := <-inFlight; resp == nil || resp.StatusCode != 401 {
		t.Fatalf("in-flight request did not complete: %v", resp)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Fatalf("no JSON log of the stop: %s", logs.String())
	}
}
