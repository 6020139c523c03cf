package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
)

func TestAdminAuditPrintsTheSelectedEventsAsJSONLines(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "galeno.db")
	var out, errOut bytes.Buffer
	if code := run([]string{"migrate", "--db", dbURL}, &out, &errOut); code != 0 {
		t.Fatalf("migrate: %s", errOut.String())
	}
	d := openDB(t, dbURL)
	now := time.Now().UTC().Truncate(time.Second)
	for _, e := range []db.AuditEvent{
		{At: now.Add(-72 * time.Hour), RequestID: "old", Principal: "medic:1", Operation: "getMedic", ObjectID: "7", Outcome: 200},
		{At: now.Add(-time.Hour), RequestID: "intruder", Principal: "medic:2", Operation: "getMedic", ObjectID: "7", Outcome: 404},
		{At: now.Add(-time.Minute), RequestID: "edit", Principal: "medic:1", Operation: "updateMedic", ObjectID: "7", Outcome: 202},
		{At: now.Add(-time.Minute), RequestID: "other", Principal: "medic:1", Operation: "getMedic", ObjectID: "8", Outcome: 200},
	} {
		e.Family, e.ClientAddress = "prescrypto", "192.0.2.7"
		if err := d.RecordAuditEvents(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		want string // request ids, oldest first
	}{
		{nil, "old intruder edit other"},
		{[]string{"--object", "7"}, "old intruder edit"},
		{[]string{"--object", "7", "--since", "2d"}, "intruder edit"},
		{[]string{"--principal", "medic:1", "--operation", "getMedic"}, "old other"},
		{[]string{"--until", now.Add(-30 * time.Minute).Format(time.RFC3339)}, "old intruder"},
		{[]string{"--since", now.Add(-24 * time.Hour).Format(time.DateOnly), "--principal", "medic:2"}, "intruder"},
		{[]string{"--object", "9"}, ""},
	} {
		out.Reset()
		errOut.Reset()
		if code := run(append([]string{"admin", "audit", "--db", dbURL}, c.args...), &out, &errOut); code != 0 {
			t.Fatalf("%q: code %d: %s", c.args, code, errOut.String())
		}
		var got []string
		lines := bufio.NewScanner(&out)
		for lines.Scan() {
			var e db.AuditEvent
			if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
				t.Fatalf("%q: line %q is not an event: %v", c.args, lines.Text(), err)
			}
			if e.Family != "prescrypto" || e.ClientAddress != "192.0.2.7" || e.At.IsZero() || e.ObjectID == "" {
				t.Errorf("%q: incomplete event %q", c.args, lines.Text())
			}
			got = append(got, e.RequestID)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%q: got %v, want %s", c.args, got, c.want)
		}
	}

	for _, bad := range []struct{ flag, value, want string }{
		{"--since", "yesterday", `"yesterday" is not a time`},
		{"--principal", "12", "want medic:ID, institution:ID, user:ID or patient:ID"},
		{"--principal", "doctor:12", "want medic:ID"},
	} {
		out.Reset()
		errOut.Reset()
		if code := run([]string{"admin", "audit", "--db", dbURL, bad.flag, bad.value}, &out, &errOut); code != 1 ||
			out.Len() != 0 || !strings.Contains(errOut.String(), bad.want) {
			t.Errorf("%s %s: code %d, stderr %q", bad.flag, bad.value, code, errOut.String())
		}
	}
}
