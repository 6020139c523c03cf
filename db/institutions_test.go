package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

func newInstitution(t *testing.T, s *db.Store, name string) (*db.Institution, string) {
	t.Helper()
	i := &db.Institution{Name: name, CreatedAt: now}
	key, err := s.CreateInstitution(context.Background(), i)
	if err != nil {
		t.Fatalf("create institution %s: %v", name, err)
	}
	return i, key
}

// withLastCharChanged returns key with its last (hex) character replaced by another one.
func withLastCharChanged(key string) string {
	last := key[len(key)-1]
	replacement := byte('0')
	if last == '0' {
		replacement = '1'
	}
	return key[:len(key)-1] + string(replacement)
}

func TestInstitutionKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		inst, key := newInstitution(t, &d.Store, "Clinica Norte")
		other, otherKey := newInstitution(t, &d.Store, "Clinica Sur")
		if inst.ID == 0 || other.ID == inst.ID || key == otherKey || !strings.HasPrefix(key, "inst_") {
			t.Fatalf("institutions %+v %+v with keys %q %q", inst, other, key, otherKey)
		}
		got, err := d.InstitutionByKey(ctx, key)
		if err != nil || got.ID != inst.ID || got.Name != "Clinica Norte" || !got.CreatedAt.Equal(now) {
			t.Fatalf("InstitutionByKey: %v, %+v", err, got)
		}
		if got, err := d.InstitutionByKey(ctx, otherKey); err != nil || got.ID != other.ID {
			t.Fatalf("InstitutionByKey(other): %v, %+v", err, got)
		}
		unprefixed := strings.TrimPrefix(key, "inst_")
		for _, bad := range []string{"", "inst_", "inst_nope", unprefixed, "doc_" + unprefixed, withLastCharChanged(key), key + "0", strings.ToUpper(key)} {
			if _, err := d.InstitutionByKey(ctx, bad); !errors.Is(err, db.ErrInvalidToken) {
				t.Errorf("key %q: want ErrInvalidToken, got %v", bad, err)
			}
		}
	})
}

func TestInstitutionNamesAreUnique(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		newInstitution(t, &d.Store, "Same")
		_, err := d.CreateInstitution(context.Background(), &db.Institution{Name: "Same", CreatedAt: now})
		if db.ConflictField(err) != "name" {
			t.Fatalf("want a conflict on name, got %v", err)
		}
	})
}
