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

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
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

// The messages a validation failure reports for a field.
const (
	msgRequired     = "This field is required."
	msgUnknownField = "This field is not allowed."
)

// nonFieldErrors names the problems of the body as a whole (such as a body that is not an object).
const nonFieldErrors = "non_field_errors"

// dialect renders an *Error as the body of one family's error responses.
type dialect struct {
	render func(e *Error) any
}

// dialects maps each x-error-schema of openapi.yaml to its renderer.
var dialects = map[string]*dialect{
	"PrescryptoError":    {prescryptoBody},
	"InstitutionalError": {institutionalBody},
	"UsersFailure":       {usersBody},
	"PatientError":       {patientBody},
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

// firstField returns the alphabetically first field with a problem, and that problem.
func (e *Error) firstField() (field, problem string, ok bool) {
	if len(e.Fields) == 0 {
		return "", "", false
	}
	field = slices.Sorted(maps.Keys(e.Fields))[0]
	if problems := e.Fields[field]; len(problems) > 0 {
		problem = problems[0]
	}
	return field, problem, true
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
	if field, problem, ok := e.firstField(); ok {
		if field != nonFieldErrors {
			// A problem inside a field ("doctorSpecialties.0") is a problem of that request field.
			param, _, _ := strings.Cut(field, ".")
			body.Error.Param = &param
		}
		if e.Message == "" {
			switch {
			case field == nonFieldErrors:
				body.Error.Message = "Request body: " + problem
			case problem == msgRequired:
				body.Error.Message = "Missing required parameter: " + field
			default:
				body.Error.Message = field + ": " + problem
			}
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
		http.StatusTooManyRequests:       "rate_limited",
	}[e.Status]
	if code == "" {
		code = "internal_error"
	}
	if _, problem, ok := e.firstField(); ok && problem == msgRequired {
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
		var parts []string
		for _, field := range slices.Sorted(maps.Keys(e.Fields)) {
			parts = append(parts, field+": "+strings.Join(e.Fields[field], " "))
		}
		detail = strings.Join(parts, "; ")
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
// body, the authenticator's error for a failed security requirement, or 400 with field problems.
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
	e := &Error{Status: http.StatusBadRequest, Fields: map[string][]string{}, Err: err}
	for _, reqErr := range flatten[*openapi3filter.RequestError](err) {
		addRequestProblems(e, reqErr)
	}
	if len(e.Fields) == 0 {
		e.Fields = nil
	}
	return e
}

// isAuthFailure tells a request the validator refused (such as a body it could not read) from an
// authenticator that could not work (such as a database error), which is a 500.
func isAuthFailure(err error) bool {
	var reqErr *openapi3filter.RequestError
	return errors.As(err, &reqErr)
}

// flatten collects the errors of type T in the validator's nested multi-errors.
func flatten[T error](err error) []T {
	switch e := err.(type) {
	case openapi3.MultiError:
		var all []T
		for _, inner := range e {
			all = append(all, flatten[T](inner)...)
		}
		return all
	case T:
		return []T{e}
	}
	return nil
}

// addRequestProblems records what is wrong with a parameter or the body.
func addRequestProblems(e *Error, reqErr *openapi3filter.RequestError) {
	add := func(field, problem string) { e.Fields[field] = append(e.Fields[field], problem) }
	schemaErrs := flatten[*openapi3.SchemaError](reqErr.Err)
	var unknown *unknownFieldsError
	var parseErr *openapi3filter.ParseError
	switch {
	case reqErr.Parameter != nil:
		name := reqErr.Parameter.Name
		switch {
		case errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired):
			add(name, msgRequired)
		case len(schemaErrs) > 0:
			for _, se := range schemaErrs {
				add(name, sentence(se.Reason))
			}
		default:
			add(name, "Invalid value.")
		}
	case reqErr.RequestBody != nil && len(schemaErrs) > 0:
		for _, se := range schemaErrs {
			field, problem := schemaProblem(se)
			add(field, problem)
		}
	case reqErr.RequestBody != nil && errors.As(reqErr.Err, &unknown):
		for _, name := range unknown.names {
			add(name, msgUnknownField)
		}
	case reqErr.RequestBody != nil && errors.As(reqErr.Err, &parseErr) && len(parseErr.Path()) > 0:
		// A form field that does not parse as its schema's type (JSON bodies report a schema error).
		var path []string
		for _, p := range parseErr.Path() {
			path = append(path, fmt.Sprint(p))
		}
		add(strings.Join(path, "."), parseProblem(parseErr))
	case reqErr.RequestBody != nil && errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired) && isForm(reqErr):
		e.Message = "A form request body is required"
	case reqErr.RequestBody != nil && errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired):
		e.Message = "A JSON request body is required"
	case reqErr.RequestBody != nil && strings.HasPrefix(reqErr.Reason, "header Content-Type"):
		e.Message = "Unsupported Content-Type: send " + strings.Join(slices.Sorted(maps.Keys(reqErr.RequestBody.Content)), " or ")
	case reqErr.RequestBody != nil && isForm(reqErr):
		e.Message = "Malformed form body"
	case reqErr.RequestBody != nil:
		e.Message = "Malformed JSON body"
	default:
		e.Message = sentence(reqErr.Error())
	}
}

// isForm reports whether the request sent a form body.
func isForm(reqErr *openapi3filter.RequestError) bool {
	return reqErr.Input != nil && strings.HasPrefix(reqErr.Input.Request.Header.Get("Content-Type"), formContentType)
}

// parseProblem says what is wrong with a value that does not parse: "an invalid boolean" becomes
// "Value must be a boolean.", as a schema error would say it.
func parseProblem(err *openapi3filter.ParseError) string {
	for {
		inner, ok := err.Cause.(*openapi3filter.ParseError)
		if !ok {
			break
		}
		err = inner
	}
	if kind, ok := strings.CutPrefix(err.Reason, "an invalid "); ok {
		return "Value must be a " + kind + "."
	}
	return sentence(err.Reason)
}

// schemaProblem names the body field a schema error is about ("a.b" when nested) and the problem.
func schemaProblem(se *openapi3.SchemaError) (field, problem string) {
	path := se.JSONPointer()
	problem = sentence(se.Reason)
	switch {
	case se.SchemaField == "required":
		problem = msgRequired
	case strings.HasSuffix(se.Reason, " is unsupported"):
		// An additionalProperties: false violation is reported on the parent object; the unknown
		// property is named only in the reason: `property "x" is unsupported`.
		if _, rest, ok := strings.Cut(se.Reason, `"`); ok {
			name, _, _ := strings.Cut(rest, `"`)
			path = append(path, name)
		}
		problem = msgUnknownField
	}
	if len(path) == 0 {
		return nonFieldErrors, problem
	}
	return strings.Join(path, "."), problem
}

// sentence capitalises a validator reason and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return "Invalid value."
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
