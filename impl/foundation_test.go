package impl_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/gen"
)

// integrator creates a medic with `galeno admin token`'s code path and returns its token.
func integrator(t *testing.T, ts *testServer, email string) string {
	t.Helper()
	token, err := ts.Server.CreateIntegrator(t.Context(), "Integrator "+email, email)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func jsonBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", b, err)
	}
	return m
}

func TestHealthAndReadiness(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if status, body := ts.do(t, "GET", path, "", nil, nil); status != 200 || jsonBody(t, body)["status"] != "ok" {
				t.Errorf("%s: %d %s", path, status, body)
			}
		}
	})
}

func TestUnknownRoutesAndMethodsAnswerInTheFamilyDialect(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	cases := []struct {
		method, path string
		status       int
		want         string // a fragment of the body
	}{
		{"GET", "/api/v2/nothing/", 404, `{"message":"Not found"}`},
		{"GET", "/api/v2/medics/1/extra/", 404, `{"message":"Not found"}`},
		{"DELETE", "/api/v2/medics/", 405, `{"message":"Method not allowed"}`},
		{"PUT", "/api/v2/medics", 405, `{"message":"Method not allowed"}`},
		{"GET", "/v1/institutional/nothing", 404, `"code":"resource_not_found","message":"Not found","param":null,"type":"invalid_request_error"`},
		{"GET", "/users/user/nothing/", 404, `"success":false`},
		{"GET", "/auth/nothing", 404, `{"message":"Not found"}`},
		{"GET", "/", 404, `{"message":"Not found"}`},
	}
	for _, c := range cases {
		status, body := ts.do(t, c.method, c.path, "", nil, nil)
		if status != c.status || !strings.Contains(string(body), c.want) {
			t.Errorf("%s %s: got %d %s, want %d with %s", c.method, c.path, status, body, c.status, c.want)
		}
	}
}

func TestBothTrailingSlashFormsReachTheOperation(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	token := integrator(t, ts, "slash@example.com")
	header := http.Header{"Authorization": {"Token " + token}}
	for _, path := range []string{"/api/v2/medics/", "/api/v2/medics"} {
		if status, body := ts.do(t, "GET", path, "", nil, header); status != 200 {
			t.Errorf("GET %s: %d %s", path, status, body)
		}
	}
	created, err := ts.CreateMedicWithResponse(t.Context(), gen.MedicCreate{Name: "A", Email: "a@example.com", Password: ptr("password1")}, withToken(token))
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create: %v %s", err, created.Body)
	}
	for _, path := range []string{"/api/v2/medics/%d/", "/api/v2/medics/%d"} {
		p := strings.Replace(path, "%d", itoa(created.JSON201.Id), 1)
		if status, body := ts.do(t, "GET", p, "", nil, header); status != 200 {
			t.Errorf("GET %s: %d %s", p, status, body)
		}
		if status, body := ts.do(t, "PATCH", p, "application/json", strings.NewReader(`{"name":"B"}`), header); status != 202 {
			t.Errorf("PATCH %s: %d %s", p, status, body)
		}
	}
}

func TestBadRequestsGetTheDialectNeverA500(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		token := integrator(t, ts, "bad@example.com")
		auth := http.Header{"Authorization": {"Token " + token}}
		cases := []struct {
			name, method, path, contentType, body string
			header                                http.Header
			status                                int
			want                                  map[string]any
		}{
			{"no token", "GET", "/api/v2/medics/", "", "", nil, 401, map[string]any{"message": "Invalid Token"}},
			{"unknown token", "GET", "/api/v2/medics/", "", "", http.Header{"Authorization": {"Token 0123456789ab.0000"}}, 401, map[string]any{"message": "Invalid Token"}},
			{"bearer scheme", "GET", "/api/v2/medics/", "", "", http.Header{"Authorization": {"Bearer " + token}}, 401, map[string]any{"message": "Invalid Token"}},
			{"bare token", "GET", "/api/v2/medics/", "", "", http.Header{"Authorization": {token}}, 401, map[string]any{"message": "Invalid Token"}},
			{"malformed JSON", "POST", "/api/v2/medics/", "application/json", `{"name":`, auth, 400, map[string]any{"message": "Invalid input", "body": []any{"Cannot be decoded: unexpected EOF."}}},
			{"not JSON", "POST", "/api/v2/medics/", "text/plain", `hello`, auth, 415, map[string]any{"message": "Unsupported Media Type", "Content-Type": []any{"Must be one of application/json."}}},
			{"no body", "POST", "/api/v2/medics/", "application/json", ``, auth, 400, map[string]any{"message": "Invalid input", "body": []any{"This field is required."}}},
			{"missing fields", "POST", "/api/v2/medics/", "application/json", `{"email":"x@example.com","password":"password1"}`, auth, 400,
				map[string]any{"message": "Invalid input", "name": []any{"This field is required."}}},
			{"wrong type", "POST", "/api/v2/medics/", "application/json", `{"name":"A","email":"x@example.com","password":"password1","female":"yes"}`, auth, 400,
				map[string]any{"message": "Invalid input", "female": []any{"Must be a boolean."}}},
			{"bad email", "POST", "/api/v2/medics/", "application/json", `{"name":"A","email":"nope","password":"password1"}`, auth, 400, nil},
			{"JSON array", "POST", "/api/v2/medics/", "application/json", `[1,2]`, auth, 400, nil},
			{"bad limit", "GET", "/api/v2/medics/?limit=abc", "", "", auth, 400, nil},
			{"zero limit", "GET", "/api/v2/medics/?limit=0", "", "", auth, 400, nil},
			{"negative offset", "GET", "/api/v2/medics/?offset=-1", "", "", auth, 400, nil},
			{"bad id", "GET", "/api/v2/medics/abc/", "", "", auth, 400, nil},
			{"huge id", "GET", "/api/v2/medics/99999999999999999999999/", "", "", auth, 400, nil},
			{"empty patch", "PATCH", "/api/v2/medics/1/", "application/json", `{}`, auth, 400, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var body *strings.Reader
				if c.body != "" {
					body = strings.NewReader(c.body)
				}
				status, got := doMaybeBody(t, ts, c.method, c.path, c.contentType, body, c.header)
				if status != c.status {
					t.Fatalf("status %d, want %d: %s", status, c.status, got)
				}
				m := jsonBody(t, got)
				if msg, ok := m["message"].(string); !ok || msg == "" {
					t.Errorf("no message in %s", got)
				}
				for k, v := range c.want {
					if !jsonEqual(m[k], v) {
						t.Errorf("%s = %v, want %v (body %s)", k, m[k], v, got)
					}
				}
			})
		}
	})
}

func TestJSONWithACharsetIsAccepted(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	token := integrator(t, ts, "charset@example.com")
	status, body := ts.do(t, "POST", "/api/v2/medics", "application/json; charset=utf-8",
		strings.NewReader(`{"name":"Ñandú","email":"charset2@example.com","password":"password1"}`), http.Header{"Authorization": {"Token " + token}})
	if status != 201 || jsonBody(t, body)["name"] != "Ñandú" {
		t.Fatalf("got %d %s", status, body)
	}
}

func TestBodiesOver1MiBAre413(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	token := integrator(t, ts, "big@example.com")
	big := `{"name":"` + strings.Repeat("a", 1<<20) + `","email":"big2@example.com","password":"password1"}`
	auth := http.Header{"Authorization": {"Token " + token}}
	status, body := ts.do(t, "POST", "/api/v2/medics/", "application/json", strings.NewReader(big), auth)
	if status != 413 || jsonBody(t, body)["message"] != "Request body too large (limit 1 MiB)" {
		t.Fatalf("with Content-Length: got %d %s", status, body)
	}
	// Without a Content-Length (chunked), the limit applies while the body is read.
	status, body = ts.do(t, "POST", "/api/v2/medics/", "application/json", io.MultiReader(strings.NewReader(big)), auth)
	if status != 413 || jsonBody(t, body)["message"] != "Request body too large (limit 1 MiB)" {
		t.Fatalf("chunked: got %d %s", status, body)
	}
}
