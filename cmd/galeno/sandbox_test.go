package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galeno-health/galeno/impl"
	"github.com/galeno-health/galeno/internal/testutil"
)

// startSandbox runs serveSandbox on a free loopback port until the test ends and returns its base
// URL, its start-up output, and how long it took to print it.
func startSandbox(t *testing.T) (base string, out *testutil.SyncBuffer, took time.Duration) {
	t.Helper()
	out = &testutil.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	start := time.Now()
	go func() { served <- serveSandbox(ctx, "127.0.0.1:0", out, true) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("sandbox: %v", err)
		}
	})
	started := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+) \(started in`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if m := started.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "/docs is the reference") {
			return m[1], out, time.Since(start)
		}
		select {
		case err := <-served:
			t.Fatalf("sandbox stopped: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no start-up banner: %q", out.String())
		}
	}
}

// sandboxCall sends a request to the sandbox and returns the response and its body.
func sandboxCall(t *testing.T, client *http.Client, method, url string, header http.Header, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// sandboxCredentials reads GET /__sandbox/credentials.
func sandboxCredentials(t *testing.T, base string) impl.SandboxCredentials {
	t.Helper()
	resp, body := sandboxCall(t, http.DefaultClient, http.MethodGet, base+"/__sandbox/credentials", nil, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("credentials: %d, Cache-Control %q: %s", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
	var c impl.SandboxCredentials
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSandboxStartsFastAndPrintsEveryFamilysCredential(t *testing.T) {
	base, out, took := startSandbox(t)
	if took > 2*time.Second {
		t.Errorf("the sandbox took %v to start, want well under a second (2 s allowed on a busy machine)", took)
	}
	c := sandboxCredentials(t, base)
	// README.md shows these: the seed's entropy is fixed, so they are the same everywhere.
	if c.Prescrypto.Token != "63686cb03592.b56be6cf41aa71468bc06b9d63796341ca702ff0f4243fd7" ||
		c.Institutional.InstitutionKey != "inst_0cb8ae4232b8.632bda3113a76151950ba124c009bb63f53f216e4d6e5805" ||
		c.Institutional.DoctorAccount != "acc_y4qhyaj8jupqq75v" {
		t.Errorf("the sandbox's credentials are not those README.md documents: %+v", c)
	}
	banner := out.String()
	for _, want := range []string{"FOR DEVELOPMENT ONLY", c.Prescrypto.Header, c.Institutional.Header,
		`"username": "admin", "password": "sandbox-admin-password"`, `"username": "jane.doe@example.com", "password": "Sup3rSecret"`,
		"organization: appgen_demo", "/__sandbox/reset"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the start-up output lacks %q:\n%s", want, banner)
		}
	}
}

// checkSandboxCredentials uses the credential of every family and fails unless each is accepted.
func checkSandboxCredentials(t *testing.T, base string, c impl.SandboxCredentials) {
	t.Helper()
	resp, body := sandboxCall(t, http.DefaultClient, http.MethodGet, base+"/api/v2/medics/", http.Header{"Authorization": {"Token " + c.Prescrypto.Token}}, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"count":2`) {
		t.Errorf("Prescrypto token: %d %s", resp.StatusCode, body)
	}
	resp, body = sandboxCall(t, http.DefaultClient, http.MethodGet, base+"/v1/institutional/accounts/"+c.Institutional.DoctorAccount,
		http.Header{"Authorization": {"Bearer " + c.Institutional.InstitutionKey}}, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "dr.juan@clinica.com") {
		t.Errorf("institution key: %d %s", resp.StatusCode, body)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	users := &http.Client{Jar: jar}
	login, _ := json.Marshal(map[string]string{"username": c.Users.Username, "password": c.Users.Password})
	if resp, body := sandboxCall(t, users, http.MethodPost, base+"/users/user/login/", nil, string(login)); resp.StatusCode != http.StatusOK {
		t.Errorf("users login: %d %s", resp.StatusCode, body)
	}
	if resp, body := sandboxCall(t, users, http.MethodGet, base+"/users/user/2/get_user_info/", nil, ""); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ada"`) {
		t.Errorf("users session: %d %s", resp.StatusCode, body)
	}
	login, _ = json.Marshal(map[string]string{"username": c.Patients.Username, "password": c.Patients.Password})
	resp, body = sandboxCall(t, http.DefaultClient, http.MethodPost, base+"/auth/login", http.Header{"Organization": {c.Patients.Organization}}, string(login))
	var token struct{ Token string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &token) != nil {
		t.Fatalf("patient login: %d %s", resp.StatusCode, body)
	}
	resp, body = sandboxCall(t, http.DefaultClient, http.MethodGet, base+"/users/me", http.Header{"Authorization": {"Bearer " + token.Token}}, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "jane.doe@example.com#appgen_demo") {
		t.Errorf("patient token: %d %s", resp.StatusCode, body)
	}
}

func TestSandboxCredentialsWorkForEveryFamily(t *testing.T) {
	base, _, _ := startSandbox(t)
	checkSandboxCredentials(t, base, sandboxCredentials(t, base))
}

func TestSandboxKeepsWhatClientsPostUntilReset(t *testing.T) {
	base, _, _ := startSandbox(t)
	c := sandboxCredentials(t, base)
	auth := http.Header{"Authorization": {"Token " + c.Prescrypto.Token}}
	resp, body := sandboxCall(t, http.DefaultClient, http.MethodPost, base+"/api/v2/hospital/", auth,
		`{"name": "Hospital de Prueba", "patron": "Hospital de Prueba S.A. de C.V.", "location": "Calle 1", "contact": "hola@example.com"}`)
	var created struct{ ID int64 }
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &created) != nil || created.ID != 8 {
		t.Fatalf("create hospital: %d %s (want id 8, after the seed's 7)", resp.StatusCode, body)
	}
	hospital := base + "/api/v2/hospital/8/"
	if resp, body := sandboxCall(t, http.DefaultClient, http.MethodGet, hospital, auth, ""); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Hospital de Prueba") {
		t.Fatalf("GET the created hospital: %d %s", resp.StatusCode, body)
	}

	resp, body = sandboxCall(t, http.DefaultClient, http.MethodPost, base+"/__sandbox/reset", nil, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reset: %d %s", resp.StatusCode, body)
	}
	var fresh impl.SandboxCredentials
	if err := json.Unmarshal(body, &fresh); err != nil {
		t.Fatal(err)
	}
	if fresh != c || fresh != sandboxCredentials(t, base) {
		t.Errorf("the credentials changed with the reset: %+v, then %+v", c, fresh)
	}
	checkSandboxCredentials(t, base, fresh)
	auth = http.Header{"Authorization": {"Token " + fresh.Prescrypto.Token}}
	if resp, body := sandboxCall(t, http.DefaultClient, http.MethodGet, hospital, auth, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the hospital created before the reset: %d %s, want 404", resp.StatusCode, body)
	}
	if resp, body := sandboxCall(t, http.DefaultClient, http.MethodGet, base+"/api/v2/hospital/7/", auth, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("the seed's hospital 7 after the reset: %d %s", resp.StatusCode, body)
	}
	if resp, _ := sandboxCall(t, http.DefaultClient, http.MethodGet, base+"/__sandbox/reset", nil, ""); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET /__sandbox/reset: %d, Allow %q; want 405, POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestSandboxResetIsAtomic: requests sent while resets run all get a whole world, never a closed or
// a half-seeded one.
func TestSandboxResetIsAtomic(t *testing.T) {
	base, _, _ := startSandbox(t)
	auth := http.Header{"Authorization": {"Token " + sandboxCredentials(t, base).Prescrypto.Token}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[int]int{}
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, body := sandboxCall(t, http.DefaultClient, http.MethodGet, base+"/api/v2/memberships/7", auth, "")
				mu.Lock()
				answers[resp.StatusCode]++
				if resp.StatusCode == http.StatusOK && strings.Count(string(body), `"type_membership"`) != 2 {
					answers[-1]++ // a world without both of the seed's memberships
				}
				mu.Unlock()
			}
		})
	}
	for range 3 {
		if resp, body := sandboxCall(t, http.DefaultClient, http.MethodPost, base+"/__sandbox/reset", nil, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("reset: %d %s", resp.StatusCode, body)
		}
	}
	close(stop)
	wg.Wait()
	if answers[http.StatusOK] == 0 || len(answers) != 1 {
		t.Errorf("requests during resets answered %v, want only 200s with the seed's memberships", answers)
	}
}

func TestSandboxAllowsAnyOriginWithCredentials(t *testing.T) {
	base, _, _ := startSandbox(t)
	const origin = "http://localhost:5173"
	resp, _ := sandboxCall(t, http.DefaultClient, http.MethodOptions, base+"/users/user/login/",
		http.Header{"Origin": {origin}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"content-type"}}, "")
	h := resp.Header
	if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != origin || h.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || h.Get("Access-Control-Allow-Headers") != "content-type" {
		t.Errorf("preflight: %d %v", resp.StatusCode, h)
	}
	// A browser's cross-site login, which galeno serve refuses, works here: every origin is trusted.
	resp, body := sandboxCall(t, http.DefaultClient, http.MethodPost, base+"/users/user/login/",
		http.Header{"Origin": {origin}, "Sec-Fetch-Site": {"cross-site"}}, `{"username": "admin", "password": "sandbox-admin-password"}`)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != origin || len(resp.Cookies()) == 0 {
		t.Errorf("cross-site login: %d %v %s", resp.StatusCode, resp.Header, body)
	}
}
