package impl

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/internal/contract"
)

// This file is the one place that turns errors into HTTP responses. Handlers and authenticators
// return errors (an *Error when the status or message matters); the family that owns the route
// decides how the body looks (its "dialect", named by its tag's x-error-schema in openapi.yaml).

// Error is an API error, rendered in the dialect of the family the request belongs to.
type Error struct {
	Status  int                 // HTTP status
	Message string              // what went wrong; empty for the dialect's standard text for Status
	Detail  string              // a second message, for dialects that have one (Users' "errors")
	Code    string              // a dialect's own code (Institutional's error.code); empty to derive it from Status
	Fields  map[string][]string // problems per request field
	Err     error               // the cause, for logs; never rendered

	RetryAfter time.Duration // for a 429: how long to wait, sent as Retry-After (whole seconds, rounded up)
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%d %s", e.Status, e.Message)
	if len(e.Fields) > 0 {
		msg += fmt.Sprintf(" %v", e.Fields)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// newError returns an *Error with a status and a message (empty for the dialect's standard one).
func newError(status int, message string) *Error { return &Error{Status: status, Message: message} }

// fieldError is a 400 for one request field.
func fieldError(field, problem string) *Error {
	return &Error{Status: http.StatusBadRequest, Fields: map[string][]string{field: {problem}}}
}

// errInternal is what a client sees of an unexpected error or a panic.
var errInternal = newError(http.StatusInternalServerError, "")

// msgRequired is what a validation failure reports for a missing field, as the validator words it.
const msgRequired = contract.Required

// nonFieldErrors names the problems of the body as a whole (such as a body that is not an object).
const nonFieldErrors = "non_field_errors"

// dialect renders an *Error as the body of one family's error responses.
type dialect struct {
	family string // the family's name in audit events
	render func(e *Error) any
}

// dialects maps each x-error-schema of openapi.yaml to its family and renderer.
var dialects = map[string]*dialect{
	"PrescryptoError":    {"prescrypto", prescryptoBody},
	"InstitutionalError": {"institutional", institutionalBody},
	"UsersFailure":       {"users", usersBody},
	"PatientError":       {"patients", patientBody},
}

// dialectForUnknownPath picks the family of a path that matches no route, by prefix.
func dialectForUnknownPath(path string) *dialect {
	for _, p := range []struct{ prefix, dialect string }{
		{"/api/v2/", "PrescryptoError"},
		{"/v1/institutional/", "InstitutionalError"},
		{"/users/user/", "UsersFailure"},
		{"/users", "PatientError"},
		{"/auth/", "PatientError"},
	} {
		if strings.HasPrefix(path, p.prefix) {
			return dialects[p.dialect]
		}
	}
	return dialects["PrescryptoError"]
}

// standardMessages are the messages of statuses that came without one.
var standardMessages = map[int]string{
	http.StatusBadRequest:            "Invalid input",
	http.StatusUnauthorized:          "Authentication required",
	http.StatusForbidden:             "Permission denied",
	http.StatusNotFound:              "Not found",
	http.StatusMethodNotAllowed:      "Method not allowed",
	http.StatusConflict:              "Already exists",
	http.StatusRequestEntityTooLarge: "Request body too large",
	http.StatusTooManyRequests:       "Too many requests",
	http.StatusInternalServerError:   "Internal server error",
	http.StatusNotImplemented:        "Not implemented yet",
}

func (e *Error) message(overrides map[int]string) string {
	if e.Message != "" {
		return e.Message
	}
	if m, ok := overrides[e.Status]; ok {
		return m
	}
	if m, ok := standardMessages[e.Status]; ok {
		return m
	}
	return http.StatusText(e.Status)
}

// problems lists the field problems by field, as contract.Explain orders them.
func (e *Error) problems() []contract.Problem {
	var out []contract.Problem
	for _, field := range slices.Sorted(maps.Keys(e.Fields)) {
		for _, reason := range e.Fields[field] {
			out = append(out, contract.Problem{Field: field, Reason: reason})
		}
	}
	return out
}

// prescryptoBody: {"message": "…", "field": ["…"]}.
func prescryptoBody(e *Error) any {
	msg := e.message(map[int]string{http.StatusUnauthorized: "Invalid Token"})
	return gen.PrescryptoError{Message: &msg, AdditionalProperties: e.Fields}
}

// institutionalBody: {"error": {type, code, message, param}}.
func institutionalBody(e *Error) any {
	var body gen.InstitutionalError
	body.Error.Type, body.Error.Code = institutionalKind(e)
	body.Error.Message = e.message(nil)
	if problems := e.problems(); len(problems) > 0 {
		field := problems[0].Field
		if param := problems[0].Param(); param != "" && field != nonFieldErrors {
			body.Error.Param = &param
		}
		switch {
		case e.Message != "":
		case field == nonFieldErrors:
			body.Error.Message = "Request body: " + problems[0].Reason
		default:
			body.Error.Message = contract.Summary(body.Error.Message, problems)
		}
	}
	return body
}

func institutionalKind(e *Error) (gen.InstitutionalErrorErrorType, gen.InstitutionalErrorErrorCode) {
	typ := gen.InstitutionalErrorErrorType("invalid_request_error")
	switch {
	case e.Status == http.StatusUnauthorized:
		typ = "authentication_error"
	case e.Status == http.StatusForbidden:
		typ = "permission_error"
	case e.Status == http.StatusTooManyRequests:
		typ = "rate_limit_error"
	case e.Status >= 500:
		typ = "api_error"
	}
	if e.Code != "" {
		return typ, gen.InstitutionalErrorErrorCode(e.Code)
	}
	code := map[int]gen.InstitutionalErrorErrorCode{
		http.StatusBadRequest:            "parameter_invalid",
		http.StatusUnauthorized:          "authentication_required",
		http.StatusForbidden:             "permission_denied",
		http.StatusNotFound:              "resource_not_found",
		http.StatusMethodNotAllowed:      "resource_not_found",
		http.StatusConflict:              "resource_conflict",
		http.StatusRequestEntityTooLarge: "request_too_large",
		http.StatusUnsupportedMediaType:  "parameter_invalid",
		http.StatusTooManyRequests:       "rate_limited",
	}[e.Status]
	if code == "" {
		code = "internal_error"
	}
	if problems := e.problems(); len(problems) > 0 && problems[0].Missing() {
		code = "parameter_missing"
	}
	return typ, code
}

// usersDetails are the Users family's `errors` texts for failures that came without one.
var usersDetails = map[int]string{
	http.StatusBadRequest:            "The request is invalid.",
	http.StatusUnauthorized:          "Log in first; no valid sessionid cookie was sent.",
	http.StatusForbidden:             "You may not do this.",
	http.StatusNotFound:              "Nothing is at this address.",
	http.StatusMethodNotAllowed:      "This address does not take this method.",
	http.StatusRequestEntityTooLarge: "The limit is 1 MiB.",
	http.StatusUnsupportedMediaType:  "Send the body as one of the content types this address takes.",
	http.StatusTooManyRequests:       "Try again later.",
	http.StatusInternalServerError:   "Something went wrong on our side; try again later.",
}

// usersBody: {"success": false, "message": "…", "errors": "…", "data": null}, where errors is
// never empty: the Detail, else the field problems, else a specific Message (the message then
// being the status's standard one), else the status's standard detail.
func usersBody(e *Error) any {
	overrides := map[int]string{http.StatusRequestEntityTooLarge: "Request body too large", http.StatusTooManyRequests: "Too many attempts"}
	message, detail := e.message(overrides), e.Detail
	switch {
	case detail != "":
	case len(e.Fields) > 0:
		detail = contract.Join(e.problems())
	case e.Message != "":
		message, detail = (&Error{Status: e.Status}).message(overrides), e.Message
	default:
		detail = usersDetails[e.Status]
		if detail == "" {
			detail = http.StatusText(e.Status) + "."
		}
	}
	if e.Status == http.StatusRequestEntityTooLarge {
		message = overrides[e.Status] // the limit is in "errors"
	}
	return gen.UsersFailure{Success: false, Message: message, Errors: detail}
}

// patientBody: {"message": "…", "errors": {"field": "…"}}.
func patientBody(e *Error) any {
	body := gen.PatientError{Message: e.message(nil)}
	if len(e.Fields) > 0 {
		errs := map[string]string{}
		for field, problems := range e.Fields {
			errs[field] = strings.Join(problems, " ")
		}
		body.Errors = &errs
	}
	return body
}

// apiError turns any error a handler, a middleware or echo returned into an *Error.
func (s *Server) apiError(err error, c echo.Context) *Error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		if apiErr.Status >= 500 && apiErr.Status != http.StatusNotImplemented {
			s.log.ErrorContext(c.Request().Context(), "request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		}
		return apiErr
	}
	var httpErr *echo.HTTPError
	switch {
	case errors.Is(err, db.ErrNotFound):
		return notFoundAnswer(err)
	case db.IsConflict(err):
		return newError(http.StatusConflict, "")
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Message: "Client closed the request", Err: err}
	case errors.As(err, &httpErr) && httpErr.Code < 500:
		// echo's own errors: no route, wrong method, too large, and the generated wrappers' bind errors.
		e := &Error{Status: httpErr.Code, Err: err}
		if msg, ok := httpErr.Message.(string); ok && httpErr.Code == http.StatusBadRequest {
			e.Message = msg
		}
		return e
	}
	s.log.ErrorContext(c.Request().Context(), "request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	return errInternal
}

// notFoundErrors are the 404s that name what was not found, in its family's wording, by the
// resource db reports (db.NotFoundError); any other not-found is the family's plain 404.
var notFoundErrors = map[string]func(key string) *Error{
	"user": func(key string) *Error {
		return &Error{Status: http.StatusNotFound, Message: "User not found", Detail: "No user with id " + key}
	},
	"institutional account": func(key string) *Error {
		return &Error{Status: http.StatusNotFound, Message: "No such account: " + key, Fields: map[string][]string{"account_id": {"not found"}}}
	},
	"organization": func(key string) *Error {
		return newError(http.StatusNotFound, "Organization not found: "+key)
	},
}

// notFoundAnswer is the one mapping of db's not-found errors to a 404.
func notFoundAnswer(err error) *Error {
	var nf *db.NotFoundError
	if errors.As(err, &nf) {
		if build, ok := notFoundErrors[nf.Resource]; ok {
			e := build(nf.Key)
			e.Err = err
			return e
		}
	}
	return &Error{Status: http.StatusNotFound, Err: err}
}

// handleError is echo's HTTPErrorHandler: every error response is written here.
func (s *Server) handleError(routes *routeTable) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		e := s.apiError(err, c)
		if e.Status == 499 {
			return
		}
		if e.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
		}
		if e.Status == http.StatusMethodNotAllowed {
			routes.setAllow(c)
		}
		var werr error
		if c.Request().Method == http.MethodHead {
			werr = c.NoContent(e.Status)
		} else {
			werr = c.JSON(e.Status, routes.dialectFor(c).render(e))
		}
		if werr != nil {
			s.log.Warn("write error response", "err", werr)
		}
	}
}

// validationError turns what the request validator reports into an *Error: 413 for an oversized
// body, the authenticator's error for a failed security requirement, or 400 with the field
// problems worded as the mock words them (internal/contract).
func validationError(_ echo.Context, httpErr *echo.HTTPError) error {
	err := httpErr.Internal
	if err == nil {
		// No route or wrong method: the validator's own 404 or 405.
		return &Error{Status: httpErr.Code}
	}
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return newError(http.StatusRequestEntityTooLarge, "")
	}
	var security *openapi3filter.SecurityRequirementsError
	if errors.As(err, &security) {
		var apiErr *Error
		if errors.As(security, &apiErr) {
			return apiErr
		}
		for _, cause := range security.Errors {
			if !isAuthFailure(cause) {
				return fmt.Errorf("impl: authenticate: %w", cause) // the authenticator itself failed: 500
			}
		}
		return &Error{Status: http.StatusUnauthorized, Err: err}
	}
	problems := contract.Explain(err)
	e := &Error{Status: contract.Status(problems), Fields: map[string][]string{}, Err: err}
	for _, p := range problems {
		e.Fields[p.Field] = append(e.Fields[p.Field], p.Reason)
	}
	return e
}

// isAuthFailure tells a request the validator refused (such as a body it could not read) from an
// authenticator that could not work (such as a database error), which is a 500.
func isAuthFailure(err error) bool {
	var reqErr *openapi3filter.RequestError
	return errors.As(err, &reqErr)
}
