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
		if got := db.ConflictField(err); got != "username" {
			t.Fatalf("BOB beside bob: %v (%q)", err, got)
		}
		p := newPatient("north", "d@example.com")
		p.EmrID = &emr
		if got := db.ConflictField(d.CreatePatient(ctx, p)); got != "emrId" {
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
		if db.ConflictField(err) != "email" {
			t.Fatalf("an existing email in another case: %v", err)
		}
	})
}

// schemaColumn is one column as both databases can describe it.
type schemaColumn struct {
	table, name, kind string
	notNull           bool
}

// sqliteKinds and postgresKinds map each database's column types to one name, where SQLite's stands
// for PostgreSQL's (JSON is TEXT in SQLite, JSONB in PostgreSQL).
var (
	sqliteKinds   = map[string]string{"INTEGER": "integer", "TEXT": "text", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp"}
	postgresKinds = map[string]string{"bigint": "integer", "integer": "integer", "text": "text", "jsonb": "text",
		"boolean": "boolean", "date": "date", "timestamp with time zone": "timestamp"}
)

// TestSQLiteAndPostgresSchemasMatch compares, after every migration, the two schemas column by
// column: the same tables, the same columns in the same order, of corresponding types and
// nullability, so that a migration written for one database is not forgotten in the other.
func TestSQLiteAndPostgresSchemasMatch(t *testing.T) {
	ctx := context.Background()
	lite, pg := dbtest.SQLite(t), dbtest.Postgres(t)
	scan := func(pool *sql.DB, query string, kinds map[string]string) []schemaColumn {
		t.Helper()
		rows, err := pool.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var columns []schemaColumn
		for rows.Next() {
			var c schemaColumn
			if err := rows.Scan(&c.table, &c.name, &c.kind, &c.notNull); err != nil {
				t.Fatal(err)
			}
			kind, ok := kinds[c.kind]
			if !ok {
				t.Errorf("%s.%s: type %q has no counterpart here; add it to the maps", c.table, c.name, c.kind)
			}
			c.kind = kind
			columns = append(columns, c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return columns
	}
	// SQLite does not report an INTEGER PRIMARY KEY as NOT NULL, though it cannot be NULL.
	sqliteColumns := scan(lite.Pool(), `SELECT m.name, c.name, upper(c.type), c."notnull" OR c.pk > 0
		FROM sqlite_master m JOIN pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT IN ('goose_db_version', 'sqlite_sequence')
		ORDER BY m.name, c.cid`, sqliteKinds)
	postgresColumns := scan(pg.Pool(), `SELECT table_name, column_name, data_type, is_nullable = 'NO'
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'
		ORDER BY table_name, ordinal_position`, postgresKinds)
	if len(sqliteColumns) == 0 {
		t.Fatal("no columns read")
	}
	byName := func(columns []schemaColumn) (map[string]schemaColumn, []string) {
		m, order := map[string]schemaColumn{}, []string{}
		for _, c := range columns {
			m[c.table+"."+c.name] = c
			order = append(order, c.table+"."+c.name)
		}
		return m, order
	}
	liteByName, liteOrder := byName(sqliteColumns)
	pgByName, pgOrder := byName(postgresColumns)
	for name, l := range liteByName {
		if p, ok := pgByName[name]; !ok {
			t.Errorf("%s is in SQLite only", name)
		} else if l != p {
			t.Errorf("%s: SQLite has %s (not null %t), PostgreSQL %s (not null %t)", name, l.kind, l.notNull, p.kind, p.notNull)
		}
	}
	for name := range pgByName {
		if _, ok := liteByName[name]; !ok {
			t.Errorf("%s is in PostgreSQL only", name)
		}
	}
	if !t.Failed() && !slices.Equal(liteOrder, pgOrder) {
		t.Errorf("the columns come in different orders:\nSQLite     %v\nPostgreSQL %v", liteOrder, pgOrder)
	}
}
