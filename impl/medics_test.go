package impl_test

import (
	"testing"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/gen"
)

func TestSearchMedicsFindsOneWholeEmailInAnyCase(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "search-owner@example.com")
		other := integrator(t, ts, "search-other@example.com")
		target := createMedic(t, ts, other, "Matilde.Montoya@example.com")

		// Any token finds any medic, by its whole email in any letter case, with only id and email.
		found, err := ts.SearchMedicsWithResponse(t.Context(), &gen.SearchMedicsParams{Query: "matilde.montoya@EXAMPLE.com"}, withToken(owner))
		if err != nil || found.JSON200 == nil || found.JSON200.Count != 1 || len(found.JSON200.Results) != 1 ||
			found.JSON200.Results[0] != (gen.MedicSearchResult{Id: target.ID, Email: "Matilde.Montoya@example.com"}) {
			t.Fatalf("search: %v %d %s", err, found.StatusCode(), found.Body)
		}
		if body := jsonBody(t, found.Body)["results"].([]any)[0].(map[string]any); len(body) != 2 {
			t.Fatalf("a search result carries more than id and email: %v", body)
		}
		// No partial matching: a part of the email, or a pattern, finds nothing.
		for _, q := range []string{"matilde", "example.com", "%", "_atilde.montoya@example.com"} {
			none, _ := ts.SearchMedicsWithResponse(t.Context(), &gen.SearchMedicsParams{Query: q}, withToken(owner))
			if none.JSON200 == nil || none.JSON200.Count != 0 || len(none.JSON200.Results) != 0 || none.JSON200.Next != nil {
				t.Fatalf("search %q: %d %s", q, none.StatusCode(), none.Body)
			}
		}
		status, body := ts.do(t, "GET", "/api/v2/search/medics/", "", nil, nil)
		wantMessage(t, "search without a token", status, body, 401, "Invalid Token")
		status, body = ts.do(t, "GET", "/api/v2/search/medics/", "", nil, map[string][]string{"Authorization": {"Token " + owner}})
		if status != 400 || jsonBody(t, body)["query"] == nil {
			t.Fatalf("search without a query: %d %s", status, body)
		}

		// The ADMIN adds the medic it found to its hospital, although another token created it.
		hospital := createHospital(t, ts, owner, true)
		added, _ := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: found.JSON200.Results[0].Id,
			Hospital: hospital, TypeMembership: "MEMBER"}, withToken(owner))
		if added.StatusCode() != 201 || added.JSON201.Medic != target.ID {
			t.Fatalf("ADMIN adds the medic it found: %d %s", added.StatusCode(), added.Body)
		}
	})
}

func TestMedicEmailsAreUniqueIgnoringCase(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		owner := integrator(t, ts, "case-owner@example.com")
		createMedic(t, ts, owner, "Elizabeth@example.com")
		dup, _ := ts.CreateMedicWithResponse(t.Context(), gen.MedicCreate{Name: "E", Email: "elizabeth@EXAMPLE.com",
			Password: ptr("correct horse")}, withToken(owner))
		if dup.StatusCode() != 400 || jsonBody(t, dup.Body)["email"] == nil {
			t.Fatalf("an email differing only in case: %d %s", dup.StatusCode(), dup.Body)
		}
		other := createMedic(t, ts, owner, "other@example.com")
		moved, _ := ts.UpdateMedicWithResponse(t.Context(), other.ID, gen.MedicUpdate{Email: ptr(openapi_types.Email("ELIZABETH@example.com"))}, withToken(owner))
		if moved.StatusCode() != 400 || jsonBody(t, moved.Body)["email"] == nil {
			t.Fatalf("renaming to an email differing only in case: %d %s", moved.StatusCode(), moved.Body)
		}
	})
}
