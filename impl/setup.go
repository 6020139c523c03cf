package impl

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	echomw "github.com/oapi-codegen/echo-middleware"

	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/internal/contract"
)

// MaxBodyBytes is the default largest request body accepted (1 MiB); larger ones get a 413.
const MaxBodyBytes = 1 << 20

// NewEcho builds the HTTP server: CORS for the WithCORSOrigins origins, trailing-slash
// normalisation, nosniff, request IDs, metrics, request logging, panic recovery, no-store, the
// per-address rate limits, the audit trail, the refusal of cross-site posts to cookie sessions
// (but from the CORS origins), the body limit, the contract's leniency rules,
// validation and authentication against the embedded spec, the refusal of text no database stores,
// binding only the validated body, the per-credential rate limits, the strict handlers, and GET
// /healthz, /readyz and /metrics (unless WithMetricsOn serves it elsewhere). It gives s its rate
// limiter, which handlers use too (for email changes).
func NewEcho(s *Server, opts ...HTTPOption) (*echo.Echo, error) {
	o := httpOptions{bodyLimit: MaxBodyBytes}
	for _, opt := range opts {
		opt(&o)
	}
	spec, err := contract.Load()
	if err != nil {
		return nil, fmt.Errorf("impl: %w", err)
	}
	routes, err := newRouteTable(spec)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError(routes)
	e.IPExtractor = clientIPExtractor(o.trustedProxies)
	metrics := newMetrics(string(s.db.Dialect()), s.db.Pool())

	crossOrigin, err := routes.refuseCrossOrigin(o.publicURL, o.corsOrigins)
	if err != nil {
		return nil, err
	}

	if allowed := cors(o.corsOrigins); allowed != nil {
		e.Pre(allowed)
	}
	e.Pre(routes.normalizeTrailingSlash, routes.headAsGet, echo.WrapMiddleware(noSniff))
	e.Use(assignRequestID, metrics.measure(routes), s.logRequests, s.recoverPanics, routes.noStore)
	s.limits = newRateLimiter(o.rateLimits, spec, routes, time.Now)
	e.Use(s.limits.limitByAddress)
	e.Use(s.auditRequests(routes))
	e.Use(
		crossOrigin,
		limitBody(o.bodyLimit),
		routes.applyLenience,
		echomw.OapiRequestValidatorWithOptions(spec, &echomw.Options{
			// The spec lists servers for documentation; requests may come to any host.
			DoNotValidateServers: true,
			Skipper:              func(c echo.Context) bool { return !routes.isSpecRoute(c) },
			ErrorHandler:         validationError,
			MultiErrorHandler: func(me openapi3.MultiError) *echo.HTTPError {
				return &echo.HTTPError{Code: http.StatusBadRequest, Internal: me}
			},
			Options: openapi3filter.Options{
				AuthenticationFunc: s.authenticate,
				MultiError:         true,
				KeepValidatedValue: true,
				// Check `format: email` here, where a bad address is a problem of its field, rather than
				// in the generated binder, whose types.Email refuses it without naming the field.
				SchemaValidationOptions: contract.SchemaOptions(),
			},
		}),
		routes.refuseUnstorableText,
		bindValidatedFormOnly,
		routes.reportIgnoredFields,
		s.limits.limitByPrincipal,
		intoRequestContext(origin{public: o.publicURL, trustedProxies: o.trustedProxies}),
	)
	gen.RegisterHandlers(e, gen.NewStrictHandler(s, nil))
	// HEAD works wherever GET does: here as echo's own routes, on the spec's paths through headAsGet.
	getOrHead := []string{http.MethodGet, http.MethodHead}
	e.Match(getOrHead, "/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.Match(getOrHead, "/readyz", s.readyz)
	if o.metricsMux != nil {
		o.metricsMux.Handle("GET /metrics", noSniff(metrics.handler()))
	} else {
		e.Match(getOrHead, "/metrics", echo.WrapHandler(metrics.handler()))
	}
	return e, nil
}

// readyz answers 200 when the database answers, 503 otherwise.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness check failed", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// logRequests writes one log line per request, after the response (including error responses,
// which it commits itself so that their status is known).
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		level := slog.LevelInfo
		if c.Response().Status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.Int("status", c.Response().Status),
			slog.Int64("bytes", c.Response().Size),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("remote", c.RealIP()),
		)
		return nil
	}
}

// recoverPanics turns a panic in a handler into a 500 in the family's dialect, logging the stack
// but showing the client nothing of it.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.ErrorContext(c.Request().Context(), "panic", "method", c.Request().Method, "path", c.Request().URL.Path,
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = errInternal
			}
		}()
		return next(c)
	}
}
