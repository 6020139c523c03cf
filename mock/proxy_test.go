package mock

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/impl"
)

// proxyTo starts the mock in proxy mode in front of upstream.
func proxyTo(t *testing.T, upstream string, opts Options) (*Server, *served) {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	opts.Upstream = u
	return start(t, opts)
}

// TestProxyPassesGalenoServe puts the mock in front of a real galeno serve: a login, the user's
// information, a documented 404 and a creation pass with no violation; an invalid request is
// refused by the mock without reaching the server, and forwarded with --no-validate.
func TestProxyPassesGalenoServe(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := impl.NewServer(d, impl.Options{})
		e, err := impl.NewEcho(s)
		if err != nil {
			t.Fatal(err)
		}
		upstream := httptest.NewServer(e)
		t.Cleanup(upstream.Close)
		id, err := s.CreateStaff(context.Background(), "ada", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		_, ts := proxyTo(t, upstream.URL, Options{})

		login := call(t, ts, "POST", "/users/user/login/?next=%2Fhome", `{"username": "ada", "password": "correct horse battery"}`)
		if login.status != 200 || login.header.Get(HeaderViolations) != "" || !strings.Contains(string(login.body), `"ada"`) {
			t.Fatalf("login through the proxy: %d %v %s", login.status, login.header, login.body)
		}
		var session string
		for _, c := range (&http.Response{Header: login.header}).Cookies() {
			if c.Name == "sessionid" {
				session = "Cookie: sessionid=" + c.Value
			}
		}
		if session == "" {
			t.Fatalf("the upstream's Set-Cookie was not relayed: %v", login.header)
		}
		info := call(t, ts, "GET", fmt.Sprintf("/users/user/%d/get_user_info/", id), "", session)
		if info.status != 200 || info.header.Get(HeaderViolations) != "" || !strings.Contains(string(info.body), `"ada"`) {
			t.Fatalf("get_user_info through the proxy: %d %v %s", info.status, info.header, info.body)
		}
		missing := call(t, ts, "GET", "/users/user/999999/get_user_info/", "", session)
		if missing.status != 404 || missing.header.Get(HeaderViolations) != "" {
			t.Fatalf("documented 404 through the proxy: %d %v %s", missing.status, missing.header, missing.body)
		}
		created := call(t, ts, "POST", "/users/user/new/", `{"username": "grace", "name": "Grace", "email": "grace@example.com", "password": "another long secret"}`, session)
		if created.status != 201 || created.header.Get(HeaderViolations) != "" || !strings.Contains(string(created.body), `"grace"`) {
			t.Fatalf("create user through the proxy: %d %v %s", created.status, created.header, created.body)
		}
		invalid := call(t, ts, "POST", "/users/user/new/", `{"username": "x y"}`, session)
		if invalid.status != 400 || invalid.header.Get(HeaderViolations) != "" {
			t.Fatalf("invalid creation: %d %v %s", invalid.status, invalid.header, invalid.body)
		}

		entries := journalOf(t, ts)
		if len(entries) != 5 {
			t.Fatalf("journal: %+v", entries)
		}
		for _, e := range entries[:4] {
			if e.Served != "upstream" || len(e.Violations) != 0 || e.Operation == "" {
				t.Errorf("forwarded entry: %+v", e)
			}
		}
		if refused := entries[4]; refused.Served != "error" || refused.Status != 400 || len(refused.Errors) == 0 {
			t.Errorf("the mock refused the invalid request itself: %+v", refused)
		}

		_, lenient := proxyTo(t, upstream.URL, Options{NoValidate: true})
		forwarded := call(t, lenient, "POST", "/users/user/new/", `{"username": "x y"}`, session)
		if forwarded.status != 400 || forwarded.header.Get(HeaderViolations) != "" || journalOf(t, lenient)[0].Served != "upstream" {
			t.Fatalf("with --no-validate the server refuses it: %d %v %s", forwarded.status, forwarded.header, forwarded.body)
		}
	})
}

// wrongUpstream answers undocumented statuses, bodies missing required fields, wrong content
// types, a 404 for an unimplemented route and a 501; it answers GET /api/v2/medics/404/ with the
// contract's own 404.
func wrongUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/medics/1/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Access-Control-Allow-Origin", "*") // replaced by the mock's
		fmt.Fprint(w, `{"id": 1, "name": "Elizabeth Blackwell"}`)
	})
	mux.HandleFunc("GET /api/v2/medics/2/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprint(w, `{"message": "teapot"}`)
	})
	mux.HandleFunc("GET /api/v2/medics/3/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<p>medic</p>`)
	})
	mux.HandleFunc("GET /api/v2/medics/404/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message": "Not found."}`)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusNotFound)
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, `{"message": "Not found."}`)
		zw.Close()
	})
	mux.HandleFunc("/users/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not yet", http.StatusNotImplemented)
	})
	mux.HandleFunc("/undocumented", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"query": %q}`, r.URL.RawQuery)
	})
	srv := httptest.NewServer(mux) // any other path: net/http's plain-text 404
	t.Cleanup(srv.Close)
	return srv
}

// TestProxyReportsAWrongUpstream checks that each way of breaking the contract is named in the
// header, the journal and the log, and that the upstream's answer is relayed as it is.
func TestProxyReportsAWrongUpstream(t *testing.T) {
	upstream := wrongUpstream(t)
	var log bytes.Buffer // read once Close has flushed the logger, which writes under its lock
	m, ts := proxyTo(t, upstream.URL, Options{Log: &log})
	cases := []struct {
		target, body string
		status       int
		violation    string
	}{
		{"/api/v2/medics/1/", `{"id": 1, "name": "Elizabeth Blackwell"}`, 200, "email: This field is required."},
		{"/api/v2/medics/2/", `{"message": "teapot"}`, 418, "status: 418 is not documented for GET /api/v2/medics/{medic_id}/; documented: 200, 400, 401, 404."},
		{"/api/v2/medics/3/", `<p>medic</p>`, 200, `Content-Type: "text/html" is not documented for status 200; documented: application/json.`},
		{"/api/v2/medics/404/", `{"message": "Not found."}`, 404, ""},
		{"/api/v2/hospital/7/", "404 page not found\n", 404, `Content-Type: "text/plain; charset=utf-8" is not documented for status 404; documented: application/json.`},
		{"/undocumented?a=1", `{"query": "a=1"}`, 200, "request: No operation of the contract matches GET /undocumented."},
	}
	for _, c := range cases {
		got := call(t, ts, "GET", c.target, "", token, "Accept-Encoding: gzip, br") // what browsers send
		if got.status != c.status || string(got.body) != c.body {
			t.Errorf("%s: the upstream's answer is not relayed as is: %d %s", c.target, got.status, got.body)
		}
		want := ""
		if c.violation != "" {
			want = "1; " + c.violation
		}
		if c.target == "/api/v2/medics/1/" {
			want = "12; " + c.violation // the first of the 12 missing fields
		}
		if h := got.header.Get(HeaderViolations); !strings.HasPrefix(h, want) || (want == "") != (h == "") {
			t.Errorf("%s: %s = %q, want %q", c.target, HeaderViolations, h, want)
		}
	}
	if got := call(t, ts, "GET", "/users/user/1/get_user_info/", "", "Cookie: sessionid=abc"); got.status != 501 ||
		!strings.HasPrefix(got.header.Get(HeaderViolations), "1; status: 501 is not documented for GET /users/user/{user_id}/get_user_info/") {
		t.Errorf("501: %d %v", got.status, got.header)
	}
	browser := call(t, ts, "GET", "/api/v2/medics/1/", "", token, "Origin: http://app.example")
	if len(browser.header.Values("Access-Control-Allow-Origin")) != 1 || browser.header.Get("Access-Control-Allow-Origin") != "http://app.example" ||
		!strings.Contains(browser.header.Get("Access-Control-Expose-Headers"), HeaderViolations) {
		t.Errorf("a browser reads the violations: %v", browser.header)
	}
	entries := journalOf(t, ts)
	if len(entries) != len(cases)+2 { // the 501 and the browser's request follow the cases
		t.Fatalf("journal: %+v", entries)
	}
	for i, c := range cases {
		e := entries[i]
		if e.Served != "upstream" || e.Status != c.status || (c.violation == "") != (len(e.Violations) == 0) ||
			(c.violation != "" && !strings.Contains(strings.Join(e.Violations, "\n"), c.violation)) {
			t.Errorf("journal entry of %s: %+v", c.target, e)
		}
	}
	if first := entries[0]; len(first.Violations) != 12 || !strings.Contains(strings.Join(first.Violations, "\n"), "alma_mater: This field is required.") {
		t.Errorf("every missing field of the medic is named: %v", first.Violations)
	}
	m.Close()
	if text := log.String(); !regexp.MustCompile(`GET /api/v2/medics/2/ → 418 (?i:getMedic) upstream`).MatchString(text) ||
		!strings.Contains(text, "contract violations: status: 418 is not documented") {
		t.Errorf("log:\n%s", text)
	}
}

// TestProxyErrorsAnswer502InTheFamilysDialect checks --errors: a violating answer becomes a 502
// in the operation's error dialect naming the violations; a conforming one is relayed.
func TestProxyErrorsAnswer502InTheFamilysDialect(t *testing.T) {
	upstream := wrongUpstream(t)
	_, ts := proxyTo(t, upstream.URL, Options{UpstreamErrors: true})
	prescrypto := call(t, ts, "GET", "/api/v2/medics/2/", "", token)
	body := prescrypto.json(t)
	if prescrypto.status != 502 || !strings.HasPrefix(prescrypto.header.Get(HeaderViolations), "1; status: 418") ||
		body["message"] != "The upstream's answer violates the contract" ||
		fmt.Sprint(body["status"]) != "[418 is not documented for GET /api/v2/medics/{medic_id}/; documented: 200, 400, 401, 404.]" {
		t.Errorf("Prescrypto 502: %d %v %s", prescrypto.status, prescrypto.header, prescrypto.body)
	}
	users := call(t, ts, "GET", "/users/user/1/get_user_info/", "", "Cookie: sessionid=abc")
	body = users.json(t)
	if users.status != 502 || body["success"] != false || body["data"] != nil || !strings.Contains(fmt.Sprint(body["message"], body["errors"]), "501 is not documented") {
		t.Errorf("Users 502: %d %s", users.status, users.body)
	}
	if conforming := call(t, ts, "GET", "/api/v2/medics/404/", "", token); conforming.status != 404 || conforming.header.Get(HeaderViolations) != "" {
		t.Errorf("a documented answer is relayed: %d %v", conforming.status, conforming.header)
	}
	if e := journalOf(t, ts)[0]; e.Status != 502 || len(e.Violations) != 1 {
		t.Errorf("journal: %+v", e)
	}

	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	_, ts = proxyTo(t, down.URL, Options{})
	if got := call(t, ts, "GET", "/api/v2/medics/1/", "", token); got.status != 502 || !strings.Contains(string(got.body), "connection refused") ||
		got.json(t)["message"] != "The upstream did not answer" {
		t.Errorf("unreachable upstream: %d %s", got.status, got.body)
	}
	if e := journalOf(t, ts)[0]; e.Status != 502 || len(e.Errors) != 1 || !strings.HasPrefix(e.Errors[0], "upstream: ") || len(e.Violations) != 0 {
		t.Errorf("journal of an unreachable upstream: %+v", e)
	}
}

// TestProxyFallsBackToTheMock checks --fallback: a 501, or a 404 the contract does not document
// for the operation, gets the mock's own answer, marked; the contract's own 404 is relayed.
func TestProxyFallsBackToTheMock(t *testing.T) {
	upstream := wrongUpstream(t)
	_, ts := proxyTo(t, upstream.URL, Options{Fallback: true})
	_, plain := start(t, Options{})
	for _, c := range []struct{ target, credential string }{
		{"/api/v2/hospital/1/", token},                            // a 404 of an unknown route
		{"/users/user/1/get_user_info/", "Cookie: sessionid=abc"}, // a 501
	} {
		got, want := call(t, ts, "GET", c.target, "", c.credential), call(t, plain, "GET", c.target, "", c.credential)
		if got.status != want.status || string(got.body) != string(want.body) || got.header.Get(HeaderFallback) != "true" ||
			got.header.Get(HeaderViolations) != "" {
			t.Errorf("%s: %d %v %s, want the mock's %d %s", c.target, got.status, got.header, got.body, want.status, want.body)
		}
	}
	documented := call(t, ts, "GET", "/api/v2/medics/404/", "", token)
	if documented.status != 404 || documented.header.Get(HeaderFallback) != "" || string(documented.body) != `{"message": "Not found."}` {
		t.Errorf("the contract's 404 is relayed: %d %v %s", documented.status, documented.header, documented.body)
	}
	if wrong := call(t, ts, "GET", "/api/v2/medics/2/", "", token); wrong.status != 418 || wrong.header.Get(HeaderFallback) != "" {
		t.Errorf("other violations are relayed, not replaced: %d %v", wrong.status, wrong.header)
	}
	if e := journalOf(t, ts)[0]; e.Served != "fallback (upstream answered 404)" || e.Status != 200 {
		t.Errorf("journal: %+v", e)
	}
}

// TestProxyForwardsTheRequestAsSent checks what reaches the upstream: the method, path, query,
// headers but the hop-by-hop ones, and the body, as the client sent them.
func TestProxyForwardsTheRequestAsSent(t *testing.T) {
	type received struct {
		method, target, body string
		header               http.Header
	}
	got := make(chan received, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{r.Method, r.URL.RequestURI(), string(body), r.Header}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(upstream.Close)
	_, ts := proxyTo(t, upstream.URL, Options{})
	sent := `{"name": "Daniel Hale Williams"}`
	answer := call(t, ts, "PATCH", "/api/v2/medics/11/?trace=1", sent, token, "X-Client: web", "Connection: X-Hop", "X-Hop: drop me")
	if answer.status != 204 || !strings.HasPrefix(answer.header.Get(HeaderViolations), "1; status: 204 is not documented for PATCH") {
		t.Errorf("answer: %d %v %s", answer.status, answer.header, answer.body)
	}
	r := <-got
	if r.method != "PATCH" || r.target != "/api/v2/medics/11/?trace=1" || r.body != sent || r.header.Get("Authorization") != "Token 0123456789abcdef" ||
		r.header.Get("X-Client") != "web" || r.header.Get("Content-Type") != "application/json" || r.header.Get("X-Hop") != "" {
		t.Errorf("the upstream received %+v", r)
	}
}
