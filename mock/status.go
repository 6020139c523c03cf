package mock

import (
	"net/http"
	"strings"
	"time"
)

// specErrorHeader, on every answer, says why the spec file last failed to reload while the
// previous spec keeps serving, so a frontend developer sees a broken edit where they look.
const specErrorHeader = "Galeno-Mock-Spec-Error"

// reloadFailure is the last failed reload of the spec file, until one succeeds.
type reloadFailure struct {
	at     time.Time
	err    string
	header []string // err as one header line
}

func newReloadFailure(err error) *reloadFailure {
	text := err.Error()
	line := strings.Join(strings.FieldsFunc(text, func(r rune) bool { return r < ' ' || r == 0x7f }), " ")
	if len(line) > 500 {
		line = line[:500] + "…"
	}
	return &reloadFailure{at: time.Now(), err: text, header: []string{line}}
}

// mockStatus is what GET /__mock/status shows.
type mockStatus struct {
	Spec           string  `json:"spec"`
	LoadedAt       string  `json:"loaded_at"`
	Operations     int     `json:"operations"`
	ReloadError    *string `json:"reload_error"`
	ReloadFailedAt *string `json:"reload_failed_at,omitempty"`
}

func (s *Server) status() mockStatus {
	c := s.spec.Load()
	st := mockStatus{Spec: c.doc.source, LoadedAt: c.loadedAt.UTC().Format(time.RFC3339Nano), Operations: len(c.list)}
	if f := s.failed.Load(); f != nil {
		at := f.at.UTC().Format(time.RFC3339Nano)
		st.ReloadError, st.ReloadFailedAt = &f.err, &at
	}
	return st
}

// writeStatus answers GET /__mock/status.
func (s *Server) writeStatus(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "Use GET to read the mock's status."})
		return
	}
	writeJSON(w, http.StatusOK, s.status())
}
