package mock

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestFailedReloadShowsInEveryAnswer: a broken edit of the spec file keeps the last good spec
// serving, names its problem in a header of every answer and at /__mock/status, until a good
// edit is reloaded.
func TestFailedReloadShowsInEveryAnswer(t *testing.T) {
	path := t.TempDir() + "/spec.yaml"
	writeSpec(t, path, "one")
	s, ts := start(t, Options{SpecFile: path})
	status := func() mockStatus {
		got := call(t, ts, "GET", "/__mock/status", "")
		var st mockStatus
		if err := json.Unmarshal(got.body, &st); got.status != 200 || err != nil {
			t.Fatalf("status: %d %s %v", got.status, got.body, err)
		}
		return st
	}
	st := status()
	if st.Spec != path || st.Operations != 1 || st.ReloadError != nil || st.LoadedAt == "" {
		t.Fatalf("status after start: %+v", st)
	}
	if got := call(t, ts, "GET", "/things/1", ""); got.header.Get(specErrorHeader) != "" {
		t.Fatalf("a good spec reports an error: %v", got.header)
	}

	invalid := strings.Replace(strings.Replace(testSpec, "NAME", "x", 1), "value: {name: x, id: 1}", "value: {name: x, id: one}", 1)
	if err := os.WriteFile(path, []byte(invalid), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err == nil {
		t.Fatal("an invalid example reloaded")
	}
	for _, target := range []string{"/things/1", "/nowhere", "/__mock/requests"} {
		got := call(t, ts, "GET", target, "", "Origin: http://localhost:5173")
		if h := got.header.Get(specErrorHeader); !strings.Contains(h, "example First: id: Must be an integer.") || strings.ContainsAny(h, "\n\r") {
			t.Errorf("GET %s: %s: %q", target, specErrorHeader, h)
		}
		if !strings.Contains(got.header.Get("Access-Control-Expose-Headers"), specErrorHeader) {
			t.Errorf("GET %s: a page cannot read %s: %v", target, specErrorHeader, got.header)
		}
	}
	if got := call(t, ts, "GET", "/things/1", ""); got.json(t)["name"] != "one" {
		t.Fatalf("the broken edit replaced the spec: %s", got.body)
	}
	st = status()
	if st.ReloadError == nil || !strings.Contains(*st.ReloadError, "id: Must be an integer.") || st.ReloadFailedAt == nil || st.Operations != 1 {
		t.Fatalf("status after a failed reload: %+v", st)
	}

	writeSpec(t, path, "two")
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := call(t, ts, "GET", "/things/1", ""); got.header.Get(specErrorHeader) != "" || got.json(t)["name"] != "two" {
		t.Fatalf("after a good reload: %v %s", got.header, got.body)
	}
	if st := status(); st.ReloadError != nil || st.LoadedAt == "" {
		t.Fatalf("status after a good reload: %+v", st)
	}
	if got := call(t, ts, "POST", "/__mock/status", ""); got.status != 405 || got.header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST status: %d %v", got.status, got.header)
	}
}
