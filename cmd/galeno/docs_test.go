package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestDocsServeRedocOnTheContract(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := withDocs(next)

	page := get(t, h, "GET", "/docs", nil)
	if page.Code != 200 || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %s", page.Code, page.Header().Get("Content-Type"))
	}
	// The page loads an embedded script and the embedded contract, nothing from elsewhere.
	refs := regexp.MustCompile(`(?:src|spec-url|href)="([^"]+)"`).FindAllStringSubmatch(page.Body.String(), -1)
	if len(refs) != 2 {
		t.Fatalf("want the script and the spec referenced in the page, got %q", refs)
	}
	for _, ref := range refs {
		if !strings.HasPrefix(ref[1], "/") {
			t.Errorf("the page loads %s from elsewhere", ref[1])
		}
		if rec := get(t, h, "GET", ref[1], nil); rec.Code != 200 || rec.Body.Len() == 0 {
			t.Errorf("GET %s (referenced by /docs): %d", ref[1], rec.Code)
		}
	}

	script := get(t, h, "GET", "/docs/redoc.standalone.js", nil)
	if script.Code != 200 || !strings.HasPrefix(script.Header().Get("Content-Type"), "text/javascript") ||
		!strings.Contains(script.Body.String(), "Redoc") || script.Body.Len() < 500_000 {
		t.Fatalf("the Redoc bundle: %d %s, %d bytes", script.Code, script.Header().Get("Content-Type"), script.Body.Len())
	}
	etag := script.Header().Get("ETag")
	if revalidated := get(t, h, "GET", "/docs/redoc.standalone.js", http.Header{"If-None-Match": {etag}}); etag == "" || revalidated.Code != 304 {
		t.Errorf("revalidating with ETag %q: %d", etag, revalidated.Code)
	}
	if head := get(t, h, "HEAD", "/openapi.yaml", nil); head.Code != 200 || head.Body.Len() != 0 {
		t.Errorf("HEAD /openapi.yaml: %d with %d bytes", head.Code, head.Body.Len())
	}
	if rec := get(t, h, "GET", "/docs/", nil); rec.Code != 301 || rec.Header().Get("Location") != "/docs" {
		t.Errorf("GET /docs/: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, path := range []string{"/docs/nothing.js", "/docs/redoc.standalone.js.map"} {
		if rec := get(t, h, "GET", path, nil); rec.Code != 404 {
			t.Errorf("GET %s: %d", path, rec.Code)
		}
	}
	for _, path := range []string{"/api/v2/medics/", "/healthz", "/documents"} {
		if rec := get(t, h, "GET", path, nil); rec.Code != http.StatusTeapot {
			t.Errorf("GET %s did not reach the wrapped handler: %d", path, rec.Code)
		}
	}
}

// TestDocsServeTheContractAsWritten: /openapi.yaml is openapi.yaml byte for byte (make generate keeps
// the embedded copy current), and /openapi.json is the same document.
func TestDocsServeTheContractAsWritten(t *testing.T) {
	h := withDocs(http.NotFoundHandler())
	contract, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	served := get(t, h, "GET", "/openapi.yaml", nil)
	if served.Code != 200 || !bytes.Equal(served.Body.Bytes(), contract) {
		t.Fatalf("/openapi.yaml differs from openapi.yaml: run 'make generate'")
	}
	asJSON := get(t, h, "GET", "/openapi.json", nil)
	if asJSON.Code != 200 || asJSON.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", asJSON.Code, asJSON.Header().Get("Content-Type"))
	}
	fromJSON, err := openapi3.NewLoader().LoadFromData(asJSON.Body.Bytes())
	if err != nil {
		t.Fatalf("/openapi.json does not parse: %v", err)
	}
	if err := fromJSON.Validate(t.Context()); err != nil {
		t.Fatalf("/openapi.json is not a valid OpenAPI document: %v", err)
	}
	fromYAML, err := openapi3.NewLoader().LoadFromData(contract)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(fromJSON)
	b, _ := json.Marshal(fromYAML)
	if !bytes.Equal(a, b) {
		t.Fatal("/openapi.json is not the same document as openapi.yaml: run 'make generate'")
	}
	if op := fromJSON.Paths.Value("/api/v2/medics/").Post; op == nil || op.OperationID != "createMedic" {
		t.Fatalf("operation ids are not the contract's: %+v", op)
	}
}

func TestServeMountsTheDocs(t *testing.T) {
	addr, _ := startServe(t)
	resp, err := http.Get("http://" + addr + "/docs/redoc.standalone.js")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || n < 500_000 {
		t.Fatalf("GET /docs/redoc.standalone.js from galeno serve: %d, %d bytes", resp.StatusCode, n)
	}
}
