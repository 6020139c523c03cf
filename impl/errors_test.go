package impl_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/mock"
)

// keywordInputs are invalid requests, one or more per schema keyword the contract's requests use,
// each starting from an operation's successful request in the authorization matrix.
var keywordInputs = map[string]struct {
	operation, query, contentType, body string
}{
	"required":             {"createMedic", "", "application/json", `{"email":"x@example.com","password":"password1"}`},
	"required-form":        {"loginUser", "", formType, "username=root"},
	"required-parameter":   {"searchUsers", "-", "", ""},
	"required-body":        {"createInstitutionalAccount", "", "application/json", ""},
	"required-nested":      {"registerPatient", "", "application/json", `{"email":"a@example.com"}`},
	"minLength":            {"createUser", "", "application/json", `{"username":"shorty","password":"short"}`},
	"maxLength":            {"createUser", "", formType, "username=x&phone=" + strings.Repeat("1", 21)},
	"pattern":              {"createUser", "", formType, "username=a+b"},
	"format-email":         {"createMedic", "", "application/json", `{"name":"A","email":"a@b","password":"password1"}`},
	"format-email-named":   {"createUser", "", "application/json", `{"username":"x","email":"X <x@example.com>"}`},
	"format-date":          {"createUser", "", "application/json", `{"username":"x","birth_date":"12/10/1985"}`},
	"enum":                 {"createUser", "", formType, "username=x&user_type=XX"},
	"minimum":              {"listMedics", "limit=0", "", ""},
	"type":                 {"createMedic", "", "application/json", `{"name":"A","email":"x@example.com","password":"password1","female":"yes"}`},
	"type-form":            {"createUser", "", formType, "username=x&is_staff=maybe"},
	"type-parameter":       {"listMedics", "offset=abc", "", ""},
	"type-body":            {"createHospital", "", "application/json", `[1,2]`},
	"nullable":             {"createMedic", "", "application/json", `{"name":null,"email":"x@example.com","password":"password1"}`},
	"minItems":             {"createInstitutionalAccount", "", "application/json", `{"email":"dr@example.com","doctorSpecialties":[]}`},
	"maxItems":             {"createInstitutionalAccount", "", "application/json", `{"email":"dr@example.com","doctorSpecialties":["A","B","C","D","E","F","G","H","I","J","K","L","M","N","O","P","Q","R","S","T","U"]}`},
	"items-type":           {"createInstitutionalAccount", "", "application/json", `{"email":"dr@example.com","doctorSpecialties":[5]}`},
	"minProperties":        {"updateMedic", "", "application/json", `{}`},
	"x-also-accepts":       {"createUser", "", "application/json", `{"username":"x","numeric_password":12345}`},
	"several-fields":       {"createUser", "", "application/json", `{"username":"","password":"short","gender":"Q"}`},
	"content-type":         {"createMedic", "", "text/plain", "hello"},
	"malformed-json":       {"updateHospital", "", "application/json", `{"name":`},
	"malformed-form":       {"editUser", "", formType, "first_name=%zz"},
	"patients-several":     {"registerPatient", "", "application/json", `{"email":"nope","firstName":"","lastName":"B","gender":"robot","phone":"1","dob":"x"}`},
	"institutional-nested": {"createInstitutionalAccount", "", "application/json", `{"email":"dr@example.com","doctorSpecialties":[""]}`},
}

// TestServerAndMockRefuseInvalidRequestsAlike sends the same invalid requests to galeno serve (on
// SQLite) and galeno mock: the fuzz targets' seed corpora and one request per schema keyword in
// use. Every request the mock refuses as invalid (400) must get the same status and the same body
// from the server: both validate through internal/contract.
func TestServerAndMockRefuseInvalidRequestsAlike(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	w := newWorld(t, ts)
	m, err := mock.New(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mockServer := httptest.NewServer(m)
	t.Cleanup(func() {
		mockServer.Close()
		m.Close()
	})

	inputs := map[string]fuzzInput{}
	for _, family := range slices.Sorted(maps.Values(fuzzTargets)) {
		for name, in := range fuzzSeeds(t, family) {
			inputs[family+"/"+name] = in
		}
	}
	ops := map[string]specOperation{}
	for _, op := range specOperations(t) {
		ops[op.id] = op
	}
	for name, k := range keywordInputs {
		op := ops[k.operation]
		c := authzMatrix[op.id]
		in := fuzzInput{operation: op.id, contentType: k.contentType, credential: c.owner, body: k.body}
		in.param, in.query = splitMatrixPath(op, c.path)
		if k.query != "" {
			in.query = strings.TrimPrefix(k.query, "-")
		}
		for _, h := range slices.Sorted(maps.Keys(c.header)) {
			in.headers += h + ": " + c.header.Get(h) + "\n"
		}
		inputs["keyword/"+name] = in
	}

	compared := map[string]int{}
	for _, name := range slices.Sorted(maps.Keys(inputs)) {
		in := inputs[name]
		op := ops[in.operation]
		if in.credential != authzMatrix[op.id].owner {
			continue // refused for its credential first, which the mock does not check
		}
		send := func(base string, client *http.Client) (int, any) {
			req := fuzzRequest(w, base, op, in.param, in.query, in.contentType, in.credential, in.headers, []byte(in.body))
			if req == nil {
				return 0, nil
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var body any
			if json.Unmarshal(raw, &body) != nil {
				body = string(raw)
			}
			return resp.StatusCode, body
		}
		mockStatus, mockBody := send(mockServer.URL, mockServer.Client())
		if mockStatus != http.StatusBadRequest && mockStatus != http.StatusUnsupportedMediaType {
			if strings.HasPrefix(name, "keyword/") {
				t.Errorf("%s: the mock answered %d %v, want a 400 or 415", name, mockStatus, mockBody)
			}
			continue
		}
		status, body := send(ts.URL, ts.HTTP)
		if status != mockStatus || !reflect.DeepEqual(body, mockBody) {
			t.Errorf("%s (%s %s?%s):\n  mock   %d %v\n  server %d %v", name, op.method, op.path, in.query, mockStatus, mockBody, status, body)
		}
		compared[strings.SplitN(name, "/", 2)[0]]++
	}
	for _, want := range append(slices.Collect(maps.Values(fuzzTargets)), "keyword") {
		if compared[want] == 0 {
			t.Errorf("no invalid request of %s was compared", want)
		}
	}
	t.Logf("invalid requests compared: %v", compared)
}
