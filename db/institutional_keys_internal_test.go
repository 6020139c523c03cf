package db

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInstitutionalKeysAreStoredHashed reads the raw rows (SQLite is enough: hashing happens in Go)
// and checks that no column holds a key's secret, only its SHA-256.
func TestInstitutionalKeysAreStoredHashed(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "galeno.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	inst := &Institution{Name: "Norte", CreatedAt: now}
	instKey, err := d.CreateInstitution(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	accountKey, err := d.CreateInstitutionalAccount(ctx, &InstitutionalAccount{InstitutionID: inst.ID, Email: "dr@norte.com",
		DoctorSpecialties: JSON[[]string]{V: []string{"GP"}}, Enabled: true, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	for table, key := range map[string]string{"institutions": instKey, "institutional_accounts": accountKey} {
		_, token, _ := strings.Cut(key, "_")
		keyID, secret, ok := splitToken(token)
		if !ok {
			t.Fatalf("%s: key %q is not prefix_<key id>.<secret>", table, key)
		}
		row := map[string]any{}
		if err := d.pool.QueryRowxContext(ctx, `SELECT * FROM `+table+` WHERE key_id = ?`, keyID).MapScan(row); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if row["secret_hash"] != hashSecret(secret) || strings.Contains(fmt.Sprint(row), secret) {
			t.Fatalf("%s keeps more than the hash of the secret: %v", table, row)
		}
	}
}
