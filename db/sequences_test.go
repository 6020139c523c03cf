package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

func TestAdvanceIDs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// On a fresh table, and again after ids were issued.
		if err := d.AdvanceIDs(ctx, db.HospitalIDs, 7); err != nil {
			t.Fatal(err)
		}
		creator := newMedic(t, &d.Store, "creator@example.com", nil)
		if h := newHospital(t, &d.Store, creator.ID); h.ID != 7 {
			t.Errorf("hospital id after advancing to 7 = %d", h.ID)
		}
		if err := d.AdvanceIDs(ctx, db.MedicIDs, 11); err != nil {
			t.Fatal(err)
		}
		if m := newMedic(t, &d.Store, "eleven@example.com", nil); m.ID != 11 {
			t.Errorf("medic id after advancing to 11 = %d", m.ID)
		}
		if m := newMedic(t, &d.Store, "twelve@example.com", nil); m.ID != 12 {
			t.Errorf("the medic after 11 got id %d", m.ID)
		}
		err := d.AdvanceIDs(ctx, db.MedicIDs, 5)
		if err == nil || !strings.Contains(err.Error(), "already issued") {
			t.Errorf("moving the medic ids back to 5: err = %v, want already issued", err)
		}
	})
}
