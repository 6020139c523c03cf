package impl_test

// The compatibility corpus (testdata/compat/corpus.yaml): every request the documents show, replayed
// against galeno serve on both databases and against galeno mock, each answered with the status and
// shape the documents promise.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/mock"
)

// compatEntry is one request of the corpus; corpus.yaml's header explains the fields.
type compatEntry struct {
	Name      string            `yaml:"name"`
	Method    string            `yaml:"method"`
	Path      string            `yaml:"path"`
	Auth      string            `yaml:"auth"`
	Headers   map[string]string `yaml:"headers"`
	Body      string            `yaml:"body"`
	Status    int               `yaml:"status"`
	Shape     any               `yaml:"shape"`
	MockShape any               `yaml:"mock_shape"`
	Absent    []string          `yaml:"absent"`
	Save      map[string]string `yaml:"save"`
	Example   string            `yaml:"example"`
	Differs   string            `yaml:"differs"`
	Pending   string            `yaml:"pending"`
}

func loadCompatCorpus(t *testing.T) []compatEntry {
	t.Helper()
	raw, err := os.ReadFile("testdata/compat/corpus.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var corpus []compatEntry
	if err := yaml.Unmarshal(raw, &corpus); err != nil {
		t.Fatalf("corpus.yaml: %v", err)
	}
	return corpus
}

// compatTarget is a server the corpus is replayed against, with the credentials of its set-up.
type compatTarget struct {
	url  string
	mock bool              // ask for the documented status and example with Prefer
	vars map[string]string // {{name}} → value, grown by the entries' save
}

func TestCompatCorpusOnTheServer(t *testing.T) {
	corpus := loadCompatCorpus(t)
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ts := newTestServer(t, b.Open(t))
			_, staff := newStaff(t, ts)
			institution, err := ts.Server.CreateInstitution(t.Context(), "Clínica Norte")
			if err != nil {
				t.Fatal(err)
			}
			if err := ts.Server.CreateOrganization(t.Context(), "appgen_demo", "AppGen demo", "CA", "portal.example.com"); err != nil {
				t.Fatal(err)
			}
			replayCompat(t, corpus, &compatTarget{url: ts.URL, vars: map[string]string{
				"token": integrator(t, ts, "integrator@example.com"), "staff": staff, "institution": institution, "org": "appgen_demo",
			}})
		})
	}
}

func TestCompatCorpusOnTheMock(t *testing.T) {
	m, err := mock.New(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	replayCompat(t, loadCompatCorpus(t), &compatTarget{url: srv.URL, mock: true, vars: map[string]string{
		"token": "mock-token", "staff": "mock-session", "institution": "mock-key", "org": "appgen_demo",
		"medic_token": "mock-medic-token", "bearer": "mock-bearer",
		// The documented create-membership answer has no id: any id gets each operation's own example.
		"membership_id": "12345",
	}})
}

// replayCompat sends the corpus in order, each entry a subtest; pending entries skip with their reason.
func replayCompat(t *testing.T, corpus []compatEntry, target *compatTarget) {
	for _, e := range corpus {
		t.Run(e.Name, func(t *testing.T) {
			if e.Pending != "" {
				t.Skip("pending: " + e.Pending)
			}
			status, body := sendCompat(t, e, target)
			if status != e.Status {
				t.Fatalf("%s %s: status %d, want %d: %s", e.Method, e.Path, status, e.Status, body)
			}
			var got any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%s %s: not JSON: %s", e.Method, e.Path, body)
			}
			shape := e.Shape
			if target.mock && e.MockShape != nil {
				shape = e.MockShape
			}
			for _, problem := range shapeProblems("body", shape, got) {
				t.Errorf("%s %s: %s\nbody: %s", e.Method, e.Path, problem, body)
			}
			obj, _ := got.(map[string]any)
			for _, key := range e.Absent {
				if _, ok := obj[key]; ok {
					t.Errorf("%s %s: the body has %q: %s", e.Method, e.Path, key, body)
				}
			}
			for name, key := range e.Save {
				if v, ok := lookupCompat(got, key); ok {
					target.vars[name] = fmt.Sprint(v)
				}
			}
		})
	}
}

// sendCompat sends one entry with its placeholders filled and returns the status and body.
func sendCompat(t *testing.T, e compatEntry, target *compatTarget) (int, []byte) {
	t.Helper()
	var body io.Reader
	if e.Body != "" {
		body = strings.NewReader(fillCompat(t, e.Body, target.vars))
	}
	req, err := http.NewRequest(e.Method, target.url+fillCompat(t, e.Path, target.vars), body)
	if err != nil {
		t.Fatal(err)
	}
	if e.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range e.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, fillCompat(t, v, target.vars))
	}
	switch e.Auth {
	case "token":
		req.Header.Set("Authorization", "Token "+target.vars["token"])
	case "medic":
		req.Header.Set("Authorization", "Token "+target.vars["medic_token"])
	case "bad_token":
		req.Header.Set("Authorization", "Token not-a-token")
	case "institution":
		req.Header.Set("Authorization", "Bearer "+target.vars["institution"])
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+target.vars["bearer"])
	case "staff":
		req.AddCookie(&http.Cookie{Name: "sessionid", Value: target.vars["staff"]})
	case "none", "":
	default:
		t.Fatalf("unknown auth %q", e.Auth)
	}
	if target.mock {
		prefer := fmt.Sprintf("code=%d", e.Status)
		if e.Example != "" {
			prefer += ", example=" + e.Example
		}
		req.Header.Set("Prefer", prefer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// fillCompat replaces every {{name}} in s; an unknown name fails the test.
func fillCompat(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	for {
		start := strings.Index(s, "{{")
		if start < 0 {
			return s
		}
		end := strings.Index(s[start:], "}}")
		if end < 0 {
			t.Fatalf("unclosed placeholder in %q", s)
		}
		name := s[start+2 : start+end]
		v, ok := vars[name]
		if !ok {
			t.Fatalf("placeholder {{%s}} has no value (set up, or saved by an earlier entry)", name)
		}
		s = s[:start] + v + s[start+end+2:]
	}
}

// lookupCompat finds a dotted key (data.id) in a decoded JSON body.
func lookupCompat(v any, key string) (any, bool) {
	for part := range strings.SplitSeq(key, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[part]; !ok {
			return nil, false
		}
	}
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return int64(f), true
	}
	return v, true
}

// shapeProblems compares a decoded body with an entry's shape (see corpus.yaml's header).
func shapeProblems(at string, want, got any) []string {
	switch w := want.(type) {
	case nil:
		if got != nil {
			return []string{fmt.Sprintf("%s is %v, want null", at, got)}
		}
	case string:
		kind := map[string]func(any) bool{
			"<any>":    func(any) bool { return true },
			"<number>": func(g any) bool { _, ok := g.(float64); return ok },
			"<string>": func(g any) bool { _, ok := g.(string); return ok },
			"<bool>":   func(g any) bool { _, ok := g.(bool); return ok },
			"<object>": func(g any) bool { _, ok := g.(map[string]any); return ok },
		}[w]
		if kind != nil && !kind(got) || kind == nil && got != w {
			return []string{fmt.Sprintf("%s is %#v, want %s", at, got, w)}
		}
	case bool, int, float64:
		if fmt.Sprint(got) != fmt.Sprint(w) {
			return []string{fmt.Sprintf("%s is %v, want %v", at, got, w)}
		}
	case map[string]any:
		obj, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s is %#v, want an object", at, got)}
		}
		var problems []string
		for k, wv := range w {
			gv, ok := obj[k]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s.%s is missing", at, k))
				continue
			}
			problems = append(problems, shapeProblems(at+"."+k, wv, gv)...)
		}
		return problems
	case []any:
		list, ok := got.([]any)
		switch {
		case !ok:
			return []string{fmt.Sprintf("%s is %#v, want a list", at, got)}
		case len(w) == 0 && len(list) > 0:
			return []string{fmt.Sprintf("%s has %d items, want none", at, len(list))}
		case len(w) > 0 && len(list) == 0:
			return []string{fmt.Sprintf("%s is empty, want items", at)}
		}
		var problems []string
		for i, item := range list {
			problems = append(problems, shapeProblems(fmt.Sprintf("%s[%d]", at, i), w[0], item)...)
		}
		return problems
	default:
		return []string{fmt.Sprintf("%s: the corpus has a shape of type %T", at, want)}
	}
	return nil
}

// TestShapeProblemsCatchWhatTheCorpusForbids proves the corpus's shape check can fail.
func TestShapeProblemsCatchWhatTheCorpusForbids(t *testing.T) {
	body := map[string]any{"id": 1.0, "name": "x", "picture": nil, "results": []any{map[string]any{"id": 2.0}}}
	for _, c := range []struct {
		shape any
		ok    bool
	}{
		{map[string]any{"id": "<number>", "name": "x", "picture": nil, "results": []any{map[string]any{"id": "<number>"}}}, true},
		{map[string]any{"id": "<string>"}, false},
		{map[string]any{"name": "y"}, false},
		{map[string]any{"picture": "<string>"}, false},
		{map[string]any{"missing": "<any>"}, false},
		{map[string]any{"results": []any{}}, false},
		{map[string]any{"results": []any{map[string]any{"id": 3}}}, false},
		{[]any{"<any>"}, false},
	} {
		if problems := shapeProblems("body", c.shape, body); (len(problems) == 0) != c.ok {
			t.Errorf("shape %v: problems %v, want ok %v", c.shape, problems, c.ok)
		}
	}
}
