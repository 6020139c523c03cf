package impl_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type recordedErrors []string

func (r *recordedErrors) Errorf(format string, args ...any) {
	*r = append(*r, fmt.Sprintf(format, args...))
}

// TestValidatingTransportCatchesDrift proves the harness fails a test when the server drifts from
// the contract: a body that breaks its schema, an undocumented status, a server error.
func TestValidatingTransportCatchesDrift(t *testing.T) {
	cases := map[string]struct {
		status int
		body   string
		want   string
	}{
		"wrong type":          {200, `{"count":"two","next":null,"previous":null,"results":[]}`, "violates openapi.yaml"},
		"missing property":    {200, `{"count":0,"next":null,"results":[]}`, "violates openapi.yaml"},
		"undocumented status": {404, `{"message":"Not found"}`, "violates openapi.yaml"},
		"server error":        {500, `{"message":"Internal server error"}`, "server error"},
		"valid":               {200, `{"count":0,"next":null,"previous":null,"results":[]}`, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				w.Write([]byte(c.body))
			}))
			defer srv.Close()
			var got recordedErrors
			client := &http.Client{Transport: &validatingTransport{t: &got, router: specRouter(t), next: http.DefaultTransport}}
			req, _ := http.NewRequest("GET", srv.URL+"/api/v2/medics/", nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			joined := strings.Join(got, "\n")
			if c.want == "" && len(got) > 0 || c.want != "" && !strings.Contains(joined, c.want) {
				t.Fatalf("reported %q, want %q", joined, c.want)
			}
		})
	}
}
