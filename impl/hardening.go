package impl

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// WithMetricsOn serves GET /metrics on mux (which the caller serves on an address of its own, out of
// the clients' reach) instead of on the API.
func WithMetricsOn(mux *http.ServeMux) HTTPOption {
	return func(o *httpOptions) { o.metricsMux = mux }
}

// noSniff tells browsers to believe every answer's Content-Type, so that no JSON answer carrying a
// client's text is ever run as a script or rendered as a page.
func noSniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// noStore keeps every answer of the contract's operations, errors included, out of caches: they
// carry credentials shown once, session cookies, patient tokens and clinical data.
func (rt *routeTable) noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, ok := rt.byEchoPath[c.Path()]; ok {
			c.Response().Header().Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// errCrossOrigin refuses a browser's cross-site request to a session-cookie operation.
var errCrossOrigin = &Error{Status: http.StatusForbidden, Message: "Cross-origin request refused",
	Detail: "A browser sent this request from another site."}

// refuseCrossOrigin refuses cross-site browser requests with unsafe methods (form posts or fetches
// that would carry the victim's sessionid cookie) to the Users family, which authenticates by cookie.
// Requests from the same origin, from publicURL's, and from clients that are not browsers (no
// Sec-Fetch-Site or Origin header), and from the CORS origins, pass; GET and HEAD always pass.
func (rt *routeTable) refuseCrossOrigin(publicURL *url.URL, corsOrigins []string) (echo.MiddlewareFunc, error) {
	guard := http.NewCrossOriginProtection()
	if publicURL != nil {
		if err := guard.AddTrustedOrigin(publicURL.Scheme + "://" + publicURL.Host); err != nil {
			return nil, fmt.Errorf("impl: trust the public URL's origin: %w", err)
		}
	}
	for _, origin := range corsOrigins {
		if err := guard.AddTrustedOrigin(origin); err != nil {
			return nil, fmt.Errorf("impl: trust the CORS origin %s: %w", origin, err)
		}
	}
	users := dialects["UsersFailure"]
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if r, ok := rt.byEchoPath[c.Path()]; ok && r.dialect == users {
				if err := guard.Check(c.Request()); err != nil {
					return errCrossOrigin
				}
			}
			return next(c)
		}
	}, nil
}
