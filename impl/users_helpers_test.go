package impl_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/gen"
)

// Helpers of the Users family's tests.

const (
	staffUsername = "root"
	staffPassword = "staff-password"
	formType      = "application/x-www-form-urlencoded"
)

// withSession sends a session key as the sessionid cookie.
func withSession(key string) gen.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.AddCookie(&http.Cookie{Name: "sessionid", Value: key})
		return nil
	}
}

// sessionHeader is the Cookie header of a session key, for hand-made requests.
func sessionHeader(key string) http.Header {
	return http.Header{"Cookie": {"sessionid=" + key}}
}

// newStaff creates the staff administrator the way `galeno admin staff` does and logs it in.
func newStaff(t *testing.T, ts *testServer) (id int64, session string) {
	t.Helper()
	id, err := ts.Server.CreateStaff(t.Context(), staffUsername, staffPassword)
	if err != nil {
		t.Fatal(err)
	}
	return id, loginSession(t, ts, staffUsername, staffPassword)
}

// login logs a user in (JSON body) and returns its session key.
func loginSession(t *testing.T, ts *testServer, username, password string) string {
	t.Helper()
	resp, err := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: username, Password: &password})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("login %s: %v %d %s", username, err, resp.StatusCode(), resp.Body)
	}
	return sessionCookie(t, resp.HTTPResponse).Value
}

// sessionCookie returns the sessionid cookie a response sets.
func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == "sessionid" {
			return c
		}
	}
	t.Fatalf("no sessionid cookie in %v", resp.Header.Values("Set-Cookie"))
	return nil
}

// createUser creates a user through the API with a staff session.
func createUser(t *testing.T, ts *testServer, staff string, body gen.UserCreate) gen.User {
	t.Helper()
	resp, err := ts.CreateUserWithResponse(t.Context(), body, withSession(staff))
	if err != nil || resp.JSON201 == nil {
		t.Fatalf("create user %s: %v %d %s", body.Username, err, resp.StatusCode(), resp.Body)
	}
	return resp.JSON201.Data
}

// newMember creates a non-staff user with a password and logs it in.
func newMember(t *testing.T, ts *testServer, staff, username string) (gen.User, string) {
	t.Helper()
	u := createUser(t, ts, staff, gen.UserCreate{Username: username, Password: ptr(username + "-password"), IsStaff: ptr(false)})
	return u, loginSession(t, ts, username, username+"-password")
}

// expectFailure checks a Users failure: the status, and an envelope with success false, data null,
// a message and an errors text containing wantErrors.
func expectFailure(t *testing.T, status int, body []byte, wantStatus int, wantErrors string) gen.UsersFailure {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
	}
	var f gen.UsersFailure
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatalf("not a Users failure: %s", body)
	}
	if f.Success || f.Data != nil || f.Message == "" || f.Errors == "" || !strings.Contains(f.Errors, wantErrors) ||
		!strings.Contains(string(body), `"data":null`) {
		t.Fatalf("failure body %s, want errors containing %q", body, wantErrors)
	}
	return f
}

// usersEpoch is when the Users tests' clocks start.
var usersEpoch = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
