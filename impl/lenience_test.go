package impl_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/impl"
)

// What the original platforms accept, Galeno accepts (issue 10): unknown body fields are ignored and
// named in Galeno-Ignored-Fields, in every family and content type; the fields the documents send
// are accepted; the prose types of the documents are read as the schema's own.

func TestUnknownBodyFieldsAreIgnoredAndNamed(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		token := integrator(t, ts, "lenient@example.com")
		key := institution(t, ts, "Lenient Institution")
		organization(t, ts, "lenientclinic")
		_, staff := newStaff(t, ts)
		valid := `"firstName":"A","lastName":"B","gender":"male","phone":"4165550199","dob":"1990-01-01"`
		cases := []struct {
			name, path, contentType, body string
			header                        http.Header
			status                        int
			ignored                       string
		}{
			{"medic", "/api/v2/medics/", "application/json", `{"name":"A","email":"x@example.com","password":"password1","role":"god","nickname":"x"}`,
				http.Header{"Authorization": {"Token " + token}}, 201, "nickname, role"},
			{"hospital", "/api/v2/hospital/", "application/json", `{"name":"H","patron":"P","location":"L","contact":"c","color":"red"}`,
				http.Header{"Authorization": {"Token " + token}}, 201, "color"},
			{"institutional account", "/v1/institutional/accounts", "application/json", `{"email":"dr@norte.com","doctorSpecialties":["CARDIOLOGY"],"role":"admin"}`,
				http.Header{"Authorization": {"Bearer " + key}}, 201, "role"},
			{"user, form", "/users/user/new/", formType, "username=formuser&password=password1&is_staf=False",
				sessionHeader(staff), 201, "is_staf"},
			{"user, JSON", "/users/user/new/", "application/json", `{"username":"jsonuser","password":"password1","is_staf":false}`,
				sessionHeader(staff), 201, "is_staf"},
			{"patient, nested in a declared object", "/users", "application/json", `{"email":"a@example.com","isAdmin":true,` + valid + `}`,
				http.Header{"Organization": {"lenientclinic"}}, 201, "isAdmin"},
			{"login, refused for its credentials but still named", "/users/user/login/", formType, "username=root&password=wrong&remember=True",
				nil, 401, "remember"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resp, body := ts.send(t, "POST", c.path, c.contentType, strings.NewReader(c.body), c.header)
				if resp.StatusCode != c.status || resp.Header.Get("Galeno-Ignored-Fields") != c.ignored {
					t.Fatalf("%d %q %s, want %d %q", resp.StatusCode, resp.Header.Get("Galeno-Ignored-Fields"), body, c.status, c.ignored)
				}
			})
		}
		// Without unknown fields there is no header.
		resp, body := ts.send(t, "POST", "/api/v2/medics/", "application/json", strings.NewReader(`{"name":"B","email":"y@example.com","password":"password1"}`),
			http.Header{"Authorization": {"Token " + token}})
		if resp.StatusCode != 201 || resp.Header.Values("Galeno-Ignored-Fields") != nil {
			t.Fatalf("a request without unknown fields: %d %v %s", resp.StatusCode, resp.Header, body)
		}
		// A privilege the caller may not set keeps its explicit refusal: it is a declared field.
		member, memberSession := newMember(t, ts, staff, "plain")
		status, body := ts.do(t, "POST", "/users/user/"+itoa(member.Id)+"/edit/", formType, strings.NewReader("is_staff=True"), sessionHeader(memberSession))
		expectFailure(t, status, body, 403, "Only administrators may change is_staff")
	})
}

func TestFieldsTheDocumentsSendAreAccepted(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		token := integrator(t, ts, "docs@example.com")
		auth := http.Header{"Authorization": {"Token " + token}}
		hospital := createHospital(t, ts, token, true)

		// The tutorial's create-medic body, specialty_verified included (accepted and ignored).
		resp, body := ts.send(t, "POST", "/api/v2/medics/", "application/json", strings.NewReader(`{"name":"Dr Tutorial","email":"tutorial@example.com",
			"password":"a long secret","hospital":`+itoa(hospital)+`,"cedula_prof":123123123,"specialty_no":456,"specialty_verified":true}`), auth)
		m := jsonBody(t, body)
		if resp.StatusCode != 201 || m["specialty_verified"] != false || m["cedula_prof"] != "123123123" || m["specialty_no"] != "456" ||
			resp.Header.Get("Galeno-Ignored-Fields") != "" {
			t.Fatalf("tutorial medic: %d %v %s", resp.StatusCode, resp.Header, body)
		}
		medicID := int64(m["id"].(float64))

		// PATCH medic with a password (ignored) and an integer cedula.
		status, body := ts.do(t, "PATCH", "/api/v2/medics/"+itoa(medicID)+"/", "application/json", strings.NewReader(`{"cedula_prof":42,"password":"other secret"}`), auth)
		if status != 202 || jsonBody(t, body)["cedula_prof"] != "42" {
			t.Fatalf("patch: %d %s", status, body)
		}
		// A fractional number is no integer: still refused.
		status, body = ts.do(t, "PATCH", "/api/v2/medics/"+itoa(medicID)+"/", "application/json", strings.NewReader(`{"cedula_prof":4.2}`), auth)
		if status != 400 || !jsonEqual(jsonBody(t, body)["cedula_prof"], []any{"Must be a string."}) {
			t.Fatalf("fractional cedula: %d %s", status, body)
		}

		// The tutorial's membership body sends is_deleted.
		other := createMedic(t, ts, token, "member@example.com")
		status, body = ts.do(t, "POST", "/api/v2/management/memberships/", "application/json",
			strings.NewReader(`{"medic":`+itoa(other.ID)+`,"hospital":`+itoa(hospital)+`,"type_membership":"MEMBER","is_active":true,"is_deleted":false}`), auth)
		if status != 201 {
			t.Fatalf("membership with is_deleted: %d %s", status, body)
		}
	})
}

func TestHospitalPageSizeAndPOSTUpdate(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		token := integrator(t, ts, "pages@example.com")
		auth := http.Header{"Authorization": {"Token " + token}}
		create := func(pageSize string) (int, map[string]any) {
			body := `{"name":"H","patron":"P","location":"L","contact":"c"` + pageSize + `}`
			status, raw := ts.do(t, "POST", "/api/v2/hospital/", "application/json", strings.NewReader(body), auth)
			return status, jsonBody(t, raw)
		}
		for _, c := range []struct {
			pageSize string
			letter   bool
		}{{"", true}, {`,"page_size":0`, true}, {`,"page_size":1`, false}, {`,"page_size":true`, true}, {`,"page_size":false`, false}} {
			if status, h := create(c.pageSize); status != 201 || h["page_size"] != c.letter {
				t.Fatalf("page_size %q: %d %v, want letter %t", c.pageSize, status, h, c.letter)
			}
		}
		if status, h := create(`,"page_size":2`); status != 400 || !jsonEqual(h["page_size"], []any{"Must be a boolean."}) {
			t.Fatalf("page_size 2: %d %v", status, h)
		}

		// hospital.md's update sample sends POST: the same operation as PATCH.
		_, h := create("")
		path := "/api/v2/hospital/" + itoa(int64(h["id"].(float64))) + "/"
		status, raw := ts.do(t, "POST", path, "application/json", strings.NewReader(`{"contact":"nuevo_hola@prescrypto.com","page_size":1}`), auth)
		if updated := jsonBody(t, raw); status != 201 || updated["contact"] != "nuevo_hola@prescrypto.com" || updated["page_size"] != false {
			t.Fatalf("POST update: %d %s", status, raw)
		}
		stranger := integrator(t, ts, "pages-stranger@example.com")
		status, raw = ts.do(t, "POST", path, "application/json", strings.NewReader(`{"name":"Hacked"}`), http.Header{"Authorization": {"Token " + stranger}})
		wantMessage(t, "a stranger's POST update", status, raw, 404, "Not found")
	})
}

func TestUserProseTypesAndNoPassword(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)
		auth := sessionHeader(staff)

		// users.txt lists no password: the account exists but cannot log in until edit/ sets one.
		status, body := ts.do(t, "POST", "/users/user/new/", "application/json",
			strings.NewReader(`{"username":"nopass","numeric_password":1234,"birth_date":"1985-10-12T23:30:00-06:00"}`), auth)
		if status != 201 || !strings.Contains(string(body), `"birth_date":"1985-10-12"`) {
			t.Fatalf("create without a password: %d %s", status, body)
		}
		u, err := ts.DB.UserByUsername(t.Context(), "nopass")
		if err != nil || u.PINHash == nil || u.BirthDate == nil || !u.BirthDate.Equal(time.Date(1985, 10, 12, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("stored: %v %+v", err, u)
		}
		if ok, err := impl.VerifyPassword("1234", *u.PINHash); !ok || err != nil || strings.Contains(string(body), "1234") {
			t.Fatalf("the integer PIN is not stored as the hash of its digits: %v %s", err, body)
		}
		for _, guess := range []string{"", "password", "nopass"} {
			if r, _ := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: "nopass", Password: ptr(guess)}); r.StatusCode() == 200 {
				t.Fatalf("logged in without a password set, with %q", guess)
			}
		}
		status, body = ts.do(t, "POST", "/users/user/"+itoa(u.ID)+"/edit/", formType,
			strings.NewReader("password=now-a-password&birth_date=1990-01-02T03%3A04%3A05"), auth)
		if status != 200 || !strings.Contains(string(body), `"birth_date":"1990-01-02"`) {
			t.Fatalf("set the password: %d %s", status, body)
		}
		loginSession(t, ts, "nopass", "now-a-password")
	})
}
