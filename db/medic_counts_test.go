package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

// wantVisible checks the count VisibleMedics reports for viewer against the medics it lists.
func wantVisible(t *testing.T, d *db.DB, viewer int64, want int) {
	t.Helper()
	page, count, err := d.VisibleMedics(context.Background(), viewer, db.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if count != want || len(page) != want {
		t.Errorf("medic %d: count %d, listed %d, want %d", viewer, count, len(page), want)
	}
}

func TestMedicCountsFollowInsertsMovesAndDeletes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		a := newMedic(t, &d.Store, "a@example.com", nil)
		b := newMedic(t, &d.Store, "b@example.com", nil)
		c := newMedic(t, &d.Store, "c@example.com", nil)
		var ofA []*db.Medic
		for i := range 3 {
			ofA = append(ofA, newMedic(t, &d.Store, fmt.Sprintf("a%d@example.com", i), &a.ID))
		}
		ofB := newMedic(t, &d.Store, "b0@example.com", &b.ID)
		wantVisible(t, d, a.ID, 4)
		wantVisible(t, d, b.ID, 2)
		wantVisible(t, d, c.ID, 1)
		wantVisible(t, d, ofB.ID, 1)
		past, count, err := d.VisibleMedics(ctx, a.ID, db.Page{Limit: 10, Offset: 50})
		if err != nil || len(past) != 0 || count != 4 {
			t.Fatalf("page past the end: %d medics, count %d, %v", len(past), count, err)
		}

		// An update that keeps the owner changes no count.
		ofA[0].Name = "Renamed"
		if err := d.UpdateMedic(ctx, ofA[0]); err != nil {
			t.Fatal(err)
		}
		wantVisible(t, d, a.ID, 4)

		if _, err := d.Exec(ctx, `UPDATE medics SET owner_id = ? WHERE id = ?`, b.ID, ofA[0].ID); err != nil {
			t.Fatal(err)
		}
		wantVisible(t, d, a.ID, 3)
		wantVisible(t, d, b.ID, 3)

		if _, err := d.Exec(ctx, `DELETE FROM medics WHERE id = ?`, ofB.ID); err != nil {
			t.Fatal(err)
		}
		wantVisible(t, d, b.ID, 2)

		// One statement moving several medics between owners.
		if n, err := d.Exec(ctx, `UPDATE medics SET owner_id = ? WHERE owner_id IN (?, ?)`, c.ID, a.ID, b.ID); err != nil || n != 3 {
			t.Fatalf("moved %d, %v", n, err)
		}
		wantVisible(t, d, a.ID, 1)
		wantVisible(t, d, b.ID, 1)
		wantVisible(t, d, c.ID, 4)
	})
}

func TestMedicCountsUnderConcurrentCreates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		owner := newMedic(t, &d.Store, "owner@example.com", nil)
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				errs <- d.InTx(context.Background(), func(tx *db.Store) error {
					m := &db.Medic{OwnerID: &owner.ID, Name: "M", Email: fmt.Sprintf("m%d@example.com", i),
						PasswordHash: "x", IsActive: true, CreatedAt: now}
					return tx.CreateMedic(context.Background(), m)
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		_, count, err := d.VisibleMedics(context.Background(), owner.ID, db.Page{Limit: 1})
		if err != nil || count != n+1 {
			t.Fatalf("count %d (%v), want %d", count, err, n+1)
		}
	})
}

func TestMedicCountsMigrationCountsExistingMedics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.MigrateDownTo(ctx, 4); err != nil {
			t.Fatal(err)
		}
		// Raw inserts: the store writes columns later migrations add.
		var owner int64
		for i := range 6 {
			var ownerID *int64
			if i > 0 {
				ownerID = &owner
			}
			if _, err := d.Exec(ctx, `INSERT INTO medics (owner_id, name, email, password_hash, created_at) VALUES (?, 'M', ?, 'x', ?)`,
				ownerID, fmt.Sprintf("m%d@example.com", i), now); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				m, err := d.MedicByID(ctx, 1)
				if err != nil {
					t.Fatal(err)
				}
				owner = m.ID
			}
		}
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		wantVisible(t, d, owner, 6)
	})
}
