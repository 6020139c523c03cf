package mock

import (
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/internal/contract"
)

// conforms checks a body against a component schema of the embedded contract.
func conforms(t *testing.T, api *openapi3.T, schema string, a answer) map[string]any {
	t.Helper()
	body := a.json(t)
	value, _ := normalized(body)
	if err := api.Components.Schemas[schema].Value.VisitJSON(value); err != nil {
		t.Fatalf("%s is not a valid %s: %v", a.body, schema, err)
	}
	return body
}

func TestValidationErrorsSpeakEachFamilyDialect(t *testing.T) {
	api := embeddedSpec(t)
	_, ts := start(t, Options{})

	t.Run("Prescrypto body", func(t *testing.T) {
		got := call(t, ts, "POST", "/api/v2/medics/", `{"email":"not-an-email","password":"short"}`, token)
		body := conforms(t, api, "PrescryptoError", got)
		want := map[string]any{
			"message":  "Invalid input",
			"name":     []any{"This field is required."},
			"email":    []any{"Must be a valid email."},
			"password": []any{"Must be at least 8 characters long."},
		}
		if got.status != 400 || !reflect.DeepEqual(body, want) {
			t.Fatalf("got %d %s", got.status, got.body)
		}
	})
	t.Run("Prescrypto query", func(t *testing.T) {
		got := call(t, ts, "GET", "/api/v2/medics/?limit=0&offset=first", "", token)
		body := conforms(t, api, "PrescryptoError", got)
		want := map[string]any{"message": "Invalid input", "limit": []any{"Must be at least 1."}, "offset": []any{"Must be an integer."}}
		if got.status != 400 || !reflect.DeepEqual(body, want) {
			t.Fatalf("got %d %s", got.status, got.body)
		}
	})
	t.Run("Prescrypto path and unknown field", func(t *testing.T) {
		got := call(t, ts, "PATCH", "/api/v2/medics/abc/", `{"nickname":"x","name":"A"}`, token)
		body := conforms(t, api, "PrescryptoError", got)
		if got.status != 400 || !reflect.DeepEqual(body, map[string]any{"message": "Invalid input", "medic_id": []any{"Must be an integer."}}) ||
			got.header.Get("Galeno-Ignored-Fields") != "nickname" {
			t.Fatalf("got %d %v %s", got.status, got.header, got.body)
		}
	})
	t.Run("Prescrypto content type and malformed JSON", func(t *testing.T) {
		got := call(t, ts, "POST", "/api/v2/hospital/", `name=x`, token, "Content-Type: text/plain")
		body := conforms(t, api, "PrescryptoError", got)
		if got.status != 415 || !reflect.DeepEqual(body["Content-Type"], []any{"Must be one of application/json."}) {
			t.Fatalf("got %d %s", got.status, got.body)
		}
		got = call(t, ts, "POST", "/api/v2/hospital/", `{"name":`, token)
		body = conforms(t, api, "PrescryptoError", got)
		if got.status != 400 || len(body["body"].([]any)) != 1 || !strings.HasPrefix(body["body"].([]any)[0].(string), "Cannot be decoded") {
			t.Fatalf("got %d %s", got.status, got.body)
		}
	})
	t.Run("Institutional", func(t *testing.T) {
		for _, c := range []struct{ body, code, message, param string }{
			{`{"doctorSpecialties":["CARDIOLOGY"]}`, "parameter_missing", "Missing required parameter: email", "email"},
			{`{"email":"dr@example.com","doctorSpecialties":[]}`, "parameter_invalid", "doctorSpecialties: Must have at least 1 item.", "doctorSpecialties"},
		} {
			got := call(t, ts, "POST", "/v1/institutional/accounts", c.body, bearer)
			body := conforms(t, api, "InstitutionalError", got)
			want := map[string]any{"error": map[string]any{"type": "invalid_request_error", "code": c.code, "message": c.message, "param": c.param}}
			if got.status != 400 || !reflect.DeepEqual(body, want) {
				t.Fatalf("%s: got %d %s", c.body, got.status, got.body)
			}
		}
	})
	t.Run("Users form body", func(t *testing.T) {
		form := "Content-Type: application/x-www-form-urlencoded"
		got := call(t, ts, "POST", "/users/user/new/", "username=ada+lovelace", session, form)
		body := conforms(t, api, "UsersFailure", got)
		errs, _ := body["errors"].(string)
		if got.status != 400 || body["success"] != false || body["message"] != "Invalid input" || body["data"] != nil ||
			errs != "username: Must match the pattern ^[A-Za-z0-9@.+_-]+$." {
			t.Fatalf("got %d %s", got.status, got.body)
		}
		got = call(t, ts, "POST", "/users/user/new/", "username=ada&password=longenough&is_staff=maybe", session, form)
		if body := conforms(t, api, "UsersFailure", got); got.status != 400 || body["errors"] != "is_staff: Must be a boolean." {
			t.Fatalf("got %d %s", got.status, got.body)
		}
	})
	t.Run("Users query", func(t *testing.T) {
		got := call(t, ts, "GET", "/users/user/search/", "", session)
		body := conforms(t, api, "UsersFailure", got)
		if got.status != 400 || body["errors"] != "query_string: This field is required." {
			t.Fatalf("got %d %s", got.status, got.body)
		}
	})
	t.Run("Patients header and body", func(t *testing.T) {
		got := call(t, ts, "POST", "/users", `{"email":"jane@example.com","firstName":"Jane","lastName":"Doe","gender":"female","phone":"4165550199","dob":"12/04/1990","province":"Ontario"}`)
		body := conforms(t, api, "PatientError", got)
		// No organization header: it is optional, as a portal domain may name the organization.
		want := map[string]any{"message": "Invalid input", "errors": map[string]any{
			"dob":      "Must be a valid date.",
			"province": "Must match the pattern ^[A-Z]{2}$.",
		}}
		if got.status != 400 || !reflect.DeepEqual(body, want) {
			t.Fatalf("got %d %s", got.status, got.body)
		}
	})
}

func TestRoutingErrorsSpeakEachFamilyDialect(t *testing.T) {
	api := embeddedSpec(t)
	_, ts := start(t, Options{})
	cases := []struct {
		name, method, target, schema string
		header                       []string
		status                       int
		check                        func(map[string]any) bool
	}{
		{"Prescrypto 404", "GET", "/api/v2/prescriptions/", "PrescryptoError", nil, 404,
			func(b map[string]any) bool { return b["message"] == "No operation matches GET /api/v2/prescriptions/." }},
		{"Institutional 404", "GET", "/v1/institutional/branches", "InstitutionalError", nil, 404,
			func(b map[string]any) bool { return b["error"].(map[string]any)["code"] == "resource_not_found" }},
		{"Users 404", "GET", "/users/user/2/friends/", "UsersFailure", nil, 404,
			func(b map[string]any) bool { return b["message"] == "Not found" && b["success"] == false }},
		{"Patients 404", "POST", "/auth/logout", "PatientError", nil, 404,
			func(b map[string]any) bool { return strings.HasPrefix(b["message"].(string), "No operation matches") }},
		{"Prescrypto 405", "DELETE", "/api/v2/medics/11/", "PrescryptoError", []string{token}, 405,
			func(b map[string]any) bool {
				return strings.Contains(b["message"].(string), "allowed: GET, HEAD, PATCH")
			}},
		{"Institutional 405", "PUT", "/v1/institutional/accounts", "InstitutionalError", nil, 405,
			func(b map[string]any) bool {
				return strings.Contains(b["error"].(map[string]any)["message"].(string), "allowed: POST")
			}},
		{"Users 406", "GET", "/users/user/logout/", "UsersFailure", []string{session, "Accept: text/html"}, 406,
			func(b map[string]any) bool { return strings.Contains(b["errors"].(string), "answers application/json") }},
		{"Patients 406", "GET", "/users/me", "PatientError", []string{"Authorization: Bearer t", "Accept: application/xml"}, 406,
			func(b map[string]any) bool {
				return strings.Contains(b["message"].(string), "accepts only application/xml")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := call(t, ts, c.method, c.target, "", c.header...)
			if got.status != c.status {
				t.Fatalf("status %d, want %d: %s", got.status, c.status, got.body)
			}
			if body := conforms(t, api, c.schema, got); !c.check(body) {
				t.Fatalf("unexpected body %s", got.body)
			}
		})
	}
	got := call(t, ts, "PUT", "/v1/institutional/accounts", "")
	if got.header.Get("Allow") != "POST" {
		t.Fatalf("405 without Allow: %q", got.header.Get("Allow"))
	}
	for _, accept := range []string{"application/json", "*/*", "application/*", "text/html, application/json;q=0.5", "application/json; charset=utf-8"} {
		if got := call(t, ts, "GET", "/users/me", "", "Authorization: Bearer t", "Accept: "+accept); got.status != 200 {
			t.Errorf("Accept %q: %d", accept, got.status)
		}
	}
	if got := call(t, ts, "GET", "/users/me", "", "Authorization: Bearer t", "Accept: application/json;q=0"); got.status != 406 {
		t.Errorf("Accept with q=0 for JSON: %d", got.status)
	}
}

// TestEveryErrorShapeConforms fills each family's error schema for every kind of failure and
// checks the result against the schema.
func TestEveryErrorShapeConforms(t *testing.T) {
	api := embeddedSpec(t)
	failures := []failure{
		{status: 400, kind: kindInvalid, title: "Invalid input", problems: []problem{{Field: "email", Reason: contract.Required}}},
		{status: 400, kind: kindInvalid, title: "Invalid input", problems: []problem{{Field: "a.b", Reason: "Must be a string."}, {Field: "c", Reason: "X."}}},
		{status: 401, kind: kindUnauthorized, title: "Authentication required", detail: "Send a token."},
		{status: 404, kind: kindNotFound, title: "Not found", detail: "No operation matches GET /x."},
		{status: 405, kind: kindMethodNotAllowed, title: "Method not allowed", detail: "No."},
		{status: 406, kind: kindNotAcceptable, title: "Not acceptable", detail: "No."},
		{status: 413, kind: kindTooLarge, title: "Too large", problems: []problem{{Field: "body", Reason: "is too large"}}},
		{status: 400, kind: kindPreference, title: "Unknown example", detail: "No such example."},
	}
	for _, name := range []string{"PrescryptoError", "InstitutionalError", "UsersFailure", "PatientError"} {
		schema := api.Components.Schemas[name].Value
		for _, f := range failures {
			value, _ := normalizedJSON(errorBody(schema, f))
			if err := schema.VisitJSON(value); err != nil {
				t.Errorf("%s for %+v: %s: %v", name, f, errorBody(schema, f), err)
			}
		}
	}
	generic := errorBody(nil, failures[1])
	if string(generic) != `{"errors":{"a.b":"Must be a string.","c":"X."},"message":"Invalid input: a.b: Must be a string.; c: X."}` {
		t.Errorf("generic shape: %s", generic)
	}
}
