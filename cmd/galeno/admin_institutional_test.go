package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/db"
)

func TestAdminInstitutionPrintsOnlyTheKey(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "galeno.db")
	var out, errOut bytes.Buffer
	args := []string{"admin", "institution", "--name", "Clínica Norte", "--db", dbURL}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("admin institution: code %d, stderr %q", code, errOut.String())
	}
	key := strings.TrimSuffix(out.String(), "\n")
	if strings.ContainsAny(key, " \n") || !strings.HasPrefix(key, "inst_") || len(key) < 40 {
		t.Fatalf("stdout is not one key line: %q", out.String())
	}
	ctx := context.Background()
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	inst, err := d.InstitutionByKey(ctx, key)
	if err != nil || inst.Name != "Clínica Norte" {
		t.Fatalf("the printed key does not belong to the institution: %v %+v", err, inst)
	}

	out.Reset()
	errOut.Reset()
	if code := run(args, &out, &errOut); code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), "already exists") {
		t.Fatalf("second institution with the same name: code %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	for _, bad := range [][]string{{"--db", dbURL}, {"--name", "  ", "--db", dbURL}} {
		out.Reset()
		if code := run(append([]string{"admin", "institution"}, bad...), &out, &errOut); code != 1 || out.Len() != 0 {
			t.Fatalf("admin institution %q: code %d, stdout %q", bad, code, out.String())
		}
	}
}
