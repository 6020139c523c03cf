package impl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"runtime/debug"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	echomw "github.com/oapi-codegen/echo-middleware"

	"github.com/galeno-health/galeno/gen"
)

// MaxBodyBytes is the default largest request body accepted (1 MiB); larger ones get a 413.
const MaxBodyBytes = 1 << 20

// NewEcho builds the HTTP server: trailing-slash normalisation, request IDs, metrics, request
// logging, panic recovery, rate limits, the body limit, validation and authentication against the
// embedded spec, the refusal of text no database stores, the strict handlers, and GET /healthz,
// /readyz and /metrics.
func NewEcho(s *Server, opts ...HTTPOption) (*echo.Echo, error) {
	o := httpOptions{bodyLimit: MaxBodyBytes}
	for _, opt := range opts {
		opt(&o)
	}
	spec, err := gen.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("impl: load embedded spec: %w", err)
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

	e.Pre(routes.normalizeTrailingSlash)
	e.Use(assignRequestID, metrics.measure(routes), s.logRequests, s.recoverPanics)
	if o.rateLimit.Rate > 0 {
		e.Use(newRateLimiter(o.rateLimit, spec, routes, time.Now).limit)
	}
	e.Use(
		limitBody(o.bodyLimit),
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
				SchemaValidationOptions: []openapi3.SchemaValidationOption{
					openapi3.WithStringFormatValidator("email", openapi3.NewCallbackValidator(checkEmail)),
				},
			},
		}),
		routes.refuseUnstorableText,
		intoRequestContext,
	)
	gen.RegisterHandlers(e, gen.NewStrictHandler(s, nil))
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", metrics.handler())
	return e, nil
}

// checkEmail accepts a bare email address, as net/mail parses it.
func checkEmail(s string) error {
	if addr, err := mail.ParseAddress(s); err != nil || addr.Address != s {
		return errors.New("enter a valid email address")
	}
	return nil
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
