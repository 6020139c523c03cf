package impl_test

import (
	"testing"
	"time"

	"github.com/galeno-health/galeno/gen"
)

// TestSecretsAreHashedInBoundedSlotsOutsideTransactions: while every hashing slot is taken, an edit
// that sets a password waits for one, holding no database connection (so no transaction or write
// lock); other writes to the same user go on meanwhile, and the edit completes once a slot frees.
func TestSecretsAreHashedInBoundedSlotsOutsideTransactions(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		ctx := t.Context()
		_, staff := newStaff(t, ts)
		ada, session := newMember(t, ts, staff, "ada")

		release := ts.Server.HoldHashSlots()
		edited := make(chan *gen.EditUserResponse, 1)
		go func() {
			resp, err := ts.EditUserWithResponse(ctx, ada.Id, gen.UserUpdate{Password: ptr("a-new-password"), NumericPassword: ptr("4321")}, withSession(session))
			if err != nil {
				t.Error(err)
			}
			edited <- resp
		}()
		time.Sleep(300 * time.Millisecond) // for the edit to reach the wait for a slot
		select {
		case resp := <-edited:
			release()
			t.Fatalf("the edit hashed while every slot was taken: %d %s", resp.StatusCode(), resp.Body)
		default:
		}
		if inUse := ts.DB.Pool().Stats().InUse; inUse != 0 {
			t.Errorf("%d database connections in use while the edit waits to hash: a transaction is open", inUse)
		}
		other, err := ts.EditUserWithResponse(ctx, ada.Id, gen.UserUpdate{FirstName: ptr("Ada")}, withSession(staff))
		if err != nil || other.JSON200 == nil {
			t.Fatalf("another edit of the user while the first waits: %v %d %s", err, other.StatusCode(), other.Body)
		}

		release()
		select {
		case resp := <-edited:
			if resp == nil || resp.JSON200 == nil {
				t.Fatalf("the edit after a slot freed: %v", resp)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the edit did not complete once the slots were free")
		}
		loginSession(t, ts, "ada", "a-new-password")
	})
}
