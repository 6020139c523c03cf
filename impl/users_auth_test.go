package impl_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/impl"
)

func TestLoginSetsAnHttpOnlySessionCookieAndLogoutEndsIt(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		staffID, _ := newStaff(t, ts)

		// JSON body.
		resp, err := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: staffUsername, Password: ptr(staffPassword)})
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("%v %s", err, resp.Body)
		}
		if d := resp.JSON200.Data; !resp.JSON200.Success || resp.JSON200.Message != "Logged in" || d.Id != staffID ||
			d.Username != staffUsername || !d.IsStaff || !d.IsAdmin || !d.IsActive {
			t.Fatalf("login body: %s", resp.Body)
		}
		if strings.Contains(string(resp.Body), "password") || strings.Contains(string(resp.Body), "argon2") {
			t.Fatalf("login shows a secret: %s", resp.Body)
		}
		c := sessionCookie(t, resp.HTTPResponse)
		raw := resp.HTTPResponse.Header.Get("Set-Cookie")
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 14*24*3600 || c.Secure ||
			len(c.Value) < 43 || !strings.Contains(raw, "HttpOnly") || !strings.Contains(raw, "SameSite=Lax") {
			t.Fatalf("cookie %s", raw)
		}
		jsonSession := c.Value

		// Form body, as Python clients send it: another, different session.
		status, body := ts.do(t, "POST", "/users/user/login/", formType,
			strings.NewReader("username="+staffUsername+"&password="+staffPassword), nil)
		if status != 200 || !strings.Contains(string(body), `"username":"root"`) {
			t.Fatalf("form login: %d %s", status, body)
		}
		formLogin, err := ts.LoginUserWithFormdataBodyWithResponse(t.Context(), gen.UserLogin{Username: staffUsername, Password: ptr(staffPassword)})
		if err != nil || formLogin.JSON200 == nil {
			t.Fatalf("form login through the client: %v %s", err, formLogin.Body)
		}
		formSession := sessionCookie(t, formLogin.HTTPResponse).Value
		if formSession == jsonSession {
			t.Fatal("two logins got the same session key")
		}

		// When the cookie is Secure (over HTTPS, really): TestLinksAndSecureCookiesTrustForwardedHeadersOnlyFromTrustedProxies.

		for _, session := range []string{jsonSession, formSession} {
			if info, err := ts.GetUserInfoWithResponse(t.Context(), staffID, withSession(session)); err != nil || info.JSON200 == nil {
				t.Fatalf("session works: %v %s", err, info.Body)
			}
		}

		out, err := ts.LogoutUserWithResponse(t.Context(), withSession(jsonSession))
		if err != nil || out.JSON200 == nil || !out.JSON200.Success || out.JSON200.Message != "Logged out" {
			t.Fatalf("logout: %v %s", err, out.Body)
		}
		expired := sessionCookie(t, out.HTTPResponse)
		if expired.Value != "" || expired.MaxAge >= 0 || !expired.HttpOnly || expired.Path != "/" {
			t.Fatalf("logout cookie: %v", out.HTTPResponse.Header.Values("Set-Cookie"))
		}
		info, _ := ts.GetUserInfoWithResponse(t.Context(), staffID, withSession(jsonSession))
		expectFailure(t, info.StatusCode(), info.Body, 401, "Log in first")
		again, _ := ts.LogoutUserWithResponse(t.Context(), withSession(jsonSession))
		expectFailure(t, again.StatusCode(), again.Body, 401, "Log in first")
		// The other session is untouched.
		if info, _ := ts.GetUserInfoWithResponse(t.Context(), staffID, withSession(formSession)); info.JSON200 == nil {
			t.Fatalf("logout ended another session: %s", info.Body)
		}
	})
}

func TestLoginFailuresLookTheSame(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)
		ada, _ := newMember(t, ts, staff, "ada")
		if resp, _ := ts.DeactivateUserWithResponse(t.Context(), ada.Id, withSession(staff)); resp.JSON200 == nil {
			t.Fatal(string(resp.Body))
		}
		var bodies []string
		for _, c := range []struct{ name, username, password string }{
			{"wrong password", staffUsername, "wrong-password"},
			{"unknown user", "nobody", staffPassword},
			{"deactivated user, right password", "ada", "ada-password"},
		} {
			resp, err := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: c.username, Password: &c.password})
			if err != nil {
				t.Fatal(err)
			}
			f := expectFailure(t, resp.StatusCode(), resp.Body, 401, "Invalid username or password")
			if f.Message != "Login failed" || resp.HTTPResponse.Header.Get("Set-Cookie") != "" {
				t.Fatalf("%s: %s", c.name, resp.Body)
			}
			bodies = append(bodies, string(resp.Body))
		}
		for _, b := range bodies[1:] {
			if b != bodies[0] {
				t.Fatalf("failures differ, which tells users apart: %q vs %q", b, bodies[0])
			}
		}

		status, body := ts.do(t, "POST", "/users/user/login/", formType, strings.NewReader("username=root"), nil)
		expectFailure(t, status, body, 400, "password: This field is required.")
		status, body = ts.do(t, "POST", "/users/user/login/", "application/json", strings.NewReader(`{"password":"x"}`), nil)
		expectFailure(t, status, body, 400, "username: This field is required.")
	})
}

func TestSessionsExpire(t *testing.T) {
	eachBackendWithClock(t, usersEpoch, func(t *testing.T, ts *testServer, clock *clock) {
		staffID, first := newStaff(t, ts)
		start := clock.Now()
		info := func(session string) int {
			resp, err := ts.GetUserInfoWithResponse(t.Context(), staffID, withSession(session))
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode()
		}

		clock.Set(start.Add(14*24*time.Hour - time.Second))
		if status := info(first); status != 200 {
			t.Fatalf("a session 1s before its expiry: %d", status)
		}
		clock.Set(start.Add(14 * 24 * time.Hour))
		if status := info(first); status != 401 {
			t.Fatalf("an expired session: %d", status)
		}
		// Refusing it deleted it: it does not come back when the clock goes back.
		clock.Set(start)
		if status := info(first); status != 401 {
			t.Fatalf("a refused expired session came back: %d", status)
		}

		// A login cleans every expired session.
		second := loginSession(t, ts, staffUsername, staffPassword)
		clock.Set(start.Add(15 * 24 * time.Hour))
		third := loginSession(t, ts, staffUsername, staffPassword)
		clock.Set(start.Add(24 * time.Hour))
		if status := info(second); status != 401 {
			t.Fatalf("an expired session survived a later login: %d", status)
		}
		if status := info(third); status != 200 {
			t.Fatalf("the new session: %d", status)
		}
	})
}

func TestSessionsAndLoginLimitsAreSharedAcrossServers(t *testing.T) {
	eachBackend(t, func(t *testing.T, one *testServer) {
		two := newTestServer(t, one.DB) // another server process on the same database
		staffID, session := newStaff(t, one)
		if resp, _ := two.GetUserInfoWithResponse(t.Context(), staffID, withSession(session)); resp.JSON200 == nil {
			t.Fatalf("the other server refuses the session: %s", resp.Body)
		}
		if resp, _ := two.LogoutUserWithResponse(t.Context(), withSession(session)); resp.JSON200 == nil {
			t.Fatalf("logout on the other server: %s", resp.Body)
		}
		resp, _ := one.GetUserInfoWithResponse(t.Context(), staffID, withSession(session))
		expectFailure(t, resp.StatusCode(), resp.Body, 401, "Log in first")

		for i := range 5 {
			ts := []*testServer{one, two}[i%2]
			if resp, _ := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: staffUsername, Password: ptr("wrong-password")}); resp.StatusCode() != 401 {
				t.Fatalf("failure %d: %d", i, resp.StatusCode())
			}
		}
		for _, ts := range []*testServer{one, two} {
			resp, _ := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: staffUsername, Password: ptr(staffPassword)})
			expectFailure(t, resp.StatusCode(), resp.Body, 429, "Too many failed logins")
		}
	})
}

func TestLoginsAreRateLimitedPerUsernameAndPerAddress(t *testing.T) {
	eachBackendWithClock(t, usersEpoch, func(t *testing.T, ts *testServer, clock *clock) {
		_, staff := newStaff(t, ts)
		newMember(t, ts, staff, "ada")
		newMember(t, ts, staff, "bob")
		try := func(username, password string) *gen.LoginUserResponse {
			t.Helper()
			resp, err := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: username, Password: &password})
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		fail := func(username string, n int) {
			t.Helper()
			for range n {
				if resp := try(username, "wrong-password"); resp.StatusCode() != 401 {
					t.Fatalf("a failed login of %s: %d %s", username, resp.StatusCode(), resp.Body)
				}
			}
		}

		// A success clears the username's failures.
		fail("ada", 4)
		if resp := try("ada", "ada-password"); resp.StatusCode() != 200 {
			t.Fatalf("4 failures block: %s", resp.Body)
		}
		fail("ada", 4)

		// The 5th failure within 15 minutes (a minute after the 4th) blocks the username, even
		// with the right password, until the oldest of the last five is 15 minutes old.
		clock.Advance(time.Minute)
		fail("ada", 1)
		resp := try("ada", "ada-password")
		f := expectFailure(t, resp.StatusCode(), resp.Body, 429, "Too many failed logins; try again in 840 seconds.")
		if f.Message != "Too many attempts" || resp.HTTPResponse.Header.Get("Retry-After") != "840" {
			t.Fatalf("429: %s, Retry-After %q", resp.Body, resp.HTTPResponse.Header.Get("Retry-After"))
		}
		if resp := try("ADA", "ada-password"); resp.StatusCode() != 429 {
			t.Fatalf("the same username in another case is not limited: %d", resp.StatusCode())
		}
		// Other usernames from the same address still log in.
		if resp := try("bob", "bob-password"); resp.StatusCode() != 200 {
			t.Fatalf("bob: %s", resp.Body)
		}
		clock.Advance(14*time.Minute - time.Second)
		if resp := try("ada", "ada-password"); resp.StatusCode() != 429 || resp.HTTPResponse.Header.Get("Retry-After") != "1" {
			t.Fatalf("a second before reopening: %d %q", resp.StatusCode(), resp.HTTPResponse.Header.Get("Retry-After"))
		}
		clock.Advance(time.Second)
		if resp := try("ada", "ada-password"); resp.StatusCode() != 200 {
			t.Fatalf("after the window: %s", resp.Body)
		}

		// 20 failures from one address, whatever the usernames, block the address.
		clock.Advance(time.Hour)
		for i := range 20 {
			fail(fmt.Sprintf("guess%d", i), 1)
		}
		resp = try("bob", "bob-password")
		expectFailure(t, resp.StatusCode(), resp.Body, 429, "Too many failed logins")
		if s, err := strconv.Atoi(resp.HTTPResponse.Header.Get("Retry-After")); err != nil || s != 900 {
			t.Fatalf("Retry-After %q", resp.HTTPResponse.Header.Get("Retry-After"))
		}
		// A blocked attempt is not counted: the address reopens 15 minutes after the failures.
		clock.Advance(15 * time.Minute)
		if resp := try("bob", "bob-password"); resp.StatusCode() != 200 {
			t.Fatalf("after the window: %s", resp.Body)
		}
	})
}

// TestLoginAddressLimitTrustsOnlyConfiguredProxies: the address a login's failures count against is
// the one the rate limits use, so X-Forwarded-For counts only from a trusted proxy.
func TestLoginAddressLimitTrustsOnlyConfiguredProxies(t *testing.T) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	login := func(ts *testServer, username, password, forwardedFor string) int {
		t.Helper()
		body := strings.NewReader(`{"username":"` + username + `","password":"` + password + `"}`)
		status, _ := ts.do(t, "POST", "/users/user/login/", "application/json", body, http.Header{"X-Forwarded-For": {forwardedFor}})
		return status
	}
	for _, c := range []struct {
		name        string
		options     []impl.HTTPOption
		otherClient int // what another forwarded client gets once the first one is blocked
	}{
		{"no trusted proxy", nil, 429},
		{"behind a trusted proxy", []impl.HTTPOption{impl.WithTrustedProxies([]*net.IPNet{loopback})}, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestServer(t, sqliteDB(t), c.options...)
			newStaff(t, ts)
			for i := range 20 {
				if status := login(ts, fmt.Sprintf("guess%d", i), "wrong-password", "203.0.113.1"); status != 401 {
					t.Fatalf("failure %d: %d", i, status)
				}
			}
			if status := login(ts, staffUsername, staffPassword, "203.0.113.1"); status != 429 {
				t.Fatalf("the client with 20 failures: %d, want 429", status)
			}
			if status := login(ts, staffUsername, staffPassword, "203.0.113.2"); status != c.otherClient {
				t.Fatalf("another client: %d, want %d", status, c.otherClient)
			}
		})
	}
}

// TestConcurrentFailedUserLoginsStayWithinTheLimit: guesses sent at once each count the others, so
// at most 5 of them get to check a password.
func TestConcurrentFailedUserLoginsStayWithinTheLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)
		newMember(t, ts, staff, "ada")
		checked := concurrentGuesses(t, 10, 5, func() (int, error) {
			resp, err := ts.LoginUserWithResponse(context.Background(), gen.UserLogin{Username: "ada", Password: ptr("guess")})
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		})
		// Refused guesses are not counted: exactly 5 failures in all are allowed.
		for range 5 - checked {
			resp, _ := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: "ada", Password: ptr("guess")})
			expectFailure(t, resp.StatusCode(), resp.Body, 401, "Invalid username or password")
		}
		resp, _ := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: "ada", Password: ptr("ada-password")})
		expectFailure(t, resp.StatusCode(), resp.Body, 429, "Too many failed logins")
	})
}

func TestDeactivationEndsSessionsAndBlocksLogin(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)
		ada, first := newMember(t, ts, staff, "ada")
		second := loginSession(t, ts, "ada", "ada-password")
		bob, bobSession := newMember(t, ts, staff, "bob")

		resp, err := ts.DeactivateUserWithResponse(t.Context(), ada.Id, withSession(staff))
		if err != nil || resp.JSON200 == nil || resp.JSON200.Message != "User deactivated" || resp.JSON200.Data != (gen.UserActivation{Id: ada.Id, IsActive: false}) {
			t.Fatalf("deactivate: %v %s", err, resp.Body)
		}
		for _, session := range []string{first, second} {
			info, _ := ts.GetUserInfoWithResponse(t.Context(), ada.Id, withSession(session))
			expectFailure(t, info.StatusCode(), info.Body, 401, "Log in first")
		}
		if info, _ := ts.GetUserInfoWithResponse(t.Context(), ada.Id, withSession(staff)); info.JSON200 == nil || info.JSON200.Data.IsActive {
			t.Fatalf("staff see ada inactive: %s", info.Body)
		}
		if info, _ := ts.GetUserInfoWithResponse(t.Context(), bob.Id, withSession(bobSession)); info.JSON200 == nil {
			t.Fatalf("others keep their sessions: %s", info.Body)
		}
		in, _ := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: "ada", Password: ptr("ada-password")})
		expectFailure(t, in.StatusCode(), in.Body, 401, "Invalid username or password")

		act, err := ts.ActivateUserWithResponse(t.Context(), ada.Id, withSession(staff))
		if err != nil || act.JSON200 == nil || act.JSON200.Message != "User activated" || !act.JSON200.Data.IsActive {
			t.Fatalf("activate: %v %s", err, act.Body)
		}
		for _, session := range []string{first, second} { // ended, not merely refused while inactive
			info, _ := ts.GetUserInfoWithResponse(t.Context(), ada.Id, withSession(session))
			expectFailure(t, info.StatusCode(), info.Body, 401, "Log in first")
		}
		third := loginSession(t, ts, "ada", "ada-password")

		// Deactivating through edit/ ends the sessions too.
		edit, _ := ts.EditUserWithResponse(t.Context(), ada.Id, gen.UserUpdate{IsActive: ptr(false)}, withSession(staff))
		if edit.JSON200 == nil || edit.JSON200.Data.IsActive {
			t.Fatalf("edit is_active: %s", edit.Body)
		}
		if act, _ := ts.ActivateUserWithResponse(t.Context(), ada.Id, withSession(staff)); act.JSON200 == nil {
			t.Fatalf("activate again: %s", act.Body)
		}
		info, _ := ts.GetUserInfoWithResponse(t.Context(), ada.Id, withSession(third))
		expectFailure(t, info.StatusCode(), info.Body, 401, "Log in first")

		// Only staff (de)activate; unknown users are 404; no session is 401.
		for _, call := range []func(id int64, editor gen.RequestEditorFn) (int, []byte){
			func(id int64, e gen.RequestEditorFn) (int, []byte) {
				r, _ := ts.DeactivateUserWithResponse(t.Context(), id, e)
				return r.StatusCode(), r.Body
			},
			func(id int64, e gen.RequestEditorFn) (int, []byte) {
				r, _ := ts.ActivateUserWithResponse(t.Context(), id, e)
				return r.StatusCode(), r.Body
			},
		} {
			status, body := call(ada.Id, withSession(bobSession))
			expectFailure(t, status, body, 403, "This action needs an administrator (is_admin)")
			status, body = call(bob.Id, withSession(bobSession))
			expectFailure(t, status, body, 403, "This action needs an administrator (is_admin)")
			status, body = call(999, withSession(staff))
			if f := expectFailure(t, status, body, 404, "No user with id 999"); f.Message != "User not found" {
				t.Fatalf("404 message: %s", body)
			}
			status, body = call(ada.Id, func(_ context.Context, _ *http.Request) error { return nil })
			expectFailure(t, status, body, 401, "Log in first")
		}
	})
}

// TestFailuresElsewhereDoNotLockAUserOut: five wrong passwords for root from one address lock root
// out from that address only; root, from its own address, still logs in.
func TestFailuresElsewhereDoNotLockAUserOut(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		newStaff(t, ts)
		login := func(password, address string) *gen.LoginUserResponse {
			t.Helper()
			resp, err := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: staffUsername, Password: &password}, fromAddress(address))
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		for range 5 {
			if resp := login("wrong-password", "203.0.113.66"); resp.StatusCode() != 401 {
				t.Fatalf("a guess: %d %s", resp.StatusCode(), resp.Body)
			}
		}
		resp := login(staffPassword, "203.0.113.66")
		expectFailure(t, resp.StatusCode(), resp.Body, 429, "Too many failed logins")
		if resp := login(staffPassword, "198.51.100.1"); resp.StatusCode() != 200 {
			t.Fatalf("root from its own address after guesses elsewhere: %d %s", resp.StatusCode(), resp.Body)
		}
	}, trustLoopback(t))
}

// TestUsernamesDifferingOnlyInCaseAreOneAccount: one account, one counter of failures.
func TestUsernamesDifferingOnlyInCaseAreOneAccount(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		_, staff := newStaff(t, ts)
		newMember(t, ts, staff, "ada")
		resp, err := ts.CreateUserWithResponse(t.Context(), gen.UserCreate{Username: "ADA", Password: ptr("another-password")}, withSession(staff))
		if err != nil {
			t.Fatal(err)
		}
		expectFailure(t, resp.StatusCode(), resp.Body, 400, "A user with this username already exists.")
		loginSession(t, ts, "Ada", "ada-password")

		for _, name := range []string{"ada", "ADA", "Ada", "aDa", "adA"} {
			resp, err := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: name, Password: ptr("wrong-password")})
			if err != nil || resp.StatusCode() != 401 {
				t.Fatalf("a failed login of %s: %v %d", name, err, resp.StatusCode())
			}
		}
		locked, err := ts.LoginUserWithResponse(t.Context(), gen.UserLogin{Username: "ada", Password: ptr("ada-password")})
		if err != nil {
			t.Fatal(err)
		}
		expectFailure(t, locked.StatusCode(), locked.Body, 429, "Too many failed logins")
	})
}
