package impl_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/impl"
)

const northclinic = "northclinic"

// organization creates an organization the way `galeno admin organization` does.
func organization(t *testing.T, ts *testServer, id string) {
	t.Helper()
	if err := ts.Server.CreateOrganization(t.Context(), id, "Clinic "+id, ""); err != nil {
		t.Fatal(err)
	}
}

func inOrganization(org string) *gen.RegisterPatientParams {
	return &gen.RegisterPatientParams{Organization: &org}
}

func date(y int, m time.Month, d int) openapi_types.Date {
	return openapi_types.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// registration is a minimal valid registration with a password.
func registration(email string) gen.PatientRegistration {
	return gen.PatientRegistration{Email: openapi_types.Email(email), FirstName: "Jane", LastName: "Doe", Gender: gen.Female,
		Phone: "416 555 0199", Dob: date(1990, 4, 12), Password: ptr("Sup3rSecret")}
}

// registerJSON posts a hand-written registration.
func registerJSON(t *testing.T, ts *testServer, org, body string) *gen.RegisterPatientResponse {
	t.Helper()
	resp, err := ts.RegisterPatientWithBodyWithResponse(t.Context(), inOrganization(org), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// register registers a patient and fails the test unless it is created.
func register(t *testing.T, ts *testServer, org string, r gen.PatientRegistration) *gen.Patient {
	t.Helper()
	resp, err := ts.RegisterPatientWithResponse(t.Context(), inOrganization(org), r)
	if err != nil || resp.JSON201 == nil {
		t.Fatalf("register %s in %s: %v %d %s", r.Email, org, err, resp.StatusCode(), resp.Body)
	}
	return resp.JSON201
}

func loginResponse(t *testing.T, ts *testServer, username, password string) *gen.LoginPatientResponse {
	t.Helper()
	resp, err := ts.LoginPatientWithResponse(t.Context(), nil, gen.PatientLogin{Username: username, Password: &password})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// wantLoginRefused checks a sign-in gets status (401 or 429) in the patient dialect, and returns it.
func wantLoginRefused(t *testing.T, ts *testServer, username, password string, status int) *gen.LoginPatientResponse {
	t.Helper()
	resp := loginResponse(t, ts, username, password)
	message := map[int]string{401: "Invalid credentials", 429: "Too many failed sign-ins: try again later"}[status]
	wantPatientError(t, resp.StatusCode(), resp.Body, status, message)
	return resp
}

// login signs a patient in and returns the token, failing the test otherwise.
func login(t *testing.T, ts *testServer, username, password string) string {
	t.Helper()
	resp := loginResponse(t, ts, username, password)
	if resp.JSON200 == nil {
		t.Fatalf("login %s: %d %s", username, resp.StatusCode(), resp.Body)
	}
	return resp.JSON200.Token
}

func currentPatient(t *testing.T, ts *testServer, edit gen.RequestEditorFn) *gen.GetCurrentPatientResponse {
	t.Helper()
	resp, err := ts.GetCurrentPatientWithResponse(t.Context(), edit)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// wantPatientError checks a response is status with the patient dialect's body and this message
// (any when empty) and these field problems (a fragment of each).
func wantPatientError(t *testing.T, status int, body []byte, wantStatus int, message string, fields ...string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
	}
	var e gen.PatientError
	if err := json.Unmarshal(body, &e); err != nil || e.Message == "" {
		t.Fatalf("not a patient error: %s", body)
	}
	if message != "" && e.Message != message {
		t.Errorf("message %q, want %q", e.Message, message)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if e.Errors == nil || !strings.Contains((*e.Errors)[fields[i]], fields[i+1]) {
			t.Errorf("errors.%s should contain %q: %s", fields[i], fields[i+1], body)
		}
	}
}

// specExample returns the value of one of openapi.yaml's examples, as JSON.
func specExample(t *testing.T, name string) []byte {
	t.Helper()
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	ex, ok := spec.Components.Examples[name]
	if !ok {
		t.Fatalf("no example %s in openapi.yaml", name)
	}
	b, err := json.Marshal(ex.Value.Value)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var patientID = regexp.MustCompile(`^pat_[0-9a-f]{16}$`)

func TestRegisterTheDocumentedPatient(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		before := time.Now().Add(-time.Second)
		resp := registerJSON(t, ts, northclinic, string(specExample(t, "RegisterPatientRequest")))
		if resp.JSON201 == nil {
			t.Fatalf("%d %s", resp.StatusCode(), resp.Body)
		}
		got := jsonBody(t, resp.Body)
		want := jsonBody(t, specExample(t, "PatientRegistered"))
		if id, _ := got["_id"].(string); !patientID.MatchString(id) {
			t.Errorf("_id %q", got["_id"])
		}
		if created := resp.JSON201.CreatedAt; created.Before(before) || created.After(time.Now()) {
			t.Errorf("createdAt %v", created)
		}
		delete(got, "_id")
		delete(got, "createdAt")
		delete(want, "_id")
		delete(want, "createdAt")
		if !jsonEqual(got, want) {
			t.Fatalf("registered patient differs from the documented one:\n got %s\nwant %s", asJSON(got), asJSON(want))
		}
		if strings.Contains(string(resp.Body), "password") || strings.Contains(string(resp.Body), "argon2") {
			t.Fatalf("the password leaks: %s", resp.Body)
		}

		token := login(t, ts, "jane.doe@example.com#northclinic", "Sup3rSecret")
		mine := currentPatient(t, ts, withBearer(token))
		if mine.JSON200 == nil || !jsonEqual(jsonBody(t, mine.Body), jsonBody(t, resp.Body)) {
			t.Fatalf("GET /users/me: %d %s\nwant %s", mine.StatusCode(), mine.Body, resp.Body)
		}
	})
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRegistrationRoundTripsEveryField(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		sent := `{
			"email": "Mixed.Case@Example.com", "password": "Sup3rSecret", "firstName": "Zoë", "lastName": "O'Brien-Núñez",
			"gender": "other", "phone": "+44 20 7946 0958", "dob": "1985-12-31", "uname": "ignored#elsewhere",
			"roles": ["patient"],
			"meta": {"preferredLanguage": "fr", "tags": ["a", "b"], "flag": true, "nothing": null, "unicode": "日本語 ✓",
				"nested": {"deep": {"deeper": [1, 2.5, -3, {"x": null}, [[]]]}, "empty": {}, "emptyList": []}},
			"unreadNotificationsCount": 7, "emrId": 123456789012, "referrer": "usr_42",
			"hcCard": {"number": "1234-567-890", "versionCode": "AB", "expiry": "2028-04-30", "issuer": {"province": "ON", "country": "CA"}},
			"acceptsMarketing": true, "hasInsurance": true, "providers": [], "verifications": {},
			"province": "QC", "groups": []
		}`
		resp := registerJSON(t, ts, northclinic, sent)
		if resp.JSON201 == nil {
			t.Fatalf("%d %s", resp.StatusCode(), resp.Body)
		}
		want := jsonBody(t, []byte(sent))
		delete(want, "password")
		want["uname"] = "mixed.case@example.com#northclinic"
		want["phone"] = "+442079460958"
		want["organization"] = northclinic
		got := jsonBody(t, resp.Body)
		want["_id"], want["createdAt"] = got["_id"], got["createdAt"]
		if !jsonEqual(got, want) {
			t.Fatalf("round trip:\n got %s\nwant %s", resp.Body, asJSON(want))
		}
		token := login(t, ts, "mixed.case@example.com#northclinic", "Sup3rSecret")
		if mine := currentPatient(t, ts, withBearer(token)); !jsonEqual(jsonBody(t, mine.Body), got) {
			t.Fatalf("stored patient differs: %s", mine.Body)
		}
	})
}

func TestRegistrationDefaults(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		resp := registerJSON(t, ts, northclinic,
			`{"email":"min@example.com","firstName":" Min ","lastName":"Imal","gender":"undisclosed","phone":"4165550199","dob":"2000-01-01"}`)
		if resp.JSON201 == nil {
			t.Fatalf("%d %s", resp.StatusCode(), resp.Body)
		}
		got := jsonBody(t, resp.Body)
		for field, want := range map[string]any{
			"roles": []any{"patient"}, "meta": map[string]any{}, "hcCard": map[string]any{}, "verifications": map[string]any{},
			"providers": []any{}, "groups": []any{}, "unreadNotificationsCount": 0, "hasInsurance": false,
			"acceptsMarketing": false, "emrId": nil, "referrer": nil, "province": nil, "firstName": "Min",
			"uname": "min@example.com#northclinic", "phone": "+14165550199",
		} {
			if v, ok := got[field]; !ok || !jsonEqual(v, want) {
				t.Errorf("%s = %v, want %v", field, v, want)
			}
		}
		// Registered without a password: the account exists but cannot sign in.
		wantLoginRefused(t, ts, "min@example.com#northclinic", "x", 401)
	})
}

func TestRegistrationNeedsAKnownOrganization(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		body := asJSON(registration("jane@example.com"))
		status, got := ts.do(t, "POST", "/users", "application/json", strings.NewReader(body), nil)
		wantPatientError(t, status, got, 400, "Invalid input", "organization", "Send the organization header")

		resp := registerJSON(t, ts, "southclinic", body)
		wantPatientError(t, resp.StatusCode(), resp.Body, 404, "Organization not found: southclinic")
		resp = registerJSON(t, ts, "NorthClinic", body)
		wantPatientError(t, resp.StatusCode(), resp.Body, 404, "Organization not found: NorthClinic")
		status, got = ts.do(t, "POST", "/users", "application/json", strings.NewReader(body), http.Header{"Organization": {strings.Repeat("a", 65)}})
		wantPatientError(t, status, got, 400, "", "organization", "")

		// The trailing-slash form reaches the same operation.
		status, got = ts.do(t, "POST", "/users/", "application/json", strings.NewReader(body), http.Header{"Organization": {northclinic}})
		if status != 201 {
			t.Fatalf("POST /users/: %d %s", status, got)
		}
	})
}

func TestEmailIsUniquePerOrganization(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		organization(t, ts, "southclinic")
		first := register(t, ts, northclinic, registration("jane@example.com"))
		for _, email := range []string{"jane@example.com", "JANE@Example.COM"} {
			resp, err := ts.RegisterPatientWithResponse(t.Context(), inOrganization(northclinic), registration(email))
			if err != nil {
				t.Fatal(err)
			}
			wantPatientError(t, resp.StatusCode(), resp.Body, 409, "Account Exists Already")
		}
		other := register(t, ts, "southclinic", registration("jane@example.com"))
		if other.UnderscoreId == first.UnderscoreId || other.Uname != "jane@example.com#southclinic" || other.Organization != "southclinic" {
			t.Fatalf("second organization: %+v", other)
		}
		// Each account signs in to its own organization.
		for _, p := range []*gen.Patient{first, other} {
			token := login(t, ts, p.Uname, "Sup3rSecret")
			if mine := currentPatient(t, ts, withBearer(token)); mine.JSON200 == nil || mine.JSON200.UnderscoreId != p.UnderscoreId {
				t.Fatalf("%s signs in as %s", p.Uname, mine.Body)
			}
		}
	})
}

func TestEmrIDIsUniquePerOrganization(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		organization(t, ts, "southclinic")
		withEmr := func(email string, emr *int64) gen.PatientRegistration {
			r := registration(email)
			r.EmrId = emr
			return r
		}
		register(t, ts, northclinic, withEmr("jane@example.com", ptr(int64(42))))
		resp, err := ts.RegisterPatientWithResponse(t.Context(), inOrganization(northclinic), withEmr("john@example.com", ptr(int64(42))))
		if err != nil {
			t.Fatal(err)
		}
		wantPatientError(t, resp.StatusCode(), resp.Body, 409, "An account with this emrId exists already")
		register(t, ts, "southclinic", withEmr("john@example.com", ptr(int64(42))))
		// Without an emrId, any number of patients.
		register(t, ts, northclinic, withEmr("ann@example.com", nil))
		register(t, ts, northclinic, withEmr("bob@example.com", nil))
	})
}

// TestRegistrationCannotClaimWhatOnlyTheOrganizationGrants: anyone may register, so verifications,
// groups and providers sent at registration are ignored.
func TestRegistrationCannotClaimWhatOnlyTheOrganizationGrants(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		resp := registerJSON(t, ts, northclinic, `{"email":"eve@example.com","password":"Sup3rSecret","firstName":"Eve","lastName":"Doe",
			"gender":"female","phone":"4165550199","dob":"1990-01-01","verifications":{"email":true,"identity":true},
			"groups":["clinic-staff"],"providers":["prov_001"]}`)
		if resp.JSON201 == nil {
			t.Fatalf("%d %s", resp.StatusCode(), resp.Body)
		}
		token := login(t, ts, "eve@example.com#northclinic", "Sup3rSecret")
		for _, body := range [][]byte{resp.Body, currentPatient(t, ts, withBearer(token)).Body} {
			got := jsonBody(t, body)
			for field, want := range map[string]any{"verifications": map[string]any{}, "groups": []any{}, "providers": []any{}} {
				if !jsonEqual(got[field], want) {
					t.Errorf("%s = %v, want %v", field, got[field], want)
				}
			}
		}
	})
}

func TestConcurrentRegistrationsOfOneEmail(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		const clients = 8
		count := concurrently(t, clients, func(i int) (int, error) {
			email := "race@example.com"
			if i%2 == 1 {
				email = "Race@Example.com"
			}
			resp, err := ts.RegisterPatientWithResponse(context.Background(), inOrganization(northclinic), registration(email))
			if err != nil {
				return 0, err
			}
			if resp.StatusCode() == 409 && !strings.Contains(string(resp.Body), "Account Exists Already") {
				t.Errorf("409 body %s", resp.Body)
			}
			return resp.StatusCode(), nil
		})
		if count[201] != 1 || count[409] != clients-1 {
			t.Fatalf("statuses %v, want one 201 and %d 409", count, clients-1)
		}
	})
}

func TestPasswordStrength(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		cases := []struct {
			password string
			ok       bool
		}{
			{"Sup3rSecret", true},
			{"Abcdefg1", true},
			{"Ünïcödé9", true},
			{"A1" + strings.Repeat("b", 126), true},
			{"Abcdef1", false},                         // 7 characters
			{"A1" + strings.Repeat("b", 127), false},   // 129 characters
			{"sup3rsecret", false},                     // no upper-case letter
			{"SUP3RSECRET", false},                     // no lower-case letter
			{"SuperSecret", false},                     // no digit
			{"        ", false},                        // blank
			{"Ab1Ab1", false},                          // short
			{strings.Repeat("aB3", 10) + "\x00", true}, // any character counts
		}
		for i, c := range cases {
			r := registration(fmt.Sprintf("p%d@example.com", i))
			r.Password = &c.password
			resp, err := ts.RegisterPatientWithResponse(t.Context(), inOrganization(northclinic), r)
			if err != nil {
				t.Fatal(err)
			}
			if c.ok {
				if resp.StatusCode() != 201 {
					t.Errorf("%q refused: %s", c.password, resp.Body)
				} else if token := login(t, ts, fmt.Sprintf("p%d@example.com#northclinic", i), c.password); token == "" {
					t.Errorf("%q cannot sign in", c.password)
				}
				continue
			}
			wantPatientError(t, resp.StatusCode(), resp.Body, 400, "", "password", "")
		}
	})
}

func TestPhoneNormalisation(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		cases := []struct{ in, want, problem string }{
			{"(416) 555-0199", "+14165550199", ""},
			{"416.555.0199", "+14165550199", ""},
			{"4165550199", "+14165550199", ""},
			{"1-416-555-0199", "+14165550199", ""},
			{"+1 (416) 555-0199", "+14165550199", ""},
			{" 14165550199 ", "+14165550199", ""},
			{"+44 20 7946 0958", "+442079460958", ""},
			{"442079460958", "+442079460958", ""},
			{"+4165550199", "+4165550199", ""}, // ten digits after an explicit + are international
			{"555-0199", "+5550199", ""},
			{"123456789012345", "+123456789012345", ""},
			{"1234567890123456", "", "must contain 7 to 15 digits"},
			{"555-019", "", "must contain 7 to 15 digits"},
			{"+1 23-45", "", "must contain 7 to 15 digits"},
			{"0412 345 678", "", "country code"},
			{"+0412345678", "", "country code"},
			{"416-555-0199 x2", "", "may contain only"},
			{"+1+4165550199", "", "may contain only"},
			{"416/555/0199", "", "may contain only"},
			{"４１６５５５０１９９", "", "may contain only"},
			{"phone number", "", "may contain only"},
		}
		for i, c := range cases {
			r := registration(fmt.Sprintf("ph%d@example.com", i))
			r.Phone = c.in
			resp, err := ts.RegisterPatientWithResponse(t.Context(), inOrganization(northclinic), r)
			if err != nil {
				t.Fatal(err)
			}
			if c.problem == "" {
				if resp.JSON201 == nil || resp.JSON201.Phone != c.want {
					t.Errorf("%q: got %d %s, want %s", c.in, resp.StatusCode(), resp.Body, c.want)
				}
				continue
			}
			wantPatientError(t, resp.StatusCode(), resp.Body, 400, "Invalid input", "phone", c.problem)
		}
	})
}

func TestDateOfBirthBounds(t *testing.T) {
	// 10:30 UTC on 15 January: 16 January has begun in UTC+14, not 17 January anywhere.
	eachBackendWithClock(t, time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC), func(t *testing.T, ts *testServer, _ *clock) {
		organization(t, ts, northclinic)
		cases := []struct{ dob, problem string }{
			{"2026-01-15", ""},
			{"2026-01-16", ""},
			{"1900-01-01", ""},
			{"1990-02-28", ""},
			{"2026-01-17", "must not be in the future"},
			{"2100-01-01", "must not be in the future"},
			{"1899-12-31", "must be on or after 1900-01-01"},
			{"0001-01-01", "must be on or after 1900-01-01"},
		}
		for i, c := range cases {
			body := fmt.Sprintf(`{"email":"d%d@example.com","firstName":"A","lastName":"B","gender":"male","phone":"4165550199","dob":%q}`, i, c.dob)
			resp := registerJSON(t, ts, northclinic, body)
			if c.problem == "" {
				if resp.JSON201 == nil || resp.JSON201.Dob.String() != c.dob {
					t.Errorf("%s: %d %s", c.dob, resp.StatusCode(), resp.Body)
				}
				continue
			}
			wantPatientError(t, resp.StatusCode(), resp.Body, 400, "Invalid input", "dob", c.problem)
		}
		for _, bad := range []string{"1990-02-30", "1990-13-01", "12/04/1990", "1990-04-12T00:00:00Z", ""} {
			body := fmt.Sprintf(`{"email":"bad@example.com","firstName":"A","lastName":"B","gender":"male","phone":"4165550199","dob":%q}`, bad)
			resp := registerJSON(t, ts, northclinic, body)
			wantPatientError(t, resp.StatusCode(), resp.Body, 400, "")
		}
	})
}

func TestRegistrationRejectsBadInputInTheDialect(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		valid := `"firstName":"A","lastName":"B","gender":"male","phone":"4165550199","dob":"1990-01-01"`
		cases := []struct {
			name, body string
			fields     []string
		}{
			{"missing email", `{` + valid + `}`, []string{"email", "This field is required."}},
			{"bad email", `{"email":"nope",` + valid + `}`, []string{"email", "Must be a valid email."}},
			{"bad gender", `{"email":"a@example.com","firstName":"A","lastName":"B","gender":"robot","phone":"4165550199","dob":"1990-01-01"}`, []string{"gender", ""}},
			{"blank names", `{"email":"a@example.com","firstName":"  ","lastName":"\t","gender":"male","phone":"4165550199","dob":"1990-01-01"}`,
				[]string{"firstName", "must not be blank", "lastName", "must not be blank"}},
			{"several problems at once", `{"email":"a@example.com","firstName":"A","lastName":"B","gender":"male","phone":"123-456","dob":"2999-01-01","password":"weakpassword"}`,
				[]string{"phone", "7 to 15 digits", "dob", "future", "password", "upper-case"}},
			{"lower-case province", `{"email":"a@example.com","province":"on",` + valid + `}`, []string{"province", ""}},
			{"negative count", `{"email":"a@example.com","unreadNotificationsCount":-1,` + valid + `}`, []string{"unreadNotificationsCount", ""}},
			{"meta not an object", `{"email":"a@example.com","meta":[1],` + valid + `}`, []string{"meta", ""}},
			{"null roles", `{"email":"a@example.com","roles":null,` + valid + `}`, []string{"roles", ""}},
			{"a role registration cannot grant", `{"email":"a@example.com","roles":["admin"],` + valid + `}`, []string{"roles", ""}},
			{"a role besides patient", `{"email":"a@example.com","roles":["patient","admin"],` + valid + `}`, []string{"roles", ""}},
			{"no role", `{"email":"a@example.com","roles":[],` + valid + `}`, []string{"roles", ""}},
			{"malformed JSON", `{"email":`, nil},
			{"JSON array", `[]`, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resp := registerJSON(t, ts, northclinic, c.body)
				wantPatientError(t, resp.StatusCode(), resp.Body, 400, "", c.fields...)
			})
		}
		status, body := ts.do(t, "POST", "/users", "text/plain", strings.NewReader("hi"), http.Header{"Organization": {northclinic}})
		wantPatientError(t, status, body, 415, "Unsupported Media Type", "Content-Type", "Must be one of application/json.")
		big := `{"email":"big@example.com","meta":{"x":"` + strings.Repeat("a", 1<<20) + `"},` + valid + `}`
		status, body = ts.do(t, "POST", "/users", "application/json", strings.NewReader(big), http.Header{"Organization": {northclinic}})
		wantPatientError(t, status, body, 413, "Request body too large (limit 1 MiB)")
	})
}

func TestPatientLogin(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		p := register(t, ts, northclinic, registration("Jane@Example.com"))
		register(t, ts, northclinic, gen.PatientRegistration{Email: "nopass@example.com", FirstName: "N", LastName: "P",
			Gender: gen.Male, Phone: "4165550199", Dob: date(1980, 1, 1)})

		before := time.Now().Add(-time.Second)
		token := login(t, ts, "jane@example.com#northclinic", "Sup3rSecret")
		var claims struct {
			jwt.RegisteredClaims
			Org string `json:"org"`
		}
		parsed, _, err := jwt.NewParser().ParseUnverified(token, &claims)
		if err != nil || parsed.Method.Alg() != "HS256" {
			t.Fatalf("token %q: %v", token, err)
		}
		if claims.Subject != p.UnderscoreId || claims.Org != northclinic || claims.Issuer != "galeno" ||
			claims.IssuedAt.Before(before) || claims.ExpiresAt.Sub(claims.IssuedAt.Time) != 24*time.Hour {
			t.Fatalf("claims %+v", claims)
		}
		if login(t, ts, "JANE@EXAMPLE.COM#northclinic", "Sup3rSecret") == "" {
			t.Fatal("the uname's case matters")
		}

		for _, c := range []struct{ username, password string }{
			{"jane@example.com#northclinic", "Sup3rSecreT"},
			{"jane@example.com#southclinic", "Sup3rSecret"},
			{"nobody@example.com#northclinic", "Sup3rSecret"},
			{"nopass@example.com#northclinic", "x"},
			{"nopass@example.com#northclinic", "Sup3rSecret"},
		} {
			resp := loginResponse(t, ts, c.username, c.password)
			if string(bytes.TrimSpace(resp.Body)) != `{"message":"Invalid credentials"}` {
				t.Errorf("%s / %q: %d %s", c.username, c.password, resp.StatusCode(), resp.Body)
			}
			wantPatientError(t, resp.StatusCode(), resp.Body, 401, "Invalid credentials")
		}

		status, body := ts.do(t, "POST", "/auth/login", "application/json", strings.NewReader(`{"username":"jane@example.com#northclinic"}`), nil)
		wantPatientError(t, status, body, 400, "Invalid input", "password", "This field is required.")
		status, body = ts.do(t, "POST", "/auth/login", "application/json", strings.NewReader(`{"username":"","password":"x"}`), nil)
		wantPatientError(t, status, body, 400, "Invalid input", "username", "")
		status, body = ts.do(t, "POST", "/auth/login/", "application/json", strings.NewReader(`{"username":"jane@example.com#northclinic","password":"Sup3rSecret"}`), nil)
		if status != 200 {
			t.Fatalf("POST /auth/login/: %d %s", status, body)
		}
	})
}

func TestPatientLoginIsRateLimited(t *testing.T) {
	eachBackendWithClock(t, time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC), func(t *testing.T, ts *testServer, c *clock) {
		organization(t, ts, northclinic)
		register(t, ts, northclinic, registration("jane@example.com"))
		register(t, ts, northclinic, registration("john@example.com"))
		jane, john := "jane@example.com#northclinic", "john@example.com#northclinic"

		// A success forgets the failures before it.
		for range 2 {
			for range 4 {
				wantLoginRefused(t, ts, jane, "wrong", 401)
				c.Advance(time.Second)
			}
			login(t, ts, jane, "Sup3rSecret")
		}

		for range 5 {
			wantLoginRefused(t, ts, jane, "wrong", 401)
		}
		resp := wantLoginRefused(t, ts, jane, "Sup3rSecret", 429)
		if got := resp.HTTPResponse.Header.Get("Retry-After"); got != "900" {
			t.Errorf("Retry-After %q, want 900", got)
		}
		wantLoginRefused(t, ts, "JANE@example.com#northclinic", "Sup3rSecret", 429)
		login(t, ts, john, "Sup3rSecret") // another uname from the same address is not limited yet

		c.Advance(10 * time.Minute)
		if got := loginResponse(t, ts, jane, "Sup3rSecret").HTTPResponse.Header.Get("Retry-After"); got != "300" {
			t.Errorf("Retry-After after 10 minutes %q, want 300", got)
		}
		c.Advance(5*time.Minute + time.Second)
		login(t, ts, jane, "Sup3rSecret")

		// Per client address: 20 failures, whatever the unames, block every uname from it.
		for i := range 20 {
			wantLoginRefused(t, ts, fmt.Sprintf("guess%d@example.com#northclinic", i), "Sup3rSecret", 401)
		}
		wantLoginRefused(t, ts, john, "Sup3rSecret", 429)
		c.Advance(15*time.Minute + time.Second)
		login(t, ts, john, "Sup3rSecret")
	})
}

// TestFailedSignInsElsewhereDoNotLockAPatientOut: the lock-out is per uname and client address.
func TestFailedSignInsElsewhereDoNotLockAPatientOut(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		register(t, ts, northclinic, registration("jane@example.com"))
		signIn := func(password, address string) *gen.LoginPatientResponse {
			t.Helper()
			resp, err := ts.LoginPatientWithResponse(t.Context(), nil, gen.PatientLogin{Username: "jane@example.com#northclinic", Password: &password}, fromAddress(address))
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		for range 5 {
			if resp := signIn("wrong", "203.0.113.66"); resp.StatusCode() != 401 {
				t.Fatalf("a guess: %d %s", resp.StatusCode(), resp.Body)
			}
		}
		if resp := signIn("Sup3rSecret", "203.0.113.66"); resp.StatusCode() != 429 {
			t.Fatalf("the guessing address: %d %s", resp.StatusCode(), resp.Body)
		}
		if resp := signIn("Sup3rSecret", "198.51.100.1"); resp.JSON200 == nil {
			t.Fatalf("jane from her own address after guesses elsewhere: %d %s", resp.StatusCode(), resp.Body)
		}
	}, trustLoopback(t))
}

// TestConcurrentFailedLoginsStayWithinTheLimit: guesses sent at once each count the others, so at
// most the allowed number of them get to check a password.
func TestConcurrentFailedLoginsStayWithinTheLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		register(t, ts, northclinic, registration("jane@example.com"))
		checked := concurrentGuesses(t, 10, 5, func() (int, error) {
			resp, err := ts.LoginPatientWithResponse(context.Background(), nil, gen.PatientLogin{Username: "jane@example.com#northclinic", Password: ptr("guess")})
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		})
		// Refused guesses are not counted: exactly 5 failures in all are allowed.
		for range 5 - checked {
			wantLoginRefused(t, ts, "jane@example.com#northclinic", "guess", 401)
		}
		wantLoginRefused(t, ts, "jane@example.com#northclinic", "Sup3rSecret", 429)
	})
}

// signed returns a token with these claims, signed with key by method.
func signed(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPatientTokens(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ts := newTestServerWith(t, b.Open(t), impl.Options{PatientSigningKey: key})
			organization(t, ts, northclinic)
			organization(t, ts, "southclinic")
			jane := register(t, ts, northclinic, registration("jane@example.com"))
			john := register(t, ts, northclinic, registration("john@example.com"))
			token := login(t, ts, jane.Uname, "Sup3rSecret")
			if mine := currentPatient(t, ts, withBearer(token)); mine.JSON200 == nil || !jsonEqual(mine.JSON200, jane) {
				t.Fatalf("GET /users/me: %d %s", mine.StatusCode(), mine.Body)
			}
			lower := func(_ context.Context, req *http.Request) error {
				req.Header.Set("Authorization", "bearer  "+token)
				return nil
			}
			if mine := currentPatient(t, ts, lower); mine.StatusCode() != 200 {
				t.Fatalf("lower-case scheme: %d %s", mine.StatusCode(), mine.Body)
			}

			now := time.Now()
			claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
				c := jwt.MapClaims{"sub": jane.UnderscoreId, "org": northclinic, "iss": "galeno",
					"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
				if edit != nil {
					edit(c)
				}
				return c
			}
			if forged := signed(t, jwt.SigningMethodHS256, key, claims(nil)); currentPatient(t, ts, withBearer(forged)).StatusCode() != 200 {
				t.Fatal("a well-formed token signed with the key is refused: the cases below would prove nothing")
			}
			parts := strings.Split(token, ".")
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(bytes.Replace(payload, []byte(jane.UnderscoreId), []byte(john.UnderscoreId), 1)) + "." + parts[2]
			none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				name, header string
			}{
				{"no header", ""},
				{"no scheme", token},
				{"Token scheme", "Token " + token},
				{"empty bearer", "Bearer "},
				{"garbage", "Bearer not.a.jwt"},
				{"expired", "Bearer " + signed(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) {
					c["iat"], c["exp"] = now.Add(-25*time.Hour).Unix(), now.Add(-time.Hour).Unix()
				}))},
				{"no expiry", "Bearer " + signed(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { delete(c, "exp") }))},
				{"issued in the future", "Bearer " + signed(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() }))},
				{"other issuer", "Bearer " + signed(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["iss"] = "someone" }))},
				{"tampered payload", "Bearer " + tampered},
				{"alg none", "Bearer " + none},
				{"alg none, no signature", "Bearer " + strings.TrimSuffix(none, ".") + "."},
				{"HS512 with the key", "Bearer " + signed(t, jwt.SigningMethodHS512, key, claims(nil))},
				{"another key", "Bearer " + signed(t, jwt.SigningMethodHS256, []byte("another key, 32 bytes long......"), claims(nil))},
				{"unknown patient", "Bearer " + signed(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["sub"] = "pat_0000000000000000" }))},
				{"other organization", "Bearer " + signed(t, jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["org"] = "southclinic" }))},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					resp := currentPatient(t, ts, func(_ context.Context, req *http.Request) error {
						if c.header != "" {
							req.Header.Set("Authorization", c.header)
						}
						return nil
					})
					wantPatientError(t, resp.StatusCode(), resp.Body, 401, "")
					if strings.Contains(string(resp.Body), jane.Email) {
						t.Fatalf("leaks the patient: %s", resp.Body)
					}
				})
			}
		})
	}
}

func TestTokenExpiresAfterADay(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		register(t, ts, northclinic, registration("jane@example.com"))
		c := &clock{now: time.Now()}
		at := newTestServerWith(t, ts.DB, impl.Options{Now: c.Now})
		token := login(t, at, "jane@example.com#northclinic", "Sup3rSecret")
		c.Advance(24*time.Hour - time.Minute)
		if resp := currentPatient(t, at, withBearer(token)); resp.StatusCode() != 200 {
			t.Fatalf("a token of almost a day: %d %s", resp.StatusCode(), resp.Body)
		}
		c.Advance(2 * time.Minute)
		resp := currentPatient(t, at, withBearer(token))
		wantPatientError(t, resp.StatusCode(), resp.Body, 401, "Invalid or expired token")
	})
}

// TestSigningKeyIsSharedThroughTheDatabase: without a configured key, the first server generates
// one and stores it, and every other server on the database signs and verifies with it.
func TestSigningKeyIsSharedThroughTheDatabase(t *testing.T) {
	eachBackend(t, func(t *testing.T, a *testServer) {
		b := newTestServer(t, a.DB)
		organization(t, a, northclinic)
		register(t, a, northclinic, registration("jane@example.com"))
		fromA := login(t, a, "jane@example.com#northclinic", "Sup3rSecret")
		fromB := login(t, b, "jane@example.com#northclinic", "Sup3rSecret")
		for _, c := range []struct {
			name   string
			server *testServer
			token  string
		}{{"a's token on b", b, fromA}, {"b's token on a", a, fromB}} {
			if resp := currentPatient(t, c.server, withBearer(c.token)); resp.StatusCode() != 200 {
				t.Errorf("%s: %d %s", c.name, resp.StatusCode(), resp.Body)
			}
		}
		// A third server, started later, still uses the stored key.
		if resp := currentPatient(t, newTestServer(t, a.DB), withBearer(fromA)); resp.StatusCode() != 200 {
			t.Errorf("a later server: %d %s", resp.StatusCode(), resp.Body)
		}
		// A configured key replaces the stored one.
		configured := newTestServerWith(t, a.DB, impl.Options{PatientSigningKey: []byte("a configured key of 32 bytes....")})
		resp := currentPatient(t, configured, withBearer(fromA))
		wantPatientError(t, resp.StatusCode(), resp.Body, 401, "")
		own := login(t, configured, "jane@example.com#northclinic", "Sup3rSecret")
		if resp := currentPatient(t, a, withBearer(own)); resp.StatusCode() != 401 {
			t.Errorf("the stored key accepts the configured key's token: %d", resp.StatusCode())
		}
	})
}

func TestParsePatientSigningKey(t *testing.T) {
	raw := "this raw key has 32 bytes: ok..."
	bin := bytes.Repeat([]byte{0xfb, 0xff, 0x01}, 11) // 33 bytes that are not text
	cases := []struct {
		in   string
		want []byte
	}{
		{"", nil},
		{raw, []byte(raw)},
		{base64.StdEncoding.EncodeToString(bin), bin},
		{base64.RawStdEncoding.EncodeToString(bin), bin},
		{base64.URLEncoding.EncodeToString(bin), bin},
		{base64.RawURLEncoding.EncodeToString(bin), bin},
	}
	for _, c := range cases {
		got, err := impl.ParsePatientSigningKey(c.in)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("%q: got %x, %v; want %x", c.in, got, err, c.want)
		}
	}
	// Base64 of fewer than 32 bytes, when 32 characters or longer, is taken as a raw key.
	for _, short := range []string{"short", base64.StdEncoding.EncodeToString(make([]byte, 20)), strings.Repeat("k", 31)} {
		if _, err := impl.ParsePatientSigningKey(short); err == nil || strings.Contains(err.Error(), short) {
			t.Errorf("%q: %v", short, err)
		}
	}
}

func TestCreateOrganization(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	ctx := t.Context()
	if err := ts.Server.CreateOrganization(ctx, "north-clinic-2", "  North Clinic  ", ""); err != nil {
		t.Fatal(err)
	}
	org, err := ts.DB.OrganizationByID(ctx, "north-clinic-2")
	if err != nil || org.Name != "North Clinic" {
		t.Fatalf("%+v %v", org, err)
	}
	if err := ts.Server.CreateOrganization(ctx, "north-clinic-2", "Again", ""); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate: %v", err)
	}
	// The platform's own ids look like appgen_demo.
	if err := ts.Server.CreateOrganization(ctx, "appgen_demo", "AppGen demo", ""); err != nil {
		t.Fatalf("appgen_demo: %v", err)
	}
	for _, id := range []string{"", "-north", "_north", "North", "north clinic", "nörth", strings.Repeat("a", 65)} {
		if err := ts.Server.CreateOrganization(ctx, id, "Name", ""); err == nil {
			t.Errorf("id %q accepted", id)
		}
	}
	if err := ts.Server.CreateOrganization(ctx, strings.Repeat("a", 64), "Name", ""); err != nil {
		t.Errorf("64-character id: %v", err)
	}
	if err := ts.Server.CreateOrganization(ctx, "nameless", "   ", ""); err == nil {
		t.Error("blank name accepted")
	}
}

func TestPatientLoginWithTheEmailAndTheOrganizationHeader(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, "appgen_demo")
		organization(t, ts, northclinic)
		register(t, ts, "appgen_demo", registration("Jane.Doe@example.com"))
		login := func(username string, org *string) *gen.LoginPatientResponse {
			resp, err := ts.LoginPatientWithResponse(t.Context(), &gen.LoginPatientParams{Organization: org},
				gen.PatientLogin{Username: username, Password: ptr("Sup3rSecret")})
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		for _, c := range []struct {
			username string
			org      *string
		}{
			{"jane.doe@example.com", ptr("appgen_demo")},
			{"JANE.DOE@example.com", ptr("APPGEN_DEMO")},
			{"jane.doe@example.com#appgen_demo", nil},
		} {
			resp := login(c.username, c.org)
			if resp.JSON200 == nil {
				t.Fatalf("login %s with %v: %d %s", c.username, c.org, resp.StatusCode(), resp.Body)
			}
			account, _ := ts.GetPatientAccountWithResponse(t.Context(), withBearer(resp.JSON200.Token))
			if account.JSON200 == nil || account.JSON200.Profile.Email != "Jane.Doe@example.com" ||
				account.JSON200.Profile.Phone != "+14165550199" || account.JSON200.Address.Default != nil {
				t.Fatalf("account: %d %s", account.StatusCode(), account.Body)
			}
			if !strings.Contains(string(account.Body), `"address":{"default":null,"other":[]}`) ||
				!strings.Contains(string(account.Body), `"appointments":[],"consultations":[]`) {
				t.Fatalf("account lists: %s", account.Body)
			}
		}
		wrongOrg := login("jane.doe@example.com", ptr(northclinic))
		wantPatientError(t, wrongOrg.StatusCode(), wrongOrg.Body, 401, "Invalid credentials")
		bare := login("jane.doe@example.com", nil)
		wantPatientError(t, bare.StatusCode(), bare.Body, 400, "", "username")
		if a, _ := ts.GetPatientAccountWithResponse(t.Context()); a.StatusCode() != 401 {
			t.Fatalf("account without a token: %d %s", a.StatusCode(), a.Body)
		}
	})
}

// sendToHost sends a JSON POST to path with the Host header host and extra headers.
func sendToHost(t *testing.T, ts *testServer, host, path, body string, header http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestPortalDomainsNameTheOrganization(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
			ts := newTestServer(t, b.Open(t), impl.WithTrustedProxies([]*net.IPNet{loopback}))
			untrusted := newTestServer(t, ts.DB)
			if err := ts.Server.CreateOrganization(t.Context(), "appgen_demo", "AppGen", "", "Portal.Example.com", "care.example.org"); err != nil {
				t.Fatal(err)
			}
			body := func(email string) string {
				return `{"email": "` + email + `", "password": "Sup3rSecret", "firstName": "Jane", "lastName": "Doe", "gender": "female", "phone": "4165550199", "dob": "1990-01-31"}`
			}
			status, created := sendToHost(t, ts, "portal.example.com:8443", "/users", body("jane@example.com"), http.Header{})
			if status != 201 || jsonBody(t, created)["organization"] != "appgen_demo" {
				t.Fatalf("register on the portal domain: %d %s", status, created)
			}
			status, out := sendToHost(t, ts, "elsewhere.example.com", "/users", body("joe@example.com"), http.Header{})
			wantPatientError(t, status, out, 400, "", "organization")
			// X-Forwarded-Host counts from a trusted proxy only.
			forwarded := http.Header{"X-Forwarded-Host": {"care.example.org"}}
			status, out = sendToHost(t, untrusted, "elsewhere.example.com", "/users", body("joe@example.com"), forwarded.Clone())
			wantPatientError(t, status, out, 400, "", "organization")
			status, out = sendToHost(t, ts, "elsewhere.example.com", "/users", body("joe@example.com"), forwarded.Clone())
			if status != 201 {
				t.Fatalf("register through a trusted proxy: %d %s", status, out)
			}
			// Sign-in with the bare email on the portal domain; elsewhere it needs the header.
			status, out = sendToHost(t, ts, "portal.example.com", "/auth/login", `{"username": "jane@example.com", "password": "Sup3rSecret"}`, http.Header{})
			if status != 200 || jsonBody(t, out)["token"] == nil {
				t.Fatalf("sign-in on the portal domain: %d %s", status, out)
			}
			status, out = sendToHost(t, untrusted, "elsewhere.example.com", "/auth/login", `{"username": "jane@example.com", "password": "Sup3rSecret"}`, forwarded.Clone())
			wantPatientError(t, status, out, 400, "", "username")

			if err := ts.Server.CreateOrganization(t.Context(), "other", "Other", "", "portal.example.com"); err == nil ||
				!strings.Contains(err.Error(), "already another organization's") {
				t.Fatalf("a taken domain: %v", err)
			}
			if _, err := ts.DB.OrganizationByID(t.Context(), "other"); err == nil {
				t.Fatal("the organization was created although its domain was refused")
			}
			for _, d := range []string{"localhost", "portal example.com", "-x.example.com", "http://x.example.com"} {
				if err := ts.Server.CreateOrganization(t.Context(), "bad", "Bad", "", d); err == nil {
					t.Errorf("domain %q accepted", d)
				}
			}
		})
	}
}

func TestPhonesAreReadInTheOrganizationsCountry(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		if err := ts.Server.CreateOrganization(t.Context(), "cdmx", "Clínica CDMX", "mx"); err != nil {
			t.Fatal(err)
		}
		organization(t, ts, northclinic) // the default country, CA
		for i, c := range []struct{ org, in, want string }{
			{"cdmx", "55 1234 5678", "+525512345678"},
			{"cdmx", "+1 416 555 0199", "+14165550199"},
			{northclinic, "416 555 0199", "+14165550199"},
		} {
			r := registration(fmt.Sprintf("country%d@example.com", i))
			r.Phone = c.in
			if p := register(t, ts, c.org, r); p.Phone != c.want {
				t.Errorf("%s in %s: %s, want %s", c.in, c.org, p.Phone, c.want)
			}
		}
		if err := ts.Server.CreateOrganization(t.Context(), "nowhere", "Nowhere", "XX"); err == nil {
			t.Fatal("an unknown country was accepted")
		}
	})
}
