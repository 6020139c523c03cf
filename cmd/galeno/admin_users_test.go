package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/impl"
)

// openDB opens the database an admin command wrote, until the test ends.
func openDB(t *testing.T, url string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestAdminStaffCreatesAStaffAdministrator(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "galeno.db")
	var out, errOut bytes.Buffer
	args := []string{"admin", "staff", "--username", "chief", "--password", "chief-password", "--db", dbURL}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("admin staff: code %d, stderr %q", code, errOut.String())
	}
	m := regexp.MustCompile(`^Created staff administrator "chief" with id (\d+)\n$`).FindStringSubmatch(out.String())
	if m == nil || strings.Contains(out.String()+errOut.String(), "chief-password") {
		t.Fatalf("stdout %q, stderr %q", out.String(), errOut.String())
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)

	u, err := openDB(t, dbURL).UserByID(context.Background(), id)
	if err != nil || u.Username != "chief" || !u.IsStaff || !u.IsAdmin || !u.IsActive {
		t.Fatalf("%v %+v", err, u)
	}
	if ok, err := impl.VerifyPassword("chief-password", u.PasswordHash); !ok || err != nil {
		t.Fatalf("the stored hash does not verify the password: %v", err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{args, "already exists"},
		{[]string{"admin", "staff", "--username", "deputy", "--password", "short", "--db", dbURL}, "invalid password"},
		{[]string{"admin", "staff", "--username", "no spaces", "--password", "long-enough", "--db", dbURL}, "invalid username"},
		{[]string{"admin", "staff", "--db", dbURL}, "--username and --password are required"},
	} {
		out.Reset()
		errOut.Reset()
		if code := run(c.args, &out, &errOut); code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%q: code %d, stdout %q, stderr %q", c.args, code, out.String(), errOut.String())
		}
	}
}
