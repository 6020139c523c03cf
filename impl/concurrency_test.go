package impl_test

import (
	"context"
	"testing"

	"github.com/galeno-health/galeno/gen"
)

// Races on the Prescrypto memberships: however many requests try to link one medic to one hospital
// at once, the link is made once and the others get the documented answer. (The other families'
// races are next to their tests: TestConcurrentCreatesConflict, TestConcurrentRegistrationsOfOneEmail,
// TestDuplicateUsernamesAndEmailsAre400s, TestConcurrentCreatesWithOneEmailMakeOneMedic.)

const racers = 6

// medicMembershipsIn counts the memberships medic has in hospital, as the hospital's ADMIN sees them.
func medicMembershipsIn(t *testing.T, ts *testServer, admin string, medic, hospital int64) int {
	t.Helper()
	list, err := ts.ListHospitalMembershipsWithResponse(t.Context(), hospital, withToken(admin))
	if err != nil || list.JSON200 == nil {
		t.Fatalf("list the hospital's memberships: %v %s", err, list.Body)
	}
	n := 0
	for _, m := range *list.JSON200 {
		if *m.Medic.Id == medic {
			n++
		}
	}
	return n
}

func TestConcurrentDuplicateMembershipsMakeOne(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "race-memberships@example.com")
		for _, active := range []bool{false, true} { // an active membership also locks the medic first
			hospital := createHospital(t, ts, owner, true)
			doc := createMedic(t, ts, owner, "race-member-"+map[bool]string{false: "idle", true: "active"}[active]+"@example.com")
			count := concurrently(t, racers, func(i int) (int, error) {
				resp, err := ts.CreateMembershipWithResponse(context.Background(), gen.MembershipCreate{Medic: doc.ID, Hospital: hospital,
					TypeMembership: []gen.MembershipType{"MEMBER", "ADMIN"}[i%2], IsActive: &active}, withToken(owner))
				if err != nil {
					return 0, err
				}
				if resp.StatusCode() == 409 && jsonBody(t, resp.Body)["message"] != "Membership already exists please edit instead of trying to create it again." {
					t.Errorf("duplicate membership: %s", resp.Body)
				}
				return resp.StatusCode(), nil
			})
			if count[201] != 1 || count[409] != racers-1 {
				t.Fatalf("is_active %v: statuses %v, want one 201 and %d 409", active, count, racers-1)
			}
			if n := medicMembershipsIn(t, ts, owner, doc.ID, hospital); n != 1 {
				t.Fatalf("is_active %v: %d memberships of the medic in the hospital", active, n)
			}
		}
	})
}

// TestConcurrentCreatesOfOneMedicInAHospital: creating a medic with `hospital` writes the medic and
// its membership together; duplicates of the email leave one medic with one membership.
func TestConcurrentCreatesOfOneMedicInAHospital(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "race-hospital-owner@example.com")
		hospital := createHospital(t, ts, owner, true)
		var created int64
		count := concurrently(t, racers, func(i int) (int, error) {
			resp, err := ts.CreateMedicWithResponse(context.Background(), gen.MedicCreate{Name: "Racer", Email: "racer@example.com",
				Password: ptr("password1"), Hospital: &hospital, IsAdminMembership: ptr(i%2 == 0)}, withToken(owner))
			if err != nil {
				return 0, err
			}
			switch resp.StatusCode() {
			case 201:
				created = resp.JSON201.Id
			case 400:
				if got := jsonBody(t, resp.Body)["email"]; !jsonEqual(got, []string{"medic with this email already exists."}) {
					t.Errorf("duplicate email: %s", resp.Body)
				}
			}
			return resp.StatusCode(), nil
		})
		if count[201] != 1 || count[400] != racers-1 {
			t.Fatalf("statuses %v, want one 201 and %d 400", count, racers-1)
		}
		if n := medicMembershipsIn(t, ts, owner, created, hospital); n != 1 {
			t.Fatalf("%d memberships of the medic in the hospital", n)
		}
	})
}

// TestAssigningAHospitalWhileCreatingTheMembership races the two ways of linking a medic to a
// hospital: PATCH medic {hospital} (which creates the membership or takes over the existing one,
// always 202) and POST membership (201, or 409 when the PATCH made it first).
func TestAssigningAHospitalWhileCreatingTheMembership(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "race-assign@example.com")
		doc := createMedic(t, ts, owner, "race-assign-medic@example.com")
		for round := range 20 {
			hospital := createHospital(t, ts, owner, true)
			statuses := make([]int, racers)
			concurrently(t, racers, func(i int) (int, error) {
				var status int
				if i%2 == 0 {
					resp, err := ts.UpdateMedicWithResponse(context.Background(), doc.ID, gen.MedicUpdate{Hospital: &hospital}, withToken(owner))
					if err != nil {
						return 0, err
					}
					status = resp.StatusCode()
				} else {
					resp, err := ts.CreateMembershipWithResponse(context.Background(), gen.MembershipCreate{Medic: doc.ID, Hospital: hospital,
						TypeMembership: "MEMBER"}, withToken(owner))
					if err != nil {
						return 0, err
					}
					status = resp.StatusCode()
				}
				statuses[i] = status
				return status, nil
			})
			created := 0
			for i, status := range statuses {
				switch {
				case i%2 == 0 && status != 202:
					t.Errorf("round %d: PATCH medic {hospital} got %d, want 202", round, status)
				case i%2 == 1 && status == 201:
					created++
				case i%2 == 1 && status != 409:
					t.Errorf("round %d: POST membership got %d, want 201 or 409", round, status)
				}
			}
			if created > 1 {
				t.Errorf("round %d: %d memberships created", round, created)
			}
			if n := medicMembershipsIn(t, ts, owner, doc.ID, hospital); n != 1 {
				t.Fatalf("round %d: %d memberships of the medic in the hospital", round, n)
			}
			if got := getMedic(t, ts, owner, doc.ID).JSON200; got.Hospital == nil || *got.Hospital != hospital {
				t.Fatalf("round %d: the medic's hospital is %v, want %d", round, got.Hospital, hospital)
			}
		}
	})
}
