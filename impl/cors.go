package impl

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/galeno-health/galeno/internal/contract"
)

// WithCORSOrigins lets browser pages served from origins (https://app.example.com, exactly: no
// wildcard, no subdomains) call the API with credentials: their preflights are answered, their
// answers carry credentialed CORS headers, and their cookie-session writes are not refused as
// cross-site. Other origins get no CORS headers. None by default.
func WithCORSOrigins(origins []string) HTTPOption {
	return func(o *httpOptions) { o.corsOrigins = origins }
}

// ParseCORSOrigin checks that value is an origin as a browser sends it (scheme://host[:port],
// nothing more) and returns it in that form.
func ParseCORSOrigin(value string) (string, error) {
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an origin such as https://app.example.com", value)
	}
	return u.Scheme + "://" + u.Host, nil
}

// cors answers the preflights of the allowed origins and adds credentialed CORS headers to their
// requests; nil when no origin is allowed. It runs before routing, so a preflight never reaches
// authentication, rate limits or the audit trail.
func cors(origins []string) echo.MiddlewareFunc {
	if len(origins) == 0 {
		return nil
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		// An exact list: echo's own matching would also admit subdomains and wildcards.
		AllowOriginFunc:  func(origin string) (bool, error) { return slices.Contains(origins, origin), nil },
		AllowCredentials: true,
		AllowMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
			http.MethodPatch, http.MethodDelete},
		// The credentials and headers the contract's operations read.
		AllowHeaders:  []string{echo.HeaderAuthorization, "Organization", echo.HeaderContentType, HeaderRequestID},
		ExposeHeaders: []string{contract.HeaderIgnoredFields, HeaderRequestID, "Retry-After"},
		MaxAge:        7200,
	})
}
