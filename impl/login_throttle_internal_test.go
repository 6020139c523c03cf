package impl

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

func TestLoginThrottleCountsAttemptsBeforeTheirPasswordAndKeepsFamiliesApart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		start := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
		short := loginThrottle{family: "short", account: "name", window: time.Minute, perAccount: 2, perAddress: 3, slowAfter: 100}
		long := loginThrottle{family: "long", account: "name", window: time.Hour, perAccount: 1, perAddress: 1, slowAfter: 100}
		begin := func(th loginThrottle, at time.Duration, account, address string) (*loginAttempt, time.Duration) {
			t.Helper()
			attempt, wait, err := th.begin(ctx, &d.Store, start.Add(at), account, address)
			if err != nil {
				t.Fatal(err)
			}
			if (attempt == nil) != (wait > 0) {
				t.Fatalf("attempt %v with wait %v", attempt, wait)
			}
			return attempt, wait
		}
		fail := func(th loginThrottle, at time.Duration, account, address string) {
			t.Helper()
			attempt, wait := begin(th, at, account, address)
			if wait > 0 {
				t.Fatalf("%s from %s at %v refused for %v", account, address, at, wait)
			}
			if err := attempt.failed(ctx, &d.Store); err != nil {
				t.Fatal(err)
			}
		}
		wantWait := func(th loginThrottle, at time.Duration, account, address string, want time.Duration) {
			t.Helper()
			if _, wait := begin(th, at, account, address); wait != want {
				t.Fatalf("%s from %s at %v: wait %v, want %v", account, address, at, wait, want)
			}
		}
		counting := func(subject string, at time.Duration) int {
			t.Helper()
			expiries, err := d.LoginFailureExpiries(ctx, subject, start.Add(at), 100)
			if err != nil {
				t.Fatal(err)
			}
			return len(expiries)
		}

		// Per account from one address: the limit's own numbers, its own window; a refused login
		// does not count.
		fail(short, 0, "ada", "192.0.2.1")
		fail(short, 10*time.Second, "ada", "192.0.2.1")
		wantWait(short, 20*time.Second, "ada", "192.0.2.1", 40*time.Second)
		wantWait(short, 59*time.Second, "ada", "192.0.2.1", time.Second)
		// From another address, ada is not refused: nobody can lock her out from elsewhere.
		fail(short, 59*time.Second, "ada", "192.0.2.3")
		fail(short, time.Minute, "ada", "192.0.2.1")
		if n := counting("short:name:ada", time.Minute); n != 3 {
			t.Fatalf("ada has %d failures from everywhere counting after the window of the first, want 3", n)
		}
		if n := counting("short:name@address:ada 192.0.2.1", time.Minute); n != 2 {
			t.Fatalf("ada has %d failures from 192.0.2.1 counting, want 2", n)
		}

		// The other family's throttle has its own counts for the same account and address.
		fail(long, time.Minute, "ada", "192.0.2.3")
		wantWait(long, 2*time.Minute, "ada", "192.0.2.3", 59*time.Minute)

		// Per address, whatever the accounts.
		fail(short, 2*time.Minute, "bob", "203.0.113.9")
		fail(short, 2*time.Minute, "cy", "203.0.113.9")
		fail(short, 2*time.Minute, "di", "203.0.113.9")
		wantWait(short, 2*time.Minute, "ed", "203.0.113.9", time.Minute)

		// A success forgets its account's failures, not its address's.
		ok, wait := begin(short, 2*time.Minute, "bob", "198.51.100.2")
		if wait > 0 {
			t.Fatalf("bob refused for %v", wait)
		}
		if err := ok.succeeded(ctx, &d.Store); err != nil {
			t.Fatal(err)
		}
		if bob, addr := counting("short:name:bob", 2*time.Minute), counting("short:address:203.0.113.9", 2*time.Minute); bob != 0 || addr != 3 {
			t.Fatalf("after bob's success: bob %d failures, his old address %d; want 0 and 3", bob, addr)
		}
		if n := counting("short:address:198.51.100.2", 2*time.Minute); n != 0 {
			t.Fatalf("the successful login counts against its address: %d", n)
		}

		// A failure forgets every family's expired failures, and only those.
		fail(short, 10*time.Minute, "fay", "192.0.2.9")
		if short, long := counting("short:address:203.0.113.9", 0), counting("long:name:ada", 0); short != 0 || long != 1 {
			t.Fatalf("after the short window: %d short failures, %d long ones; want 0 and 1", short, long)
		}
	})
}

// TestLoginThrottleSlowsAnAccountFailingFromEverywhereWithoutRefusingIt: guesses from many
// addresses slow the account's logins down, but its user, from an address of its own, still gets in.
func TestLoginThrottleSlowsAnAccountFailingFromEverywhereWithoutRefusingIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
		var slept []time.Duration
		th := loginThrottle{family: "slow", account: "name", window: time.Hour, perAccount: 2, perAddress: 100,
			slowAfter: 3, slowdown: time.Second, sleep: func(_ context.Context, d time.Duration) error {
				slept = append(slept, d)
				return nil
			}}
		begin := func(address string) *loginAttempt {
			t.Helper()
			attempt, wait, err := th.begin(ctx, &d.Store, now, "ada", address)
			if err != nil || wait > 0 {
				t.Fatalf("ada from %s: wait %v, err %v", address, wait, err)
			}
			return attempt
		}
		for i := range 3 {
			if err := begin("192.0.2."+strconv.Itoa(i)).failed(ctx, &d.Store); err != nil {
				t.Fatal(err)
			}
		}
		if len(slept) != 0 {
			t.Fatalf("slowed down within the ceiling: %v", slept)
		}
		if err := begin("192.0.2.3").failed(ctx, &d.Store); err != nil {
			t.Fatal(err)
		}
		if err := begin("198.51.100.1").succeeded(ctx, &d.Store); err != nil {
			t.Fatal(err)
		}
		if want := []time.Duration{time.Second, time.Second}; !slices.Equal(slept, want) {
			t.Fatalf("slept %v past the ceiling, want %v", slept, want)
		}
		// The success forgot the account's failures: no more slowing down.
		begin("192.0.2.9")
		if len(slept) != 2 {
			t.Fatalf("slowed down after a success: %v", slept)
		}
	})
}
