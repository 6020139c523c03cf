package impl

import (
	"context"
	"fmt"
	"net/url"

	"github.com/labstack/echo/v4"
)

type principalKey struct{}

type requestURLKey struct{}

type clientAddressKey struct{}

// echoPrincipalKey is where the authentication step leaves the principal on the echo context, until
// intoRequestContext copies it into the request's context (the only context strict handlers see).
const echoPrincipalKey = "galeno.principal"

// principal returns the authenticated principal of the request, which must be a T.
func principal[T any](ctx context.Context) (T, error) {
	p, ok := ctx.Value(principalKey{}).(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("impl: no %T principal in the request context", zero)
	}
	return p, nil
}

// requestURL returns the absolute URL of the request (scheme, host and path, no query), for links.
func requestURL(ctx context.Context) url.URL {
	if u, ok := ctx.Value(requestURLKey{}).(url.URL); ok {
		return u
	}
	return url.URL{Scheme: "http", Host: "localhost"}
}

// clientAddress returns the IP address of the client, for the login throttles: echo's RealIP, the
// connection's peer unless that is a trusted proxy (see clientIPExtractor), as for every rate limit.
func clientAddress(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddressKey{}).(string)
	return addr
}

// intoRequestContext copies what handlers need (the principal, the request's absolute URL, the
// client's address) from the echo context into the request's context.
func intoRequestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		ctx := context.WithValue(req.Context(), requestURLKey{}, url.URL{Scheme: c.Scheme(), Host: req.Host, Path: req.URL.Path})
		ctx = context.WithValue(ctx, clientAddressKey{}, c.RealIP())
		if p := c.Get(echoPrincipalKey); p != nil {
			ctx = context.WithValue(ctx, principalKey{}, p)
		}
		c.SetRequest(req.WithContext(ctx))
		return next(c)
	}
}
