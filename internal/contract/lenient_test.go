package contract_test

import (
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/internal/contract"
)

func requestBody(t *testing.T, schema string) *openapi3.RequestBody {
	t.Helper()
	var s openapi3.Schema
	if err := s.UnmarshalJSON([]byte(schema)); err != nil {
		t.Fatal(err)
	}
	ref := &openapi3.SchemaRef{Value: &s}
	return openapi3.NewRequestBody().
		WithContent(openapi3.Content{"application/json": {Schema: ref}, "application/x-www-form-urlencoded": {Schema: ref}})
}

func TestRewriteTakesTheFormsTheContractAlsoAccepts(t *testing.T) {
	l := contract.NewLenience(requestBody(t, `{"type":"object","properties":{
		"pin":{"type":"string","x-also-accepts":"integer"},
		"born":{"type":"string","format":"date","x-also-accepts":"date-time"},
		"letter":{"type":"boolean","x-also-accepts":{"0":true,"1":false}},
		"name":{"type":"string"}}}`))
	for _, c := range []struct{ contentType, in, want string }{
		{"application/json", `{"pin":1234,"born":"1985-10-12T23:30:00-06:00","letter":1,"name":"x"}`, `{"born":"1985-10-12","letter":false,"name":"x","pin":"1234"}`},
		{"application/json", `{"pin":"1234","born":"1985-10-12","letter":true}`, `{"pin":"1234","born":"1985-10-12","letter":true}`},
		{"application/json", `{"pin":12.5,"born":"1985-10-12T25:00:00","letter":2}`, `{"pin":12.5,"born":"1985-10-12T25:00:00","letter":2}`},
		{"application/json", `{"pin":`, `{"pin":`},
		{"application/json; charset=utf-8", `{"letter":0}`, `{"letter":true}`},
		{"application/x-www-form-urlencoded", "born=1990-01-02T03%3A04%3A05&name=x", "born=1990-01-02&name=x"},
		{"text/plain", `{"pin":1}`, `{"pin":1}`},
	} {
		r, _ := http.NewRequest("POST", "/", strings.NewReader(c.in))
		r.Header.Set("Content-Type", c.contentType)
		if err := l.Rewrite(r); err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r.Body)
		if string(got) != c.want || r.ContentLength != int64(len(c.want)) {
			t.Errorf("%s %s: got %s (length %d), want %s", c.contentType, c.in, got, r.ContentLength, c.want)
		}
	}
	if contract.NewLenience(requestBody(t, `{"type":"object","properties":{"name":{"type":"string"}}}`)) != nil {
		t.Error("a body without x-also-accepts has rewrites")
	}
}

func TestIgnoredFieldsAreTheUndeclaredOnes(t *testing.T) {
	schema := requestBody(t, `{"type":"object","properties":{
		"name":{"type":"string"},
		"card":{"type":"object","properties":{"number":{"type":"string"}}},
		"meta":{"type":"object","additionalProperties":true}}}`).Content["application/json"].Schema.Value
	body := map[string]any{"name": "x", "zeta": 1, "alpha": 2, "card": map[string]any{"number": "1", "pin": "2"}, "meta": map[string]any{"free": true}}
	if got := contract.IgnoredFields(schema, body); !reflect.DeepEqual(got, []string{"alpha", "card.pin", "zeta"}) {
		t.Errorf("JSON: %v", got)
	}
	if got := contract.IgnoredFields(schema, url.Values{"name": {"x"}, "is_staf": {"False"}}); !reflect.DeepEqual(got, []string{"is_staf"}) {
		t.Errorf("form: %v", got)
	}
	if got := contract.IgnoredFields(schema, map[string]any{"name": "x"}); got != nil {
		t.Errorf("nothing ignored: %v", got)
	}
}
