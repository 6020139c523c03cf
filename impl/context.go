package impl

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

type principalKey struct{}

type requestURLKey struct{}

type httpsKey struct{}

type clientAddressKey struct{}

type portalHostKey struct{}

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

// requestIsHTTPS tells whether the request really came over HTTPS (see origin.of), for Secure cookies.
func requestIsHTTPS(ctx context.Context) bool {
	https, _ := ctx.Value(httpsKey{}).(bool)
	return https
}

// clientAddress returns the IP address of the client, for the login throttles: echo's RealIP, the
// connection's peer unless that is a trusted proxy (see clientIPExtractor), as for every rate limit.
func clientAddress(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddressKey{}).(string)
	return addr
}

// intoRequestContext copies what handlers need (the principal, the request's absolute URL as o
// decides it, whether it came over HTTPS, the client's address, the host it was sent to) from the
// echo context into the request's context.
func intoRequestContext(o origin) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			link, https := o.of(req)
			ctx := context.WithValue(req.Context(), requestURLKey{}, link)
			ctx = context.WithValue(ctx, httpsKey{}, https)
			ctx = context.WithValue(ctx, clientAddressKey{}, c.RealIP())
			ctx = context.WithValue(ctx, portalHostKey{}, portalHostOf(req, o.trustedProxies))
			if p := c.Get(echoPrincipalKey); p != nil {
				ctx = context.WithValue(ctx, principalKey{}, p)
			}
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}

// portalHostOf is the host a request was sent to, to find an organization by its portal domain:
// its Host header, or from a trusted proxy the X-Forwarded-Host that proxy wrote.
func portalHostOf(r *http.Request, trustedProxies []*net.IPNet) string {
	if trustedPeer(r, trustedProxies) {
		if forwarded := lastForwarded(r.Header.Get("X-Forwarded-Host")); saneHost.MatchString(forwarded) {
			return forwarded
		}
	}
	return r.Host
}

// portalHost returns the host the request was sent to, to find an organization by its portal
// domain: the Host header, or X-Forwarded-Host when the peer is a trusted proxy.
func portalHost(ctx context.Context) string {
	host, _ := ctx.Value(portalHostKey{}).(string)
	return host
}
