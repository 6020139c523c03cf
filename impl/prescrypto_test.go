package impl_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/gen"
)

// medic is a medic created through the API, with its token.
type medic struct {
	ID    int64
	Token string
}

// createMedic creates a medic with owner's token and fails the test unless it is a 201.
func createMedic(t *testing.T, ts *testServer, owner, email string, edit ...func(*gen.MedicCreate)) medic {
	t.Helper()
	body := gen.MedicCreate{Name: "Dr " + email, Email: openapi_types.Email(email), Password: ptr("correct horse")}
	for _, e := range edit {
		e(&body)
	}
	resp, err := ts.CreateMedicWithResponse(t.Context(), body, withToken(owner))
	if err != nil || resp.JSON201 == nil {
		t.Fatalf("create medic %s: %v %d %s", email, err, resp.StatusCode(), resp.Body)
	}
	return medic{resp.JSON201.Id, resp.JSON201.Token}
}

// createHospital creates a hospital with token (ADMIN unless admin is false) and returns its id.
func createHospital(t *testing.T, ts *testServer, token string, admin bool) int64 {
	t.Helper()
	resp, err := ts.CreateHospitalWithResponse(t.Context(), gen.HospitalCreate{Name: "Hospital", Patron: "Patron S.A.",
		Location: "Calle 1", Contact: "hola@example.com", IsAdmin: &admin}, withToken(token))
	if err != nil || resp.JSON201 == nil {
		t.Fatalf("create hospital: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
	return resp.JSON201.Id
}

func getMedic(t *testing.T, ts *testServer, token string, id int64) *gen.GetMedicResponse {
	t.Helper()
	resp, err := ts.GetMedicWithResponse(t.Context(), id, withToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func wantMessage(t *testing.T, what string, status int, body []byte, wantStatus int, wantMessage string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("%s: status %d, want %d: %s", what, status, wantStatus, body)
	}
	if got := jsonBody(t, body)["message"]; got != wantMessage {
		t.Fatalf("%s: message %q, want %q", what, got, wantMessage)
	}
}

func TestCreateMedicReturnsItsTokenOnceAndNeverThePassword(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "owner@example.com")
		dob := openapi_types.Date{}
		_ = dob.UnmarshalText([]byte("1992-09-22"))
		resp, err := ts.CreateMedicWithResponse(t.Context(), gen.MedicCreate{
			Name: "Nombre del Medico", Password: ptr("Password del Medico"), Email: "medico@example.com",
			DateOfBirth: &dob, CedulaProf: ptr("123456789"), Specialty: ptr("Medicina General"),
			AlmaMater: ptr("UNAM"), Female: ptr(true), Campaign: ptr("Campaña"),
		}, withToken(owner))
		if err != nil || resp.StatusCode() != 201 {
			t.Fatalf("%v %d %s", err, resp.StatusCode(), resp.Body)
		}
		m := resp.JSON201
		if m.Name != "Nombre del Medico" || m.Email != "medico@example.com" || m.DateOfBirth.String() != "1992-09-22" ||
			m.CedulaProf != "123456789" || m.SpecialtyNo != "" || !m.Female || !m.IsActive || m.SpecialtyVerified ||
			*m.Campaign != "Campaña" || m.Hospital != nil || m.IsAdminMembership != nil {
			t.Fatalf("created medic: %+v", m)
		}
		if strings.Contains(string(resp.Body), "password") || strings.Contains(string(resp.Body), "argon2") {
			t.Fatalf("the response shows the password: %s", resp.Body)
		}
		// The new token authenticates as the new medic, who sees itself but not its owner.
		self := getMedic(t, ts, m.Token, m.Id)
		if self.JSON200 == nil || self.JSON200.Id != m.Id || strings.Contains(string(self.Body), m.Token) {
			t.Fatalf("GET with the new token: %d %s", self.StatusCode(), self.Body)
		}
		list, _ := ts.ListMedicsWithResponse(t.Context(), nil, withToken(m.Token))
		if list.JSON200.Count != 1 || list.JSON200.Results[0].Id != m.Id {
			t.Fatalf("the new medic lists %s", list.Body)
		}
	})
}

func TestMedicsAreVisibleOnlyToTheirOwnerAndThemselves(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		alice := integrator(t, ts, "alice@example.com")
		bob := integrator(t, ts, "bob@example.com")
		child := createMedic(t, ts, alice, "child@example.com")
		ownerID := ts.medicID(t, alice)

		for _, c := range []struct {
			name  string
			token string
			id    int64
		}{{"foreign token", bob, child.ID}, {"child reading its owner", child.Token, ownerID}, {"missing id", alice, 999999}} {
			got := getMedic(t, ts, c.token, c.id)
			wantMessage(t, "GET "+c.name, got.StatusCode(), got.Body, 404, "Not found")
			patched, err := ts.UpdateMedicWithResponse(t.Context(), c.id, gen.MedicUpdate{Name: ptr("Hacked")}, withToken(c.token))
			if err != nil {
				t.Fatal(err)
			}
			wantMessage(t, "PATCH "+c.name, patched.StatusCode(), patched.Body, 404, "Not found")
		}
		if got := getMedic(t, ts, alice, child.ID); got.JSON200 == nil || got.JSON200.Name != "Dr child@example.com" {
			t.Fatalf("the owner cannot read its medic (or it was changed): %s", got.Body)
		}
		list, _ := ts.ListMedicsWithResponse(t.Context(), nil, withToken(bob))
		if list.JSON200.Count != 1 {
			t.Fatalf("bob sees %d medics: %s", list.JSON200.Count, list.Body)
		}
	})
}

// medicID returns the id of the medic a token belongs to.
func (ts *testServer) medicID(t *testing.T, token string) int64 {
	t.Helper()
	m, err := ts.DB.MedicByToken(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func TestListMedicsPagesWithAbsoluteLinks(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "pager@example.com")
		for i := range 20 {
			createMedic(t, ts, owner, fmt.Sprintf("m%02d@example.com", i))
		}
		first, err := ts.ListMedicsWithResponse(t.Context(), nil, withToken(owner))
		if err != nil || first.JSON200 == nil {
			t.Fatal(err, first.Body)
		}
		p := first.JSON200
		wantNext := ts.URL + "/api/v2/medics/?limit=15&offset=15"
		if p.Count != 21 || len(p.Results) != 15 || p.Previous != nil || p.Next == nil || *p.Next != wantNext {
			t.Fatalf("first page: count %d, %d results, next %v, previous %v", p.Count, len(p.Results), p.Next, p.Previous)
		}
		for i := 1; i < len(p.Results); i++ {
			if p.Results[i].Id <= p.Results[i-1].Id {
				t.Fatal("results are not ordered by id")
			}
		}
		status, body := ts.do(t, "GET", strings.TrimPrefix(*p.Next, ts.URL), "", nil, http.Header{"Authorization": {"Token " + owner}})
		second := jsonBody(t, body)
		if status != 200 || len(second["results"].([]any)) != 6 || second["next"] != nil || second["previous"] != ts.URL+"/api/v2/medics/?limit=15" {
			t.Fatalf("second page: %d %s", status, body)
		}
		mid, _ := ts.ListMedicsWithResponse(t.Context(), &gen.ListMedicsParams{Limit: ptr(5), Offset: ptr(7)}, withToken(owner))
		if len(mid.JSON200.Results) != 5 || *mid.JSON200.Next != ts.URL+"/api/v2/medics/?limit=5&offset=12" ||
			*mid.JSON200.Previous != ts.URL+"/api/v2/medics/?limit=5&offset=2" {
			t.Fatalf("middle page: %s", mid.Body)
		}
		capped, _ := ts.ListMedicsWithResponse(t.Context(), &gen.ListMedicsParams{Limit: ptr(1000)}, withToken(owner))
		if len(capped.JSON200.Results) != 21 || capped.JSON200.Next != nil {
			t.Fatalf("limit 1000: %d results", len(capped.JSON200.Results))
		}
		past, _ := ts.ListMedicsWithResponse(t.Context(), &gen.ListMedicsParams{Offset: ptr(50)}, withToken(owner))
		if len(past.JSON200.Results) != 0 || past.JSON200.Count != 21 || string(past.Body) == "" {
			t.Fatalf("past the end: %s", past.Body)
		}
	})
}

func TestDuplicateEmailIsTheDocumentedFieldError(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "dup-owner@example.com")
		first := createMedic(t, ts, owner, "taken@example.com")
		other := createMedic(t, ts, owner, "other@example.com")
		want := `{"email":["medic with this email already exists."],"message":"Invalid input"}`

		resp, _ := ts.CreateMedicWithResponse(t.Context(), gen.MedicCreate{Name: "X", Email: "taken@example.com", Password: ptr("password1")}, withToken(owner))
		if resp.StatusCode() != 400 || !jsonEqual(jsonBody(t, resp.Body), jsonBody(t, []byte(want))) {
			t.Fatalf("duplicate create: %d %s", resp.StatusCode(), resp.Body)
		}
		email := openapi_types.Email("taken@example.com")
		patched, _ := ts.UpdateMedicWithResponse(t.Context(), other.ID, gen.MedicUpdate{Email: &email}, withToken(owner))
		if patched.StatusCode() != 400 || !jsonEqual(jsonBody(t, patched.Body), jsonBody(t, []byte(want))) {
			t.Fatalf("duplicate patch: %d %s", patched.StatusCode(), patched.Body)
		}
		// Keeping one's own email is not a duplicate.
		own := openapi_types.Email("taken@example.com")
		if same, _ := ts.UpdateMedicWithResponse(t.Context(), first.ID, gen.MedicUpdate{Email: &own}, withToken(owner)); same.StatusCode() != 202 {
			t.Fatalf("re-saving the same email: %d %s", same.StatusCode(), same.Body)
		}
	})
}

func TestConcurrentCreatesWithOneEmailMakeOneMedic(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "race-owner@example.com")
		const n = 6
		create := func() (int, error) {
			resp, err := ts.CreateMedicWithResponse(context.Background(), gen.MedicCreate{Name: "R", Email: "race@example.com", Password: ptr("password1")}, withToken(owner))
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		}
		count := concurrently(t, n, func(int) (int, error) { return create() })
		if count[201] != 1 || count[400] != n-1 {
			t.Fatalf("statuses: %v", count)
		}
	})
}

func TestUpdateMedic(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "upd-owner@example.com")
		dob := openapi_types.Date{}
		_ = dob.UnmarshalText([]byte("1956-01-18"))
		m := createMedic(t, ts, owner, "upd@example.com", func(b *gen.MedicCreate) {
			b.DateOfBirth, b.Campaign, b.AlmaMater = &dob, ptr("spring"), ptr("Chicago Medical College")
		})
		resp, err := ts.UpdateMedicWithResponse(t.Context(), m.ID, gen.MedicUpdate{Name: ptr("Daniel Hale Williams"), Female: ptr(true)}, withToken(owner))
		if err != nil || resp.StatusCode() != 202 {
			t.Fatalf("%v %d %s", err, resp.StatusCode(), resp.Body)
		}
		u := resp.JSON202
		if u.Name != "Daniel Hale Williams" || !u.Female || u.AlmaMater != "Chicago Medical College" || u.DateOfBirth.String() != "1956-01-18" || *u.Campaign != "spring" {
			t.Fatalf("partial update changed other fields: %s", resp.Body)
		}
		cleared, _ := ts.UpdateMedicWithResponse(t.Context(), m.ID, gen.MedicUpdate{
			DateOfBirth: nullable.NewNullNullable[openapi_types.Date](), Campaign: nullable.NewNullNullable[string](),
		}, withToken(owner))
		if cleared.StatusCode() != 202 || cleared.JSON202.DateOfBirth != nil || cleared.JSON202.Campaign != nil {
			t.Fatalf("null did not clear: %s", cleared.Body)
		}
		// A medic may edit itself, e.g. deactivate; its token then stops working.
		self, _ := ts.UpdateMedicWithResponse(t.Context(), m.ID, gen.MedicUpdate{IsActive: ptr(false)}, withToken(m.Token))
		if self.StatusCode() != 202 || self.JSON202.IsActive {
			t.Fatalf("self deactivation: %s", self.Body)
		}
		after := getMedic(t, ts, m.Token, m.ID)
		wantMessage(t, "a deactivated medic's token", after.StatusCode(), after.Body, 401, "Invalid Token")
		// Only the owner reactivates it.
		back, _ := ts.UpdateMedicWithResponse(t.Context(), m.ID, gen.MedicUpdate{IsActive: ptr(true)}, withToken(owner))
		if back.StatusCode() != 202 || getMedic(t, ts, m.Token, m.ID).StatusCode() != 200 {
			t.Fatalf("reactivation: %s", back.Body)
		}
		// The documents send password in PATCH, where it "only takes effect during creation": ignored.
		before, err := ts.DB.MedicByID(t.Context(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		status, body := ts.do(t, "PATCH", "/api/v2/medics/"+itoa(m.ID)+"/", "application/json", strings.NewReader(`{"password":"newpassword"}`),
			http.Header{"Authorization": {"Token " + owner}})
		after2, err := ts.DB.MedicByID(t.Context(), m.ID)
		if status != 202 || err != nil || after2.PasswordHash != before.PasswordHash || strings.Contains(string(body), "newpassword") {
			t.Fatalf("password change through PATCH: %d %s %v", status, body, err)
		}
	})
}

func TestAssigningAHospitalToAMedicNeedsAdminAndCreatesTheMembership(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "hosp-owner@example.com")
		adminOf := createHospital(t, ts, owner, true)
		memberOf := createHospital(t, ts, owner, false)
		outsider := integrator(t, ts, "outsider@example.com")
		foreign := createHospital(t, ts, outsider, true)

		for _, h := range []int64{memberOf, foreign, 999999} {
			resp, _ := ts.CreateMedicWithResponse(t.Context(), gen.MedicCreate{Name: "N", Email: "n@example.com", Password: ptr("password1"), Hospital: &h}, withToken(owner))
			wantMessage(t, "create with a hospital the caller is not ADMIN of", resp.StatusCode(), resp.Body, 400,
				fmt.Sprintf("You do not have sufficient permissions to assign this hospital: %d", h))
		}
		// Nothing was half-written: the email is still free.
		admin := createMedic(t, ts, owner, "n@example.com", func(b *gen.MedicCreate) { b.Hospital, b.IsAdminMembership = &adminOf, ptr(true) })
		got := getMedic(t, ts, owner, admin.ID).JSON200
		if got.Hospital == nil || *got.Hospital != adminOf || got.IsAdminMembership == nil || !*got.IsAdminMembership {
			t.Fatalf("medic created with hospital: %+v", got)
		}
		hospitals, _ := ts.ListHospitalsWithResponse(t.Context(), nil, withToken(admin.Token))
		if hospitals.JSON200.Count != 1 || !hospitals.JSON200.Results[0].IsAdmin {
			t.Fatalf("the new ADMIN's hospitals: %s", hospitals.Body)
		}
		member := createMedic(t, ts, owner, "member@example.com", func(b *gen.MedicCreate) { b.Hospital = &adminOf })
		if got := getMedic(t, ts, owner, member.ID).JSON200; *got.Hospital != adminOf || *got.IsAdminMembership {
			t.Fatalf("default membership is not MEMBER: %+v", got)
		}

		// PATCH: assigning needs ADMIN too, and moves the medic's active hospital.
		plain := createMedic(t, ts, owner, "plain@example.com")
		denied, _ := ts.UpdateMedicWithResponse(t.Context(), plain.ID, gen.MedicUpdate{Hospital: &foreign}, withToken(owner))
		wantMessage(t, "patch with a foreign hospital", denied.StatusCode(), denied.Body, 400,
			fmt.Sprintf("You do not have sufficient permissions to assign this hospital: %d", foreign))
		noHospital, _ := ts.UpdateMedicWithResponse(t.Context(), plain.ID, gen.MedicUpdate{IsAdminMembership: ptr(true)}, withToken(owner))
		if noHospital.StatusCode() != 400 || jsonBody(t, noHospital.Body)["is_admin_membership"] == nil {
			t.Fatalf("is_admin_membership without a hospital: %d %s", noHospital.StatusCode(), noHospital.Body)
		}
		assigned, _ := ts.UpdateMedicWithResponse(t.Context(), plain.ID, gen.MedicUpdate{Hospital: &adminOf}, withToken(owner))
		if assigned.StatusCode() != 202 || *assigned.JSON202.Hospital != adminOf || *assigned.JSON202.IsAdminMembership {
			t.Fatalf("assign: %s", assigned.Body)
		}
		promoted, _ := ts.UpdateMedicWithResponse(t.Context(), plain.ID, gen.MedicUpdate{IsAdminMembership: ptr(true)}, withToken(owner))
		if promoted.StatusCode() != 202 || !*promoted.JSON202.IsAdminMembership {
			t.Fatalf("promote in the current hospital: %s", promoted.Body)
		}
		second := createHospital(t, ts, owner, true)
		moved, _ := ts.UpdateMedicWithResponse(t.Context(), plain.ID, gen.MedicUpdate{Hospital: &second}, withToken(owner))
		if moved.StatusCode() != 202 || *moved.JSON202.Hospital != second {
			t.Fatalf("move: %s", moved.Body)
		}
		// plain is ADMIN of adminOf now, so it manages every membership there; count its own.
		mine, _ := ts.ListMembershipsWithResponse(t.Context(), nil, withToken(plain.Token))
		own, active := 0, 0
		for _, ms := range mine.JSON200.Results {
			if *ms.Medic.Id == plain.ID {
				own++
				if ms.IsActive {
					active++
				}
			}
		}
		if own != 2 || active != 1 || mine.JSON200.Count != 5 {
			t.Fatalf("after moving, memberships: %s", mine.Body)
		}
	})
}

func TestHospitals(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "h-owner@example.com")
		resp, err := ts.CreateHospitalWithResponse(t.Context(), gen.HospitalCreate{Name: "Hospital de Prueba",
			Patron: "Hospital de Prueba S.A. de C.V.", Location: "Nombre de la Calle", Contact: "hola@prescrypto.com",
			ZipCode: ptr("06500")}, withToken(owner))
		if err != nil || resp.StatusCode() != 201 {
			t.Fatalf("%v %s", err, resp.Body)
		}
		h := resp.JSON201
		if !h.IsAdmin || h.Name != "Hospital de Prueba" || h.ZipCode != "06500" || !h.PageSize || !h.IsActive || !h.SendEmails ||
			*h.PageTemplate != "classic" || h.Picture != nil || h.CreatedAt.IsZero() {
			t.Fatalf("created hospital: %s", resp.Body)
		}
		// The first hospital becomes the creator's current one.
		if me := getMedic(t, ts, owner, ts.medicID(t, owner)).JSON200; me.Hospital == nil || *me.Hospital != h.Id || !*me.IsAdminMembership {
			t.Fatalf("creator's hospital: %+v", me)
		}
		memberHospital := createHospital(t, ts, owner, false)
		if me := getMedic(t, ts, owner, ts.medicID(t, owner)).JSON200; *me.Hospital != h.Id {
			t.Fatal("a second hospital replaced the creator's current one")
		}

		got, _ := ts.GetHospitalWithResponse(t.Context(), memberHospital, withToken(owner))
		if got.JSON200 == nil || got.JSON200.IsAdmin {
			t.Fatalf("hospital created with is_admin false: %s", got.Body)
		}
		paged, _ := ts.ListHospitalsWithResponse(t.Context(), &gen.ListHospitalsParams{Limit: ptr(1), Offset: ptr(1)}, withToken(owner))
		if len(paged.JSON200.Results) != 1 || paged.JSON200.Next != nil || *paged.JSON200.Previous != ts.URL+"/api/v2/hospital/?limit=1" {
			t.Fatalf("paged hospitals: %s", paged.Body)
		}
		list, _ := ts.ListHospitalsWithResponse(t.Context(), nil, withToken(owner))
		if list.JSON200.Count != 2 || list.JSON200.Results[0].Id != h.Id || !list.JSON200.Results[0].IsAdmin || list.JSON200.Results[1].IsAdmin {
			t.Fatalf("list: %s", list.Body)
		}

		updated, _ := ts.UpdateHospitalWithResponse(t.Context(), h.Id, gen.HospitalUpdate{Contact: ptr("nuevo_hola@prescrypto.com")}, withToken(owner))
		if updated.StatusCode() != 201 || updated.JSON201.Contact != "nuevo_hola@prescrypto.com" || updated.JSON201.Name != "Hospital de Prueba" {
			t.Fatalf("update: %d %s", updated.StatusCode(), updated.Body)
		}
		asMember, _ := ts.UpdateHospitalWithResponse(t.Context(), memberHospital, gen.HospitalUpdate{Name: ptr("Mine now")}, withToken(owner))
		wantMessage(t, "MEMBER edits", asMember.StatusCode(), asMember.Body, 403, "Only ADMINs of this hospital can edit it")

		stranger := integrator(t, ts, "h-stranger@example.com")
		for _, id := range []int64{h.Id, 999999} {
			g, _ := ts.GetHospitalWithResponse(t.Context(), id, withToken(stranger))
			wantMessage(t, "stranger reads", g.StatusCode(), g.Body, 404, "Not found")
			u, _ := ts.UpdateHospitalWithResponse(t.Context(), id, gen.HospitalUpdate{Name: ptr("Hacked")}, withToken(stranger))
			wantMessage(t, "stranger edits", u.StatusCode(), u.Body, 404, "Not found")
		}
		if l, _ := ts.ListHospitalsWithResponse(t.Context(), nil, withToken(stranger)); l.JSON200.Count != 0 {
			t.Fatalf("stranger lists %s", l.Body)
		}
	})
}

func TestMemberships(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "ms-owner@example.com")
		hospital := createHospital(t, ts, owner, true)
		doc := createMedic(t, ts, owner, "doc@example.com")
		stranger := integrator(t, ts, "ms-stranger@example.com")
		strangerID := ts.medicID(t, stranger)

		// Create: ADMIN of the hospital, medic visible to the caller.
		created, err := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: doc.ID, Hospital: hospital, TypeMembership: "MEMBER"}, withToken(owner))
		if err != nil || created.StatusCode() != 201 || created.JSON201.Medic != doc.ID || *created.JSON201.Hospital != hospital || created.JSON201.TypeMembership != "MEMBER" {
			t.Fatalf("create: %v %s", err, created.Body)
		}
		msID := *created.JSON201.Id
		dup, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: doc.ID, Hospital: hospital, TypeMembership: "ADMIN"}, withToken(owner))
		wantMessage(t, "duplicate", dup.StatusCode(), dup.Body, 409, "Membership already exists please edit instead of trying to create it again.")
		notAdmin, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: strangerID, Hospital: hospital, TypeMembership: "ADMIN"}, withToken(stranger))
		wantMessage(t, "non-admin creates", notAdmin.StatusCode(), notAdmin.Body, 401, "Unauthorized Medic")
		byMember, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: doc.ID, Hospital: hospital, TypeMembership: "ADMIN"}, withToken(doc.Token))
		wantMessage(t, "MEMBER creates", byMember.StatusCode(), byMember.Body, 401, "Unauthorized Medic")
		noHospital, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: doc.ID, Hospital: 999999, TypeMembership: "ADMIN"}, withToken(owner))
		wantMessage(t, "missing hospital", noHospital.StatusCode(), noHospital.Body, 401, "Unauthorized Medic")
		unknown, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: 999999, Hospital: hospital, TypeMembership: "ADMIN"}, withToken(owner))
		wantMessage(t, "unknown medic", unknown.StatusCode(), unknown.Body, 404, "Not found")
		status, body := ts.do(t, "POST", "/api/v2/management/memberships/", "application/json",
			strings.NewReader(fmt.Sprintf(`{"medic":%d,"hospital":%d,"type_membership":"Member"}`, doc.ID, hospital)), http.Header{"Authorization": {"Token " + owner}})
		if status != 400 || jsonBody(t, body)["type_membership"] == nil {
			t.Fatalf("type_membership Member: %d %s", status, body)
		}

		// Read: the member and the ADMIN see it; a stranger does not.
		for _, token := range []string{owner, doc.Token} {
			got, _ := ts.GetMembershipWithResponse(t.Context(), msID, withToken(token))
			if got.JSON200 == nil || got.JSON200.Medic.Name != "Dr doc@example.com" || got.JSON200.Medic.Email != "doc@example.com" ||
				*got.JSON200.Medic.Id != doc.ID || got.JSON200.IsActive || got.JSON200.IsDeleted || got.JSON200.DateJoined.IsZero() {
				t.Fatalf("get: %d %s", got.StatusCode(), got.Body)
			}
		}
		foreign, _ := ts.GetMembershipWithResponse(t.Context(), msID, withToken(stranger))
		wantMessage(t, "stranger reads", foreign.StatusCode(), foreign.Body, 404, "Not found")

		list, _ := ts.ListMembershipsWithResponse(t.Context(), nil, withToken(owner))
		if list.JSON200.Count != 2 || list.JSON200.Results[0].Medic.Name != "Integrator ms-owner@example.com" {
			t.Fatalf("ADMIN's list: %s", list.Body)
		}
		paged, _ := ts.ListMembershipsWithResponse(t.Context(), &gen.ListMembershipsParams{Limit: ptr(1)}, withToken(owner))
		if len(paged.JSON200.Results) != 1 || *paged.JSON200.Next != ts.URL+"/api/v2/management/memberships/?limit=1&offset=1" {
			t.Fatalf("paged memberships: %s", paged.Body)
		}
		if l, _ := ts.ListMembershipsWithResponse(t.Context(), nil, withToken(doc.Token)); l.JSON200.Count != 1 {
			t.Fatalf("member's list: %s", l.Body)
		}

		// Only ADMINs change memberships: the member gets 401 on its own, a stranger 404.
		self, _ := ts.UpdateMembershipWithResponse(t.Context(), msID, gen.MembershipUpdate{TypeMembership: ptr(gen.MembershipType("ADMIN"))}, withToken(doc.Token))
		wantMessage(t, "member promotes itself", self.StatusCode(), self.Body, 401, "Unauthorized Medic")
		// A member may leave (delete its own membership), but not come back on its own.
		left, _ := ts.DeleteMembershipWithResponse(t.Context(), msID, withToken(doc.Token))
		if left.StatusCode() != 201 || !left.JSON201.IsDeleted {
			t.Fatalf("member leaves: %d %s", left.StatusCode(), left.Body)
		}
		back, _ := ts.UpdateMembershipWithResponse(t.Context(), msID, gen.MembershipUpdate{IsDeleted: ptr(false)}, withToken(doc.Token))
		wantMessage(t, "member restores itself", back.StatusCode(), back.Body, 401, "Unauthorized Medic")
		if r, _ := ts.UpdateMembershipWithResponse(t.Context(), msID, gen.MembershipUpdate{IsDeleted: ptr(false)}, withToken(owner)); r.StatusCode() != 201 || r.JSON201.IsDeleted {
			t.Fatalf("ADMIN restores the member: %d %s", r.StatusCode(), r.Body)
		}
		strangerEdit, _ := ts.UpdateMembershipWithResponse(t.Context(), msID, gen.MembershipUpdate{IsDeleted: ptr(true)}, withToken(stranger))
		wantMessage(t, "stranger edits", strangerEdit.StatusCode(), strangerEdit.Body, 404, "Not found")
		strangerDelete, _ := ts.DeleteMembershipWithResponse(t.Context(), msID, withToken(stranger))
		wantMessage(t, "stranger deletes", strangerDelete.StatusCode(), strangerDelete.Body, 404, "Not found")
		missing, _ := ts.DeleteMembershipWithResponse(t.Context(), 999999, withToken(owner))
		wantMessage(t, "missing membership", missing.StatusCode(), missing.Body, 404, "Not found")

		// The ADMIN activates it: it becomes the medic's hospital.
		activated, _ := ts.UpdateMembershipWithResponse(t.Context(), msID, gen.MembershipUpdate{IsActive: ptr(true), TypeMembership: ptr(gen.MembershipType("ADMIN"))}, withToken(owner))
		if activated.StatusCode() != 201 || !activated.JSON201.IsActive || activated.JSON201.TypeMembership != "ADMIN" {
			t.Fatalf("activate: %d %s", activated.StatusCode(), activated.Body)
		}
		if m := getMedic(t, ts, doc.Token, doc.ID).JSON200; m.Hospital == nil || *m.Hospital != hospital || !*m.IsAdminMembership {
			t.Fatalf("medic after activation: %+v", m)
		}

		// Soft delete: the medic loses the hospital; PATCH is_deleted false restores it.
		deleted, _ := ts.DeleteMembershipWithResponse(t.Context(), msID, withToken(owner))
		if deleted.StatusCode() != 201 || !deleted.JSON201.IsDeleted || deleted.JSON201.Id != msID {
			t.Fatalf("delete: %d %s", deleted.StatusCode(), deleted.Body)
		}
		if g, _ := ts.GetHospitalWithResponse(t.Context(), hospital, withToken(doc.Token)); g.StatusCode() != 404 {
			t.Fatalf("a deleted member still sees the hospital: %s", g.Body)
		}
		if m := getMedic(t, ts, doc.Token, doc.ID).JSON200; m.Hospital != nil {
			t.Fatalf("a deleted membership is still the medic's hospital: %+v", m)
		}
		if still, _ := ts.GetMembershipWithResponse(t.Context(), msID, withToken(owner)); still.JSON200 == nil || !still.JSON200.IsDeleted {
			t.Fatalf("the ADMIN no longer sees the deleted membership: %s", still.Body)
		}
		restored, _ := ts.UpdateMembershipWithResponse(t.Context(), msID, gen.MembershipUpdate{IsDeleted: ptr(false)}, withToken(owner))
		if restored.StatusCode() != 201 || restored.JSON201.IsDeleted {
			t.Fatalf("restore: %s", restored.Body)
		}
		if g, _ := ts.GetHospitalWithResponse(t.Context(), hospital, withToken(doc.Token)); g.JSON200 == nil || !g.JSON200.IsAdmin {
			t.Fatalf("the restored ADMIN does not see the hospital: %s", g.Body)
		}
	})
}

func TestAHospitalKeepsALiveAdmin(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "last-admin@example.com")
		hospital := createHospital(t, ts, owner, true)
		mine := ownMembership(t, ts, owner, hospital)

		demote, _ := ts.UpdateMembershipWithResponse(t.Context(), mine, gen.MembershipUpdate{TypeMembership: ptr(gen.MembershipType("MEMBER"))}, withToken(owner))
		wantMessage(t, "last ADMIN demotes itself", demote.StatusCode(), demote.Body, 409, "A hospital needs at least one ADMIN; make another medic ADMIN first.")
		leave, _ := ts.DeleteMembershipWithResponse(t.Context(), mine, withToken(owner))
		wantMessage(t, "last ADMIN leaves", leave.StatusCode(), leave.Body, 409, "A hospital needs at least one ADMIN; make another medic ADMIN first.")

		// With a second ADMIN, the first may step down; then the second is the last one.
		doc := createMedic(t, ts, owner, "second-admin@example.com")
		created, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: doc.ID, Hospital: hospital, TypeMembership: "ADMIN"}, withToken(owner))
		if created.StatusCode() != 201 {
			t.Fatalf("second ADMIN: %d %s", created.StatusCode(), created.Body)
		}
		if d, _ := ts.UpdateMembershipWithResponse(t.Context(), mine, gen.MembershipUpdate{TypeMembership: ptr(gen.MembershipType("MEMBER"))}, withToken(owner)); d.StatusCode() != 201 {
			t.Fatalf("demote with another ADMIN: %d %s", d.StatusCode(), d.Body)
		}
		last, _ := ts.DeleteMembershipWithResponse(t.Context(), *created.JSON201.Id, withToken(doc.Token))
		wantMessage(t, "new last ADMIN leaves", last.StatusCode(), last.Body, 409, "A hospital needs at least one ADMIN; make another medic ADMIN first.")
	})
}

// The race window is narrow, so the test repeats it on fresh hospitals.
func TestTwoAdminsLeavingAtOnceLeaveOneBehind(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "race-admin@example.com")
		doc := createMedic(t, ts, owner, "race-admin-2@example.com")
		for range 15 {
			raceTwoAdminsLeaving(t, ts, owner, doc)
		}
	})
}

func raceTwoAdminsLeaving(t *testing.T, ts *testServer, owner string, doc medic) {
	t.Helper()
	hospital := createHospital(t, ts, owner, true)
	created, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: doc.ID, Hospital: hospital, TypeMembership: "ADMIN"}, withToken(owner))
	if created.StatusCode() != 201 {
		t.Fatalf("second ADMIN: %d %s", created.StatusCode(), created.Body)
	}
	leave := func(token string, membership int64) func() (int, error) {
		return func() (int, error) {
			resp, err := ts.DeleteMembershipWithResponse(context.Background(), membership, withToken(token))
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		}
	}
	leavers := []func() (int, error){leave(owner, ownMembership(t, ts, owner, hospital)), leave(doc.Token, *created.JSON201.Id)}
	count := concurrently(t, len(leavers), func(i int) (int, error) { return leavers[i]() })
	if count[201] != 1 || count[409] != 1 {
		t.Fatalf("statuses: %v", count)
	}
}

// ownMembership returns the id of token's medic's membership in hospital.
func ownMembership(t *testing.T, ts *testServer, token string, hospital int64) int64 {
	t.Helper()
	list, err := ts.ListMembershipsWithResponse(t.Context(), &gen.ListMembershipsParams{Limit: ptr(100)}, withToken(token))
	if err != nil || list.JSON200 == nil {
		t.Fatalf("list memberships: %v", err)
	}
	me := ts.medicID(t, token)
	for _, m := range list.JSON200.Results {
		if m.Hospital == hospital && *m.Medic.Id == me {
			return m.Id
		}
	}
	t.Fatalf("no membership of medic %d in hospital %d", me, hospital)
	return 0
}

func TestHospitalMembershipsNeedAMembership(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "hm-owner@example.com")
		hospital := createHospital(t, ts, owner, true)
		a := createMedic(t, ts, owner, "a@example.com", func(b *gen.MedicCreate) { b.Hospital = &hospital })
		b := createMedic(t, ts, owner, "b@example.com", func(b *gen.MedicCreate) { b.Hospital = &hospital })
		stranger := integrator(t, ts, "hm-stranger@example.com")

		resp, err := ts.ListHospitalMembershipsWithResponse(t.Context(), hospital, withToken(a.Token))
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("%v %s", err, resp.Body)
		}
		got := *resp.JSON200
		if len(got) != 3 || got[0].Medic.Email != "b@example.com" || got[2].TypeMembership != "ADMIN" || got[0].Id < got[1].Id {
			t.Fatalf("memberships of the hospital, newest first: %s", resp.Body)
		}
		for _, c := range []struct {
			token string
			id    int64
		}{{stranger, hospital}, {owner, 999999}} {
			denied, _ := ts.ListHospitalMembershipsWithResponse(t.Context(), c.id, withToken(c.token))
			wantMessage(t, "no membership", denied.StatusCode(), denied.Body, 401, "Unauthorized Medic")
		}
		// A deleted member loses access, and its membership leaves the list.
		var bMembership int64
		for _, m := range got {
			if m.Medic.Email == "b@example.com" {
				bMembership = m.Id
			}
		}
		if del, _ := ts.DeleteMembershipWithResponse(t.Context(), bMembership, withToken(owner)); del.StatusCode() != 201 {
			t.Fatalf("delete: %s", del.Body)
		}
		denied, _ := ts.ListHospitalMembershipsWithResponse(t.Context(), hospital, withToken(b.Token))
		wantMessage(t, "deleted member", denied.StatusCode(), denied.Body, 401, "Unauthorized Medic")
		if after, _ := ts.ListHospitalMembershipsWithResponse(t.Context(), hospital, withToken(a.Token)); len(*after.JSON200) != 2 {
			t.Fatalf("after delete: %s", after.Body)
		}
		status, body := ts.do(t, "GET", "/api/v2/memberships/"+itoa(hospital)+"/", "", nil, http.Header{"Authorization": {"Token " + a.Token}})
		if status != 200 || !strings.HasPrefix(string(body), "[") {
			t.Fatalf("trailing-slash form: %d %s", status, body)
		}
	})
}

// TestEveryPrescryptoPathAnswersInBothSlashForms walks every /api/v2 path of the spec in both forms.
func TestEveryPrescryptoPathAnswersInBothSlashForms(t *testing.T) {
	ts := newTestServer(t, sqliteDB(t))
	owner := integrator(t, ts, "forms@example.com")
	hospital := createHospital(t, ts, owner, true)
	m := createMedic(t, ts, owner, "forms-m@example.com", func(b *gen.MedicCreate) { b.Hospital = &hospital })
	list, _ := ts.ListMembershipsWithResponse(t.Context(), nil, withToken(owner))
	membership := list.JSON200.Results[0].Id
	auth := http.Header{"Authorization": {"Token " + owner}}
	for _, path := range []string{
		"/api/v2/medics/", "/api/v2/medics/" + itoa(m.ID) + "/", "/api/v2/hospital/", "/api/v2/hospital/" + itoa(hospital) + "/",
		"/api/v2/management/memberships/", "/api/v2/management/memberships/" + itoa(membership), "/api/v2/memberships/" + itoa(hospital),
	} {
		other := strings.TrimSuffix(path, "/")
		if other == path {
			other = path + "/"
		}
		for _, p := range []string{path, other} {
			if status, body := ts.do(t, "GET", p, "", nil, auth); status != 200 {
				t.Errorf("GET %s: %d %s", p, status, body)
			}
		}
	}
	for _, p := range []string{"/api/v2/hospital", "/api/v2/management/memberships"} {
		status, body := ts.do(t, "POST", p, "application/json", strings.NewReader(`{}`), auth)
		if status != 400 {
			t.Errorf("POST %s {}: %d %s", p, status, body)
		}
	}
}

func TestPagingOffsetIsBoundedAndFollowingNextEnds(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "bounded@example.com")
		for i := range 3 {
			createMedic(t, ts, owner, fmt.Sprintf("b%d@example.com", i))
		}
		auth := http.Header{"Authorization": {"Token " + owner}}
		for _, path := range []string{"/api/v2/medics/", "/api/v2/hospital/", "/api/v2/management/memberships/"} {
			for _, offset := range []string{"9223372036854775807", "9223372036854775700", "1000000001"} {
				status, body := ts.do(t, "GET", path+"?offset="+offset, "", nil, auth)
				if status != http.StatusBadRequest || jsonBody(t, body)["offset"] == nil {
					t.Fatalf("%s offset %s: %d %s, want a 400 naming offset", path, offset, status, body)
				}
			}
			status, body := ts.do(t, "GET", path+"?limit=100&offset=1000000000", "", nil, auth)
			if page := jsonBody(t, body); status != http.StatusOK || page["next"] != nil {
				t.Fatalf("%s at the largest offset: %d %s, want no next", path, status, body)
			}
			// A huge limit is capped at 100 (as documented); one past int64 is not a number.
			status, body = ts.do(t, "GET", path+"?limit=9223372036854775807&offset=1", "", nil, auth)
			if page := jsonBody(t, body); status != http.StatusOK || page["next"] != nil ||
				page["previous"] != ts.URL+path+"?limit=100" {
				t.Fatalf("%s with the largest limit: %d %s", path, status, body)
			}
			if status, body := ts.do(t, "GET", path+"?limit=99999999999999999999", "", nil, auth); status != http.StatusBadRequest {
				t.Fatalf("%s with a limit past int64: %d %s", path, status, body)
			}
		}
		next, pages := "/api/v2/medics/?limit=1", 0
		for next != "" {
			if pages++; pages > 10 {
				t.Fatal("following next does not end")
			}
			status, body := ts.do(t, "GET", next, "", nil, auth)
			if status != http.StatusOK {
				t.Fatalf("%s: %d %s", next, status, body)
			}
			link, _ := jsonBody(t, body)["next"].(string)
			next = strings.TrimPrefix(link, ts.URL)
		}
		if pages != 4 {
			t.Fatalf("%d pages of 4 medics by 1, want 4", pages)
		}
	})
}
