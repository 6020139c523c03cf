package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

var now = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

func newMedic(t *testing.T, s *db.Store, email string, owner *int64) *db.Medic {
	t.Helper()
	m := &db.Medic{OwnerID: owner, Name: "Dr " + email, Email: email, PasswordHash: "x", IsActive: true, CreatedAt: now}
	if err := s.CreateMedic(context.Background(), m); err != nil {
		t.Fatalf("create medic %s: %v", email, err)
	}
	return m
}

func newHospital(t *testing.T, s *db.Store, creator int64) *db.Hospital {
	t.Helper()
	h := &db.Hospital{CreatedBy: creator, CreatedAt: now, Name: "H", Patron: "P", Location: "L", Contact: "C",
		PageTemplate: "classic", IsActive: true, SendEmails: true}
	if err := s.CreateHospital(context.Background(), h); err != nil {
		t.Fatalf("create hospital: %v", err)
	}
	return h
}

func join(t *testing.T, s *db.Store, medic, hospital int64, typ db.MembershipType, active bool) *db.Membership {
	t.Helper()
	m := &db.Membership{MedicID: medic, HospitalID: hospital, TypeMembership: typ, IsActive: active, DateJoined: now}
	if err := s.CreateMembership(context.Background(), m); err != nil {
		t.Fatalf("create membership: %v", err)
	}
	return m
}

func TestMedicsRoundTripAndVisibility(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		owner := newMedic(t, &d.Store, "owner@example.com", nil)
		dob := time.Date(1990, 12, 31, 0, 0, 0, 0, time.UTC)
		campaign := "spring"
		child := &db.Medic{OwnerID: &owner.ID, Name: "Child", Email: "child@example.com", PasswordHash: "h",
			DateOfBirth: &dob, CedulaProf: "1", SpecialtyNo: "2", Specialty: "S", AlmaMater: "U", Female: true,
			IsActive: true, Campaign: &campaign, CreatedAt: now}
		if err := d.CreateMedic(ctx, child); err != nil {
			t.Fatal(err)
		}
		stranger := newMedic(t, &d.Store, "stranger@example.com", nil)

		got, err := d.VisibleMedic(ctx, owner.ID, child.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Child" || !got.Female || got.Campaign == nil || *got.Campaign != "spring" ||
			got.DateOfBirth == nil || !got.DateOfBirth.Equal(dob) || got.HospitalID != nil || !got.CreatedAt.Equal(now) {
			t.Fatalf("round trip: %+v", got)
		}
		if _, err := d.VisibleMedic(ctx, stranger.ID, child.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("stranger sees child: %v", err)
		}
		if _, err := d.VisibleMedic(ctx, child.ID, owner.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("child sees its owner: %v", err)
		}
		if _, err := d.VisibleMedic(ctx, child.ID, child.ID); err != nil {
			t.Fatalf("child does not see itself: %v", err)
		}

		for i := range 3 {
			newMedic(t, &d.Store, fmt.Sprintf("c%d@example.com", i), &owner.ID)
		}
		page, count, err := d.VisibleMedics(ctx, owner.ID, db.Page{Limit: 2, Offset: 1})
		if err != nil {
			t.Fatal(err)
		}
		if count != 5 || len(page) != 2 || page[0].ID != child.ID || page[1].ID <= page[0].ID {
			t.Fatalf("page: count %d, %d rows, first %d", count, len(page), page[0].ID)
		}

		child.Name, child.DateOfBirth, child.Campaign = "Renamed", nil, nil
		if err := d.UpdateMedic(ctx, child); err != nil {
			t.Fatal(err)
		}
		got, _ = d.MedicByID(ctx, child.ID)
		if got.Name != "Renamed" || got.DateOfBirth != nil || got.Campaign != nil {
			t.Fatalf("update: %+v", got)
		}
		if err := d.UpdateMedic(ctx, &db.Medic{ID: 999999}); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("update missing medic: %v", err)
		}
	})
}

func TestDuplicateEmailIsAConflictOnEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		newMedic(t, &d.Store, "dup@example.com", nil)
		for _, email := range []string{"dup@example.com", "DUP@example.com"} {
			err := d.CreateMedic(context.Background(), &db.Medic{Name: "B", Email: email, PasswordHash: "x", CreatedAt: now})
			if db.ConflictField(err) != "email" {
				t.Fatalf("%s: want a conflict on email, got %v", email, err)
			}
		}
	})
}

// wantOneInsertWins runs n inserts at once and checks exactly one succeeds, the others failing as
// lost says (normally: on a unique key, see conflictOn).
func wantOneInsertWins(t *testing.T, n int, insert func(i int) error, lost func(error) bool) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- insert(i) })
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case !lost(err):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d inserts won, want 1", won)
	}
}

// conflictOn tells whether an error is a unique violation on the resource's field.
func conflictOn(field string) func(error) bool {
	return func(err error) bool { return db.ConflictField(err) == field }
}

// TestConcurrentDuplicateEmails relies on the unique constraint alone: exactly one insert wins.
func TestConcurrentDuplicateEmails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		wantOneInsertWins(t, 8, func(i int) error {
			return d.InTx(context.Background(), func(tx *db.Store) error {
				return tx.CreateMedic(context.Background(), &db.Medic{Name: fmt.Sprint(i), Email: "race@example.com", PasswordHash: "x", CreatedAt: now})
			})
		}, conflictOn("email"))
	})
}

func TestTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := newMedic(t, &d.Store, "tok@example.com", nil)
		token, err := d.IssueMedicToken(ctx, m.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(token) < 40 {
			t.Fatalf("token %q is too short", token)
		}
		got, err := d.MedicByToken(ctx, token)
		if err != nil || got.ID != m.ID {
			t.Fatalf("MedicByToken: %v, %+v", err, got)
		}
		tampered := token[:len(token)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", token[len(token)-1])+1)%16])
		for _, bad := range []string{"", "nope", tampered, strings.ToUpper(token), token + "0"} {
			if _, err := d.MedicByToken(ctx, bad); !errors.Is(err, db.ErrInvalidToken) {
				t.Errorf("token %q: want ErrInvalidToken, got %v", bad, err)
			}
		}
		if err := d.InTx(ctx, func(tx *db.Store) error {
			other, err := tx.IssueMedicToken(ctx, m.ID, now)
			if other == token {
				t.Error("two tokens are equal")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestHospitalsSeenThroughLiveMemberships(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		admin := newMedic(t, &d.Store, "a@example.com", nil)
		member := newMedic(t, &d.Store, "m@example.com", nil)
		h1 := newHospital(t, &d.Store, admin.ID)
		h2 := newHospital(t, &d.Store, admin.ID)
		join(t, &d.Store, admin.ID, h1.ID, db.Admin, true)
		join(t, &d.Store, admin.ID, h2.ID, db.Member, false)
		ms := join(t, &d.Store, member.ID, h1.ID, db.Member, true)

		list, count, err := d.MemberHospitals(ctx, admin.ID, db.Page{Limit: 10})
		if err != nil || count != 2 || len(list) != 2 || list[0].ID != h1.ID || list[0].TypeMembership != db.Admin || list[1].TypeMembership != db.Member {
			t.Fatalf("admin's hospitals: %v %d %+v", err, count, list)
		}
		got, err := d.MemberHospital(ctx, member.ID, h1.ID)
		if err != nil || got.TypeMembership != db.Member || got.Name != "H" {
			t.Fatalf("member's hospital: %v %+v", err, got)
		}
		if _, err := d.MemberHospital(ctx, member.ID, h2.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("non-member sees hospital: %v", err)
		}
		ms.IsDeleted = true
		if err := d.UpdateMembership(ctx, ms); err != nil {
			t.Fatal(err)
		}
		if _, err := d.MemberHospital(ctx, member.ID, h1.ID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("deleted member sees hospital: %v", err)
		}
		medic, _ := d.MedicByID(ctx, member.ID)
		if medic.HospitalID != nil {
			t.Fatalf("a deleted membership is still the medic's hospital: %d", *medic.HospitalID)
		}

		h1.Contact, h1.Info = "new@example.com", true
		if err := d.UpdateHospital(ctx, h1); err != nil {
			t.Fatal(err)
		}
		got, _ = d.MemberHospital(ctx, admin.ID, h1.ID)
		if got.Contact != "new@example.com" || !got.Info || !got.CreatedAt.Equal(now) {
			t.Fatalf("update hospital: %+v", got)
		}
	})
}

func TestMembershipRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		admin := newMedic(t, &d.Store, "a@example.com", nil)
		other := newMedic(t, &d.Store, "o@example.com", nil)
		h1 := newHospital(t, &d.Store, admin.ID)
		h2 := newHospital(t, &d.Store, admin.ID)
		first := join(t, &d.Store, admin.ID, h1.ID, db.Admin, true)

		err := d.CreateMembership(ctx, &db.Membership{MedicID: admin.ID, HospitalID: h1.ID, TypeMembership: db.Member, DateJoined: now})
		if db.ConflictField(err) != "medic_hospital" {
			t.Fatalf("duplicate membership: %v", err)
		}
		err = d.CreateMembership(ctx, &db.Membership{MedicID: admin.ID, HospitalID: 424242, TypeMembership: db.Member, DateJoined: now})
		if err == nil {
			t.Fatal("a membership in a missing hospital was created")
		}

		second := join(t, &d.Store, admin.ID, h2.ID, db.Member, true)
		if got, _ := d.MembershipByID(ctx, first.ID); got.IsActive {
			t.Fatal("creating an active membership left the previous one active")
		}
		medic, _ := d.MedicByID(ctx, admin.ID)
		if medic.HospitalID == nil || *medic.HospitalID != h2.ID || *medic.TypeMembership != db.Member {
			t.Fatalf("active hospital: %+v", medic)
		}
		first.IsActive = true
		if err := d.UpdateMembership(ctx, first); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.MembershipByID(ctx, second.ID); got.IsActive {
			t.Fatal("activating a membership left the other one active")
		}
		got, _ := d.MembershipByID(ctx, first.ID)
		if !got.IsActive || got.MedicName != "Dr a@example.com" || got.MedicEmail != "a@example.com" || !got.DateJoined.Equal(now) {
			t.Fatalf("membership: %+v", got)
		}

		join(t, &d.Store, other.ID, h1.ID, db.Member, true)
		join(t, &d.Store, other.ID, h2.ID, db.Member, false)
		list, count, err := d.ManageableMemberships(ctx, other.ID, db.Page{Limit: 10})
		if err != nil || count != 2 || len(list) != 2 {
			t.Fatalf("other manages %d: %v", count, err)
		}
		list, count, err = d.ManageableMemberships(ctx, admin.ID, db.Page{Limit: 10})
		// Its own two, and the other medic's in h1, where it is ADMIN; not the other's in h2 (MEMBER there).
		if err != nil || count != 3 {
			t.Fatalf("admin of h1 manages %d memberships, want 3: %v %+v", count, err, list)
		}
		byHospital, err := d.HospitalMemberships(ctx, h1.ID)
		if err != nil || len(byHospital) != 2 || byHospital[0].ID < byHospital[1].ID {
			t.Fatalf("hospital memberships: %v %+v", err, byHospital)
		}
	})
}

// TestConcurrentActivationsKeepOneActiveMembership activates four memberships of one medic at once:
// every transaction succeeds (they queue on the medic) and exactly one membership ends up active.
func TestConcurrentActivationsKeepOneActiveMembership(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := newMedic(t, &d.Store, "busy@example.com", nil)
		var ids []int64
		for range 4 {
			ids = append(ids, join(t, &d.Store, m.ID, newHospital(t, &d.Store, m.ID).ID, db.Member, false).ID)
		}
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Go(func() {
				err := d.InTx(ctx, func(tx *db.Store) error {
					ms, err := tx.MembershipByID(ctx, id)
					if err != nil {
						return err
					}
					ms.IsActive = true
					return tx.UpdateMembership(ctx, ms)
				})
				if err != nil {
					t.Errorf("activate %d: %v", id, err)
				}
			})
		}
		wg.Wait()
		active := 0
		for _, id := range ids {
			if ms, _ := d.MembershipByID(ctx, id); ms.IsActive {
				active++
			}
		}
		if active != 1 {
			t.Fatalf("%d active memberships, want 1", active)
		}
	})
}
