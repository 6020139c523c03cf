package contract_test

import (
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/internal/contract"
)

func TestEachKeywordHasOneReadableWording(t *testing.T) {
	var s openapi3.Schema
	if err := s.UnmarshalJSON([]byte(`{"type":"object","required":["name"],"properties":{
		"name":{"type":"string","minLength":1},
		"password":{"type":"string","minLength":8,"maxLength":10},
		"email":{"type":"string","format":"email"},
		"username":{"type":"string","pattern":"^[a-z]+$"},
		"gender":{"type":"string","enum":["M","F"]},
		"limit":{"type":"integer","minimum":1},
		"female":{"type":"boolean"},
		"tags":{"type":"array","minItems":1,"items":{"type":"string","minLength":1}}}}`)); err != nil {
		t.Fatal(err)
	}
	err := s.VisitJSON(map[string]any{"password": "short", "email": "a@b", "username": "A1", "gender": "Q", "limit": 0.0,
		"female": "yes", "tags": []any{""}}, openapi3.MultiErrors(), contract.SchemaOptions()[0])
	got := map[string]string{}
	for _, p := range contract.ExplainSchema(err) {
		got[p.Field] = p.Reason
	}
	want := map[string]string{
		"name":     "This field is required.",
		"password": "Must be at least 8 characters long.",
		"email":    "Must be a valid email.",
		"username": "Must match the pattern ^[a-z]+$.",
		"gender":   "Must be one of M, F.",
		"limit":    "Must be at least 1.",
		"female":   "Must be a boolean.",
		"tags.0":   "Must be at least 1 character long.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestSummaryJoinAndParam(t *testing.T) {
	missing := contract.Problem{Field: "email", Reason: contract.Required}
	nested := contract.Problem{Field: "doctorSpecialties.0", Reason: "Must be a string."}
	body := contract.Problem{Field: "body", Reason: "Cannot be decoded: unexpected EOF."}
	for _, c := range []struct {
		problems []contract.Problem
		want     string
	}{
		{[]contract.Problem{missing}, "Missing required parameter: email"},
		{[]contract.Problem{nested}, "doctorSpecialties.0: Must be a string."},
		{[]contract.Problem{missing, nested}, "Invalid input: email: This field is required.; doctorSpecialties.0: Must be a string."},
		{nil, "Invalid input"},
	} {
		if got := contract.Summary("Invalid input", c.problems); got != c.want {
			t.Errorf("Summary(%v) = %q, want %q", c.problems, got, c.want)
		}
	}
	if !missing.Missing() || nested.Missing() || nested.Param() != "doctorSpecialties" || body.Param() != "" || missing.Param() != "email" {
		t.Error("Missing or Param")
	}
}
