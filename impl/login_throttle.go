package impl

import (
	"context"
	"fmt"
	"time"

	"github.com/galeno-health/galeno/db"
)

// A login throttle limits failed logins over a sliding window, per account name from one client
// address and per client address, and slows (rather than refuses) the logins of an account name
// failing from everywhere: refusing those would let anyone lock a user out. The Users and the
// Patients logins each have one, whose subjects ("users:username:ada",
// "patients:address:192.0.2.1") keep the families' counts apart. Failures live in the database,
// so every server process on it shares them; each family renders its own 429.

// loginThrottle is one family's limits on failed logins.
type loginThrottle struct {
	family     string        // the prefix of its subjects, such as "users"
	account    string        // what its subjects call an account name, such as "username"
	window     time.Duration // how long a failure counts
	perAccount int           // failures of one account name from one address allowed within window
	perAddress int           // failures from one client address allowed within window
	slowAfter  int           // failures of one account name from anywhere past which logins slow down
	slowdown   time.Duration // how long each login of such an account name waits
	sleep      func(context.Context, time.Duration) error
}

// loginAttempt is a login counted as failed until its password proves right.
type loginAttempt struct {
	at       time.Time
	accounts []string // the subjects of its account name (from anywhere, and from its address)
	rows     []int64  // its failures, one per subject
}

// subject names what failures count against: the family, a kind ("address" or the account
// kind) and a value.
func (t loginThrottle) subject(kind, value string) string { return t.family + ":" + kind + ":" + value }

// begin counts a login of account from address as failed before its password is checked, so that
// concurrent guesses count each other and at most the allowed number of them get to check a
// password. When the account from this address, or the address, already has as many failures as
// allowed, the login is refused: it is forgotten (a refused login does not count) and wait says how
// long until a login may pass. When the account has more than slowAfter failures from anywhere, begin
// waits slowdown (or until ctx ends) before returning. An attempt that ends in an error stays
// counted as failed. s must not be a transaction: the attempt is committed before the counting, so
// that concurrent logins see it.
func (t loginThrottle) begin(ctx context.Context, s *db.Store, now time.Time, account, address string) (attempt *loginAttempt, wait time.Duration, err error) {
	everywhere := t.subject(t.account, account)
	fromAddress := t.subject(t.account+"@address", account+" "+address)
	refusing := []struct {
		subject string
		max     int
	}{
		{fromAddress, t.perAccount},
		{t.subject("address", address), t.perAddress},
	}
	attempt = &loginAttempt{at: now, accounts: []string{everywhere, fromAddress}}
	attempt.rows, err = s.AddLoginFailure(ctx, now.Add(t.window), everywhere, refusing[0].subject, refusing[1].subject)
	if err != nil {
		return nil, 0, err
	}
	for _, limit := range refusing {
		expiries, err := s.LoginFailureExpiries(ctx, limit.subject, now, limit.max+1)
		if err != nil {
			return nil, 0, err
		}
		if len(expiries) > limit.max {
			// With this login, more than max failures count: a login may pass once the oldest of
			// the latest max+1 (the max-th failure before this one) has expired.
			wait = max(wait, expiries[limit.max].Sub(now))
		}
	}
	if wait > 0 {
		return nil, wait, s.DeleteLoginFailures(ctx, attempt.rows...)
	}
	failures, err := s.LoginFailureExpiries(ctx, everywhere, now, t.slowAfter+1)
	if err != nil {
		return nil, 0, err
	}
	if len(failures) > t.slowAfter {
		if err := t.sleep(ctx, t.slowdown); err != nil {
			return nil, 0, fmt.Errorf("impl: slow down a login of %s: %w", everywhere, err)
		}
	}
	return attempt, 0, nil
}

// sleepContext waits d, or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failed leaves the attempt counted, and forgets the failures of every family that have expired.
func (a *loginAttempt) failed(ctx context.Context, s *db.Store) error {
	return s.DeleteExpiredLoginFailures(ctx, a.at)
}

// succeeded forgets the attempt and every failure of its account name. The address's other
// failures still count: they may be someone else's behind the same address.
func (a *loginAttempt) succeeded(ctx context.Context, s *db.Store) error {
	if err := s.DeleteLoginFailures(ctx, a.rows...); err != nil {
		return err
	}
	for _, subject := range a.accounts {
		if err := s.ClearLoginFailures(ctx, subject); err != nil {
			return err
		}
	}
	return nil
}
