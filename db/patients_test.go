package db_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

func newOrganization(t *testing.T, s *db.Store, id string) *db.Organization {
	t.Helper()
	o := &db.Organization{ID: id, Name: "Org " + id, CreatedAt: now}
	if err := s.CreateOrganization(context.Background(), o); err != nil {
		t.Fatalf("create organization %s: %v", id, err)
	}
	return o
}

func newPatient(org, email string) *db.Patient {
	return &db.Patient{
		ID: "pat_" + fmt.Sprintf("%016x", time.Now().UnixNano()), OrganizationID: org, Uname: email + "#" + org,
		Email: email, FirstName: "Jane", LastName: "Doe", Gender: "female", Phone: "+14165550199",
		DOB:   time.Date(1990, 4, 12, 0, 0, 0, 0, time.UTC),
		Roles: db.JSON[[]string]{V: []string{"patient"}}, Meta: db.JSON[map[string]any]{V: map[string]any{}},
		HcCard: db.JSON[map[string]any]{V: map[string]any{}}, Providers: db.JSON[[]string]{V: []string{}},
		Verifications: db.JSON[map[string]any]{V: map[string]any{}}, Groups: db.JSON[[]string]{V: []string{}},
		CreatedAt: now,
	}
}

func TestOrganizations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		created := newOrganization(t, &d.Store, "northclinic")
		got, err := d.OrganizationByID(ctx, "northclinic")
		if err != nil || !reflect.DeepEqual(got, created) {
			t.Fatalf("got %+v, %v; want %+v", got, err, created)
		}
		err = d.CreateOrganization(ctx, &db.Organization{ID: "northclinic", Name: "Again", CreatedAt: now})
		if db.ConflictField(err) != "id" {
			t.Fatalf("want a conflict on id, got %v", err)
		}
		if _, err := d.OrganizationByID(ctx, "southclinic"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown organization: %v", err)
		}
	})
}

func TestPatientsRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		newOrganization(t, &d.Store, "northclinic")
		hash, emr, referrer, province := "$argon2id$…", int64(9007199254740991), "usr_1", "ON"
		p := newPatient("northclinic", "jane@example.com")
		p.PasswordHash, p.EmrID, p.Referrer, p.Province = &hash, &emr, &referrer, &province
		p.Roles.V = []string{"patient", "beta"}
		p.Meta.V = map[string]any{"preferredLanguage": "en", "nested": map[string]any{"list": []any{1.5, "two", nil, true}, "ñ": "ü"}}
		p.HcCard.V = map[string]any{"number": "1234-567-890", "versionCode": "AB", "expiry": "2028-04-30"}
		p.Verifications.V = map[string]any{"email": false, "phone": true}
		p.Providers.V, p.Groups.V = []string{"prov_001", "prov_002"}, []string{"grp_1"}
		p.UnreadNotificationsCount, p.AcceptsMarketing, p.HasInsurance = 3, true, true
		if err := d.CreatePatient(ctx, p); err != nil {
			t.Fatal(err)
		}
		byID, err := d.PatientByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !byID.DOB.Equal(p.DOB) {
			t.Fatalf("dob %v, want %v", byID.DOB, p.DOB)
		}
		byID.DOB = p.DOB // PostgreSQL's DATE comes back in a fixed +0000 zone rather than UTC
		if !reflect.DeepEqual(byID, p) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", byID, p)
		}
		byUname, err := d.PatientByUname(ctx, "jane@example.com#northclinic")
		if err == nil {
			byUname.DOB = byUname.DOB.UTC()
		}
		if err != nil || !reflect.DeepEqual(byUname, p) {
			t.Fatalf("by uname: %v %+v", err, byUname)
		}

		bare := newPatient("northclinic", "bare@example.com")
		bare.ID = "pat_0000000000000001"
		if err := d.CreatePatient(ctx, bare); err != nil {
			t.Fatal(err)
		}
		got, err := d.PatientByID(ctx, bare.ID)
		if err != nil || got.PasswordHash != nil || got.EmrID != nil || got.Referrer != nil || got.Province != nil {
			t.Fatalf("optional fields: %v %+v", err, got)
		}

		if _, err := d.PatientByID(ctx, "pat_ffffffffffffffff"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		if _, err := d.PatientByUname(ctx, "nobody@example.com#northclinic"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown uname: %v", err)
		}
		orphan := newPatient("southclinic", "orphan@example.com")
		if err := d.CreatePatient(ctx, orphan); err == nil || db.IsConflict(err) {
			t.Fatalf("a patient of an unknown organization: %v", err)
		}
	})
}

// TestConcurrentDuplicatePatients relies on the unique uname alone: exactly one insert wins.
func TestConcurrentDuplicatePatients(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		newOrganization(t, &d.Store, "northclinic")
		wantOneInsertWins(t, 8, func(i int) error {
			p := newPatient("northclinic", "race@example.com")
			p.ID = fmt.Sprintf("pat_%016x", i)
			return d.CreatePatient(context.Background(), p)
		}, conflictOn("uname"))
	})
}

func TestSecretOrCreateKeepsTheFirstValue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		first, err := d.SecretOrCreate(ctx, "k", []byte("first value"), now)
		if err != nil || string(first) != "first value" {
			t.Fatalf("first: %q %v", first, err)
		}
		second, err := d.SecretOrCreate(ctx, "k", []byte("second value"), now)
		if err != nil || string(second) != "first value" {
			t.Fatalf("second: %q %v", second, err)
		}
		other, err := d.SecretOrCreate(ctx, "other", []byte{0, 1, 2, 255}, now)
		if err != nil || !reflect.DeepEqual(other, []byte{0, 1, 2, 255}) {
			t.Fatalf("other: %v %v", other, err)
		}

		const processes = 8
		var wg sync.WaitGroup
		values := make(chan string, processes)
		for i := range processes {
			wg.Go(func() {
				v, err := d.SecretOrCreate(ctx, "raced", fmt.Appendf(nil, "candidate %d", i), now)
				if err != nil {
					t.Error(err)
				}
				values <- string(v)
			})
		}
		wg.Wait()
		close(values)
		seen := map[string]bool{}
		for v := range values {
			seen[v] = true
		}
		if len(seen) != 1 {
			t.Fatalf("concurrent first uses got different secrets: %v", seen)
		}
	})
}
