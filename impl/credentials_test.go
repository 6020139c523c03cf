package impl_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/impl"
)

// credentialKind returns the kind of credential named name.
func credentialKind(t *testing.T, ts *testServer, name string) impl.CredentialKind {
	t.Helper()
	for _, k := range ts.Server.CredentialKinds() {
		if k.Name == name {
			return k
		}
	}
	t.Fatalf("no credential kind %q", name)
	return impl.CredentialKind{}
}

// listed returns what a kind's list shows, as JSON, failing the test if a secret appears in it.
func listed(t *testing.T, k impl.CredentialKind, secrets ...string) string {
	t.Helper()
	infos, err := k.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(infos)
	for _, secret := range secrets {
		if _, rest, _ := strings.Cut(secret, "."); strings.Contains(string(b), rest) {
			t.Fatalf("%s list shows a secret: %s", k.Name, b)
		}
	}
	return string(b)
}

func TestOperatorsRotateAndRevokeMedicTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "rotate@example.com")
		m := createMedic(t, ts, owner, "medic@example.com")
		works := func(token string) int { return getMedic(t, ts, token, m.ID).StatusCode() }
		k := credentialKind(t, ts, "medic-token")

		rotated, err := k.Rotate(t.Context(), itoa(m.ID))
		if err != nil || works(rotated) != 200 || works(m.Token) != 401 {
			t.Fatalf("rotate: %v; new token %d, old %d", err, works(rotated), works(m.Token))
		}
		if list := listed(t, k, owner, rotated, m.Token); !strings.Contains(list, `"key_id":"`+rotated[:12]+`"`) ||
			strings.Contains(list, m.Token[:12]) || !strings.Contains(list, "medic@example.com") {
			t.Fatalf("list after the rotation: %s", list)
		}
		if err := k.Revoke(t.Context(), itoa(m.ID)); err != nil || works(rotated) != 401 || works(owner) != 200 {
			t.Fatalf("revoke: %v; revoked token %d, another medic's %d", err, works(rotated), works(owner))
		}
		for _, bad := range []string{"999", "x", "0"} {
			if _, err := k.Rotate(t.Context(), bad); err == nil {
				t.Errorf("rotate medic %q: no error", bad)
			}
		}
		if err := k.Revoke(t.Context(), itoa(m.ID)); err == nil || !strings.Contains(err.Error(), "no medic with tokens") {
			t.Errorf("revoking a medic without tokens: %v", err)
		}
	})
}

func TestOperatorsRotateAndRevokeInstitutionAndDoctorKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		key := institution(t, ts, "Clínica Norte")
		account := createAccount(t, ts, key, newAccount("dr@north.example"))
		status := func(credential string) int {
			s, _ := ts.do(t, "GET", "/v1/institutional/accounts/"+account.Id, "", nil, http.Header{"Authorization": {"Bearer " + credential}})
			return s
		}
		if status(key) != 200 || status(account.ApiKey) != 403 {
			t.Fatalf("before: institution %d, doctor %d", status(key), status(account.ApiKey))
		}
		institutions, doctors := credentialKind(t, ts, "institution-key"), credentialKind(t, ts, "doctor-key")

		if err := institutions.Revoke(t.Context(), "1"); err != nil || status(key) != 401 {
			t.Fatalf("revoked institution key: %v %d", err, status(key))
		}
		if list := listed(t, institutions, key); !strings.Contains(list, `"revoked_at":"`) || !strings.Contains(list, "Clínica Norte") {
			t.Fatalf("list after the revocation: %s", list)
		}
		newKey, err := institutions.Rotate(t.Context(), "1")
		if err != nil || !strings.HasPrefix(newKey, "inst_") || status(newKey) != 200 || status(key) != 401 {
			t.Fatalf("rotated institution key: %v; new %d, old %d", err, status(newKey), status(key))
		}
		if list := listed(t, institutions, key, newKey); strings.Contains(list, "revoked_at") {
			t.Fatalf("a rotated key is still listed as revoked: %s", list)
		}

		if err := doctors.Revoke(t.Context(), account.Id); err != nil || status(account.ApiKey) != 401 {
			t.Fatalf("revoked doctor key: %v %d", err, status(account.ApiKey))
		}
		doctorKey, err := doctors.Rotate(t.Context(), account.Id)
		if err != nil || !strings.HasPrefix(doctorKey, "doc_") || status(doctorKey) != 403 || status(account.ApiKey) != 401 {
			t.Fatalf("rotated doctor key: %v; new %d, old %d", err, status(doctorKey), status(account.ApiKey))
		}
		if list := listed(t, doctors, account.ApiKey, doctorKey); !strings.Contains(list, account.Id) {
			t.Fatalf("doctor keys: %s", list)
		}
		if _, err := doctors.Rotate(t.Context(), "acc_nobody"); err == nil || !strings.Contains(err.Error(), "no account acc_nobody") {
			t.Errorf("rotate an unknown account: %v", err)
		}
		if err := institutions.Revoke(t.Context(), "99"); err == nil {
			t.Error("revoke an unknown institution: no error")
		}
	})
}
