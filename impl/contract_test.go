package impl_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/gen"
)

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatalf("load embedded spec: %v", err)
	}
	return spec
}

// TestSpecValidates checks the contract itself, including every example against its schema.
func TestSpecValidates(t *testing.T) {
	spec := loadSpec(t)
	if err := spec.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("openapi.yaml is invalid: %v", err)
	}
}

// TestSpecRejectsBadExample proves the example check above can fail.
func TestSpecRejectsBadExample(t *testing.T) {
	spec := loadSpec(t)
	spec.Components.Examples["MedicDetail"].Value.Value = map[string]any{"id": "not-a-number"}
	if err := spec.Validate(context.Background(), openapi3.EnableExamplesValidation()); err == nil {
		t.Fatal("a medic example with a string id validated")
	}
}

// TestSpecInventory lists every documented operation; none may go missing from the contract.
func TestSpecInventory(t *testing.T) {
	documented := []string{
		"GET /api/v2/medics/", "POST /api/v2/medics/",
		"GET /api/v2/medics/{medic_id}/", "PATCH /api/v2/medics/{medic_id}/",
		"GET /api/v2/hospital/", "POST /api/v2/hospital/",
		"GET /api/v2/hospital/{hospital_id}/", "PATCH /api/v2/hospital/{hospital_id}/",
		"POST /api/v2/hospital/{hospital_id}/",
		"GET /api/v2/management/memberships/", "POST /api/v2/management/memberships/",
		"GET /api/v2/management/memberships/{membership_id}",
		"PATCH /api/v2/management/memberships/{membership_id}",
		"DELETE /api/v2/management/memberships/{membership_id}",
		"GET /api/v2/memberships/{hospital_id}",
		"GET /api/v2/search/medics/", "PATCH /api/v2/locations/update/",
		"POST /v1/institutional/accounts", "GET /v1/institutional/accounts/{account_id}",
		"POST /users/user/new/", "POST /users/user/login/", "GET /users/user/logout/",
		"GET /users/user/{user_id}/get_user_info/", "GET /users/user/search/",
		"POST /users/user/{user_id}/edit/", "POST /users/user/{user_id}/deactivate/",
		"POST /users/user/{user_id}/activate/",
		"POST /users", "POST /auth/login", "GET /users/me", "GET /users/account",
	}
	spec := loadSpec(t)
	var inSpec []string
	for path, item := range spec.Paths.Map() {
		for method := range item.Operations() {
			inSpec = append(inSpec, method+" "+path)
		}
	}
	for _, op := range documented {
		if !slices.Contains(inSpec, op) {
			t.Errorf("documented operation %s is missing from openapi.yaml", op)
		}
	}
	for _, op := range inSpec {
		if !slices.Contains(documented, op) {
			t.Errorf("operation %s is in openapi.yaml but not in this inventory", op)
		}
	}
}

// TestSpecOperationsAreComplete checks that every operation has an id, a tag, and examples on
// every response body, and that every error response uses its tag's error schema.
func TestSpecOperationsAreComplete(t *testing.T) {
	spec := loadSpec(t)
	errorSchema := map[string]string{}
	for _, tag := range spec.Tags {
		name, _ := tag.Extensions["x-error-schema"].(string)
		if name == "" {
			t.Errorf("tag %q has no x-error-schema", tag.Name)
		}
		errorSchema[tag.Name] = "#/components/schemas/" + name
	}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" || len(op.Tags) != 1 {
				t.Errorf("%s: needs an operationId and exactly one tag", where)
				continue
			}
			for status, ref := range op.Responses.Map() {
				for mediaType, media := range ref.Value.Content {
					if len(media.Examples) == 0 {
						t.Errorf("%s %s %s: no named example", where, status, mediaType)
					}
					if strings.HasPrefix(status, "4") && media.Schema.Ref != errorSchema[op.Tags[0]] {
						t.Errorf("%s %s: error body %s is not the family's %s", where, status, media.Schema.Ref, errorSchema[op.Tags[0]])
					}
				}
			}
		}
	}
}
