package impl

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// HTTPOption tunes the HTTP layer that NewEcho builds.
type HTTPOption func(*httpOptions)

type httpOptions struct {
	bodyLimit      int64
	rateLimits     RateLimits
	trustedProxies []*net.IPNet
	publicURL      *url.URL
	metricsMux     *http.ServeMux
	corsOrigins    []string
}

// WithBodyLimit sets the largest request body accepted, in bytes (default MaxBodyBytes).
func WithBodyLimit(bytes int64) HTTPOption {
	return func(o *httpOptions) {
		if bytes > 0 {
			o.bodyLimit = bytes
		}
	}
}

// WithRateLimits limits the operations that declare a 429 (default: unlimited).
func WithRateLimits(limits RateLimits) HTTPOption {
	return func(o *httpOptions) { o.rateLimits = limits }
}

// WithTrustedProxies names the proxies whose X-Forwarded-For is believed: a request arriving from
// one of these networks is attributed to the nearest address in X-Forwarded-For outside them. By
// default the client is the connection's remote address and X-Forwarded-For is ignored.
func WithTrustedProxies(networks []*net.IPNet) HTTPOption {
	return func(o *httpOptions) { o.trustedProxies = networks }
}

// clientIPExtractor is how echo's RealIP (used for rate limits, the login throttles and logs) finds the client address.
func clientIPExtractor(trustedProxies []*net.IPNet) echo.IPExtractor {
	if len(trustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	// Trust exactly the configured networks: not echo's default of every loopback and private address.
	trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, network := range trustedProxies {
		trust = append(trust, echo.TrustIPRange(network))
	}
	return echo.ExtractIPFromXFFHeader(trust...)
}

// limitBody refuses bodies over limit bytes with a 413 that names the limit, whether the request
// declares its length (refused at once) or not (refused when reading passes the limit).
func limitBody(limit int64) echo.MiddlewareFunc {
	check := middleware.BodyLimit(fmt.Sprintf("%dB", limit))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		checked := check(next)
		return func(c echo.Context) error {
			err := checked(c)
			var apiErr *Error
			if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) ||
				errors.As(err, &apiErr) && apiErr.Status == http.StatusRequestEntityTooLarge && apiErr.Message == "" {
				return errTooLarge(limit)
			}
			return err
		}
	}
}

// errTooLarge is the 413 for a body over limit bytes.
func errTooLarge(limit int64) *Error {
	size := formatBytes(limit)
	return &Error{Status: http.StatusRequestEntityTooLarge,
		Message: "Request body too large (limit " + size + ")", Detail: "The limit is " + size + "."}
}

// formatBytes writes n in the largest binary unit that divides it: 1 MiB, 512 KiB, 1000 B.
func formatBytes(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
