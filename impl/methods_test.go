package impl_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestHeadAnswersLikeGetWithoutABody(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	owner := integrator(t, ts, "head@example.com")
	hospital := createHospital(t, ts, owner, true)
	auth := http.Header{"Authorization": {"Token " + owner}}
	for _, c := range []struct {
		path   string
		header http.Header
	}{
		{"/api/v2/medics/", auth},
		{"/api/v2/medics", auth},
		{"/api/v2/hospital/" + itoa(hospital) + "/", auth},
		{"/api/v2/hospital/999999/", auth},
		{"/api/v2/search/medics/?query=head@example.com", auth},
		{"/api/v2/medics/", nil},
		{"/users/user/search/?query_string=x", nil},
		{"/v1/institutional/accounts/acc_x", nil},
	} {
		get, getBody := ts.send(t, "GET", c.path, "", nil, c.header)
		head, headBody := ts.send(t, "HEAD", c.path, "", nil, c.header)
		if head.StatusCode != get.StatusCode || len(headBody) != 0 || len(getBody) == 0 ||
			head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: %d %q (%s), GET: %d (%s)", c.path, head.StatusCode, headBody, head.Header.Get("Content-Type"),
				get.StatusCode, get.Header.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if resp, body := ts.send(t, "HEAD", path, "", nil, nil); resp.StatusCode != 200 || len(body) != 0 {
			t.Errorf("HEAD %s: %d %q", path, resp.StatusCode, body)
		}
	}
	// HEAD on a path without GET is a 405 like any other method it does not take.
	if resp, _ := ts.send(t, "HEAD", "/users/user/new/", "", nil, nil); resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("HEAD /users/user/new/: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestEvery405NamesTheAllowedMethods(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	for path, allow := range map[string]string{
		"/api/v2/medics/":                  "GET, HEAD, POST",
		"/api/v2/medics/3/":                "GET, HEAD, PATCH",
		"/api/v2/management/memberships/9": "DELETE, GET, HEAD, PATCH",
		"/api/v2/locations/update/":        "PATCH",
		"/v1/institutional/accounts":       "POST",
		"/users/user/logout/":              "GET, HEAD",
		"/auth/login":                      "POST",
	} {
		resp, body := ts.send(t, "PUT", path, "application/json", strings.NewReader(`{}`), nil)
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != allow || len(body) == 0 {
			t.Errorf("PUT %s: %d Allow %q, want 405 Allow %q: %s", path, resp.StatusCode, resp.Header.Get("Allow"), allow, body)
		}
	}
}

func TestAnUnsupportedMediaTypeIs415InEachDialect(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	owner := integrator(t, ts, "media@example.com")
	_, staff := newStaff(t, ts)
	for _, c := range []struct {
		path   string
		header http.Header
		want   string
	}{
		{"/api/v2/hospital/", http.Header{"Authorization": {"Token " + owner}}, `"Content-Type":["Must be one of application/json."]`},
		{"/users/user/new/", sessionHeader(staff), `"errors":"Content-Type: Must be one of application/json, application/x-www-form-urlencoded."`},
		{"/users", http.Header{"Organization": {"northclinic"}}, `"errors":{"Content-Type":"Must be one of application/json."}`},
	} {
		status, body := ts.do(t, "POST", c.path, "text/plain", strings.NewReader("name=x"), c.header)
		if status != 415 || !strings.Contains(string(body), c.want) {
			t.Errorf("POST %s text/plain: %d %s, want 415 with %s", c.path, status, body, c.want)
		}
	}
}

// TestEveryBodyOperationDeclares415 keeps the contract declaring the 415 the server answers.
func TestEveryBodyOperationDeclares415(t *testing.T) {
	for path, item := range loadSpec(t).Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody != nil && op.Responses.Value("415") == nil {
				t.Errorf("%s %s takes a body but does not declare 415", method, path)
			}
		}
	}
}
