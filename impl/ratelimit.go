package impl

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// RateLimit is a token bucket: Rate requests a second on average, Burst at once. A zero Rate
// disables it.
type RateLimit struct {
	Rate  float64
	Burst int
}

// RateLimits are the limits on the operations whose responses in openapi.yaml include a 429. An
// anonymous operation (a login) is limited per client address, since it has nothing else to tell
// clients apart; registration, which tells whether an email has an account, much more tightly. An
// authenticated operation is limited per principal (a medic, an institution, a user), so that
// clinics sharing an address do not share a budget, and a credential cannot escape its limit by
// changing addresses.
type RateLimits struct {
	PerAddress    RateLimit // each anonymous operation, per client address
	Registration  RateLimit // registerPatient, per client address
	PerCredential RateLimit // each authenticated operation, per principal
	EmailChange   RateLimit // changes of a medic's or user's email, per principal
}

// DefaultRateLimits are `galeno serve`'s limits unless configured: generous per credential (an
// integrator's onboarding script may create 100 medics at once, then 10 a second), tight for
// registration.
var DefaultRateLimits = RateLimits{
	PerAddress:    RateLimit{Rate: 10, Burst: 20},
	Registration:  HourlyLimit(10),
	PerCredential: RateLimit{Rate: 10, Burst: 100},
	EmailChange:   HourlyLimit(20),
}

// HourlyLimit is a limit of n requests an hour, all of which may come at once (0: unlimited).
func HourlyLimit(n int) RateLimit { return RateLimit{Rate: float64(n) / time.Hour.Seconds(), Burst: n} }

// registrationOperation is the anonymous operation limited by RateLimits.Registration.
const registrationOperation = "registerPatient"

// sweepEvery is how often buckets that have refilled (idle clients) are forgotten.
const sweepEvery = time.Minute

// buckets holds the token buckets of one limit in one server process; limits are not shared between
// processes. A nil *buckets limits nothing.
type buckets struct {
	limit rate.Limit
	burst int

	mu        sync.Mutex
	byKey     map[string]*rate.Limiter
	nextSweep time.Time
}

func newBuckets(limit RateLimit) *buckets {
	if limit.Rate <= 0 {
		return nil
	}
	return &buckets{limit: rate.Limit(limit.Rate), burst: max(limit.Burst, 1), byKey: map[string]*rate.Limiter{}}
}

// take spends a token of key's bucket at now, or tells how long until one is available (and spends
// nothing).
func (b *buckets) take(key string, now time.Time) (wait time.Duration) {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sweep(now)
	l, ok := b.byKey[key]
	if !ok {
		l = rate.NewLimiter(b.limit, b.burst)
		b.byKey[key] = l
	}
	r := l.ReserveN(now, 1)
	if wait = r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
	}
	return wait
}

// sweep forgets full buckets now and then, so memory follows the clients active within a minute or so.
func (b *buckets) sweep(now time.Time) {
	if now.Before(b.nextSweep) {
		return
	}
	for key, l := range b.byKey {
		if l.TokensAt(now) >= float64(b.burst) {
			delete(b.byKey, key)
		}
	}
	b.nextSweep = now.Add(sweepEvery)
}

// rateLimiter applies RateLimits to the operations that declare a 429.
type rateLimiter struct {
	now    func() time.Time
	routes *routeTable
	// anonymous maps each limited operation without security to its per-address buckets;
	// authenticated maps each other limited operation to its per-principal buckets.
	anonymous, authenticated map[string]*buckets
	emailChanges             *buckets // per principal
}

func newRateLimiter(limits RateLimits, spec *openapi3.T, routes *routeTable, now func() time.Time) *rateLimiter {
	l := &rateLimiter{now: now, routes: routes, anonymous: map[string]*buckets{}, authenticated: map[string]*buckets{},
		emailChanges: newBuckets(limits.EmailChange)}
	for op, anonymous := range rateLimitedOperations(spec) {
		switch {
		case op == registrationOperation:
			l.anonymous[op] = newBuckets(limits.Registration)
		case anonymous:
			l.anonymous[op] = newBuckets(limits.PerAddress)
		default:
			l.authenticated[op] = newBuckets(limits.PerCredential)
		}
	}
	return l
}

// rateLimitedOperations maps the operation ids that declare a 429 to whether they are anonymous
// (an empty security requirement).
func rateLimitedOperations(spec *openapi3.T) map[string]bool {
	ops := map[string]bool{}
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Responses.Status(http.StatusTooManyRequests) != nil {
				ops[op.OperationID] = op.Security != nil && len(*op.Security) == 0
			}
		}
	}
	return ops
}

// limitByAddress limits the anonymous operations per client address. It runs before the body is
// read, so that a flood costs as little as possible.
func (l *rateLimiter) limitByAddress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		op := l.routes.operationID(c)
		if wait := l.anonymous[op].take(op+" "+c.RealIP(), l.now()); wait > 0 {
			return errTooManyRequests(wait)
		}
		return next(c)
	}
}

// limitByPrincipal limits the authenticated operations per principal. It runs once the credential
// has been checked, so that only real principals get buckets, and before the handler.
func (l *rateLimiter) limitByPrincipal(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		op := l.routes.operationID(c)
		b := l.authenticated[op]
		if b == nil {
			return next(c)
		}
		if wait := b.take(op+" "+limitKey(c.Get(echoPrincipalKey)), l.now()); wait > 0 {
			return errTooManyRequests(wait)
		}
		return next(c)
	}
}

// allowEmailChange refuses (429) the request's principal a change of email past its limit: each
// change tells whether the address is taken, in any tenant.
func (l *rateLimiter) allowEmailChange(ctx context.Context) error {
	if l == nil {
		return nil
	}
	if wait := l.emailChanges.take(limitKey(ctx.Value(principalKey{})), l.now()); wait > 0 {
		return errTooManyRequests(wait)
	}
	return nil
}

// limitKey names who a principal is, whichever of its credentials it used, as audit events do.
func limitKey(p any) string {
	if name := principalName(p); name != "" {
		return name
	}
	return fmt.Sprintf("%T", p)
}

// errTooManyRequests is the 429 of a rate limit, rendered in the family's dialect.
func errTooManyRequests(wait time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, RetryAfter: wait,
		Detail: fmt.Sprintf("Try again in %d s.", int(math.Ceil(wait.Seconds())))}
}
