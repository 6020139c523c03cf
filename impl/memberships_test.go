package impl_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/gen"
)

func TestCreatingASoftDeletedMembershipRestoresIt(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "restore-owner@example.com")
		hospital := createHospital(t, ts, owner, true)
		doc := createMedic(t, ts, owner, "restore-doc@example.com")
		first, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: doc.ID, Hospital: hospital, TypeMembership: "MEMBER"}, withToken(owner))
		if first.StatusCode() != 201 {
			t.Fatalf("create: %d %s", first.StatusCode(), first.Body)
		}
		if d, _ := ts.DeleteMembershipWithResponse(t.Context(), *first.JSON201.Id, withToken(owner)); d.StatusCode() != 201 {
			t.Fatalf("delete: %d %s", d.StatusCode(), d.Body)
		}
		again, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: doc.ID, Hospital: hospital,
			TypeMembership: "ADMIN", IsActive: ptr(true)}, withToken(owner))
		if again.StatusCode() != 201 || *again.JSON201.Id != *first.JSON201.Id || again.JSON201.TypeMembership != "ADMIN" {
			t.Fatalf("create over a soft-deleted membership: %d %s", again.StatusCode(), again.Body)
		}
		got, _ := ts.GetMembershipWithResponse(t.Context(), *first.JSON201.Id, withToken(owner))
		if got.JSON200 == nil || got.JSON200.IsDeleted || !got.JSON200.IsActive || got.JSON200.TypeMembership != "ADMIN" {
			t.Fatalf("restored membership: %s", got.Body)
		}
		dup, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: doc.ID, Hospital: hospital, TypeMembership: "MEMBER"}, withToken(owner))
		wantMessage(t, "live duplicate", dup.StatusCode(), dup.Body, 409, "Membership already exists please edit instead of trying to create it again.")
	})
}

func TestSetDefaultHospital(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "default-owner@example.com")
		first := createHospital(t, ts, owner, true)
		second := createHospital(t, ts, owner, true)
		stranger := integrator(t, ts, "default-stranger@example.com")
		foreign := createHospital(t, ts, stranger, true)
		gone := createHospital(t, ts, stranger, true)
		if m := getMedic(t, ts, owner, ts.medicID(t, owner)).JSON200; *m.Hospital != first {
			t.Fatalf("the first hospital is not the current one: %+v", m)
		}
		set := func(hospital int64) (int, []byte) {
			return ts.do(t, "PATCH", "/api/v2/locations/update/", "application/json",
				strings.NewReader(`{"hospital_id": `+itoa(hospital)+`}`), http.Header{"Authorization": {"Token " + owner}})
		}
		status, body := set(second)
		wantMessage(t, "set default", status, body, 200, "HOSPITAL UPDATE SUCCESSFULLY")
		if m := getMedic(t, ts, owner, ts.medicID(t, owner)).JSON200; *m.Hospital != second {
			t.Fatalf("the default hospital did not change: %+v", m)
		}
		list, _ := ts.ListMembershipsWithResponse(t.Context(), nil, withToken(owner))
		for _, ms := range list.JSON200.Results {
			if ms.IsActive != (ms.Hospital == second) {
				t.Fatalf("memberships after set default: %s", list.Body)
			}
		}
		// A soft-deleted membership is no membership: the stranger adds the owner to its hospital, then removes it.
		added, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: ts.medicID(t, owner), Hospital: gone,
			TypeMembership: "MEMBER"}, withToken(stranger))
		if d, _ := ts.DeleteMembershipWithResponse(t.Context(), *added.JSON201.Id, withToken(stranger)); d.StatusCode() != 201 {
			t.Fatalf("delete: %d %s", d.StatusCode(), d.Body)
		}
		for _, h := range []int64{foreign, gone, 999999} {
			status, body := set(h)
			wantMessage(t, "no membership there", status, body, 404, "Not found")
		}
		status, body = ts.do(t, "PATCH", "/api/v2/locations/update/", "application/json", strings.NewReader(`{}`),
			http.Header{"Authorization": {"Token " + owner}})
		if status != 400 || jsonBody(t, body)["hospital_id"] == nil {
			t.Fatalf("no hospital_id: %d %s", status, body)
		}
	})
}
