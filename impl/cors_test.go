package impl_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/impl"
)

const appOrigin = "https://app.example.com"

// preflight sends a browser's CORS preflight for a POST with credentials and a JSON body. It goes
// around the validating client: the contract declares no OPTIONS.
func preflight(t *testing.T, ts *testServer, path, origin string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, organization")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestCORSForTheListedOriginsOnly(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ts := newTestServer(t, b.Open(t), impl.WithCORSOrigins([]string{appOrigin, "http://localhost:5173"}))
			resp := preflight(t, ts, "/api/v2/medics/", appOrigin)
			h := resp.Header
			if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != appOrigin ||
				h.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
				t.Fatalf("preflight from %s: %d %v", appOrigin, resp.StatusCode, h)
			}
			for _, want := range []string{"POST", "PATCH", "DELETE"} {
				if !strings.Contains(h.Get("Access-Control-Allow-Methods"), want) {
					t.Errorf("Allow-Methods %q lacks %s", h.Get("Access-Control-Allow-Methods"), want)
				}
			}
			for _, want := range []string{"Authorization", "Organization", "Content-Type"} {
				if !strings.Contains(h.Get("Access-Control-Allow-Headers"), want) {
					t.Errorf("Allow-Headers %q lacks %s", h.Get("Access-Control-Allow-Headers"), want)
				}
			}

			// Another origin, or one that merely shares the domain, gets no CORS header at all.
			for _, other := range []string{"https://evil.example", "https://evil.app.example.com", "http://app.example.com"} {
				resp := preflight(t, ts, "/api/v2/medics/", other)
				for name := range resp.Header {
					if strings.HasPrefix(name, "Access-Control-") {
						t.Errorf("preflight from %s: %s: %s", other, name, resp.Header.Get(name))
					}
				}
			}

			// An actual request: the answer names the origin and exposes Galeno's headers.
			got, body := ts.send(t, "GET", "/api/v2/medics/", "", nil, http.Header{"Origin": {appOrigin}})
			if got.StatusCode != http.StatusUnauthorized || got.Header.Get("Access-Control-Allow-Origin") != appOrigin ||
				got.Header.Get("Access-Control-Allow-Credentials") != "true" {
				t.Fatalf("GET from %s: %d %v %s", appOrigin, got.StatusCode, got.Header, body)
			}
			for _, want := range []string{"Galeno-Ignored-Fields", "X-Request-Id", "Retry-After"} {
				if !strings.Contains(strings.ToLower(got.Header.Get("Access-Control-Expose-Headers")), strings.ToLower(want)) {
					t.Errorf("Expose-Headers %q lacks %s", got.Header.Get("Access-Control-Expose-Headers"), want)
				}
			}
			got, _ = ts.send(t, "GET", "/api/v2/medics/", "", nil, http.Header{"Origin": {"https://evil.example"}})
			if got.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Fatalf("GET from another origin: %v", got.Header)
			}

			// The listed origin's page may log in with a cookie session; another site's still may not.
			login := `{"username":"` + staffUsername + `","password":"` + staffPassword + `"}`
			newStaff(t, ts)
			status, body := ts.do(t, "POST", "/users/user/login/", "application/json", strings.NewReader(login),
				http.Header{"Origin": {appOrigin}, "Sec-Fetch-Site": {"cross-site"}})
			if status != http.StatusOK {
				t.Fatalf("login from %s: %d %s", appOrigin, status, body)
			}
			status, body = ts.do(t, "POST", "/users/user/login/", "application/json", strings.NewReader(login),
				http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}})
			expectFailure(t, status, body, http.StatusForbidden, "A browser sent this request from another site.")
		})
	}
}

func TestNoCORSByDefault(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	resp := preflight(t, ts, "/api/v2/medics/", appOrigin)
	got, _ := ts.send(t, "GET", "/api/v2/medics/", "", nil, http.Header{"Origin": {appOrigin}})
	for _, h := range []http.Header{resp.Header, got.Header} {
		if h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("CORS headers without --cors-origin: %v", h)
		}
	}
}

func TestParseCORSOrigin(t *testing.T) {
	for value, want := range map[string]string{"https://app.example.com": "https://app.example.com",
		"http://localhost:5173/": "http://localhost:5173"} {
		if got, err := impl.ParseCORSOrigin(value); err != nil || got != want {
			t.Errorf("ParseCORSOrigin(%q) = %q, %v; want %q", value, got, err, want)
		}
	}
	for _, bad := range []string{"*", "app.example.com", "https://app.example.com/path", "ftp://x", "https://u:p@x", ""} {
		if _, err := impl.ParseCORSOrigin(bad); err == nil {
			t.Errorf("ParseCORSOrigin(%q) accepted", bad)
		}
	}
}
