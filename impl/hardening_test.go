package impl_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/impl"
)

// recordingTransport keeps what every response said, for checks across many operations.
type recordingTransport struct {
	next http.RoundTripper

	mu        sync.Mutex
	responses []*http.Response
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.responses = append(r.responses, resp)
		r.mu.Unlock()
	}
	return resp, err
}

func TestEveryAnswerIsNoSniffAndNoStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		recorder := &recordingTransport{next: ts.HTTP.Transport}
		ts.HTTP.Transport = recorder
		// Every family's credentials shown once (tokens, keys, JWTs, cookies), its records and its errors.
		w := newWorld(t, ts)
		for _, c := range w.credentials() {
			for _, path := range []string{"/api/v2/medics/", "/v1/institutional/accounts/" + w.account, "/users/user/search/?query_string=victim", "/users/me"} {
				ts.do(t, "GET", path, "", nil, c.header)
			}
		}
		if len(recorder.responses) < 50 {
			t.Fatalf("only %d responses recorded", len(recorder.responses))
		}
		for _, resp := range recorder.responses {
			what := resp.Request.Method + " " + resp.Request.URL.Path
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: %d with Cache-Control %q, X-Content-Type-Options %q", what, resp.StatusCode,
					resp.Header.Get("Cache-Control"), resp.Header.Get("X-Content-Type-Options"))
			}
		}
		for _, path := range []string{"/healthz", "/metrics", "/nowhere", "/api/v2/nowhere"} {
			resp, err := http.Get(ts.URL + path) // not ts.HTTP: /metrics is not JSON
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: %d without nosniff", path, resp.StatusCode)
			}
		}
	})
}

func TestCookieSessionsRefuseCrossSitePosts(t *testing.T) {
	public, _ := url.Parse("https://portal.example.com")
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ts := newTestServer(t, b.Open(t), impl.WithPublicURL(public))
			_, staff := newStaff(t, ts)
			create := func(username string, header http.Header) (int, []byte) {
				h := sessionHeader(staff)
				for k, vs := range header {
					h[k] = vs
				}
				return ts.do(t, "POST", "/users/user/new/", formType, strings.NewReader("username="+username+"&password=long-enough-1"), h)
			}
			for _, forged := range []http.Header{
				{"Sec-Fetch-Site": {"cross-site"}},
				{"Origin": {"https://evil.example"}},
				{"Sec-Fetch-Site": {"same-site"}, "Origin": {"https://evil.portal.example.com"}},
			} {
				status, body := create("forged", forged)
				failure := expectFailure(t, status, body, http.StatusForbidden, "A browser sent this request from another site.")
				if failure.Message != "Cross-origin request refused" {
					t.Fatalf("%v: %s", forged, body)
				}
			}
			login := `{"username":"` + staffUsername + `","password":"` + staffPassword + `"}`
			status, body := ts.do(t, "POST", "/users/user/login/", "application/json", strings.NewReader(login),
				http.Header{"Sec-Fetch-Site": {"cross-site"}})
			expectFailure(t, status, body, http.StatusForbidden, "A browser sent this request from another site.")

			// The same origin, the public URL's, and clients that are not browsers pass.
			for i, fine := range []http.Header{
				{"Sec-Fetch-Site": {"same-origin"}},
				{"Origin": {"https://portal.example.com"}},
				{"Origin": {ts.URL}},
				nil,
			} {
				if status, body := create("fine"+itoa(int64(i)), fine); status != http.StatusCreated {
					t.Fatalf("%v: %d %s", fine, status, body)
				}
			}
			// The documented GET logout still works from anywhere: at worst it ends the visitor's session.
			if status, body := ts.do(t, "GET", "/users/user/logout/", "", nil, http.Header{"Cookie": {"sessionid=" + staff},
				"Sec-Fetch-Site": {"cross-site"}}); status != http.StatusOK {
				t.Fatalf("cross-site logout: %d %s", status, body)
			}
		})
	}
}

func TestMetricsCanLeaveTheAPIAddress(t *testing.T) {
	mux := http.NewServeMux()
	ts := newTestServer(t, sqliteDB(t), impl.WithMetricsOn(mux))
	if status, _ := ts.do(t, "GET", "/metrics", "", nil, nil); status != http.StatusNotFound {
		t.Fatalf("/metrics on the API address: %d, want 404", status)
	}
	ts.do(t, "GET", "/healthz", "", nil, nil)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `galeno_http_requests_total{operation="/healthz",status="200"} 1`) ||
		rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("/metrics on its own handler: %d %v\n%s", rec.Code, rec.Header(), rec.Body)
	}
}
