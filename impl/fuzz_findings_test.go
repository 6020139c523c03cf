package impl_test

import (
	"net/http"
	"testing"
)

// TestFuzzFindings replays, readably, requests that fuzzing found mishandled (the fuzz inputs are in
// testdata/fuzz too).
func TestFuzzFindings(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	auth := http.Header{"Authorization": {"Token " + integrator(t, ts, "findings@example.com")}}
	cases := []struct {
		why, method, path string
		status            int
	}{
		// An escaped slash is part of a parameter's value: the trailing-slash normalisation used to
		// decide on the unescaped /memberships// and send DELETE /memberships/%2F to the list's path
		// (405) rather than to the operation on one membership (an invalid id: 400).
		{"escaped slash", "DELETE", "/api/v2/management/memberships/%2F", 400},
		{"escaped slash", "GET", "/api/v2/medics/%2F", 400},
		{"escaped slash", "GET", "/api/v2/medics/%2F/", 400},
	}
	for _, c := range cases {
		if status, body := ts.do(t, c.method, c.path, "", nil, auth); status != c.status {
			t.Errorf("%s: %s %s: %d, want %d: %s", c.why, c.method, c.path, status, c.status, body)
		}
	}
}
