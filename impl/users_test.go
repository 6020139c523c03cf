package impl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/impl"
)

func TestAdminStaffCreatesAStaffAdministrator(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		id, err := ts.Server.CreateStaff(t.Context(), "chief", "chief-password")
		if err != nil {
			t.Fatal(err)
		}
		u, err := ts.DB.UserByID(t.Context(), id)
		if err != nil || u.Username != "chief" || !u.IsStaff || !u.IsAdmin || !u.IsActive || u.PasswordHash == "chief-password" {
			t.Fatalf("%v %+v", err, u)
		}
		if ok, err := impl.VerifyPassword("chief-password", u.PasswordHash); !ok || err != nil {
			t.Fatalf("the password hash does not verify: %v", err)
		}
		for _, c := range []struct{ username, password, want string }{
			{"chief", "other-password", `a user with the username "chief" already exists`},
			{"bad name", "chief-password", "invalid username"},
			{strings.Repeat("a", 31), "chief-password", "invalid username"},
			{"deputy", "short", "invalid password"},
		} {
			if _, err := ts.Server.CreateStaff(t.Context(), c.username, c.password); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("CreateStaff(%q, %q) = %v, want %q", c.username, c.password, err, c.want)
			}
		}
	})
}

func TestCreateUserWithJSONAndFormBodies(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)

		// Every field, JSON; the documented example.
		email, certified := openapi_types.Email("ada@example.com"), openapi_types.Email("ada@pec.example.com")
		typ, gender := gen.UserType("CL"), gen.UserGender("F")
		resp, err := ts.CreateUserWithResponse(t.Context(), gen.UserCreate{
			Username: "ada", Password: ptr("correct-horse-battery"), FirstName: ptr("Ada"), LastName: ptr("Lovelace"),
			Email: &email, BirthDate: ptr("1985-12-10"), IsStaff: ptr(false), NumericPassword: ptr("1234"),
			UserType: &typ, Gender: &gender, Phone: ptr("+44 20 7946 0000"), Mobile: ptr("+44 7700 900000"),
			CertifiedEmail: &certified,
		}, withSession(staff))
		if err != nil || resp.JSON201 == nil {
			t.Fatalf("%v %d %s", err, resp.StatusCode(), resp.Body)
		}
		want := gen.User{Id: resp.JSON201.Data.Id, Username: "ada", FirstName: "Ada", LastName: "Lovelace",
			Email: "ada@example.com", BirthDate: &openapi_types.Date{Time: time.Date(1985, 12, 10, 0, 0, 0, 0, time.UTC)},
			IsStaff: false, IsActive: true, IsAdmin: false, UserType: "CL", Gender: "F", Phone: "+44 20 7946 0000",
			Mobile: "+44 7700 900000", CertifiedEmail: "ada@pec.example.com"}
		if !resp.JSON201.Success || resp.JSON201.Message != "User created" || resp.JSON201.Errors != "" || !jsonEqual(resp.JSON201.Data, want) {
			t.Fatalf("created %s", resp.Body)
		}
		assertSecretsHashed(t, ts, "ada", "correct-horse-battery", "1234", resp.Body)

		// Every field, form-encoded, with Python's True/False: the same result.
		form := "username=ada2&password=correct-horse-battery&first_name=Ada&last_name=Lovelace&email=ada2%40example.com" +
			"&birth_date=1985-12-10&is_staff=False&is_active=True&is_admin=False&numeric_password=0123&user_type=CL" +
			"&gender=F&phone=%2B44+20+7946+0000&mobile=%2B44+7700+900000&certified_email=ada2%40pec.example.com"
		status, body := ts.do(t, "POST", "/users/user/new/", formType, strings.NewReader(form), sessionHeader(staff))
		if status != 201 {
			t.Fatalf("form create: %d %s", status, body)
		}
		var formCreated gen.UserEnvelope
		if err := json.Unmarshal(body, &formCreated); err != nil {
			t.Fatal(err)
		}
		want.Id, want.Username, want.Email, want.CertifiedEmail = formCreated.Data.Id, "ada2", "ada2@example.com", "ada2@pec.example.com"
		if !jsonEqual(formCreated.Data, want) {
			t.Fatalf("form create: %s", body)
		}
		assertSecretsHashed(t, ts, "ada2", "correct-horse-battery", "0123", body)

		// The generated client's form encoding; the documented defaults.
		created, err := ts.CreateUserWithFormdataBodyWithResponse(t.Context(), gen.UserCreate{Username: "plain", Password: ptr("plain-password")}, withSession(staff))
		if err != nil || created.JSON201 == nil {
			t.Fatalf("%v %s", err, created.Body)
		}
		if d := created.JSON201.Data; !d.IsStaff || !d.IsActive || d.IsAdmin || d.UserType != "AD" || d.Gender != "U" ||
			d.Email != "" || d.BirthDate != nil || d.FirstName != "" {
			t.Fatalf("defaults: %s", created.Body)
		}
		if u, _ := ts.DB.UserByUsername(t.Context(), "plain"); u.PINHash != nil {
			t.Fatal("a PIN hash without a PIN")
		}
		loginSession(t, ts, "plain", "plain-password")
	})
}

// assertSecretsHashed checks that a user's password and PIN are stored as argon2id hashes that
// verify, and that the response shows neither.
func assertSecretsHashed(t *testing.T, ts *testServer, username, password, pin string, body []byte) {
	t.Helper()
	for _, secret := range []string{password, pin, "argon2", `"password"`, "numeric_password"} {
		if strings.Contains(string(body), secret) {
			t.Fatalf("the response shows %q: %s", secret, body)
		}
	}
	u, err := ts.DB.UserByUsername(t.Context(), username)
	if err != nil || u.PINHash == nil {
		t.Fatalf("%v %+v", err, u)
	}
	for secret, hash := range map[string]string{password: u.PasswordHash, pin: *u.PINHash} {
		if ok, err := impl.VerifyPassword(secret, hash); !ok || err != nil || !strings.HasPrefix(hash, "$argon2id$") {
			t.Fatalf("%q is not stored as its argon2id hash: %v", secret, err)
		}
	}
}

func TestUserValidationErrorsInTheEnvelope(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)
		ada, _ := newMember(t, ts, staff, "ada")
		auth := sessionHeader(staff)
		edit := "/users/user/" + itoa(ada.Id) + "/edit/"
		cases := []struct {
			name, method, path, contentType, body string
			status                                int
			wantErrors                            string
		}{
			{"form: not a boolean", "POST", "/users/user/new/", formType, "username=x&password=password1&is_staff=maybe", 400, "is_staff: Must be a boolean."},
			{"JSON: not a boolean", "POST", "/users/user/new/", "application/json", `{"username":"x","password":"password1","is_staff":"True"}`, 400, "is_staff: Must be a boolean."},
			{"form: no username", "POST", "/users/user/new/", formType, "password=password1", 400, "username: This field is required."},
			{"form: short password", "POST", "/users/user/new/", formType, "username=x&password=short", 400, "password: Must be at least 8 characters long."},
			{"form: bad username", "POST", "/users/user/new/", formType, "username=a+b&password=password1", 400, "username: Must match the pattern ^[A-Za-z0-9@.+_-]+$."},
			{"JSON: long username", "POST", "/users/user/new/", "application/json", `{"username":"` + strings.Repeat("a", 31) + `","password":"password1"}`, 400, "username: Must be at most 30 characters long."},
			{"form: bad email", "POST", "/users/user/new/", formType, "username=x&password=password1&email=nope", 400, "email: Must be a valid email."},
			{"JSON: named email", "POST", "/users/user/new/", "application/json", `{"username":"x","password":"password1","email":"X <x@example.com>"}`, 400, "email: Must be a valid email."},
			{"JSON: bad certified email", "POST", "/users/user/new/", "application/json", `{"username":"x","password":"password1","certified_email":"nope"}`, 400, "certified_email: "},
			{"form: 5-digit PIN", "POST", "/users/user/new/", formType, "username=x&password=password1&numeric_password=12345", 400, "numeric_password: "},
			{"JSON: 5-digit numeric PIN", "POST", "/users/user/new/", "application/json", `{"username":"x","password":"password1","numeric_password":12345}`, 400, "numeric_password: Must match the pattern ^[0-9]{4}$."},
			{"JSON: fractional PIN", "POST", "/users/user/new/", "application/json", `{"username":"x","password":"password1","numeric_password":1234.5}`, 400, "numeric_password: Must be a string."},
			{"JSON: bad date-time", "POST", "/users/user/new/", "application/json", `{"username":"x","password":"password1","birth_date":"1985-10-12T25:00:00"}`, 400, "birth_date: Must be a valid date."},
			{"form: bad date", "POST", "/users/user/new/", formType, "username=x&password=password1&birth_date=10/12/1985", 400, "birth_date: "},
			{"JSON: impossible date", "POST", "/users/user/new/", "application/json", `{"username":"x","password":"password1","birth_date":"2023-02-31"}`, 400, "birth_date: Not a valid date."},
			{"form: bad user type", "POST", "/users/user/new/", formType, "username=x&password=password1&user_type=XX", 400, "user_type: "},
			{"form: long phone", "POST", "/users/user/new/", formType, "username=x&password=password1&phone=" + strings.Repeat("1", 21), 400, "phone: Must be at most 20 characters long."},
			{"form: empty body", "POST", "/users/user/new/", formType, "", 400, "body: This field is required."},
			{"form: malformed", "POST", "/users/user/new/", formType, "username=%zz", 400, `body: Cannot be decoded: invalid URL escape "%zz".`},
			{"JSON: malformed", "POST", "/users/user/new/", "application/json", `{"username":`, 400, "body: Cannot be decoded: unexpected EOF."},
			{"other content type", "POST", "/users/user/new/", "text/plain", "hello", 415, "Content-Type: Must be one of application/json, application/x-www-form-urlencoded."},
			{"edit: empty JSON", "POST", edit, "application/json", `{}`, 400, "body: Must have at least 1 field."},
			{"edit: only an unknown form field", "POST", edit, formType, "username=renamed", 400, "body: Must have at least 1 field."},
			{"edit: bad boolean", "POST", edit, formType, "is_active=nope", 400, "is_active: Must be a boolean."},
			{"bad user id", "GET", "/users/user/abc/get_user_info/", "", "", 400, "user_id: "},
			{"zero user id", "POST", "/users/user/0/deactivate/", "", "", 400, "user_id: "},
			{"search without query_string", "GET", "/users/user/search/", "", "", 400, "query_string: This field is required."},
			{"search with only spaces", "GET", "/users/user/search/?query_string=%20%20", "", "", 400, "query_string: Give at least one search term."},
			{"unknown route", "GET", "/users/user/nothing/", "", "", 404, "Nothing is at this address."},
			{"wrong method", "GET", "/users/user/new/", "", "", 405, "This address does not take this method."},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var body *strings.Reader
				if c.body != "" {
					body = strings.NewReader(c.body)
				}
				status, got := doMaybeBody(t, ts, c.method, c.path, c.contentType, body, auth)
				expectFailure(t, status, got, c.status, c.wantErrors)
			})
		}
		if u, err := ts.DB.UserByUsername(t.Context(), "x"); err == nil {
			t.Fatalf("an invalid request created a user: %+v", u)
		}

		big := `{"username":"big","password":"` + strings.Repeat("a", 1<<20) + `"}`
		status, got := ts.do(t, "POST", "/users/user/new/", "application/json", strings.NewReader(big), auth)
		if f := expectFailure(t, status, got, 413, "The limit is 1 MiB."); f.Message != "Request body too large" {
			t.Fatalf("413: %s", got)
		}
		status, got = ts.do(t, "POST", "/users/user/login/", formType, strings.NewReader("username=big&password="+strings.Repeat("a", 1<<20)), nil)
		expectFailure(t, status, got, 413, "The limit is 1 MiB.")
	})
}

func TestUserPermissions(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		staffID, staff := newStaff(t, ts)
		ada, adaSession := newMember(t, ts, staff, "ada")
		bob, bobSession := newMember(t, ts, staff, "bob")
		none := func(_ context.Context, _ *http.Request) error { return nil }

		// No session, or a bad one: 401 on every operation that needs one.
		for _, editor := range []gen.RequestEditorFn{none, withSession("forged"), withSession(strings.Repeat("A", 43))} {
			info, _ := ts.GetUserInfoWithResponse(t.Context(), ada.Id, editor)
			expectFailure(t, info.StatusCode(), info.Body, 401, "Log in first; no valid sessionid cookie was sent.")
			search, _ := ts.SearchUsersWithResponse(t.Context(), &gen.SearchUsersParams{QueryString: "ada"}, editor)
			expectFailure(t, search.StatusCode(), search.Body, 401, "Log in first")
			created, _ := ts.CreateUserWithResponse(t.Context(), gen.UserCreate{Username: "eve", Password: ptr("eve-password")}, editor)
			expectFailure(t, created.StatusCode(), created.Body, 401, "Log in first")
			edited, _ := ts.EditUserWithResponse(t.Context(), ada.Id, gen.UserUpdate{Phone: ptr("1")}, editor)
			expectFailure(t, edited.StatusCode(), edited.Body, 401, "Log in first")
			out, _ := ts.LogoutUserWithResponse(t.Context(), editor)
			expectFailure(t, out.StatusCode(), out.Body, 401, "Log in first")
		}

		// Staff read any user, and search them all; other users only themselves. Another user is
		// the same 404 as a missing one.
		if info, _ := ts.GetUserInfoWithResponse(t.Context(), ada.Id, withSession(staff)); info.JSON200 == nil ||
			info.JSON200.Message != "User found" || info.JSON200.Data.Username != "ada" {
			t.Fatalf("get_user_info by staff: %s", info.Body)
		}
		if info, _ := ts.GetUserInfoWithResponse(t.Context(), ada.Id, withSession(adaSession)); info.JSON200 == nil || info.JSON200.Data.Username != "ada" {
			t.Fatalf("get_user_info of oneself: %s", info.Body)
		}
		for _, id := range []int64{staffID, bob.Id, 999} {
			other, _ := ts.GetUserInfoWithResponse(t.Context(), id, withSession(adaSession))
			if f := expectFailure(t, other.StatusCode(), other.Body, 404, "No user with id "+itoa(id)); f.Message != "User not found" {
				t.Fatalf("404: %s", other.Body)
			}
		}
		searchAs := func(session, query string) string {
			t.Helper()
			resp, _ := ts.SearchUsersWithResponse(t.Context(), &gen.SearchUsersParams{QueryString: query}, withSession(session))
			if resp.JSON200 == nil {
				t.Fatalf("search %q: %s", query, resp.Body)
			}
			var names []string
			for _, u := range resp.JSON200.Data {
				names = append(names, u.Username)
			}
			return strings.Join(names, ",")
		}
		if got := searchAs(staff, "b"); got != "bob" {
			t.Fatalf("staff search b: %q", got)
		}
		if got, mine := searchAs(adaSession, "b"), searchAs(adaSession, "a"); got != "" || mine != "ada" {
			t.Fatalf("ada searching b: %q, a: %q; want nothing, and herself", got, mine)
		}

		// Only staff create users.
		created, _ := ts.CreateUserWithResponse(t.Context(), gen.UserCreate{Username: "eve", Password: ptr("eve-password")}, withSession(adaSession))
		expectFailure(t, created.StatusCode(), created.Body, 403, "This action needs an administrator (is_admin)")
		status, body := ts.do(t, "POST", "/users/user/new/", formType, strings.NewReader("username=eve&password=eve-password"), sessionHeader(adaSession))
		expectFailure(t, status, body, 403, "This action needs an administrator (is_admin)")

		// A user edits itself (JSON and form), but not its privileges, and not others.
		edited, _ := ts.EditUserWithResponse(t.Context(), ada.Id, gen.UserUpdate{Phone: ptr("+1 555 0100"), FirstName: ptr("Ada")}, withSession(adaSession))
		if edited.JSON200 == nil || edited.JSON200.Message != "User updated" || edited.JSON200.Data.Phone != "+1 555 0100" || edited.JSON200.Data.FirstName != "Ada" {
			t.Fatalf("self edit: %s", edited.Body)
		}
		status, body = ts.do(t, "POST", "/users/user/"+itoa(ada.Id)+"/edit/", formType,
			strings.NewReader("last_name=Lovelace&is_staff=False&is_active=True&user_type=AD"), sessionHeader(adaSession))
		if status != 200 || !strings.Contains(string(body), `"last_name":"Lovelace"`) || !strings.Contains(string(body), `"phone":"+1 555 0100"`) {
			t.Fatalf("self form edit, privileges unchanged: %d %s", status, body)
		}
		for field, update := range map[string]gen.UserUpdate{
			"is_staff":  {IsStaff: ptr(true)},
			"is_admin":  {IsAdmin: ptr(true)},
			"is_active": {IsActive: ptr(false)},
			"user_type": {UserType: ptr(gen.UserType("CL"))},
		} {
			resp, _ := ts.EditUserWithResponse(t.Context(), ada.Id, update, withSession(adaSession))
			expectFailure(t, resp.StatusCode(), resp.Body, 403, "Only administrators may change "+field)
		}
		status, body = ts.do(t, "POST", "/users/user/"+itoa(ada.Id)+"/edit/", formType, strings.NewReader("is_staff=True"), sessionHeader(adaSession))
		expectFailure(t, status, body, 403, "Only administrators may change is_staff")
		other, _ := ts.EditUserWithResponse(t.Context(), bob.Id, gen.UserUpdate{Phone: ptr("1")}, withSession(adaSession))
		expectFailure(t, other.StatusCode(), other.Body, 403, "Only administrators may edit other users")
		unknown, _ := ts.EditUserWithResponse(t.Context(), 999, gen.UserUpdate{Phone: ptr("1")}, withSession(adaSession))
		expectFailure(t, unknown.StatusCode(), unknown.Body, 403, "Only administrators may edit other users")
		if u, _ := ts.DB.UserByID(t.Context(), ada.Id); u.IsStaff || u.IsAdmin || !u.IsActive || u.UserType != "AD" {
			t.Fatalf("a refused edit changed privileges: %+v", u)
		}

		// Staff edit anyone and anything; unknown users are 404.
		email := openapi_types.Email("Bob@Example.com")
		promoted, _ := ts.EditUserWithFormdataBodyWithResponse(t.Context(), bob.Id,
			gen.UserUpdate{IsStaff: ptr(true), IsAdmin: ptr(true), UserType: ptr(gen.UserType("TE")), Email: &email, BirthDate: ptr("1990-01-02")}, withSession(staff))
		if d := promoted.JSON200; d == nil || !d.Data.IsStaff || !d.Data.IsAdmin || d.Data.UserType != "TE" || d.Data.Email != "Bob@Example.com" ||
			d.Data.BirthDate == nil || d.Data.BirthDate.String() != "1990-01-02" {
			t.Fatalf("staff edit: %s", promoted.Body)
		}
		// bob's existing session now has staff rights.
		if resp, _ := ts.CreateUserWithResponse(t.Context(), gen.UserCreate{Username: "eve", Password: ptr("eve-password")}, withSession(bobSession)); resp.JSON201 == nil {
			t.Fatalf("promoted bob cannot create: %s", resp.Body)
		}
		missingEdit, _ := ts.EditUserWithResponse(t.Context(), 999, gen.UserUpdate{Phone: ptr("1")}, withSession(staff))
		expectFailure(t, missingEdit.StatusCode(), missingEdit.Body, 404, "No user with id 999")
	})
}

func TestANewPasswordEndsOtherSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)
		ada, current := newMember(t, ts, staff, "ada")
		other := loginSession(t, ts, "ada", "ada-password")
		works := func(session string) bool {
			resp, _ := ts.GetUserInfoWithResponse(t.Context(), ada.Id, withSession(session))
			return resp.StatusCode() == 200
		}

		resp, _ := ts.EditUserWithResponse(t.Context(), ada.Id, gen.UserUpdate{Password: ptr("new-ada-password"), NumericPassword: ptr("9876")}, withSession(current))
		if resp.JSON200 == nil || strings.Contains(string(resp.Body), "new-ada-password") || strings.Contains(string(resp.Body), "9876") {
			t.Fatalf("password edit: %s", resp.Body)
		}
		if !works(current) || works(other) {
			t.Fatalf("after changing its own password: current %t, other %t (want true, false)", works(current), works(other))
		}
		assertSecretsHashed(t, ts, "ada", "new-ada-password", "9876", resp.Body)
		if r, _ := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: "ada", Password: ptr("ada-password")}); r.StatusCode() != 401 {
			t.Fatalf("the old password still works: %d", r.StatusCode())
		}

		// Staff resetting the password ends every session of the user.
		status, body := ts.do(t, "POST", "/users/user/"+itoa(ada.Id)+"/edit/", formType, strings.NewReader("password=reset-by-staff"), sessionHeader(staff))
		if status != 200 {
			t.Fatalf("staff reset: %d %s", status, body)
		}
		if works(current) {
			t.Fatal("a staff password reset left the user's session")
		}
		loginSession(t, ts, "ada", "reset-by-staff")
	})
}

func TestDuplicateUsernamesAndEmailsAre400s(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)
		email := openapi_types.Email("Ada@Example.com")
		ada := createUser(t, ts, staff, gen.UserCreate{Username: "ada", Password: ptr("ada-password"), Email: &email})
		bob := createUser(t, ts, staff, gen.UserCreate{Username: "bob", Password: ptr("bob-password")})

		dupName, _ := ts.CreateUserWithResponse(t.Context(), gen.UserCreate{Username: "ada", Password: ptr("other-password")}, withSession(staff))
		expectFailure(t, dupName.StatusCode(), dupName.Body, 400, "username: A user with this username already exists.")
		status, body := ts.do(t, "POST", "/users/user/new/", formType, strings.NewReader("username=ada2&password=other-password&email=ADA%40example.COM"), sessionHeader(staff))
		expectFailure(t, status, body, 400, "email: A user with this email already exists.")
		dupEmail, _ := ts.EditUserWithResponse(t.Context(), bob.Id, gen.UserUpdate{Email: ptr(openapi_types.Email("ada@EXAMPLE.com"))}, withSession(staff))
		expectFailure(t, dupEmail.StatusCode(), dupEmail.Body, 400, "email: A user with this email already exists.")
		// Keeping one's own email, in another case, is fine.
		same, _ := ts.EditUserWithResponse(t.Context(), ada.Id, gen.UserUpdate{Email: ptr(openapi_types.Email("ada@example.com"))}, withSession(staff))
		if same.JSON200 == nil || same.JSON200.Data.Email != "ada@example.com" {
			t.Fatalf("own email: %s", same.Body)
		}

		// Parallel identical creates: exactly one succeeds, the others get the documented 400.
		const n = 8
		statuses := make([]int, n)
		bodies := make([][]byte, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				resp, err := ts.CreateUserWithResponse(t.Context(), gen.UserCreate{Username: "racer", Password: ptr("racer-password"),
					Email: ptr(openapi_types.Email(fmt.Sprintf("racer%d@example.com", i)))}, withSession(staff))
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i], bodies[i] = resp.StatusCode(), resp.Body
			})
		}
		wg.Wait()
		created := 0
		for i := range n {
			if statuses[i] == 201 {
				created++
				continue
			}
			expectFailure(t, statuses[i], bodies[i], 400, "username: A user with this username already exists.")
		}
		if created != 1 {
			t.Fatalf("%d concurrent creates succeeded, want 1", created)
		}

		// The same with one email in different cases and different usernames.
		for i := range n {
			wg.Go(func() {
				resp, err := ts.CreateUserWithResponse(t.Context(), gen.UserCreate{Username: fmt.Sprintf("mail%d", i), Password: ptr("mail-password"),
					Email: ptr(openapi_types.Email(strings.Repeat("M", i%2) + "shared@example.com"))}, withSession(staff))
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i], bodies[i] = resp.StatusCode(), resp.Body
			})
		}
		wg.Wait()
		created = 0
		for i := range n {
			if statuses[i] == 201 {
				created++
				continue
			}
			expectFailure(t, statuses[i], bodies[i], 400, "email: A user with this email already exists.")
		}
		if created != 2 { // "shared@…" and "Mshared@…" are different addresses
			t.Fatalf("%d concurrent creates succeeded, want 2", created)
		}
	})
}

func TestSearchUsersOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)
		add := func(username, first, last, email, certified string) {
			body := gen.UserCreate{Username: username, Password: ptr("password-" + username), FirstName: &first, LastName: &last}
			if email != "" {
				body.Email = ptr(openapi_types.Email(email))
			}
			if certified != "" {
				body.CertifiedEmail = ptr(openapi_types.Email(certified))
			}
			createUser(t, ts, staff, body)
		}
		add("ada", "Ada", "Lovelace", "ada@example.com", "")
		add("grace", "Grace", "Hopper", "grace@navy.example", "g.hopper@pec.example")
		add("alan", "Alan", "Turing", "alan@example.com", "")
		add("percent", "100%", "Sure", "", "")
		add("hundred", "100x", "Sure", "", "")
		add("under_score", "U", "S", "", "")
		add("underxscore", "U", "S", "", "")

		search := func(q string) (string, string) {
			t.Helper()
			resp, err := ts.SearchUsersWithResponse(t.Context(), &gen.SearchUsersParams{QueryString: q}, withSession(staff))
			if err != nil || resp.JSON200 == nil || resp.JSON200.Success != (len(resp.JSON200.Data) > 0) {
				t.Fatalf("search %q: %v %s (success is whether users were found)", q, err, resp.Body)
			}
			var names []string
			for _, u := range resp.JSON200.Data {
				names = append(names, u.Username)
			}
			return strings.Join(names, ","), resp.JSON200.Message
		}
		for _, c := range []struct{ query, want, message string }{
			{"ada", "ada", "1 user found"},
			{"ADA LOVE", "ada", "1 user found"},              // every term, case-insensitively
			{"  lovelace   ada ", "ada", "1 user found"},     // extra spaces
			{"ada turing", "", "0 users found"},              // no user has both: no match (success false)
			{"example", "ada,alan,grace", "3 users found"},   // ordered by username
			{"a example", "ada,alan,grace", "3 users found"}, // "a" everywhere
			{"PEC", "grace", "1 user found"},                 // certified email
			{"hop navy gra", "grace", "1 user found"},        // last name, email, username
			{"%", "percent", "1 user found"},                 // LIKE wildcards match literally
			{"0%", "percent", "1 user found"},
			{"100", "hundred,percent", "2 users found"},
			{"_", "under_score", "1 user found"},
			{"r_s", "under_score", "1 user found"},
			{"sure 100%", "percent", "1 user found"},
			{`\`, "", "0 users found"},
		} {
			if got, msg := search(c.query); got != c.want || msg != c.message {
				t.Errorf("search %q = %q (%s), want %q (%s)", c.query, got, msg, c.want, c.message)
			}
		}

		// Bounded to 50, by username.
		err := ts.DB.InTx(t.Context(), func(tx *db.Store) error {
			for i := range 60 {
				u := &db.User{Username: fmt.Sprintf("bulk%02d", 59-i), PasswordHash: "unused", IsActive: true, UserType: "CL", Gender: "U", CreatedAt: time.Now()}
				if err := tx.CreateUser(t.Context(), u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, msg := search("BULK")
		names := strings.Split(got, ",")
		if len(names) != 50 || names[0] != "bulk00" || names[49] != "bulk49" || msg != "50 users found" {
			t.Fatalf("bounded search: %d users (%s…%s), %q", len(names), names[0], names[len(names)-1], msg)
		}
	})
}

// Issue 11, item 1: the URL query of a body operation binds nothing, in either content type; only
// the validated body does.
func TestTheQueryStringOfABodyOperationBindsNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)
		ada, session := newMember(t, ts, staff, "ada")
		query := "?password=x&numeric_password=1&gender=Z&email=a%0d%0ab%40example.com&phone=" + strings.Repeat("1", 300) + "&last_name=%00"
		edit := "/users/user/" + itoa(ada.Id) + "/edit/" + query
		for _, c := range []struct{ contentType, body string }{
			{formType, "first_name=Ada"},
			{"application/json", `{"first_name":"Ada"}`},
		} {
			status, body := ts.do(t, "POST", edit, c.contentType, strings.NewReader(c.body), sessionHeader(session))
			if status != 200 {
				t.Fatalf("%s edit with a query: %d %s", c.contentType, status, body)
			}
		}
		u, err := ts.DB.UserByUsername(t.Context(), "ada")
		if err != nil {
			t.Fatal(err)
		}
		if u.Gender == "Z" || u.Email != "" || u.Phone != "" || u.LastName != "" || u.PINHash != nil || u.FirstName != "Ada" {
			t.Fatalf("the query reached the user: %+v", u)
		}
		loginSession(t, ts, "ada", "ada-password")

		// Creation too: the query's is_staff and password are not the body's.
		status, body := ts.do(t, "POST", "/users/user/new/?is_staff=True&password=x", formType, strings.NewReader("username=eve&password=eve-password&is_staff=False"), sessionHeader(staff))
		if status != 201 || strings.Contains(string(body), `"is_staff":true`) {
			t.Fatalf("create with a query: %d %s", status, body)
		}
	})
}

func TestPrivilegesFollowIsAdminNotIsStaff(t *testing.T) {
	eachBackendWithClock(t, usersEpoch, func(t *testing.T, ts *testServer, _ *clock) {
		_, root := newStaff(t, ts)
		// The documented defaults: is_staff true, is_admin false; such a user has no privilege.
		plain := createUser(t, ts, root, gen.UserCreate{Username: "plain", Password: ptr("plain-password")})
		if !plain.IsStaff || plain.IsAdmin {
			t.Fatalf("defaults: %+v", plain)
		}
		admin := createUser(t, ts, root, gen.UserCreate{Username: "boss", Password: ptr("boss-password"), IsStaff: ptr(false), IsAdmin: ptr(true)})
		plainSession := loginSession(t, ts, "plain", "plain-password")
		adminSession := loginSession(t, ts, "boss", "boss-password")

		made, _ := ts.CreateUserWithResponse(t.Context(), gen.UserCreate{Username: "eve", Password: ptr("eve-password")}, withSession(plainSession))
		expectFailure(t, made.StatusCode(), made.Body, 403, "This action needs an administrator (is_admin)")
		deact, _ := ts.DeactivateUserWithResponse(t.Context(), admin.Id, withSession(plainSession))
		expectFailure(t, deact.StatusCode(), deact.Body, 403, "This action needs an administrator (is_admin)")
		if info, _ := ts.GetUserInfoWithResponse(t.Context(), admin.Id, withSession(plainSession)); info.StatusCode() != 404 {
			t.Fatalf("a staff non-admin reads another user: %d %s", info.StatusCode(), info.Body)
		}

		if made, _ := ts.CreateUserWithResponse(t.Context(), gen.UserCreate{Username: "eve", Password: ptr("eve-password")}, withSession(adminSession)); made.StatusCode() != 201 {
			t.Fatalf("an admin that is not staff creates: %d %s", made.StatusCode(), made.Body)
		}
		if info, _ := ts.GetUserInfoWithResponse(t.Context(), plain.Id, withSession(adminSession)); info.JSON200 == nil {
			t.Fatalf("an admin reads another user: %d %s", info.StatusCode(), info.Body)
		}
		if d, _ := ts.DeactivateUserWithResponse(t.Context(), plain.Id, withSession(adminSession)); d.JSON200 == nil || d.JSON200.Data.IsActive {
			t.Fatalf("an admin deactivates: %d %s", d.StatusCode(), d.Body)
		}
	})
}
