package impl_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/impl"
)

func TestPatientTokensLongerLivedThanGalenoGivesAreRefused(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ts := newTestServerWith(t, b.Open(t), impl.Options{PatientSigningKey: key})
			organization(t, ts, northclinic)
			jane := register(t, ts, northclinic, registration("jane@example.com"))
			now := time.Now()
			token := func(iat time.Time, lifetime time.Duration) string {
				c := jwt.MapClaims{"sub": jane.UnderscoreId, "org": northclinic, "iss": "galeno", "exp": now.Add(lifetime).Unix()}
				if !iat.IsZero() {
					c["iat"] = iat.Unix()
				}
				return signed(t, jwt.SigningMethodHS256, key, c)
			}
			if status := currentPatient(t, ts, withBearer(token(now, 24*time.Hour))).StatusCode(); status != 200 {
				t.Fatalf("a day-long token, as login gives: %d", status)
			}
			for name, forged := range map[string]string{
				"100 years":              token(now, 100*365*24*time.Hour),
				"a day and a minute":     token(now, 24*time.Hour+time.Minute),
				"no issue time":          token(time.Time{}, time.Hour),
				"issued long ago, alive": token(now.Add(-48*time.Hour), time.Hour),
			} {
				if resp := currentPatient(t, ts, withBearer(forged)); resp.StatusCode() != 401 {
					t.Errorf("%s: %d %s, want 401", name, resp.StatusCode(), resp.Body)
				}
			}
		})
	}
}

func TestOperatorsRevokeThePatientTokensOfAPatientOrAnOrganization(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		organization(t, ts, northclinic)
		organization(t, ts, southclinic)
		jane := register(t, ts, northclinic, registration("jane@example.com"))
		john := register(t, ts, northclinic, registration("john@example.com"))
		south := register(t, ts, southclinic, registration("jane@example.com"))
		janeToken, johnToken, southToken := login(t, ts, jane.Uname, "Sup3rSecret"), login(t, ts, john.Uname, "Sup3rSecret"), login(t, ts, south.Uname, "Sup3rSecret")
		works := func(token string) bool { return currentPatient(t, ts, withBearer(token)).StatusCode() == 200 }
		if !works(janeToken) || !works(johnToken) || !works(southToken) {
			t.Fatal("fresh tokens are refused: the checks below would prove nothing")
		}

		if err := ts.Server.RevokePatientTokens(t.Context(), jane.UnderscoreId, ""); err != nil {
			t.Fatal(err)
		}
		resp := currentPatient(t, ts, withBearer(janeToken))
		wantPatientError(t, resp.StatusCode(), resp.Body, 401, "Invalid or expired token")
		if !works(johnToken) || !works(southToken) {
			t.Fatal("revoking one patient's tokens revoked others'")
		}
		janeAgain := login(t, ts, jane.Uname, "Sup3rSecret")
		if !works(janeAgain) {
			t.Fatal("a token signed after the revocation is refused")
		}

		if err := ts.Server.RevokePatientTokens(t.Context(), "", northclinic); err != nil {
			t.Fatal(err)
		}
		if works(janeAgain) || works(johnToken) || !works(southToken) {
			t.Fatal("revoking an organization's tokens: want its patients' refused and the others' kept")
		}
		if !works(login(t, ts, john.Uname, "Sup3rSecret")) {
			t.Fatal("a token signed after the organization's revocation is refused")
		}

		for _, c := range [][2]string{{"pat_0000000000000000", ""}, {"", "nowhere"}, {"", ""}, {jane.UnderscoreId, northclinic}} {
			if err := ts.Server.RevokePatientTokens(t.Context(), c[0], c[1]); err == nil {
				t.Errorf("revoke %q: no error", c)
			}
		}
	})
}
