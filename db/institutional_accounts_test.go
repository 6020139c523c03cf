package db_test

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

func newAccount(t *testing.T, s *db.Store, institution int64, email string, internalCode *string) (*db.InstitutionalAccount, string) {
	t.Helper()
	a := &db.InstitutionalAccount{InstitutionID: institution, Email: email, InternalCode: internalCode,
		DoctorSpecialties: db.JSON[[]string]{V: []string{"CARDIOLOGY"}}, Enabled: true, CreatedAt: now}
	key, err := s.CreateInstitutionalAccount(context.Background(), a)
	if err != nil {
		t.Fatalf("create account %s: %v", email, err)
	}
	return a, key
}

func str(s string) *string { return &s }

func TestInstitutionalAccountsRoundTripAndVisibility(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		inst, _ := newInstitution(t, &d.Store, "Norte")
		other, _ := newInstitution(t, &d.Store, "Sur")
		a := &db.InstitutionalAccount{
			InstitutionID:           inst.ID,
			Email:                   "Dr.Juan@Clinica.com",
			DoctorSpecialties:       db.JSON[[]string]{V: []string{"CARDIOLOGY", "PEDIATRÍA"}},
			AccountRole:             str("doctor"),
			Country:                 str("COLOMBIA"),
			Language:                str("es"),
			TimeZone:                str("America/Bogota"),
			NameFull:                str("Dr. Juan Pérez"),
			InstitutionalBranchName: str("Sede Norte"),
			InternalCode:            str("DOC-001"),
			Enabled:                 true,
			CreatedAt:               now,
		}
		key, err := d.CreateInstitutionalAccount(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^acc_[a-z0-9]{16}$`).MatchString(a.PublicID) || a.ID == 0 {
			t.Fatalf("account id %d, public id %q", a.ID, a.PublicID)
		}
		if !strings.HasPrefix(key, "doc_") {
			t.Fatalf("account key %q", key)
		}
		got, err := d.InstitutionalAccount(ctx, inst.ID, a.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, a) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, a)
		}
		if _, err := d.InstitutionalAccount(ctx, other.ID, a.PublicID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("another institution's account: want ErrNotFound, got %v", err)
		}
		if _, err := d.InstitutionalAccount(ctx, inst.ID, "acc_0000000000000000"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown account: want ErrNotFound, got %v", err)
		}

		byKey, err := d.InstitutionalAccountByKey(ctx, key)
		if err != nil || byKey.ID != a.ID {
			t.Fatalf("InstitutionalAccountByKey: %v, %+v", err, byKey)
		}
		if _, err := d.InstitutionByKey(ctx, key); !errors.Is(err, db.ErrInvalidToken) {
			t.Fatalf("an account key as an institution key: want ErrInvalidToken, got %v", err)
		}
		unprefixed := strings.TrimPrefix(key, "doc_")
		for _, bad := range []string{"", "doc_", unprefixed, "inst_" + unprefixed, withLastCharChanged(key), key + "0"} {
			if _, err := d.InstitutionalAccountByKey(ctx, bad); !errors.Is(err, db.ErrInvalidToken) {
				t.Errorf("key %q: want ErrInvalidToken, got %v", bad, err)
			}
		}
	})
}

func TestInstitutionalAccountUniqueness(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		inst, _ := newInstitution(t, &d.Store, "Norte")
		other, _ := newInstitution(t, &d.Store, "Sur")
		first, firstKey := newAccount(t, &d.Store, inst.ID, "élodie@example.com", str("DOC-001"))

		conflicts := []struct {
			email        string
			internalCode *string
			field        string
		}{
			{"new@example.com", str("DOC-001"), "internal_code"},
			{"élodie@example.com", nil, "email"},
			{"ÉLODIE@EXAMPLE.COM", str("DOC-002"), "email"}, // beyond ASCII
		}
		for _, c := range conflicts {
			a := &db.InstitutionalAccount{InstitutionID: inst.ID, Email: c.email, InternalCode: c.internalCode,
				DoctorSpecialties: db.JSON[[]string]{V: []string{"X"}}, CreatedAt: now}
			if _, err := d.CreateInstitutionalAccount(ctx, a); db.ConflictField(err) != c.field {
				t.Errorf("%s %v: want a conflict on %s, got %v", c.email, c.internalCode, c.field, err)
			}
		}

		// Another institution may reuse both; accounts without an internal code do not collide.
		theirs, theirKey := newAccount(t, &d.Store, other.ID, "ÉLODIE@example.com", str("DOC-001"))
		newAccount(t, &d.Store, inst.ID, "a@example.com", nil)
		newAccount(t, &d.Store, inst.ID, "b@example.com", nil)
		if theirs.PublicID == first.PublicID || theirKey == firstKey {
			t.Fatal("two accounts share a public id or a key")
		}
	})
}
