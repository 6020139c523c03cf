package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/db"
)

func TestAdminOrganizationCreatesOneOrganization(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "galeno.db")
	var out, errOut bytes.Buffer
	args := []string{"admin", "organization", "--id", "northclinic", "--name", "North Clinic", "--db", dbURL}
	if code := run(args, &out, &errOut); code != 0 || out.String() != "created organization northclinic\n" {
		t.Fatalf("admin organization: code %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	ctx := context.Background()
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if org, err := d.OrganizationByID(ctx, "northclinic"); err != nil || org.Name != "North Clinic" || org.Country != "CA" {
		t.Fatalf("stored organization: %+v %v", org, err)
	}
	portal := []string{"admin", "organization", "--id", "appgen_demo", "--name", "AppGen", "--country", "mx",
		"--domain", "portal.example.com", "--domain", "Care.Example.org", "--db", dbURL}
	out.Reset()
	if code := run(portal, &out, &errOut); code != 0 || out.String() != "created organization appgen_demo\n" {
		t.Fatalf("admin organization with domains: code %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	for _, domain := range []string{"portal.example.com", "care.example.org"} {
		if org, err := d.OrganizationByDomain(ctx, domain); err != nil || org.ID != "appgen_demo" || org.Country != "MX" {
			t.Fatalf("organization of %s: %+v %v", domain, org, err)
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{args, "already exists"},
		{[]string{"admin", "organization", "--id", "North Clinic", "--name", "N", "--db", dbURL}, "not a valid organization id"},
		{[]string{"admin", "organization", "--id", "south", "--db", dbURL}, "--id and --name are required"},
		{[]string{"admin", "organization", "--id", "south", "--name", "S", "--country", "XX", "--db", dbURL}, "not a country"},
		{[]string{"admin", "organization", "--id", "south", "--name", "S", "--domain", "portal.example.com", "--db", dbURL}, "already another organization's"},
	} {
		out.Reset()
		errOut.Reset()
		if code := run(c.args, &out, &errOut); code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: code %d, stdout %q, stderr %q", c.args, code, out.String(), errOut.String())
		}
	}
}

func TestServeRefusesAShortSigningKeyWithoutShowingIt(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "galeno.db")
	for _, c := range []struct {
		args []string
		env  string
	}{
		{[]string{"serve", "--jwt-key", "hunter2-secret", "--db", dbURL}, ""},
		{[]string{"serve", "--db", dbURL}, "hunter2-secret"},
	} {
		t.Setenv("GALENO_JWT_KEY", c.env)
		var out, errOut bytes.Buffer
		if code := run(c.args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "at least 32 bytes") ||
			strings.Contains(errOut.String()+out.String(), "hunter2") {
			t.Errorf("%v (env %q): code %d, stdout %q, stderr %q", c.args, c.env, code, out.String(), errOut.String())
		}
	}
	// --help lists the flag but never the environment's key.
	t.Setenv("GALENO_JWT_KEY", "hunter2-secret-hunter2-secret-hunter2")
	var out, errOut bytes.Buffer
	run([]string{"serve", "--help"}, &out, &errOut)
	if !strings.Contains(errOut.String(), "jwt-key") || strings.Contains(errOut.String()+out.String(), "hunter2") {
		t.Errorf("serve --help: %q", errOut.String())
	}
}
