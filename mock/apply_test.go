package mock

import (
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestWritesAnswerWithTheRequestApplied: an update answers with the object its path names, the
// request's declared fields applied, in document key order; a soft DELETE with its x-mock-apply.
// Nothing is kept: the next GET answers the documented object.
func TestWritesAnswerWithTheRequestApplied(t *testing.T) {
	api := embeddedSpec(t)
	_, ts := start(t, Options{})
	medic := api.Components.Schemas["Medic"].Value

	got := call(t, ts, "PATCH", "/api/v2/medics/11/", `{"name": "Daniel Hale Williams", "password": "never-shown", "unknown": 1}`, token)
	body := got.json(t)
	if got.status != 202 || body["id"] != float64(11) || body["name"] != "Daniel Hale Williams" ||
		body["alma_mater"] != " Escuela Nacional de Medicina" || body["password"] != nil || body["unknown"] != nil {
		t.Fatalf("PATCH medic 11: %d %s", got.status, got.body)
	}
	_, file := start(t, Options{SpecFile: "../openapi.yaml"})
	ordered := call(t, file, "PATCH", "/api/v2/medics/11/", `{"name": "Daniel Hale Williams"}`, token)
	if !strings.HasPrefix(string(ordered.body), `{"id":11,"name":"Daniel Hale Williams","email":""`) || !sameJSON(t, ordered.body, body) {
		t.Errorf("key order is not the document's: %s", ordered.body)
	}
	if err := medic.VisitJSON(body, openapi3.VisitAsResponse()); err != nil {
		t.Errorf("applied body breaks the Medic schema: %v", err)
	}
	if got := call(t, ts, "GET", "/api/v2/medics/11/", "", token); got.json(t)["name"] != "Matilde Montoya" {
		t.Errorf("the mock kept state: %s", got.body)
	}

	got = call(t, ts, "DELETE", "/api/v2/management/memberships/191", "", token)
	if body := got.json(t); got.status != 201 || body["id"] != float64(191) || body["is_deleted"] != true || body["hospital"] != float64(99) {
		t.Fatalf("DELETE membership 191: %d %s", got.status, got.body)
	}
	got = call(t, ts, "PATCH", "/api/v2/management/memberships/203", `{"type_membership": "ADMIN"}`, token)
	if body := got.json(t); got.status != 201 || body["id"] != float64(203) || body["type_membership"] != "ADMIN" || body["hospital"] != float64(108) {
		t.Fatalf("PATCH membership 203: %d %s", got.status, got.body)
	}

	// A wrapped object (the Users envelope), from a form body.
	got = call(t, ts, "POST", "/users/user/2/edit/", "first_name=Augusta", session, "Content-Type: application/x-www-form-urlencoded")
	if data, _ := got.json(t)["data"].(map[string]any); got.status != 200 || data["first_name"] != "Augusta" || data["id"] != float64(2) {
		t.Fatalf("edit user 2: %d %s", got.status, got.body)
	}

	// A field whose value the response schema refuses is left as documented.
	path := t.TempDir() + "/spec.yaml"
	spec := `openapi: 3.0.3
info: {title: things, version: '1'}
paths:
  /things/{thing_id}:
    patch:
      parameters:
        - {name: thing_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {name: {type: string}, size: {type: integer}}}
      responses:
        '200':
          description: A thing.
          content:
            application/json:
              schema:
                type: object
                properties: {id: {type: integer}, name: {type: string, maxLength: 5}, size: {type: integer}}
              example: {id: 1, name: short, size: 1}
`
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	_, things := start(t, Options{SpecFile: path})
	got = call(t, things, "PATCH", "/things/1", `{"name": "far too long", "size": 3}`)
	if got.status != 200 || string(got.body) != `{"id":1,"name":"short","size":3}` {
		t.Fatalf("PATCH thing 1: %d %s", got.status, got.body)
	}
}

func TestSetFieldsKeepsKeyOrder(t *testing.T) {
	got, err := setFields([]byte(`{"b":1,"data":{"z":1,"id":2},"a":[1]}`), "data", map[string]any{"z": "x", "new": true})
	if err != nil || string(got) != `{"b":1,"data":{"z":"x","id":2,"new":true},"a":[1]}` {
		t.Fatalf("setFields: %s %v", got, err)
	}
	if _, err := setFields([]byte(`[1]`), "", map[string]any{"a": 1}); err == nil {
		t.Fatal("setFields accepted an array")
	}
}
