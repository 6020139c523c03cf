package impl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/gen"
)

const accountsPath = "/v1/institutional/accounts"

var publicIDPattern = regexp.MustCompile(`^acc_[a-z0-9]{16}$`)

// institution creates an institution with `galeno admin institution`'s code path and returns its key.
func institution(t *testing.T, ts *testServer, name string) string {
	t.Helper()
	key, err := ts.Server.CreateInstitution(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func newAccount(email string) gen.InstitutionalAccountCreate {
	return gen.InstitutionalAccountCreate{Email: openapi_types.Email(email), DoctorSpecialties: []string{"CARDIOLOGY"}}
}

// createAccount creates an account that must succeed and returns what the API answered.
func createAccount(t *testing.T, ts *testServer, key string, body gen.InstitutionalAccountCreate) *gen.InstitutionalAccountCreated {
	t.Helper()
	resp, err := ts.CreateInstitutionalAccountWithResponse(t.Context(), body, withBearer(key))
	if err != nil || resp.JSON201 == nil {
		t.Fatalf("create account %s: %v %d %s", body.Email, err, resp.StatusCode(), resp.Body)
	}
	return resp.JSON201
}

// institutionalError decodes an error body of the family's dialect.
func institutionalError(t *testing.T, body []byte) gen.InstitutionalError {
	t.Helper()
	var e gen.InstitutionalError
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not an institutional error body (%v): %s", err, body)
	}
	return e
}

// wantError checks an error response's status, code and param (nil for none).
func wantError(t *testing.T, status int, body []byte, wantStatus int, code string, param *string) gen.InstitutionalError {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
	}
	e := institutionalError(t, body)
	if string(e.Error.Code) != code || !jsonEqual(e.Error.Param, param) {
		t.Fatalf("code %s param %v, want %s %v: %s", e.Error.Code, jsonText(e.Error.Param), code, jsonText(param), body)
	}
	return e
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestInstitutionalAccountCreateAndGet(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		key := institution(t, ts, "Clínica Norte")
		before := time.Now().Add(-time.Second)
		body := gen.InstitutionalAccountCreate{
			Country:                 ptr("COLOMBIA"),
			DoctorSpecialties:       []string{"CARDIOLOGY", "INTERNAL_MEDICINE"},
			Email:                   "dr.juan@clinica.com",
			InstitutionalBranchName: ptr("Sede Norte"),
			InternalCode:            ptr("DOC-001"),
			Language:                ptr("es"),
			NameFull:                ptr("Dr. Juan Pérez"),
			TimeZone:                ptr("America/Bogota"),
			AccountRole:             ptr("doctor"),
		}
		created := createAccount(t, ts, key, body)
		if !publicIDPattern.MatchString(created.Id) || created.Email != "dr.juan@clinica.com" ||
			!jsonEqual(created.InternalCode, "DOC-001") || !strings.HasPrefix(created.ApiKey, "doc_") {
			t.Fatalf("created %+v", created)
		}

		got, err := ts.GetInstitutionalAccountWithResponse(t.Context(), created.Id, withBearer(key))
		if err != nil || got.JSON200 == nil {
			t.Fatalf("get: %v %d %s", err, got.StatusCode(), got.Body)
		}
		a := got.JSON200
		if a.Id != created.Id || a.Email != "dr.juan@clinica.com" || !jsonEqual(a.DoctorSpecialties, body.DoctorSpecialties) ||
			!a.Enabled || !jsonEqual(a.NameFull, "Dr. Juan Pérez") || !jsonEqual(a.InternalCode, "DOC-001") ||
			a.CreatedAt.Before(before) || a.CreatedAt.After(time.Now()) {
			t.Fatalf("got %s", got.Body)
		}
		if strings.Contains(string(got.Body), created.ApiKey) || strings.Contains(string(got.Body), "apiKey") {
			t.Fatalf("the API key can be read back: %s", got.Body)
		}

		// The fields the API does not return are stored too.
		inst, err := ts.DB.InstitutionByKey(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := ts.DB.InstitutionalAccount(t.Context(), inst.ID, created.Id)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonEqual([]*string{stored.Country, stored.Language, stored.TimeZone, stored.AccountRole, stored.InstitutionalBranchName},
			[]string{"COLOMBIA", "es", "America/Bogota", "doctor", "Sede Norte"}) {
			t.Fatalf("stored %+v", stored)
		}

		// Only the required fields: the optional ones are null; the trailing-slash form works too.
		status, raw := ts.do(t, "POST", accountsPath+"/", "application/json",
			strings.NewReader(`{"email":"minimal@clinica.com","doctorSpecialties":["GP"]}`), http.Header{"Authorization": {"Bearer " + key}})
		if status != 201 || jsonBody(t, raw)["internalCode"] != nil {
			t.Fatalf("minimal create: %d %s", status, raw)
		}
		minimal, err := ts.GetInstitutionalAccountWithResponse(t.Context(), jsonBody(t, raw)["id"].(string), withBearer(key))
		if err != nil || minimal.JSON200 == nil || minimal.JSON200.NameFull != nil || minimal.JSON200.InternalCode != nil {
			t.Fatalf("minimal get: %v %s", err, minimal.Body)
		}

		if a2 := createAccount(t, ts, key, newAccount("other@clinica.com")); a2.Id == created.Id || a2.ApiKey == created.ApiKey {
			t.Fatal("two accounts share an id or a key")
		}
	})
}

func TestInstitutionalAuthentication(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		key := institution(t, ts, "Norte")
		account := createAccount(t, ts, key, newAccount("dr@norte.com"))
		medicToken := integrator(t, ts, "integrator@example.com")
		tampered := key[:len(key)-1] + map[bool]string{true: "1", false: "0"}[strings.HasSuffix(key, "0")]

		unauthenticated := map[string]string{
			"no header":          "",
			"Token scheme":       "Token " + key,
			"bare key":           key,
			"Bearer alone":       "Bearer",
			"Bearer and space":   "Bearer ",
			"unknown key":        "Bearer inst_000000000000.000000000000000000000000000000000000000000000000",
			"garbage key":        "Bearer x",
			"tampered key":       "Bearer " + tampered,
			"doctor key, prefix": "Bearer inst_" + strings.TrimPrefix(account.ApiKey, "doc_"),
			"Prescrypto token":   "Bearer " + medicToken,
		}
		for name, authorization := range unauthenticated {
			t.Run(name, func(t *testing.T) {
				header := http.Header{}
				if authorization != "" {
					header.Set("Authorization", authorization)
				}
				status, body := ts.do(t, "POST", accountsPath, "application/json", strings.NewReader(`{"email":"x@norte.com","doctorSpecialties":["GP"]}`), header)
				e := wantError(t, status, body, 401, "authentication_required", nil)
				if e.Error.Type != "authentication_error" || !strings.Contains(e.Error.Message, "Bearer") {
					t.Errorf("body %s", body)
				}
				status, body = ts.do(t, "GET", accountsPath+"/"+account.Id, "", nil, header)
				wantError(t, status, body, 401, "authentication_required", nil)
			})
		}

		// The doctor's own key is a valid credential, but not for these institution-only operations:
		// neither to create, nor to read any account (its own included), whatever the body.
		doctor := http.Header{"Authorization": {"Bearer " + account.ApiKey}}
		for _, body := range []string{`{"email":"x@norte.com","doctorSpecialties":["GP"]}`, `{"bogus":true}`} {
			status, raw := ts.do(t, "POST", accountsPath, "application/json", strings.NewReader(body), doctor)
			if e := wantError(t, status, raw, 403, "permission_denied", nil); e.Error.Type != "permission_error" {
				t.Errorf("body %s", raw)
			}
		}
		status, raw := ts.do(t, "GET", accountsPath+"/"+account.Id, "", nil, doctor)
		wantError(t, status, raw, 403, "permission_denied", nil)

		// The scheme name is case-insensitive (RFC 9110).
		status, raw = ts.do(t, "GET", accountsPath+"/"+account.Id, "", nil, http.Header{"Authorization": {"bearer " + key}})
		if status != 200 {
			t.Fatalf("lowercase bearer: %d %s", status, raw)
		}
	})
}

func TestInstitutionalValidationErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		key := institution(t, ts, "Norte")
		auth := http.Header{"Authorization": {"Bearer " + key}}
		// body builds a request body: a valid one with the given fields replaced (nil deletes a field).
		body := func(fields map[string]any) string {
			m := map[string]any{"email": "dr@norte.com", "doctorSpecialties": []string{"CARDIOLOGY"}}
			for k, v := range fields {
				if v == nil {
					delete(m, k)
				} else {
					m[k] = v
				}
			}
			return jsonText(m)
		}
		long := func(n int) string { return strings.Repeat("a", n) }
		null := json.RawMessage("null")
		cases := []struct {
			name, contentType, body string
			code                    string
			param                   *string
		}{
			{"missing email", "application/json", body(map[string]any{"email": nil}), "parameter_missing", ptr("email")},
			{"missing specialties", "application/json", body(map[string]any{"doctorSpecialties": nil}), "parameter_missing", ptr("doctorSpecialties")},
			{"empty object", "application/json", `{}`, "parameter_missing", ptr("doctorSpecialties")},
			{"no specialty", "application/json", body(map[string]any{"doctorSpecialties": []string{}}), "parameter_invalid", ptr("doctorSpecialties")},
			{"null specialties", "application/json", body(map[string]any{"doctorSpecialties": null}), "parameter_invalid", ptr("doctorSpecialties")},
			{"specialties not an array", "application/json", body(map[string]any{"doctorSpecialties": "CARDIOLOGY"}), "parameter_invalid", ptr("doctorSpecialties")},
			{"empty specialty", "application/json", body(map[string]any{"doctorSpecialties": []string{""}}), "parameter_invalid", ptr("doctorSpecialties")},
			{"specialty not a string", "application/json", body(map[string]any{"doctorSpecialties": []int{5}}), "parameter_invalid", ptr("doctorSpecialties")},
			{"specialty too long", "application/json", body(map[string]any{"doctorSpecialties": []string{long(101)}}), "parameter_invalid", ptr("doctorSpecialties")},
			{"too many specialties", "application/json", body(map[string]any{"doctorSpecialties": strings.Split(strings.Repeat("X,", 20)+"X", ",")}), "parameter_invalid", ptr("doctorSpecialties")},
			{"bad email", "application/json", body(map[string]any{"email": "nope"}), "parameter_invalid", ptr("email")},
			{"email with a name", "application/json", body(map[string]any{"email": "Dr <dr@norte.com>"}), "parameter_invalid", ptr("email")},
			{"email too long", "application/json", body(map[string]any{"email": long(246) + "@norte.com"}), "parameter_invalid", ptr("email")},
			{"email not a string", "application/json", body(map[string]any{"email": 5}), "parameter_invalid", ptr("email")},
			{"null email", "application/json", body(map[string]any{"email": null}), "parameter_invalid", ptr("email")},
			{"nameFull too long", "application/json", body(map[string]any{"nameFull": long(501)}), "parameter_invalid", ptr("nameFull")},
			{"nameFull not a string", "application/json", body(map[string]any{"nameFull": 5}), "parameter_invalid", ptr("nameFull")},
			{"branch too long", "application/json", body(map[string]any{"institutionalBranchName": long(256)}), "parameter_invalid", ptr("institutionalBranchName")},
			{"internalCode too long", "application/json", body(map[string]any{"internalCode": long(129)}), "parameter_invalid", ptr("internalCode")},
			{"accountRole too long", "application/json", body(map[string]any{"accountRole": long(51)}), "parameter_invalid", ptr("accountRole")},
			{"country too long", "application/json", body(map[string]any{"country": long(101)}), "parameter_invalid", ptr("country")},
			{"language too long", "application/json", body(map[string]any{"language": long(17)}), "parameter_invalid", ptr("language")},
			{"timeZone too long", "application/json", body(map[string]any{"timeZone": long(65)}), "parameter_invalid", ptr("timeZone")},
			{"malformed JSON", "application/json", `{"email":`, "parameter_invalid", nil},
			{"JSON array", "application/json", `[1]`, "parameter_invalid", nil},
			{"no body", "application/json", ``, "parameter_missing", nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var r *strings.Reader
				if c.body != "" {
					r = strings.NewReader(c.body)
				}
				status, raw := doMaybeBody(t, ts, "POST", accountsPath, c.contentType, r, auth)
				if e := wantError(t, status, raw, 400, c.code, c.param); e.Error.Type != "invalid_request_error" {
					t.Errorf("type %s", e.Error.Type)
				}
			})
		}
		t.Run("not JSON", func(t *testing.T) {
			status, raw := ts.do(t, "POST", accountsPath, "text/plain", strings.NewReader(`email=dr@norte.com`), auth)
			if e := wantError(t, status, raw, 415, "parameter_invalid", nil); e.Error.Type != "invalid_request_error" {
				t.Errorf("type %s", e.Error.Type)
			}
		})
		t.Run("messages", func(t *testing.T) {
			status, raw := ts.do(t, "POST", accountsPath, "application/json", strings.NewReader(body(map[string]any{"email": nil})), auth)
			if e := wantError(t, status, raw, 400, "parameter_missing", ptr("email")); e.Error.Message != "Missing required parameter: email" {
				t.Errorf("message %q", e.Error.Message)
			}
		})
		t.Run("longest values", func(t *testing.T) {
			status, raw := ts.do(t, "POST", accountsPath, "application/json", strings.NewReader(body(map[string]any{
				"email": long(244) + "@norte.com", "doctorSpecialties": strings.Split(strings.Repeat(long(100)+",", 19)+long(100), ","),
				"nameFull": long(500), "institutionalBranchName": long(255), "internalCode": long(128), "accountRole": long(50),
				"country": long(100), "language": long(16), "timeZone": long(64),
			})), auth)
			if status != 201 {
				t.Fatalf("%d %s", status, raw)
			}
		})
		t.Run("account id too long", func(t *testing.T) {
			status, raw := ts.do(t, "GET", accountsPath+"/acc_"+long(61), "", nil, auth)
			wantError(t, status, raw, 400, "parameter_invalid", ptr("account_id"))
		})
		t.Run("body over 1 MiB", func(t *testing.T) {
			status, raw := ts.do(t, "POST", accountsPath, "application/json", strings.NewReader(body(map[string]any{"nameFull": long(1 << 20)})), auth)
			wantError(t, status, raw, 413, "request_too_large", nil)
		})
	})
}

func TestInstitutionalConflicts(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		key := institution(t, ts, "Norte")
		otherKey := institution(t, ts, "Sur")
		first := newAccount("Dr.Juan@Clinica.com")
		first.InternalCode = ptr("DOC-001")
		createAccount(t, ts, key, first)

		sameCode := newAccount("someone.else@clinica.com")
		sameCode.InternalCode = ptr("DOC-001")
		resp, err := ts.CreateInstitutionalAccountWithResponse(t.Context(), sameCode, withBearer(key))
		if err != nil {
			t.Fatal(err)
		}
		e := wantError(t, resp.StatusCode(), resp.Body, 409, "resource_conflict", ptr("internalCode"))
		if e.Error.Message != "An account with internalCode DOC-001 already exists" || e.Error.Type != "invalid_request_error" {
			t.Errorf("body %s", resp.Body)
		}

		for _, email := range []string{"Dr.Juan@Clinica.com", "dr.juan@clinica.com", "DR.JUAN@CLINICA.COM"} {
			resp, err := ts.CreateInstitutionalAccountWithResponse(t.Context(), newAccount(email), withBearer(key))
			if err != nil {
				t.Fatal(err)
			}
			wantError(t, resp.StatusCode(), resp.Body, 409, "resource_conflict", ptr("email"))
		}

		// Another institution has its own internal codes and emails.
		createAccount(t, ts, otherKey, first)
	})
}

// TestConcurrentCreatesConflict sends identical creates at once: the unique constraints alone
// decide, so exactly one wins and every other gets the documented 409.
func TestConcurrentCreatesConflict(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		key := institution(t, ts, "Norte")
		const writers = 8
		race := func(param string, body func(i int) gen.InstitutionalAccountCreate) {
			t.Helper()
			var wg sync.WaitGroup
			responses := make(chan *gen.CreateInstitutionalAccountResponse, writers)
			start := make(chan struct{})
			for i := range writers {
				wg.Go(func() {
					<-start
					resp, err := ts.CreateInstitutionalAccountWithResponse(context.Background(), body(i), withBearer(key))
					if err != nil {
						t.Error(err)
						return
					}
					responses <- resp
				})
			}
			close(start)
			wg.Wait()
			close(responses)
			counts := map[int]int{}
			for resp := range responses {
				counts[resp.StatusCode()]++
				if resp.StatusCode() == 409 {
					if e := institutionalError(t, resp.Body); e.Error.Code != "resource_conflict" || !jsonEqual(e.Error.Param, param) {
						t.Errorf("conflict body %s", resp.Body)
					}
				}
			}
			if counts[201] != 1 || counts[409] != writers-1 {
				t.Fatalf("same %s: statuses %v, want one 201 and %d 409", param, counts, writers-1)
			}
		}
		race("internalCode", func(i int) gen.InstitutionalAccountCreate {
			b := newAccount(fmt.Sprintf("dr%d@norte.com", i))
			b.InternalCode = ptr("DOC-RACE")
			return b
		})
		race("email", func(i int) gen.InstitutionalAccountCreate {
			return newAccount([]string{"race@norte.com", "Race@norte.com", "RACE@NORTE.COM", "race@Norte.com"}[i%4])
		})
	})
}

func TestInstitutionsSeeOnlyTheirAccounts(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		north := institution(t, ts, "Norte")
		south := institution(t, ts, "Sur")
		northAccount := createAccount(t, ts, north, newAccount("dr@norte.com"))
		southAccount := createAccount(t, ts, south, newAccount("dr@sur.com"))

		for key, own := range map[string]string{north: northAccount.Id, south: southAccount.Id} {
			if resp, err := ts.GetInstitutionalAccountWithResponse(t.Context(), own, withBearer(key)); err != nil || resp.JSON200 == nil {
				t.Fatalf("own account: %v %s", err, resp.Body)
			}
		}
		for _, c := range []struct{ key, id string }{
			{north, southAccount.Id}, {south, northAccount.Id}, {north, "acc_0000000000000000"}, {north, "nope"},
		} {
			key, id := c.key, c.id
			resp, err := ts.GetInstitutionalAccountWithResponse(t.Context(), id, withBearer(key))
			if err != nil {
				t.Fatal(err)
			}
			e := wantError(t, resp.StatusCode(), resp.Body, 404, "resource_not_found", ptr("account_id"))
			if e.Error.Message != "No such account: "+id {
				t.Errorf("message %q", e.Error.Message)
			}
		}
	})
}
