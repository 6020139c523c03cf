package mock

import (
	"os"
	"strings"
	"testing"
)

// TestPageLinksPointAtTheMock: a link within the page's count is served under the mock's own
// address; one past the count is null.
func TestPageLinksPointAtTheMock(t *testing.T) {
	path := t.TempDir() + "/spec.yaml"
	spec := `openapi: 3.0.3
info: {title: things, version: '1'}
paths:
  /things:
    get:
      responses:
        '200':
          description: A page.
          content:
            application/json:
              schema:
                type: object
                properties: {count: {type: integer}, next: {type: string, nullable: true}, previous: {type: string, nullable: true}}
              example: {count: 40, next: 'http://api.example.com:8080/things?limit=15&offset=15', previous: 'http://api.example.com:8080/things?limit=15&offset=45'}
`
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	_, ts := start(t, Options{SpecFile: path})
	got := call(t, ts, "GET", "/things", "")
	want := `{"count":40,"next":"` + ts.URL + `/things?limit=15&offset=15","previous":null}`
	if got.status != 200 || string(got.body) != want || !strings.HasPrefix(ts.URL, "http://127.0.0.1:") {
		t.Fatalf("GET /things: %d %s\nwant %s", got.status, got.body, want)
	}
}
