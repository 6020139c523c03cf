package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

// TestConcurrentMigrationsOnPostgresApplyEachOnce starts the migrations of several processes on one
// PostgreSQL schema at once, as several `galeno serve` rolling out together would: the advisory
// lock lets exactly one apply each migration and the others find nothing left to do. Goose's version
// table exists beforehand, as in any database already in use, so that the processes race on the
// migrations themselves (without the lock, the losers fail with "relation already exists").
func TestConcurrentMigrationsOnPostgresApplyEachOnce(t *testing.T) {
	url := dbtest.PostgresURL(t)
	const processes = 4
	ctx := context.Background()
	createGooseVersionTable(t, url)
	dbs := make([]*db.DB, processes)
	for i := range dbs {
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		dbs[i] = d
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied []int64
		start   = make(chan struct{})
	)
	for _, d := range dbs {
		wg.Go(func() {
			<-start
			versions, err := d.Migrate(ctx)
			if err != nil {
				t.Errorf("concurrent migrate: %v", err)
			}
			mu.Lock()
			applied = append(applied, versions...)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()

	version, err := dbs[0].MigrationVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(applied)
	// The versions of the migration files: numbers reserved for work merged later may be missing.
	files, err := os.ReadDir("migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, f := range files {
		v, err := strconv.ParseInt(strings.SplitN(f.Name(), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", f.Name(), err)
		}
		want = append(want, v)
	}
	if version != want[len(want)-1] || !slices.Equal(applied, want) {
		t.Fatalf("applied %v across %d processes, want each of %v exactly once", applied, processes, want)
	}
}

// createGooseVersionTable creates goose's version table at version 0, as goose itself does.
func createGooseVersionTable(t *testing.T, url string) {
	t.Helper()
	conn, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	store, err := database.NewStore(database.DialectPostgres, goose.DefaultTablename)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateVersionTable(t.Context(), conn); err != nil {
		t.Fatal(err)
	}
	if err := store.Insert(t.Context(), conn, database.InsertRequest{Version: 0}); err != nil {
		t.Fatal(err)
	}
}

// TestMigration00008StopsNamingCollidingRows: usernames differing only in case, and emr ids shared
// within an organization, stop the migration with a message naming the rows (none is changed or
// dropped); once the operator has fixed them, it applies, and the database keeps the rules.
func TestMigration00008StopsNamingCollidingRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.MigrateDownTo(ctx, 7); err != nil {
			t.Fatal(err)
		}
		ada, Ada := newUser(t, &d.Store, "ada", ""), newUser(t, &d.Store, "Ada", "")
		newUser(t, &d.Store, "bob", "")
		_, err := d.Migrate(ctx)
		if want := fmt.Sprintf("ada (id %d), Ada (id %d)", ada.ID, Ada.ID); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("migrating with colliding usernames: %v, want an error naming %s", err, want)
		}
		if _, err := d.Exec(ctx, `UPDATE users SET username = 'ada2' WHERE id = ?`, Ada.ID); err != nil {
			t.Fatal(err)
		}

		// As a database at migration 7 holds them (the store's organizations have columns added since).
		for _, org := range []string{"north", "south"} {
			if _, err := d.Exec(ctx, `INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)`, org, org, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		emr := int64(42)
		var patients []*db.Patient
		for _, at := range []struct{ org, email string }{{"north", "a@example.com"}, {"north", "b@example.com"}, {"south", "c@example.com"}} {
			p := newPatient(at.org, at.email)
			p.ID += at.email[:1]
			p.EmrID = &emr
			if err := d.CreatePatient(ctx, p); err != nil {
				t.Fatal(err)
			}
			patients = append(patients, p)
		}
		_, err = d.Migrate(ctx)
		if want := "north emrId 42: " + patients[0].ID + ", " + patients[1].ID; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("migrating with shared emr ids: %v, want an error naming %s", err, want)
		}
		if _, err := d.Exec(ctx, `UPDATE patients SET emr_id = NULL WHERE id = ?`, patients[1].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}

		if u, err := d.UserByUsername(ctx, "ADA2"); err != nil || u.ID != Ada.ID {
			t.Fatalf("ADA2: %v %v", u, err)
		}
		err = d.CreateUser(ctx, &db.User{Username: "BOB", PasswordHash: "h", UserType: "CL", Gender: "U", CreatedAt: now})
		if got := db.IsUserConflict(err); got != "username" {
			t.Fatalf("BOB beside bob: %v (%q)", err, got)
		}
		p := newPatient("north", "d@example.com")
		p.EmrID = &emr
		if got := db.IsPatientConflict(d.CreatePatient(ctx, p)); got != "emrId" {
			t.Fatalf("a second emr id 42 in north: %q", got)
		}
	})
}

// insertMedicAndUsersBefore11 adds rows the way a database at migration 10 holds them.
func insertMedicAndUsersBefore11(t *testing.T, d *db.DB, emails ...string) {
	t.Helper()
	ctx := t.Context()
	for _, email := range emails {
		if _, err := d.Exec(ctx, `INSERT INTO medics (name, email, password_hash, created_at) VALUES (?, ?, 'x', ?)`,
			"Dr "+email, email, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	for i, flags := range [][2]bool{{true, false}, {false, true}, {true, true}, {false, false}} {
		if _, err := d.Exec(ctx, `INSERT INTO users (username, password_hash, email, email_lower, is_staff, is_active, is_admin,
			user_type, gender, created_at) VALUES (?, 'x', '', '', ?, TRUE, ?, 'CL', 'U', ?)`,
			fmt.Sprintf("user%d", i), flags[0], flags[1], time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMigration11StopsOnMedicEmailsDifferingOnlyInCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if err := d.MigrateDownTo(t.Context(), 10); err != nil {
			t.Fatal(err)
		}
		insertMedicAndUsersBefore11(t, d, "Ada@example.com", "ada@example.com", "grace@example.com", "GRACE@example.com", "solo@example.com")
		_, err := d.Migrate(t.Context())
		if err == nil {
			t.Fatal("the migration went on over colliding emails")
		}
		for _, want := range []string{"Ada@example.com (id 1), ada@example.com (id 2)", "grace@example.com (id 3), GRACE@example.com (id 4)"} {
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("the error does not name %q: %v", want, err)
			}
		}
		if strings.Contains(err.Error(), "solo@") {
			t.Fatalf("the error names an email without a clash: %v", err)
		}
		if v, _ := d.MigrationVersion(t.Context()); v >= 11 {
			t.Fatalf("version %d after the failed migration, want it below 11", v)
		}
	})
}

func TestMigration11KeepsPrivilegesFoldsMedicEmailsAndSetsCountries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		if err := d.MigrateDownTo(ctx, 10); err != nil {
			t.Fatal(err)
		}
		insertMedicAndUsersBefore11(t, d, "Ada@example.com")
		if _, err := d.Exec(ctx, `INSERT INTO organizations (id, name, created_at) VALUES ('northclinic', 'North', ?)`, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if org, err := d.OrganizationByID(ctx, "northclinic"); err != nil || org.Country != "CA" {
			t.Fatalf("an existing organization's country: %+v %v", org, err)
		}
		// Privileges followed is_staff; now they follow is_admin, which takes is_staff's value.
		for i, privileged := range []bool{true, false, true, false} {
			u, err := d.UserByUsername(ctx, fmt.Sprintf("user%d", i))
			if err != nil || u.IsAdmin != privileged {
				t.Fatalf("user%d: is_admin %v (%v), want %v", i, u != nil && u.IsAdmin, err, privileged)
			}
		}
		err := d.CreateMedic(ctx, &db.Medic{Name: "A", Email: "ADA@example.com", PasswordHash: "x", CreatedAt: time.Now()})
		if !db.IsMedicEmailConflict(err) {
			t.Fatalf("an existing email in another case: %v", err)
		}
	})
}
