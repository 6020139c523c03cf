package impl_test

import (
	"strings"
	"testing"

	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/impl"
)

// seededSandbox seeds ts's database as `galeno sandbox` does, through an HTTP server on ts's Server.
func seededSandbox(t *testing.T, ts *testServer) *impl.SandboxCredentials {
	t.Helper()
	api, err := impl.NewEcho(ts.Server)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := ts.Server.SeedSandbox(t.Context(), api)
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// TestSandboxSeed GETs every seeded object through the generated client, whose every answer is
// validated against openapi.yaml, with the credential of its family that SeedSandbox returned.
func TestSandboxSeed(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		ctx := t.Context()
		c := seededSandbox(t, ts)
		token := withToken(c.Prescrypto.Token)

		medics, err := ts.ListMedicsWithResponse(ctx, nil, token)
		if err != nil || medics.JSON200 == nil || medics.JSON200.Count != 2 {
			t.Fatalf("list medics: %v %d %s", err, medics.StatusCode(), medics.Body)
		}
		for _, want := range []struct {
			id    int64
			name  string
			admin bool
		}{{1, "Elizabeth Blackwell", true}, {11, "Matilde Montoya", false}} {
			m, err := ts.GetMedicWithResponse(ctx, want.id, token)
			if err != nil || m.JSON200 == nil {
				t.Fatalf("medic %d: %v %d %s", want.id, err, m.StatusCode(), m.Body)
			}
			if m.JSON200.Name != want.name || m.JSON200.Hospital == nil || *m.JSON200.Hospital != 7 ||
				m.JSON200.IsAdminMembership == nil || *m.JSON200.IsAdminMembership != want.admin {
				t.Errorf("medic %d = %s", want.id, m.Body)
			}
		}
		if h, err := ts.GetHospitalWithResponse(ctx, 7, token); err != nil || h.JSON200 == nil || h.JSON200.Name != "Consultorio de la Dra. Matilde Montoya" {
			t.Errorf("hospital 7: %v %d %s", err, h.StatusCode(), h.Body)
		}
		for id, typ := range map[int64]gen.MembershipType{342: "ADMIN", 343: "MEMBER"} {
			m, err := ts.GetMembershipWithResponse(ctx, id, token)
			if err != nil || m.JSON200 == nil || m.JSON200.TypeMembership != typ || m.JSON200.Hospital != 7 {
				t.Errorf("membership %d: %v %d %s", id, err, m.StatusCode(), m.Body)
			}
		}
		if ms, err := ts.ListHospitalMembershipsWithResponse(ctx, 7, token); err != nil || ms.JSON200 == nil || len(*ms.JSON200) != 2 {
			t.Errorf("memberships of hospital 7: %v %d %s", err, ms.StatusCode(), ms.Body)
		}

		a, err := ts.GetInstitutionalAccountWithResponse(ctx, c.Institutional.DoctorAccount, withBearer(c.Institutional.InstitutionKey))
		if err != nil || a.JSON200 == nil || a.JSON200.Email != "dr.juan@clinica.com" || a.JSON200.InternalCode == nil || *a.JSON200.InternalCode != "DOC-001" {
			t.Errorf("doctor account %q: %v %d %s", c.Institutional.DoctorAccount, err, a.StatusCode(), a.Body)
		}

		session := withSession(loginSession(t, ts, c.Users.Username, c.Users.Password))
		for id, username := range map[int64]string{1: "admin", 2: "ada"} {
			u, err := ts.GetUserInfoWithResponse(ctx, id, session)
			if err != nil || u.JSON200 == nil || u.JSON200.Data.Username != username {
				t.Errorf("user %d: %v %d %s", id, err, u.StatusCode(), u.Body)
			}
		}

		login, err := ts.LoginPatientWithResponse(ctx, &gen.LoginPatientParams{Organization: &c.Patients.Organization},
			gen.PatientLogin{Username: c.Patients.Username, Password: &c.Patients.Password})
		if err != nil || login.JSON200 == nil {
			t.Fatalf("patient login: %v %d %s", err, login.StatusCode(), login.Body)
		}
		bearer := withBearer(login.JSON200.Token)
		p, err := ts.GetCurrentPatientWithResponse(ctx, bearer)
		if err != nil || p.JSON200 == nil || p.JSON200.Organization != "appgen_demo" || !strings.HasSuffix(p.JSON200.Uname, "#appgen_demo") {
			t.Errorf("patient: %v %d %s", err, p.StatusCode(), p.Body)
		}
		if acc, err := ts.GetPatientAccountWithResponse(ctx, bearer); err != nil || acc.JSON200 == nil {
			t.Errorf("patient account: %v %d %s", err, acc.StatusCode(), acc.Body)
		}
	})
}

// TestSandboxSeedNeedsAnEmptyDatabase: seeding twice would give the documented ids to nothing.
func TestSandboxSeedNeedsAnEmptyDatabase(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	seededSandbox(t, ts)
	api, err := impl.NewEcho(ts.Server)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Server.SeedSandbox(t.Context(), api); err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Errorf("seeding again: err = %v, want a refusal naming the empty database", err)
	}
}
