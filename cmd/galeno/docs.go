package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// docsUI holds what `make generate` puts in docsui/: the Redoc bundle from npm (version pinned in
// the Makefile) with its licences, and the contract as openapi.yaml (a copy) and openapi.json
// (bundled by Redocly CLI). Unlike gen's embedded spec, whose operation ids oapi-codegen
// capitalises, these are the contract exactly as written.
//
//go:embed docsui
var docsUI embed.FS

// docsPage is the interactive API reference: Redoc rendering the contract.
const docsPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Galeno API reference</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="/openapi.yaml"></redoc>
<script src="/docs/redoc.standalone.js"></script>
</body>
</html>
`

// docsFiles maps each path the API reference answers on to its content type and docsUI file.
var docsFiles = map[string]struct{ contentType, file string }{
	"/docs/redoc.standalone.js":             {"text/javascript; charset=utf-8", "redoc.standalone.js"},
	"/docs/redoc.standalone.js.LICENSE.txt": {"text/plain; charset=utf-8", "redoc.standalone.js.LICENSE.txt"},
	"/docs/redoc.LICENSE":                   {"text/plain; charset=utf-8", "redoc.LICENSE"},
	"/openapi.yaml":                         {"application/yaml; charset=utf-8", "openapi.yaml"},
	"/openapi.json":                         {"application/json", "openapi.json"},
}

// docs serves /docs and the files above (GET and HEAD) and answers 404 to anything else.
var docs http.Handler = newDocsHandler()

func newDocsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /docs", staticFile("docs.html", "text/html; charset=utf-8", []byte(docsPage)))
	mux.Handle("GET /docs/{$}", http.RedirectHandler("/docs", http.StatusMovedPermanently))
	for path, f := range docsFiles {
		content, err := docsUI.ReadFile("docsui/" + f.file)
		if err != nil {
			panic("galeno: docsui/" + f.file + " is not embedded: run 'make generate'") // a broken build, not a runtime condition
		}
		mux.Handle("GET "+path, staticFile(f.file, f.contentType, content))
	}
	return mux
}

// staticFile serves content with an ETag, so browsers revalidate it cheaply (304) after an upgrade.
func staticFile(name, contentType string, content []byte) http.Handler {
	sum := sha256.Sum256(content)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(content))
	})
}

// isDocsPath tells the paths the API reference owns.
func isDocsPath(path string) bool {
	return path == "/docs" || strings.HasPrefix(path, "/docs/") || path == "/openapi.yaml" || path == "/openapi.json"
}

// withDocs serves the API reference and the contract in front of next, which gets every other path
// (galeno mock: handler = withDocs(handler)).
func withDocs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isDocsPath(r.URL.Path) {
			docs.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// mountDocs adds the API reference to the API's echo server, so its requests get request IDs,
// metrics and logs like any other.
func mountDocs(e *echo.Echo) {
	h := echo.WrapHandler(docs)
	for _, path := range []string{"/docs", "/docs/*", "/openapi.yaml", "/openapi.json"} {
		e.GET(path, h)
		e.HEAD(path, h)
	}
}
