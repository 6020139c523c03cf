package db_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

func TestPatientTokenGenerations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		newOrganization(t, &d.Store, "northclinic")
		p := newPatient("northclinic", "jane@example.com")
		if err := d.CreatePatient(ctx, p); err != nil {
			t.Fatal(err)
		}
		generations := func() db.TokenGenerations {
			g, err := d.PatientTokenGenerations(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		if g := generations(); g != (db.TokenGenerations{}) {
			t.Fatalf("a new patient's generations: %+v", g)
		}
		if err := d.RevokePatientTokens(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := d.RevokeOrganizationTokens(ctx, "northclinic"); err != nil {
			t.Fatal(err)
		}
		if err := d.RevokeOrganizationTokens(ctx, "northclinic"); err != nil {
			t.Fatal(err)
		}
		if g := generations(); g != (db.TokenGenerations{Patient: 1, Organization: 2}) {
			t.Fatalf("after revocations: %+v", g)
		}
		for _, err := range []error{d.RevokePatientTokens(ctx, "pat_nobody"), d.RevokeOrganizationTokens(ctx, "nowhere")} {
			if !errors.Is(err, db.ErrNotFound) {
				t.Errorf("revoke an unknown owner: %v", err)
			}
		}
		if _, err := d.PatientTokenGenerations(ctx, "pat_nobody"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("generations of an unknown patient: %v", err)
		}
	})
}

func TestRevokedAndRotatedKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		inst, key := newInstitution(t, &d.Store, "Clinica Norte")
		if err := d.RevokeInstitutionKey(ctx, inst.ID, now); err != nil {
			t.Fatal(err)
		}
		if _, err := d.InstitutionByKey(ctx, key); !errors.Is(err, db.ErrInvalidToken) {
			t.Fatalf("a revoked key: %v", err)
		}
		infos, err := d.InstitutionKeys(ctx)
		if err != nil || len(infos) != 1 || infos[0].RevokedAt == nil || infos[0].OwnerID != strconv.FormatInt(inst.ID, 10) || infos[0].KeyID != key[5:17] {
			t.Fatalf("institution keys: %v %+v", err, infos)
		}
		rotated, err := d.RotateInstitutionKey(ctx, inst.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := d.InstitutionByKey(ctx, rotated); err != nil || got.ID != inst.ID {
			t.Fatalf("the rotated key: %v", err)
		}
		if infos, _ := d.InstitutionKeys(ctx); infos[0].RevokedAt != nil || infos[0].KeyID != rotated[5:17] {
			t.Fatalf("after rotation: %+v", infos)
		}
		if _, err := d.RotateInstitutionKey(ctx, inst.ID+100); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("rotate an unknown institution: %v", err)
		}

		m := newMedic(t, &d.Store, "medic@example.com", nil)
		first, err := d.IssueMedicToken(ctx, m.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		second, err := d.RotateMedicToken(ctx, m.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.MedicByToken(ctx, first); !errors.Is(err, db.ErrInvalidToken) {
			t.Fatalf("a rotated-away token: %v", err)
		}
		tokens, err := d.MedicTokens(ctx)
		if err != nil || len(tokens) != 1 || tokens[0].KeyID != second[:12] || tokens[0].OwnerName != "medic@example.com" {
			t.Fatalf("medic tokens: %v %+v", err, tokens)
		}
		if err := d.RevokeMedicTokens(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := d.RevokeMedicTokens(ctx, m.ID); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("revoke a medic without tokens: %v", err)
		}
		if _, err := d.RotateMedicToken(ctx, m.ID+100, now); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("rotate an unknown medic: %v", err)
		}
	})
}
