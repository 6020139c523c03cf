package impl_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestFuzzFindings replays, readably, requests that fuzzing found mishandled (the fuzz inputs are in
// testdata/fuzz too).
func TestFuzzFindings(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		w := newWorld(t, ts)
		json := "application/json"
		organization := http.Header{"Organization": {northclinic}}
		cases := []struct {
			why, method, path, cred, contentType, body string
			header                                     http.Header
			status                                     int
			field                                      string // named in the 400
		}{
			// An escaped slash is part of a parameter's value: the trailing-slash normalisation used
			// to decide on the unescaped /memberships// and send DELETE /memberships/%2F to the
			// list's path (405) rather than to the operation on one membership (an invalid id: 400).
			{why: "escaped slash", method: "DELETE", path: "/api/v2/management/memberships/%2F", cred: credPrescrypto, status: 400},
			{why: "escaped slash", method: "GET", path: "/api/v2/medics/%2F", cred: credPrescrypto, status: 400},
			{why: "escaped slash", method: "GET", path: "/api/v2/medics/%2F/", cred: credPrescrypto, status: 400},

			// PostgreSQL refuses text with a NUL character or bytes that are not UTF-8: such text
			// in any parameter or body field used to reach the database there and fail the query
			// (500); SQLite stored it. Both refuse it now, naming the field.
			{why: "NUL in a JSON field", method: "POST", path: "/api/v2/medics/", cred: credPrescrypto, contentType: json,
				body: `{"name":"a\u0000b","email":"nul@example.com","password":"password1"}`, status: 400, field: "name"},
			{why: "NUL in a JSON array", method: "POST", path: "/v1/institutional/accounts", cred: credInstitution, contentType: json,
				body: `{"email":"nul@north.example","doctorSpecialties":["CARDIOLOGY","a\u0000"]}`, status: 400, field: "doctorSpecialties"},
			{why: "NUL in a JSON key", method: "POST", path: "/v1/institutional/accounts", cred: credInstitution, contentType: json,
				body: `{"email":"nul@north.example","doctorSpecialties":["X"],"\u0000":1}`, status: 400},
			{why: "NUL in a form field", method: "POST", path: "/users/user/new/", cred: credStaff, contentType: formType,
				body: "username=nul&password=nul-password&first_name=a%00", status: 400, field: "first_name"},
			{why: "bytes that are not UTF-8 in a form field", method: "POST", path: "/users/user/login/", contentType: formType,
				body: "username=%FF&password=x", status: 400, field: "username"},
			{why: "NUL in a sign-in", method: "POST", path: "/auth/login", contentType: json,
				body: `{"username":"a\u0000#northclinic","password":"x"}`, status: 400, field: "username"},
			{why: "NUL in a registration", method: "POST", path: "/users", contentType: json, header: organization,
				body:   `{"email":"nul@patient.example","firstName":"a\u0000","lastName":"b","gender":"female","phone":"4165550199","dob":"1990-04-12"}`,
				status: 400, field: "firstName"},
			{why: "NUL in a path parameter", method: "GET", path: "/v1/institutional/accounts/%00", cred: credInstitution, status: 400, field: "account_id"},
			{why: "bytes that are not UTF-8 in a path parameter", method: "GET", path: "/v1/institutional/accounts/%FF", cred: credInstitution, status: 400, field: "account_id"},
			{why: "NUL in a query parameter", method: "GET", path: "/users/user/search/?query_string=%00", cred: credUser, status: 400, field: "query_string"},
			{why: "bytes that are not UTF-8 in a query parameter", method: "GET", path: "/users/user/search/?query_string=a%FF", cred: credUser, status: 400, field: "query_string"},
			{why: "bytes that are not UTF-8 in a header parameter", method: "POST", path: "/users", contentType: json,
				header: http.Header{"Organization": {"north\xffclinic"}},
				body:   `{"email":"ff@patient.example","firstName":"a","lastName":"b","gender":"female","phone":"4165550199","dob":"1990-04-12"}`,
				status: 400, field: "organization"},
			{why: "authentication still comes first", method: "GET", path: "/v1/institutional/accounts/%00", status: 401},
			// Passwords are hashed, never stored: any character counts.
			{why: "NUL in a password", method: "POST", path: "/users/user/new/", cred: credStaff, contentType: formType,
				body: "username=nul-password&password=nul%00password", status: 201},
			// Bytes that are not UTF-8 inside a JSON string are decoded as U+FFFD, which is stored.
			{why: "bytes that are not UTF-8 in JSON", method: "POST", path: "/api/v2/medics/", cred: credPrescrypto, contentType: json,
				body: "{\"name\":\"\xff\",\"email\":\"ff@example.com\",\"password\":\"password1\"}", status: 201},
		}
		for _, c := range cases {
			h := http.Header{}
			if c.cred != "" {
				h = w.credential(t, c.cred).header.Clone()
			}
			for k, vs := range c.header {
				h[k] = vs
			}
			var body *strings.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			status, got := doMaybeBody(t, ts, c.method, c.path, c.contentType, body, h)
			if status != c.status || !strings.Contains(string(got), c.field) ||
				(c.field != "" && !strings.Contains(string(got), "Must be UTF-8 text without NUL characters.")) {
				t.Errorf("%s: %s %s: %d %s, want %d naming %q", c.why, c.method, c.path, status, got, c.status, c.field)
			}
		}
	})
}
