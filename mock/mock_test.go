package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/gen"
)

// served is a mock listening on loopback through Serve, the transport `galeno mock` uses.
type served struct {
	URL    string
	client *http.Client
}

// start serves a mock over real HTTP for one test.
func start(t *testing.T, opts Options) (*Server, *served) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, serveOnLoopback(t, s)
}

// serveOnLoopback runs Serve with h until the test ends, and checks that it stops cleanly.
func serveOnLoopback(t *testing.T, h http.Handler) *served {
	t.Helper()
	addr, stop := startServe(t, h)
	ts := &served{URL: "http://" + addr, client: &http.Client{Transport: &http.Transport{}}}
	t.Cleanup(func() {
		ts.client.CloseIdleConnections()
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
		if s, ok := h.(*Server); ok {
			s.Close()
		}
	})
	return ts
}

// startServe runs Serve with h on a loopback port; stop cancels its context and returns what
// Serve returned.
func startServe(t *testing.T, h http.Handler) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h) }()
	return ln.Addr().String(), func() error {
		cancel()
		return <-done
	}
}

// answer is a response read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, a.body)
	}
	return v
}

// call sends a request; header values are "Name: value" lines.
func call(t *testing.T, ts *served, method, target, body string, header ...string) answer {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+target, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range header {
		name, value, _ := strings.Cut(line, ": ")
		req.Header.Add(name, value)
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := ts.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: data}
}

func embeddedSpec(t *testing.T) *openapi3.T {
	t.Helper()
	api, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func sameJSON(t *testing.T, got []byte, want any) bool {
	t.Helper()
	var g any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("not JSON: %v: %s", err, got)
	}
	w, err := normalized(want)
	if err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(g, w)
}

const (
	token   = "Authorization: Token 0123456789abcdef"
	bearer  = "Authorization: Bearer institution-key"
	session = "Cookie: sessionid=abc"
)

// credentials returns the header lines that satisfy an operation's security, read from the spec.
func credentials(api *openapi3.T, op *openapi3.Operation) []string {
	reqs := api.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	var lines []string
	for _, req := range reqs {
		for name := range req {
			s := api.Components.SecuritySchemes[name].Value
			switch {
			case s.Type == "http":
				lines = append(lines, bearer)
			case s.In == "cookie":
				lines = append(lines, session)
			default:
				lines = append(lines, token)
			}
		}
	}
	return lines
}

// TestEveryOperationAnswersItsDocumentedExample walks every operation of the embedded contract,
// sends a valid request built from the spec's own examples, and expects the lowest documented
// 2xx status with its first example.
func TestEveryOperationAnswersItsDocumentedExample(t *testing.T) {
	api := embeddedSpec(t)
	_, ts := start(t, Options{})
	checked := 0
	for _, path := range sortedKeys(api.Paths.Map()) {
		item := api.Paths.Value(path)
		for method, op := range item.Operations() {
			t.Run(method+" "+path, func(t *testing.T) {
				status, want := documentedSuccess(t, op)
				target := path
				params := slices.Concat(item.Parameters, op.Parameters)
				names := pathVariables(path)
				for _, name := range names {
					value := "1"
					if p := params.GetByInAndName("path", name); p != nil && p.Example != nil {
						value = scalarString(p.Example)
					}
					if id, ok := idOf(want); ok && name == names[len(names)-1] {
						value = id
					}
					target = strings.Replace(target, "{"+name+"}", value, 1)
				}
				header := credentials(api, op)
				var query []string
				for _, ref := range params {
					p := ref.Value
					if !p.Required || p.In == "path" {
						continue
					}
					switch p.In {
					case "query":
						query = append(query, p.Name+"="+strings.ReplaceAll(scalarString(p.Example), " ", "+"))
					case "header":
						header = append(header, p.Name+": "+scalarString(p.Example))
					}
				}
				got := callWithExamples(t, ts, op, method, target, query, header, status)
				if page, ok := want.(map[string]any); ok && page["count"] == float64(2) && page["next"] != nil {
					// The documented next page (offset=15) is past count 2: the mock answers null.
					want = maps.Clone(page)
					want.(map[string]any)["next"] = nil
				}
				if !sameJSON(t, got.body, want) {
					t.Fatalf("%s %s: body %s\nwant the documented example %s", method, target, got.body, marshalJSON(want))
				}
				checked++
			})
		}
	}
	if checked != 31 {
		t.Fatalf("checked %d operations, the contract documents 31", checked)
	}
}

// documentedSuccess reads, from the spec alone, the lowest 2xx status and its first example.
func documentedSuccess(t *testing.T, op *openapi3.Operation) (int, any) {
	t.Helper()
	for _, code := range responseCodes(op.Responses) {
		status := statusOf(code)
		if status < 200 || status >= 300 {
			continue
		}
		mt := op.Responses.Value(code).Value.Content.Get("application/json")
		return status, mt.Examples[sortedKeys(mt.Examples)[0]].Value.Value
	}
	t.Fatalf("%s has no 2xx response", op.OperationID)
	return 0, nil
}

// TestSpecFileKeepsDocumentOrder serves openapi.yaml itself: bodies keep the document's key
// order, and "first example" means first in the file.
func TestSpecFileKeepsDocumentOrder(t *testing.T) {
	_, ts := start(t, Options{SpecFile: "../openapi.yaml"})
	got := call(t, ts, "GET", "/api/v2/medics/", "", token)
	if got.status != 200 || !bytes.HasPrefix(got.body, []byte(`{"count":2,"next":null,"previous":null,"results":[{"id":1,"name":"Elizabeth Blackwell",`)) {
		t.Fatalf("list of medics out of document order: %d %s", got.status, got.body)
	}
	got = call(t, ts, "GET", "/api/v2/medics/11/", "", token)
	if !bytes.HasPrefix(got.body, []byte(`{"id":11,"name":"Matilde Montoya",`)) {
		t.Fatalf("list item out of document order: %s", got.body)
	}
	got = call(t, ts, "POST", "/api/v2/medics/", `{"name":"A","password":"longenough","email":"a@example.com"}`, token, "Prefer: code=400")
	if got.status != 400 || got.json(t)["message"] != "You do not have sufficient permissions to assign this hospital: 1" {
		t.Fatalf("the first 400 example in the file is NotHospitalAdmin, got %d %s", got.status, got.body)
	}
}

func TestPreferSelectsCodeAndExample(t *testing.T) {
	_, ts := start(t, Options{})
	validMedic := `{"name":"A","password":"longenough","email":"a@example.com"}`
	cases := []struct {
		name, method, target, body, prefer string
		status                             int
		want                               string
	}{
		{"code", "GET", "/api/v2/medics/1/", "", "Prefer: code=404", 404, `{"message":"Not found"}`},
		{"code as query", "GET", "/api/v2/medics/1/?__code=404", "", "", 404, `{"message":"Not found"}`},
		{"example alone finds its response", "POST", "/api/v2/medics/", validMedic, "Prefer: example=NotHospitalAdmin", 400,
			`{"message":"You do not have sufficient permissions to assign this hospital: 1"}`},
		{"code and example", "POST", "/api/v2/medics/", validMedic, "Prefer: code=400, example=DuplicateEmail", 400,
			`{"message":"Invalid input","email":["medic with this email already exists."]}`},
		{"example as query", "PATCH", "/api/v2/management/memberships/14?__example=UnauthorizedMedic", `{"is_active":true}`, "", 401,
			`{"message":"Unauthorized Medic"}`},
		{"quoted and with other preferences", "GET", "/api/v2/medics/", "", `Prefer: return=minimal; code="401"`, 401, `{"message":"Invalid Token"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			header := []string{token}
			if c.prefer != "" {
				header = append(header, c.prefer)
			}
			got := call(t, ts, c.method, c.target, c.body, header...)
			var want any
			_ = json.Unmarshal([]byte(c.want), &want)
			if got.status != c.status || !sameJSON(t, got.body, want) {
				t.Fatalf("got %d %s, want %d %s", got.status, got.body, c.status, c.want)
			}
		})
	}

	t.Run("unknown code lists the declared ones", func(t *testing.T) {
		got := call(t, ts, "GET", "/api/v2/medics/", "", token, "Prefer: code=418")
		msg, _ := got.json(t)["message"].(string)
		if got.status != 400 || !strings.Contains(msg, "code=418") || !strings.Contains(msg, "declared: 200, 400, 401") {
			t.Fatalf("got %d %s", got.status, got.body)
		}
	})
	t.Run("unknown example lists the documented ones", func(t *testing.T) {
		got := call(t, ts, "GET", "/v1/institutional/accounts/acc_a1b2c3d4e5f6g7h8?__example=Nope", "", bearer)
		msg, _ := got.json(t)["error"].(map[string]any)["message"].(string)
		if got.status != 400 || !strings.Contains(msg, "example=Nope") || !strings.Contains(msg, "200 Account, 400 Invalid, 400 Missing, 401 Unauthorized, 403 Forbidden, 404 NotFound") {
			t.Fatalf("got %d %s", got.status, got.body)
		}
	})
	t.Run("unknown example of a chosen code", func(t *testing.T) {
		got := call(t, ts, "GET", "/users/user/logout/", "", session, "Prefer: code=401, example=Nope")
		if got.status != 400 || !strings.Contains(got.json(t)["errors"].(string), "documented: 401 NotLoggedIn") {
			t.Fatalf("got %d %s", got.status, got.body)
		}
	})
	t.Run("malformed preference", func(t *testing.T) {
		got := call(t, ts, "GET", "/api/v2/medics/", "", token, "Prefer: code=teapot")
		if got.status != 400 || !strings.Contains(got.json(t)["message"].(string), "not an HTTP status") {
			t.Fatalf("got %d %s", got.status, got.body)
		}
	})
}

func TestPathAwareExamples(t *testing.T) {
	_, ts := start(t, Options{})
	cases := []struct {
		target, header string
		status         int
		field, want    string
	}{
		{"/api/v2/medics/11/", token, 200, "name", "Matilde Montoya"},
		{"/api/v2/medics/11", token, 200, "name", "Matilde Montoya"},
		{"/api/v2/medics/1/", token, 200, "name", "Elizabeth Blackwell"},
		{"/api/v2/medics/999/", token, 404, "message", "Not found"},
		{"/api/v2/management/memberships/203", token, 200, "type_membership", "MEMBER"},
		{"/api/v2/hospital/1/", token, 200, "name", "Consultorio de la Dra. Matilde Montoya"},
		{"/api/v2/hospital/7/", token, 404, "message", "Not found"},
		{"/users/user/2/get_user_info/", session, 200, "message", "User found"},
		{"/users/user/999/get_user_info/", session, 404, "errors", "No user with id 999"},
		{"/v1/institutional/accounts/acc_a1b2c3d4e5f6g7h8", bearer, 200, "email", "dr.juan@clinica.com"},
	}
	for _, c := range cases {
		got := call(t, ts, "GET", c.target, "", c.header)
		if got.status != c.status || got.json(t)[c.field] != c.want {
			t.Errorf("GET %s: %d %s, want %d with %s=%q", c.target, got.status, got.body, c.status, c.field, c.want)
		}
	}
	got := call(t, ts, "GET", "/v1/institutional/accounts/acc_unknown", "", bearer)
	if got.status != 404 || got.json(t)["error"].(map[string]any)["code"] != "resource_not_found" {
		t.Errorf("unknown account: %d %s", got.status, got.body)
	}
	got = call(t, ts, "GET", "/api/v2/medics/999/", "", token, "Prefer: code=200")
	if got.status != 200 || got.json(t)["name"] != "Elizabeth Blackwell" {
		t.Errorf("an explicit 200 for an unknown id serves the first example: %d %s", got.status, got.body)
	}

	t.Run("through the generated client", func(t *testing.T) {
		client, err := gen.NewClientWithResponses(ts.URL, gen.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Token abc")
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		res, err := client.GetMedicWithResponse(t.Context(), 11)
		if err != nil {
			t.Fatal(err)
		}
		if res.JSON200 == nil || res.JSON200.Name != "Matilde Montoya" || res.JSON200.Id != 11 {
			t.Fatalf("GetMedic(11): %d %s", res.StatusCode(), res.Body)
		}
	})
}

// testSpec is a small spec file for pinning, reloading and start-up checks; NAME is replaced.
const testSpec = `openapi: 3.0.3
info: {title: things, version: '1'}
paths:
  /things/{thing_id}:
    get:
      operationId: getThing
      parameters:
        - {name: thing_id, in: path, required: true, schema: {type: integer}}
      responses:
        '200':
          description: A thing.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
              examples:
                Pinned:
                  x-mock-match: {thing_id: 42}
                  value: {name: pinned to 42, id: 1}
                First:
                  value: {name: NAME, id: 1}
        '404':
          description: No such thing.
          content:
            application/json:
              schema: {type: object, properties: {message: {type: string}}}
              examples:
                Missing: {value: {message: no such thing}}
                Gone:
                  x-mock-match: {thing_id: 13}
                  value: {message: thing 13 is gone}
components:
  schemas:
    Thing:
      type: object
      additionalProperties: false
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string}
`

func writeSpec(t *testing.T, path, name string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Replace(testSpec, "NAME", name, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestExamplesPinnedWithMockMatch(t *testing.T) {
	path := t.TempDir() + "/spec.yaml"
	writeSpec(t, path, "one")
	_, ts := start(t, Options{SpecFile: path})
	cases := []struct {
		target string
		status int
		body   string
	}{
		{"/things/1", 200, `{"name":"one","id":1}`},
		{"/things/42", 200, `{"name":"pinned to 42","id":1}`},
		{"/things/13", 404, `{"message":"thing 13 is gone"}`},
		{"/things/7", 404, `{"message":"no such thing"}`},
	}
	for _, c := range cases {
		got := call(t, ts, "GET", c.target, "")
		if got.status != c.status || string(got.body) != c.body {
			t.Errorf("GET %s: %d %s, want %d %s", c.target, got.status, got.body, c.status, c.body)
		}
	}
}

func TestCredentialForms(t *testing.T) {
	_, ts := start(t, Options{})
	account := `{"email":"dr@example.com","doctorSpecialties":["CARDIOLOGY"]}`
	cases := []struct {
		name, method, target, body string
		header                     []string
		status                     int
		want                       string
	}{
		{"no token", "GET", "/api/v2/medics/", "", nil, 401, `{"message":"Invalid Token"}`},
		{"bearer where a token is needed", "GET", "/api/v2/medics/", "", []string{"Authorization: Bearer abc"}, 401, `{"message":"Invalid Token"}`},
		{"token without value", "GET", "/api/v2/medics/", "", []string{"Authorization: Token "}, 401, `{"message":"Invalid Token"}`},
		{"token, any case", "GET", "/api/v2/medics/?__example=MedicsList", "", []string{"Authorization: token abc"}, 200, ""},
		{"token where a bearer is needed", "POST", "/v1/institutional/accounts", account, []string{"Authorization: Token abc"}, 401,
			`{"error":{"type":"authentication_error","code":"authentication_required","message":"A valid institution API key is required (Authorization: Bearer <key>)","param":null}}`},
		{"bearer", "POST", "/v1/institutional/accounts", account, []string{bearer}, 201, ""},
		{"no session cookie", "GET", "/users/user/logout/", "", nil, 401,
			`{"success":false,"message":"Authentication required","errors":"Log in first; no valid sessionid cookie was sent","data":null}`},
		{"session cookie", "GET", "/users/user/logout/", "", []string{session}, 200, ""},
		{"no patient token", "GET", "/users/me", "", nil, 401, `{"message":"Invalid credentials"}`},
		{"patient token", "GET", "/users/me", "", []string{"Authorization: Bearer eyJ.x.y"}, 200, ""},
		{"open operation", "POST", "/auth/login", `{"username":"jane@example.com#northclinic","password":"x"}`, nil, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := call(t, ts, c.method, c.target, c.body, c.header...)
			if got.status != c.status {
				t.Fatalf("status %d, want %d: %s", got.status, c.status, got.body)
			}
			if c.want != "" {
				var want any
				_ = json.Unmarshal([]byte(c.want), &want)
				if !sameJSON(t, got.body, want) {
					t.Fatalf("body %s, want %s", got.body, c.want)
				}
			}
		})
	}
}

func TestSessionCookieIsSetAndCleared(t *testing.T) {
	_, ts := start(t, Options{})
	login := call(t, ts, "POST", "/users/user/login/", "username=ada&password=secret", "Content-Type: application/x-www-form-urlencoded")
	if login.status != 200 || !strings.HasPrefix(login.header.Get("Set-Cookie"), "sessionid=mock-session;") {
		t.Fatalf("login: %d Set-Cookie %q %s", login.status, login.header.Get("Set-Cookie"), login.body)
	}
	logout := call(t, ts, "GET", "/users/user/logout/", "", session)
	if logout.status != 200 || !strings.Contains(logout.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d Set-Cookie %q", logout.status, logout.header.Get("Set-Cookie"))
	}
}

func TestTooLargeBody(t *testing.T) {
	_, ts := start(t, Options{})
	big := `{"name":"` + strings.Repeat("x", maxBody) + `"}`
	got := call(t, ts, "POST", "/api/v2/hospital/", big, token)
	if got.status != 413 || got.json(t)["message"] != "Request body too large (limit 1 MiB)" {
		t.Fatalf("got %d %s", got.status, got.body)
	}
}

func TestNoValidate(t *testing.T) {
	_, ts := start(t, Options{NoValidate: true})
	got := call(t, ts, "POST", "/api/v2/medics/", `{"email":"not an email"}`)
	if got.status != 201 || got.json(t)["token"] != "eaeaeaeaeae123eaeaedummyToken" {
		t.Fatalf("with validation off, any request gets the documented 201: %d %s", got.status, got.body)
	}
}

func TestHeadAndTrailingSlashes(t *testing.T) {
	_, ts := start(t, Options{})
	for _, target := range []string{"/api/v2/medics/", "/api/v2/medics", "/api/v2/management/memberships/191", "/api/v2/management/memberships/191/"} {
		if got := call(t, ts, "GET", target, "", token); got.status != 200 {
			t.Errorf("GET %s: %d %s", target, got.status, got.body)
		}
	}
	got := call(t, ts, "HEAD", "/api/v2/medics/", "", token)
	if got.status != 200 || len(got.body) != 0 || got.header.Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, %d bytes, Content-Length %q", got.status, len(got.body), got.header.Get("Content-Length"))
	}
}

// TestParameterExamplesHitTheirExamples calls every operation of the embedded contract the way a
// reader of the contract would: with the parameter examples it documents, its first body example
// and credentials of the right form. Each answers its lowest 2xx, so the ids the contract gives as
// parameter examples are the ids of its example objects.
func TestParameterExamplesHitTheirExamples(t *testing.T) {
	api := embeddedSpec(t)
	_, ts := start(t, Options{})
	checked := 0
	for _, path := range sortedKeys(api.Paths.Map()) {
		item := api.Paths.Value(path)
		for _, method := range sortedKeys(item.Operations()) {
			op := item.GetOperation(method)
			t.Run(method+" "+path, func(t *testing.T) {
				status, _ := documentedSuccess(t, op)
				target := path
				header := credentials(api, op)
				var query []string
				for _, ref := range slices.Concat(item.Parameters, op.Parameters) {
					p := ref.Value
					if p.Example == nil {
						if p.Required {
							t.Fatalf("required parameter %s %s documents no example", p.In, p.Name)
						}
						continue
					}
					value := scalarString(p.Example)
					switch p.In {
					case "path":
						target = strings.Replace(target, "{"+p.Name+"}", value, 1)
					case "query":
						query = append(query, p.Name+"="+strings.ReplaceAll(value, " ", "+"))
					case "header":
						header = append(header, p.Name+": "+value)
					}
				}
				callWithExamples(t, ts, op, method, target, query, header, status)
				checked++
			})
		}
	}
	if checked != 31 {
		t.Fatalf("checked %d operations, the contract documents 31", checked)
	}
}

// callWithExamples sends method to target with the query and headers given and op's first JSON body
// example, and fails the test unless the answer has status.
func callWithExamples(t *testing.T, ts *served, op *openapi3.Operation, method, target string, query, header []string, status int) answer {
	t.Helper()
	if len(query) > 0 {
		target += "?" + strings.Join(query, "&")
	}
	body := ""
	if op.RequestBody != nil {
		mt := op.RequestBody.Value.Content.Get("application/json")
		body = string(marshalJSON(mt.Examples[sortedKeys(mt.Examples)[0]].Value.Value))
	}
	got := call(t, ts, method, target, body, header...)
	if got.status != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, target, got.status, status, got.body)
	}
	return got
}
