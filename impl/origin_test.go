package impl_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/impl"
)

// forwardedRequest is what a proxy, or an attacker pretending to be one, sends: a Host and
// X-Forwarded-* headers. It returns the next link of a medics page and whether login's cookie is Secure.
func forwardedRequest(t *testing.T, ts *testServer, header http.Header) (next string, secure bool) {
	t.Helper()
	owner := integrator(t, ts, "origin"+header.Get("X-Test")+"@example.com")
	createMedic(t, ts, owner, "medic"+header.Get("X-Test")+"@example.com")
	send := func(method, path, body string, extra http.Header) (*http.Response, []byte) {
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []http.Header{header, extra} {
			for k, vs := range h {
				req.Header[k] = vs
			}
		}
		if host := header.Get("Host"); host != "" {
			req.Host = host
		}
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	_, page := send("GET", "/api/v2/medics/?limit=1", "", http.Header{"Authorization": {"Token " + owner}})
	next, _ = jsonBody(t, page)["next"].(string)
	login, body := send("POST", "/users/user/login/", `{"username":"`+staffUsername+`","password":"`+staffPassword+`"}`,
		http.Header{"Content-Type": {"application/json"}})
	if login.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", login.StatusCode, body)
	}
	return next, sessionCookie(t, login).Secure
}

func TestLinksAndSecureCookiesTrustForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	public, _ := url.Parse("https://api.example.com/galeno/")
	forged := http.Header{"Host": {"evil.example"}, "X-Forwarded-Host": {"evil.example"}, "X-Forwarded-Proto": {"https"}}
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			// Nobody trusted: the headers are ignored; links name the address the connection arrived on.
			direct := newTestServer(t, b.Open(t))
			newStaff(t, direct)
			next, secure := forwardedRequest(t, direct, forged)
			if next != direct.URL+"/api/v2/medics/?limit=1&offset=1" || secure {
				t.Errorf("untrusted forwarded headers: next %q, Secure %v", next, secure)
			}

			// A trusted proxy's X-Forwarded-Host and -Proto are believed (the last value, the one it
			// wrote); a forwarded host that is not a host falls back to Host.
			proxied := newTestServer(t, b.Open(t), impl.WithTrustedProxies([]*net.IPNet{loopback}))
			newStaff(t, proxied)
			next, secure = forwardedRequest(t, proxied, http.Header{"X-Test": {"1"},
				"X-Forwarded-Host": {"evil.example, api.example.com"}, "X-Forwarded-Proto": {"http, https"}})
			if next != "https://api.example.com/api/v2/medics/?limit=1&offset=1" || !secure {
				t.Errorf("trusted proxy: next %q, Secure %v", next, secure)
			}
			next, secure = forwardedRequest(t, proxied, http.Header{"X-Test": {"2"}, "Host": {"api.example.com"},
				"X-Forwarded-Host": {"evil.example/x?"}})
			if next != "http://api.example.com/api/v2/medics/?limit=1&offset=1" || secure {
				t.Errorf("trusted proxy, bad forwarded host: next %q, Secure %v", next, secure)
			}

			// A public URL wins over every header, and being https makes cookies Secure.
			fixed := newTestServer(t, b.Open(t), impl.WithPublicURL(public))
			newStaff(t, fixed)
			next, secure = forwardedRequest(t, fixed, forged)
			if next != "https://api.example.com/galeno/api/v2/medics/?limit=1&offset=1" || !secure {
				t.Errorf("public URL: next %q, Secure %v", next, secure)
			}
		})
	}
}
