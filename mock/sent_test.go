package mock

import (
	"encoding/json"
	"strings"
	"testing"
)

// journalOf reads GET /__mock/requests.
func journalOf(t *testing.T, ts *served) []journalEntry {
	t.Helper()
	var out struct{ Requests []journalEntry }
	got := call(t, ts, "GET", "/__mock/requests", "")
	if err := json.Unmarshal(got.body, &out); got.status != 200 || err != nil {
		t.Fatalf("journal: %d %s %v", got.status, got.body, err)
	}
	return out.Requests
}

// TestJournalShowsWhatWasSent: headers with credentials masked, and the body with its secrets
// masked, so a frontend test can assert what the UI sent.
func TestJournalShowsWhatWasSent(t *testing.T) {
	_, ts := start(t, Options{})
	call(t, ts, "PATCH", "/api/v2/medics/11/", `{"name": "Daniel Hale Williams"}`, token, "X-Trace: abc")
	call(t, ts, "POST", "/users/user/login/", `{"username": "ada", "password": "correct-horse-battery"}`, "Cookie: sessionid=abc; theme=dark")
	call(t, ts, "POST", "/users/user/2/edit/", "phone=1&numeric_password=1234", session, "Content-Type: application/x-www-form-urlencoded")
	call(t, ts, "GET", "/api/v2/medics/", "", token, "X-Api-Key: k-123")
	big := `{"name": "` + strings.Repeat("x", maxJournalBody) + `"}`
	call(t, ts, "PATCH", "/api/v2/medics/11/", big, token)
	entries := journalOf(t, ts)
	if len(entries) != 5 {
		t.Fatalf("%d entries: %+v", len(entries), entries)
	}
	patch, login, edit, list, large := entries[0], entries[1], entries[2], entries[3], entries[4]
	if patch.Body == nil || *patch.Body != `{"name": "Daniel Hale Williams"}` || patch.Headers["Authorization"][0] != "Token ****" ||
		patch.Headers["X-Trace"][0] != "abc" || patch.Headers["Content-Type"][0] != "application/json" {
		t.Errorf("PATCH entry: %+v", patch)
	}
	if login.Body == nil || *login.Body != `{"password":"****","username":"ada"}` || login.Headers["Cookie"][0] != "sessionid=****; theme=****" {
		t.Errorf("login entry: %+v", login)
	}
	if edit.Body == nil || *edit.Body != "numeric_password=%2A%2A%2A%2A&phone=1" {
		t.Errorf("form entry: %+v", edit)
	}
	if list.Body != nil || list.Headers["X-Api-Key"][0] != "****" {
		t.Errorf("GET entry: %+v", list)
	}
	if large.Body != nil || !large.BodyTruncated {
		t.Errorf("a truncated JSON body, where a secret could hide, is left out: %+v", large.BodyTruncated)
	}
	for _, e := range entries {
		for _, secret := range []string{"correct-horse", "0123456789abcdef", "k-123", "1234&"} {
			if raw, _ := json.Marshal(e); strings.Contains(string(raw), secret) {
				t.Errorf("the journal shows %q: %s", secret, raw)
			}
		}
	}
}
