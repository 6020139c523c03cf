package db_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

// issued issues a medic token (in a transaction), an institution key and a doctor account on d.
func issued(t *testing.T, d *db.DB) []string {
	t.Helper()
	ctx := context.Background()
	m := newMedic(t, &d.Store, "medic@example.com", nil)
	var token string
	err := d.InTx(ctx, func(tx *db.Store) (err error) {
		token, err = tx.IssueMedicToken(ctx, m.ID, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	inst := &db.Institution{Name: "Clinic", CreatedAt: now}
	key, err := d.CreateInstitution(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	a := &db.InstitutionalAccount{InstitutionID: inst.ID, Email: "doctor@example.com",
		DoctorSpecialties: db.JSON[[]string]{V: []string{"CARDIOLOGY"}}, Enabled: true, CreatedAt: now}
	doctorKey, err := d.CreateInstitutionalAccount(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := d.MedicByToken(ctx, token); err != nil || m.Email != "medic@example.com" {
		t.Errorf("the issued token does not authenticate: %v", err)
	}
	return []string{token, key, a.PublicID, doctorKey}
}

func TestUseEntropyIssuesTheSameCredentialsFromTheSameSource(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		seeded := func() *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte("sandbox seed "), 100)) }
		d.UseEntropy(seeded())
		first := issued(t, d)
		again := dbtest.SQLite(t)
		again.UseEntropy(seeded())
		if second := issued(t, again); !slices.Equal(first, second) {
			t.Errorf("the same entropy issued %v, then %v", first, second)
		}
		if fresh := issued(t, dbtest.SQLite(t)); slices.Equal(first, fresh) {
			t.Errorf("crypto/rand issued the seeded credentials, %v", fresh)
		}
	})
}
