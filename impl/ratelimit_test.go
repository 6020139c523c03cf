package impl_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/impl"
)

// wantRetryAfter checks a 429 and its Retry-After, in whole seconds within [lo, hi].
func wantRetryAfter(t *testing.T, resp *http.Response, body []byte, lo, hi int) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", resp.StatusCode, body)
	}
	if retry, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || retry < lo || retry > hi {
		t.Errorf("Retry-After %q, want %d to %d seconds", resp.Header.Get("Retry-After"), lo, hi)
	}
}

// fromAddress makes a request come from a client address, through a trusted loopback proxy.
func fromAddress(addr string) gen.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("X-Forwarded-For", addr)
		return nil
	}
}

// trustLoopback trusts the test client's loopback address as a proxy, so that X-Forwarded-For
// names the client.
func trustLoopback(t *testing.T) impl.HTTPOption {
	t.Helper()
	_, loopback, err := net.ParseCIDR("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	return impl.WithTrustedProxies([]*net.IPNet{loopback})
}

// anonymousLimited lists the anonymous operations that declare a 429, with the top-level fields of
// their 429 body.
var anonymousLimited = []struct {
	operation, method, path string
	want                    map[string]any
}{
	{"loginUser", "POST", "/users/user/login/", map[string]any{"success": false, "message": "Too many attempts", "data": nil}},
	{"registerPatient", "POST", "/users", map[string]any{"message": "Too many requests"}},
	{"loginPatient", "POST", "/auth/login", map[string]any{"message": "Too many requests"}},
}

func TestAnonymousLimitsAnswer429WithRetryAfterInEachFamilysDialect(t *testing.T) {
	const burst = 3
	// One login token every 100 s; registrations 3 an hour, so one every 1200 s.
	limits := impl.RateLimits{PerAddress: impl.RateLimit{Rate: 0.01, Burst: burst}, Registration: impl.HourlyLimit(burst)}
	// Bodies over a tiny limit stop every request of the burst at a 413, before handlers, so the test
	// holds however each family implements its operations.
	ts := newTestServer(t, sqliteDB(t), impl.WithRateLimits(limits), impl.WithBodyLimit(16))
	const tooLarge = `{"padding":"0123456789abcdef"}`
	for _, op := range anonymousLimited {
		t.Run(op.operation, func(t *testing.T) {
			for i := range burst {
				if resp, body := ts.send(t, op.method, op.path, "application/json", strings.NewReader(tooLarge), nil); resp.StatusCode != 413 {
					t.Fatalf("request %d of the burst: %d %s, want the 413 of the body limit", i+1, resp.StatusCode, body)
				}
			}
			resp, body := ts.send(t, op.method, op.path, "application/json", strings.NewReader(tooLarge), nil)
			if op.operation == "registerPatient" {
				wantRetryAfter(t, resp, body, 1200, 1200)
			} else {
				wantRetryAfter(t, resp, body, 90, 100)
			}
			got := jsonBody(t, body)
			for k, v := range op.want {
				if !jsonEqual(got[k], v) {
					t.Errorf("%s = %v, want %v (body %s)", k, got[k], v, body)
				}
			}
			if resp.Header.Get(impl.HeaderRequestID) == "" {
				t.Error("the 429 has no request ID")
			}
		})
	}
	// Operations without a 429 in the contract are not limited.
	for range burst + 2 {
		if status, body := ts.do(t, "GET", "/api/v2/medics/", "", nil, nil); status != 401 {
			t.Fatalf("listMedics: %d %s", status, body)
		}
	}
}

func TestAnonymousLimitsKeyOnTheClientAddressTrustingOnlyConfiguredProxies(t *testing.T) {
	limit := impl.WithRateLimits(impl.RateLimits{PerAddress: impl.RateLimit{Rate: 0.01, Burst: 1}})
	from := func(xff string) http.Header { return http.Header{"X-Forwarded-For": {xff}} }
	login := func(ts *testServer, header http.Header) int {
		resp, _ := ts.send(t, "POST", "/auth/login", "application/json", strings.NewReader("{"), header)
		return resp.StatusCode
	}

	// No trusted proxy: X-Forwarded-For is ignored, so forging it buys no new budget.
	direct := newTestServer(t, sqliteDB(t), limit)
	if got := []int{login(direct, from("203.0.113.1")), login(direct, from("203.0.113.2"))}; got[0] != 400 || got[1] != 429 {
		t.Errorf("without trusted proxies: %v, want [400 429]", got)
	}

	// The loopback proxy is trusted: each forwarded client has its own bucket, and the nearest
	// untrusted address counts, whatever the client prepends.
	proxied := newTestServer(t, sqliteDB(t), limit, trustLoopback(t))
	got := []int{
		login(proxied, from("203.0.113.1")),
		login(proxied, from("203.0.113.1")),
		login(proxied, from("198.51.100.7, 203.0.113.1")),
		login(proxied, from("203.0.113.2")),
		login(proxied, nil), // the proxy's own address
	}
	if want := []int{400, 429, 429, 400, 400}; !jsonEqual(got, want) {
		t.Errorf("behind a trusted proxy: %v, want %v", got, want)
	}
}

// TestAuthenticatedLimitsAreKeyedByCredentialNotAddress: clients sharing an address (clinics behind
// one NAT) do not share a budget, and each family answers in its dialect.
func TestAuthenticatedLimitsAreKeyedByCredentialNotAddress(t *testing.T) {
	// A per-address limit that would stop the second creation from the test's one address.
	limits := impl.RateLimits{PerAddress: impl.RateLimit{Rate: 0.01, Burst: 1}, PerCredential: impl.RateLimit{Rate: 0.01, Burst: 2}}
	eachBackend(t, func(t *testing.T, ts *testServer) {
		ctx := t.Context()
		a, b := integrator(t, ts, "a@example.com"), integrator(t, ts, "b@example.com")
		createMedic := func(token, email string) (*http.Response, []byte) {
			resp, err := ts.CreateMedicWithResponse(ctx, gen.MedicCreate{Name: "Dr " + email, Email: openapi_types.Email(email), Password: ptr("password1")}, withToken(token))
			if err != nil {
				t.Fatal(err)
			}
			return resp.HTTPResponse, resp.Body
		}
		for i := range 2 {
			if resp, body := createMedic(a, "a"+itoa(int64(i))+"@example.com"); resp.StatusCode != 201 {
				t.Fatalf("creation %d of a's burst: %d %s", i+1, resp.StatusCode, body)
			}
		}
		resp, body := createMedic(a, "a9@example.com")
		wantRetryAfter(t, resp, body, 90, 100)
		if msg := jsonBody(t, body)["message"]; msg != "Too many requests" {
			t.Errorf("prescrypto 429 message %v", msg)
		}
		if resp, body := createMedic(b, "b0@example.com"); resp.StatusCode != 201 {
			t.Fatalf("another token from the same address: %d %s", resp.StatusCode, body)
		}

		key := institution(t, ts, "Clinic")
		createAccount(t, ts, key, newAccount("d1@example.com"))
		createAccount(t, ts, key, newAccount("d2@example.com"))
		accResp, err := ts.CreateInstitutionalAccountWithResponse(ctx, newAccount("d3@example.com"), withBearer(key))
		if err != nil {
			t.Fatal(err)
		}
		wantRetryAfter(t, accResp.HTTPResponse, accResp.Body, 90, 100)
		wantError(t, accResp.StatusCode(), accResp.Body, 429, "rate_limited", nil)

		_, staff := newStaff(t, ts)
		createUser(t, ts, staff, gen.UserCreate{Username: "u1", Password: ptr("u1-password")})
		createUser(t, ts, staff, gen.UserCreate{Username: "u2", Password: ptr("u2-password")})
		userResp, err := ts.CreateUserWithResponse(ctx, gen.UserCreate{Username: "u3", Password: ptr("u3-password")}, withSession(staff))
		if err != nil {
			t.Fatal(err)
		}
		wantRetryAfter(t, userResp.HTTPResponse, userResp.Body, 90, 100)
		expectFailure(t, userResp.StatusCode(), userResp.Body, 429, "Try again in")
	}, impl.WithRateLimits(limits))
}

// TestDefaultLimitsLetAnIntegratorCreate50MedicsAtOnce: an onboarding script's burst passes.
func TestDefaultLimitsLetAnIntegratorCreate50MedicsAtOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		token := integrator(t, ts, "onboarding@example.com")
		statuses := concurrently(t, 50, func(i int) (int, error) {
			email := "medic" + itoa(int64(i)) + "@example.com"
			resp, err := ts.CreateMedicWithResponse(t.Context(), gen.MedicCreate{Name: "Dr " + email, Email: openapi_types.Email(email), Password: ptr("password1")}, withToken(token))
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		})
		if statuses[201] != 50 {
			t.Fatalf("statuses %v, want 50 201s", statuses)
		}
	}, impl.WithRateLimits(impl.DefaultRateLimits))
}

// TestEmailChangesAreLimitedPerCredential: each change of email tells whether the new address is
// taken, so changes are limited; edits that keep the email are not.
func TestEmailChangesAreLimitedPerCredential(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		ctx := t.Context()
		token := integrator(t, ts, "owner@example.com")
		created, err := ts.CreateMedicWithResponse(ctx, gen.MedicCreate{Name: "Dr M", Email: "m0@example.com", Password: ptr("password1")}, withToken(token))
		if err != nil || created.JSON201 == nil {
			t.Fatalf("create medic: %v %s", err, created.Body)
		}
		id := created.JSON201.Id
		patch := func(body gen.MedicUpdate) (*http.Response, []byte) {
			resp, err := ts.UpdateMedicWithResponse(ctx, id, body, withToken(token))
			if err != nil {
				t.Fatal(err)
			}
			return resp.HTTPResponse, resp.Body
		}
		email := func(s string) *openapi_types.Email { e := openapi_types.Email(s); return &e }
		for _, e := range []string{"m1@example.com", "m2@example.com"} {
			if resp, body := patch(gen.MedicUpdate{Email: email(e)}); resp.StatusCode != 202 {
				t.Fatalf("change to %s: %d %s", e, resp.StatusCode, body)
			}
		}
		resp, body := patch(gen.MedicUpdate{Email: email("m3@example.com")})
		wantRetryAfter(t, resp, body, 1800, 1800)
		for _, keep := range []gen.MedicUpdate{{Name: ptr("Dr N")}, {Email: email("M2@example.com")}} {
			if resp, body := patch(keep); resp.StatusCode != 202 {
				t.Fatalf("an edit that keeps the email: %d %s", resp.StatusCode, body)
			}
		}

		_, staff := newStaff(t, ts)
		me, session := newMember(t, ts, staff, "ada")
		edit := func(e string) (*http.Response, []byte) {
			resp, err := ts.EditUserWithResponse(ctx, me.Id, gen.UserUpdate{Email: email(e)}, withSession(session))
			if err != nil {
				t.Fatal(err)
			}
			return resp.HTTPResponse, resp.Body
		}
		for _, e := range []string{"ada1@example.com", "ada2@example.com"} {
			if resp, body := edit(e); resp.StatusCode != 200 {
				t.Fatalf("self-edit to %s: %d %s", e, resp.StatusCode, body)
			}
		}
		resp, body = edit("ada3@example.com")
		wantRetryAfter(t, resp, body, 1800, 1800)
		expectFailure(t, resp.StatusCode, body, 429, "Try again in")
	}, impl.WithRateLimits(impl.RateLimits{EmailChange: impl.HourlyLimit(2)}))
}

// TestRegistrationIsLimitedPerAddressMoreTightlyThanLogins: the documented 409 tells whether an
// email has an account, so an address may register only a few times an hour.
func TestRegistrationIsLimitedPerAddressMoreTightlyThanLogins(t *testing.T) {
	limits := impl.RateLimits{PerAddress: impl.RateLimit{Rate: 10, Burst: 20}, Registration: impl.HourlyLimit(2)}
	eachBackend(t, func(t *testing.T, ts *testServer) {
		ctx := t.Context()
		organization(t, ts, "north")
		registerFrom := func(addr, email string) (*http.Response, []byte) {
			resp, err := ts.RegisterPatientWithResponse(ctx, inOrganization("north"), registration(email), fromAddress(addr))
			if err != nil {
				t.Fatal(err)
			}
			return resp.HTTPResponse, resp.Body
		}
		for _, email := range []string{"p1@example.com", "p1@example.com"} { // a 409 counts too
			if resp, body := registerFrom("203.0.113.1", email); resp.StatusCode != 201 && resp.StatusCode != 409 {
				t.Fatalf("registration of %s: %d %s", email, resp.StatusCode, body)
			}
		}
		resp, body := registerFrom("203.0.113.1", "p2@example.com")
		wantRetryAfter(t, resp, body, 1800, 1800)
		wantPatientError(t, resp.StatusCode, body, 429, "Too many requests")
		if resp, body := registerFrom("203.0.113.2", "p2@example.com"); resp.StatusCode != 201 {
			t.Fatalf("another address: %d %s", resp.StatusCode, body)
		}
		// Signing in from the limited address is not registering.
		signIn, err := ts.LoginPatientWithResponse(ctx, nil, gen.PatientLogin{Username: "p1@example.com#north", Password: ptr("Sup3rSecret")}, fromAddress("203.0.113.1"))
		if err != nil || signIn.JSON200 == nil {
			t.Fatalf("sign-in from the limited address: %v %d %s", err, signIn.StatusCode(), signIn.Body)
		}
	}, impl.WithRateLimits(limits), trustLoopback(t))
}
