package mock

import "testing"

// The mock applies the contract's leniency rules as galeno serve does (internal/contract): unknown
// body fields are ignored and named, and the x-also-accepts forms pass validation.
func TestLeniencyAsTheServerHasIt(t *testing.T) {
	_, ts := start(t, Options{})
	form := "Content-Type: application/x-www-form-urlencoded"
	cases := []struct {
		name, method, target, body string
		header                     []string
		status                     int
		ignored                    string
	}{
		{"unknown JSON fields", "POST", "/api/v2/medics/", `{"name":"A","email":"x@example.com","password":"password1","role":"god","nickname":"x"}`,
			[]string{token}, 201, "nickname, role"},
		{"unknown form field", "POST", "/users/user/new/", "username=ada&is_staf=False", []string{session, form}, 201, "is_staf"},
		{"unknown field of a patient", "POST", "/users", `{"email":"jane@example.com","firstName":"Jane","lastName":"Doe","gender":"female","phone":"4165550199","dob":"1990-04-12","isAdmin":true}`,
			[]string{"Organization: northclinic"}, 201, "isAdmin"},
		{"tutorial medic", "POST", "/api/v2/medics/", `{"name":"A","email":"x@example.com","password":"password1","cedula_prof":123123123,"specialty_verified":false}`,
			[]string{token}, 201, ""},
		{"tutorial page_size", "POST", "/api/v2/hospital/", `{"name":"H","patron":"P","location":"L","contact":"c","page_size":1}`, []string{token}, 201, ""},
		{"page_size out of the map", "POST", "/api/v2/hospital/", `{"name":"H","patron":"P","location":"L","contact":"c","page_size":2}`, []string{token}, 400, ""},
		{"integer PIN and date-time", "POST", "/users/user/new/", `{"username":"ada","numeric_password":1234,"birth_date":"1985-10-12T10:00:00Z"}`, []string{session}, 201, ""},
		{"5-digit integer PIN", "POST", "/users/user/new/", `{"username":"ada","numeric_password":12345}`, []string{session}, 400, ""},
		{"POST updates a hospital", "POST", "/api/v2/hospital/1/", `{"contact":"nuevo_hola@prescrypto.com"}`, []string{token}, 201, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := call(t, ts, c.method, c.target, c.body, c.header...)
			if got.status != c.status || got.header.Get("Galeno-Ignored-Fields") != c.ignored {
				t.Fatalf("%d %q %s, want %d %q", got.status, got.header.Get("Galeno-Ignored-Fields"), got.body, c.status, c.ignored)
			}
		})
	}
}
