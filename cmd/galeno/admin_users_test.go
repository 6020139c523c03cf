package main

import (
	"bytes"
	"context"
	"os"
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
	t.Setenv(staffPasswordEnv, "chief-password")
	args := []string{"admin", "staff", "--username", "chief", "--db", dbURL}
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
		{[]string{"admin", "staff", "--username", "no spaces", "--db", dbURL}, "invalid username"},
		{[]string{"admin", "staff", "--db", dbURL}, "--username and a password"},
	} {
		out.Reset()
		errOut.Reset()
		if code := run(c.args, &out, &errOut); code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%q: code %d, stdout %q, stderr %q", c.args, code, out.String(), errOut.String())
		}
	}
	t.Setenv(staffPasswordEnv, "short")
	if code := run([]string{"admin", "staff", "--username", "deputy", "--db", dbURL}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "invalid password") {
		t.Errorf("a short password: code %d, stderr %q", code, errOut.String())
	}
}

func TestAdminStaffReadsThePasswordFromStandardInputAndWarnsOfTheFlag(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "galeno.db")
	stdin, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stdin.WriteString("from-stdin-password\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := stdin.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	saved := os.Stdin
	os.Stdin = stdin
	t.Cleanup(func() { os.Stdin = saved })
	var out, errOut bytes.Buffer
	if code := run([]string{"admin", "staff", "--username", "piped", "--password-stdin", "--db", dbURL}, &out, &errOut); code != 0 {
		t.Fatalf("--password-stdin: code %d, stderr %q", code, errOut.String())
	}
	if code := run([]string{"admin", "staff", "--username", "flagged", "--password", "from-flag-password", "--db", dbURL}, &out, &errOut); code != 0 ||
		!strings.Contains(errOut.String(), "warning: --password shows in ps") {
		t.Fatalf("--password: code %d, stderr %q", code, errOut.String())
	}
	d := openDB(t, dbURL)
	for username, password := range map[string]string{"piped": "from-stdin-password", "flagged": "from-flag-password"} {
		u, err := d.UserByUsername(context.Background(), username)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := impl.VerifyPassword(password, u.PasswordHash); !ok || err != nil {
			t.Errorf("%s: the stored hash does not verify %q: %v", username, password, err)
		}
	}
}
