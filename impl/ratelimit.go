package impl

import (
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// RateLimit is a token bucket per client address and operation: Rate requests a second on average,
// Burst at once. It applies to the operations whose responses in openapi.yaml include a 429 (logins
// and creations). A zero Rate disables it.
type RateLimit struct {
	Rate  float64
	Burst int
}

// sweepEvery is how often buckets that have refilled (idle clients) are forgotten.
const sweepEvery = time.Minute

// rateLimiter holds the buckets of one server process; limits are not shared between processes.
type rateLimiter struct {
	rate, burst float64
	now         func() time.Time
	limited     map[string]bool // operation ids
	routes      *routeTable

	mu        sync.Mutex
	buckets   map[string]*bucket
	nextSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(limit RateLimit, spec *openapi3.T, routes *routeTable, now func() time.Time) *rateLimiter {
	return &rateLimiter{
		rate:    limit.Rate,
		burst:   float64(max(limit.Burst, 1)),
		now:     now,
		limited: rateLimitedOperations(spec),
		routes:  routes,
		buckets: map[string]*bucket{},
	}
}

// rateLimitedOperations are the operation ids that declare a 429 response.
func rateLimitedOperations(spec *openapi3.T) map[string]bool {
	ops := map[string]bool{}
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Responses.Status(http.StatusTooManyRequests) != nil {
				ops[op.OperationID] = true
			}
		}
	}
	return ops
}

// take spends a token of key's bucket, or tells how long until one is available.
func (l *rateLimiter) take(key string) (wait time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = l.refilled(b, now)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (l *rateLimiter) refilled(b *bucket, now time.Time) float64 {
	return min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
}

// sweep forgets full buckets now and then, so memory follows the clients active within a minute or so.
func (l *rateLimiter) sweep(now time.Time) {
	if now.Before(l.nextSweep) {
		return
	}
	for key, b := range l.buckets {
		if l.refilled(b, now) >= l.burst {
			delete(l.buckets, key)
		}
	}
	l.nextSweep = now.Add(sweepEvery)
}

// limit answers 429 with Retry-After, in the family's dialect, to a client that exceeds the rate of
// a limited operation. It runs before the body is read and the credential checked.
func (l *rateLimiter) limit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		op := l.routes.operationID(c)
		if !l.limited[op] {
			return next(c)
		}
		wait := l.take(op + " " + c.RealIP())
		if wait <= 0 {
			return next(c)
		}
		return &Error{Status: http.StatusTooManyRequests, RetryAfter: wait,
			Detail: fmt.Sprintf("Try again in %d s.", int(math.Ceil(wait.Seconds())))}
	}
}
