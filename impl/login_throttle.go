package impl

import (
	"context"
	"time"

	"github.com/galeno-health/galeno/db"
)

// A login throttle limits failed logins per account and per client address over a sliding window.
// The Users and the Patients logins each have one, whose subjects ("users:username:ada",
// "patients:address:192.0.2.1") keep the families' counts apart. Failures live in the database,
// so every server process on it shares them; each family renders its own 429.

// loginThrottle is one family's limits on failed logins.
type loginThrottle struct {
	family     string        // the prefix of its subjects, such as "users"
	account    string        // what its subjects call an account name, such as "username"
	window     time.Duration // how long a failure counts
	perAccount int           // failures of one account name allowed within window
	perAddress int           // failures from one client address allowed within window
}

// loginAttempt is a login counted as failed until its password proves right.
type loginAttempt struct {
	at      time.Time
	account string  // the subject of its account name
	rows    []int64 // its failures, one per subject
}

// subject names what failures count against: the family, a kind ("address" or the account
// kind) and a value.
func (t loginThrottle) subject(kind, value string) string { return t.family + ":" + kind + ":" + value }

// begin counts a login of account from address as failed before its password is checked, so that
// concurrent guesses count each other and at most the allowed number of them get to check a
// password. When the account or the address already has as many failures as allowed, the login is
// refused: it is forgotten (a refused login does not count) and wait says how long until a login
// may pass. An attempt that ends in an error stays counted as failed. s must not be a transaction:
// the attempt is committed before the counting, so that concurrent logins see it.
func (t loginThrottle) begin(ctx context.Context, s *db.Store, now time.Time, account, address string) (attempt *loginAttempt, wait time.Duration, err error) {
	limits := []struct {
		subject string
		max     int
	}{
		{t.subject(t.account, account), t.perAccount},
		{t.subject("address", address), t.perAddress},
	}
	attempt = &loginAttempt{at: now, account: limits[0].subject}
	attempt.rows, err = s.AddLoginFailure(ctx, now.Add(t.window), limits[0].subject, limits[1].subject)
	if err != nil {
		return nil, 0, err
	}
	for _, limit := range limits {
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
	return attempt, 0, nil
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
	return s.ClearLoginFailures(ctx, a.account)
}
