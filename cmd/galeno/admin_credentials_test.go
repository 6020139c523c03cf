package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

// adminRun runs `galeno admin args… --db dbURL` and returns its exit code, stdout and stderr.
func adminRun(dbURL string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(append(append([]string{"admin"}, args...), "--db", dbURL), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAdminCredentialCommands(t *testing.T) {
	for name, dbURL := range map[string]func(t testing.TB) string{
		"sqlite":   func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "galeno.db") },
		"postgres": dbtest.PostgresURL,
	} {
		t.Run(name, func(t *testing.T) {
			url := dbURL(t)
			ctx := context.Background()
			code, token, stderr := adminRun(url, "token", "--name", "Integrator", "--email", "integrator@example.com")
			if code != 0 {
				t.Fatalf("admin token: %d %s", code, stderr)
			}
			token = strings.TrimSpace(token)

			code, rotated, stderr := adminRun(url, "medic-token", "rotate", "--medic", "1")
			rotated = strings.TrimSpace(rotated)
			if code != 0 || len(rotated) != len(token) || rotated == token {
				t.Fatalf("medic-token rotate: %d %q %s", code, rotated, stderr)
			}
			d := openDB(t, url)
			if _, err := d.MedicByToken(ctx, token); err != db.ErrInvalidToken {
				t.Fatalf("the old token after rotation: %v", err)
			}
			if m, err := d.MedicByToken(ctx, rotated); err != nil || m.ID != 1 {
				t.Fatalf("the rotated token: %v", err)
			}
			code, list, _ := adminRun(url, "medic-token", "list")
			var info map[string]any
			if err := json.Unmarshal([]byte(list), &info); code != 0 || err != nil || info["key_id"] != rotated[:12] ||
				strings.Contains(list, rotated[13:]) {
				t.Fatalf("medic-token list: %d %q %v", code, list, err)
			}
			if code, out, stderr := adminRun(url, "medic-token", "revoke", "--medic", "1"); code != 0 || !strings.Contains(out, "revoked") {
				t.Fatalf("medic-token revoke: %d %q %s", code, out, stderr)
			}
			if _, err := d.MedicByToken(ctx, rotated); err != db.ErrInvalidToken {
				t.Fatalf("the revoked token: %v", err)
			}

			_, key, _ := adminRun(url, "institution", "--name", "Clínica Norte")
			code, newKey, stderr := adminRun(url, "institution-key", "rotate", "--institution", "1")
			if _, err := d.InstitutionByKey(ctx, strings.TrimSpace(newKey)); code != 0 || err != nil {
				t.Fatalf("institution-key rotate: %d %q %s %v", code, newKey, stderr, err)
			}
			if _, err := d.InstitutionByKey(ctx, strings.TrimSpace(key)); err != db.ErrInvalidToken {
				t.Fatalf("the old institution key: %v", err)
			}
			if code, _, _ := adminRun(url, "institution-key", "revoke", "--institution", "1"); code != 0 {
				t.Fatal("institution-key revoke failed")
			}
			if _, err := d.InstitutionByKey(ctx, strings.TrimSpace(newKey)); err != db.ErrInvalidToken {
				t.Fatalf("the revoked institution key: %v", err)
			}

			if code, _, _ := adminRun(url, "organization", "--id", "northclinic", "--name", "North"); code != 0 {
				t.Fatal("admin organization failed")
			}
			if code, out, stderr := adminRun(url, "patient-tokens", "revoke", "--organization", "northclinic"); code != 0 || out == "" {
				t.Fatalf("patient-tokens revoke: %d %q %s", code, out, stderr)
			}

			for _, bad := range [][]string{
				{"medic-token"}, {"medic-token", "rotate"}, {"medic-token", "list", "--medic", "1"}, {"medic-token", "rotate", "--medic", "99"},
				{"doctor-key", "revoke", "--account", "acc_nobody"}, {"institution-key", "burn", "--institution", "1"},
				{"patient-tokens", "revoke"}, {"patient-tokens", "revoke", "--organization", "nowhere"},
			} {
				if code, out, stderr := adminRun(url, bad...); code != 1 || out != "" || stderr == "" {
					t.Errorf("%q: code %d, stdout %q, stderr %q", bad, code, out, stderr)
				}
			}
		})
	}
}
