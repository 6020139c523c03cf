package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/mock"
)

func TestMockServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- serveMock(ctx, mock.Options{Log: &out}, "127.0.0.1:0", &out) }()

	started := regexp.MustCompile(`galeno mock: serving embedded contract \(27 operations\) on (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); base == ""; {
		if m := started.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no start-up line: %q", out.String())
		} else {
			time.Sleep(5 * time.Millisecond)
		}
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
	if !strings.Contains(out.String(), "GET /api/v2/medics/11/ → 200 GetMedic") {
		t.Fatalf("request not logged: %q", out.String())
	}
}

func TestMockFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"mock", "--help"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "-no-validate") {
		t.Fatalf("--help: code %d, %q", code, errOut.String())
	}
	for _, args := range [][]string{
		{"mock", "--seed", "minus-one"},
		{"mock", "extra"},
		{"mock", "--spec", "/does/not/exist.yaml"},
		{"mock", "--addr", "256.0.0.1:99999"},
	} {
		errOut.Reset()
		if code := run(args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "galeno mock: ") {
			t.Errorf("%v: code %d, stderr %q", args, code, errOut.String())
		}
	}
}
