package db_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

func TestLoginFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := func(minutes int) time.Time { return now.Add(time.Duration(minutes) * time.Minute) }
		add := func(expires int, subjects ...string) []int64 {
			t.Helper()
			ids, err := d.AddLoginFailure(ctx, at(expires), subjects...)
			if err != nil || len(ids) != len(subjects) {
				t.Fatalf("add: %v %v", ids, err)
			}
			return ids
		}
		check := func(what, subject string, since, limit int, want ...time.Time) {
			t.Helper()
			got, err := d.LoginFailureExpiries(ctx, subject, at(since), limit)
			if err != nil || !reflect.DeepEqual(got, append([]time.Time{}, want...)) {
				t.Errorf("%s: got %v %v, want %v", what, got, err, want)
			}
		}
		const ada, addr1, addr2 = "users:username:ada", "users:address:192.0.2.1", "users:address:192.0.2.2"
		add(10, ada, addr1)
		add(20, ada, addr1)
		add(30, ada, addr2)
		last := add(40, "users:username:bob", addr1)

		check("ada, latest first", ada, 0, 10, at(30), at(20), at(10))
		check("ada, still counting after 20 minutes", ada, 20, 10, at(30))
		check("ada, at most 2", ada, 0, 2, at(30), at(20))
		check("address 1", addr1, 0, 10, at(40), at(20), at(10))
		check("another family's subject", "patients:address:192.0.2.1", 0, 10)

		if err := d.DeleteLoginFailures(ctx, last...); err != nil {
			t.Fatal(err)
		}
		check("bob's failure deleted", "users:username:bob", 0, 10)
		check("address 1 without bob's failure", addr1, 0, 10, at(20), at(10))

		if err := d.ClearLoginFailures(ctx, ada); err != nil {
			t.Fatal(err)
		}
		check("ada cleared", ada, -60, 10)
		check("clearing one subject keeps another's", addr1, 0, 10, at(20), at(10))

		if err := d.DeleteExpiredLoginFailures(ctx, at(20)); err != nil {
			t.Fatal(err)
		}
		check("expired at 20 minutes forgotten", addr1, -60, 10)
		check("still counting kept", addr2, -60, 10, at(30))
	})
}
