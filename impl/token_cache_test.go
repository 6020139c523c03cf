package impl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/impl"
)

// deactivateElsewhere deactivates a medic straight in the database, as another galeno process
// sharing it would.
func deactivateElsewhere(t *testing.T, ts *testServer, id int64) {
	t.Helper()
	m, err := ts.DB.MedicByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	m.IsActive = false
	if err := ts.DB.UpdateMedic(t.Context(), m); err != nil {
		t.Fatal(err)
	}
}

func TestTokenCacheTrustsACheckedTokenForItsTTLOnly(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			c := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
			ts := newTestServerWith(t, b.Open(t), impl.Options{Now: c.Now, TokenCacheTTL: time.Second})
			owner := integrator(t, ts, "cache-owner@example.com")
			m := createMedic(t, ts, owner, "cached@example.com")
			if got := getMedic(t, ts, m.Token, m.ID); got.StatusCode() != 200 {
				t.Fatalf("first use: %d %s", got.StatusCode(), got.Body)
			}

			// Another process deactivates the medic: this one trusts its check until the TTL ends.
			deactivateElsewhere(t, ts, m.ID)
			c.Advance(999 * time.Millisecond)
			if got := getMedic(t, ts, m.Token, m.ID); got.StatusCode() != 200 {
				t.Fatalf("within the TTL: %d %s", got.StatusCode(), got.Body)
			}
			c.Advance(time.Millisecond)
			after := getMedic(t, ts, m.Token, m.ID)
			wantMessage(t, "after the TTL", after.StatusCode(), after.Body, 401, "Invalid Token")

			// A wrong secret behind a cached token's key id is checked, and refused.
			if got := getMedic(t, ts, owner, 999999); got.StatusCode() != 404 {
				t.Fatalf("owner: %d %s", got.StatusCode(), got.Body)
			}
			keyID, _, _ := strings.Cut(owner, ".")
			forged := getMedic(t, ts, keyID+"."+strings.Repeat("0", 48), 999999)
			wantMessage(t, "a forged secret", forged.StatusCode(), forged.Body, 401, "Invalid Token")

			// A deactivation through this process takes effect at once.
			other := createMedic(t, ts, owner, "other@example.com")
			if got := getMedic(t, ts, other.Token, other.ID); got.StatusCode() != 200 {
				t.Fatalf("other: %d %s", got.StatusCode(), got.Body)
			}
			if resp, _ := ts.UpdateMedicWithResponse(t.Context(), other.ID, gen.MedicUpdate{IsActive: ptr(false)}, withToken(owner)); resp.StatusCode() != 202 {
				t.Fatalf("deactivate: %d %s", resp.StatusCode(), resp.Body)
			}
			now := getMedic(t, ts, other.Token, other.ID)
			wantMessage(t, "deactivated here", now.StatusCode(), now.Body, 401, "Invalid Token")
		})
	}
}

func TestWithoutTokenCacheEveryRequestChecksTheDatabase(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "nocache-owner@example.com")
		m := createMedic(t, ts, owner, "uncached@example.com")
		if got := getMedic(t, ts, m.Token, m.ID); got.StatusCode() != 200 {
			t.Fatalf("first use: %d %s", got.StatusCode(), got.Body)
		}
		deactivateElsewhere(t, ts, m.ID)
		after := getMedic(t, ts, m.Token, m.ID)
		wantMessage(t, "deactivated elsewhere", after.StatusCode(), after.Body, 401, "Invalid Token")
	})
}
