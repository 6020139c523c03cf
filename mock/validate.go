package mock

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// maxBody is the request body limit; larger bodies get the operation's 413.
const maxBody = 1 << 20

// emailFormat is checked for `format: email`, which kin-openapi leaves unchecked by default.
var emailFormat = openapi3.NewRegexpFormatValidator(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`)

var schemaOptions = []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidator("email", emailFormat)}

var requestOptions = &openapi3filter.Options{
	MultiError:              true,
	SkipSettingDefaults:     true,
	AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
	SchemaValidationOptions: schemaOptions,
}

// validate checks the request's parameters, content type and body against the operation and
// says what is wrong, field by field. tooLarge reports a body over maxBody.
func (op *operation) validate(w http.ResponseWriter, r *http.Request, pathParams map[string]string) (problems []problem, tooLarge bool) {
	var input *openapi3filter.RequestValidationInput
	in := func() *openapi3filter.RequestValidationInput {
		if input == nil {
			input = &openapi3filter.RequestValidationInput{Request: r, PathParams: pathParams, Route: op.route, Options: requestOptions}
		}
		return input
	}
	ctx := r.Context()
	for _, p := range op.params {
		if !p.Required && !p.present(r, in) {
			continue
		}
		if err := openapi3filter.ValidateParameter(ctx, in(), p.Parameter); err != nil {
			problems = append(problems, op.explain(err)...)
		}
	}
	if op.body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := openapi3filter.ValidateRequestBody(ctx, in(), op.body); err != nil {
			var large *http.MaxBytesError
			if errors.As(err, &large) {
				return nil, true
			}
			problems = append(problems, op.explain(err)...)
		}
	}
	return problems, false
}

// present tells whether an optional parameter was sent, so absent ones cost nothing.
func (p *parameter) present(r *http.Request, input func() *openapi3filter.RequestValidationInput) bool {
	switch p.In {
	case openapi3.ParameterInQuery:
		if r.URL.RawQuery == "" {
			return false
		}
		_, ok := input().GetQueryParams()[p.Name]
		return ok
	case openapi3.ParameterInHeader:
		return len(r.Header[p.header]) > 0
	case openapi3.ParameterInCookie:
		_, err := r.Cookie(p.Name)
		return err == nil
	}
	return true
}

// explain turns kin-openapi's validation errors into problems a frontend developer can act on.
func (op *operation) explain(err error) []problem {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []problem
		for _, inner := range e {
			out = append(out, op.explain(inner)...)
		}
		return out
	case *openapi3filter.RequestError:
		switch {
		case e.Parameter != nil:
			return explainParameter(e)
		case e.RequestBody != nil:
			return op.explainBody(e)
		}
	}
	return []problem{{field: "request", reason: err.Error()}}
}

func explainParameter(e *openapi3filter.RequestError) []problem {
	name := e.Parameter.Name
	var parse *openapi3filter.ParseError
	switch {
	case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
		return []problem{{field: name, reason: "this parameter is required", missing: true}}
	case errors.Is(e.Err, openapi3filter.ErrInvalidEmptyValue):
		return []problem{{field: name, reason: "must not be empty"}}
	case errors.As(e.Err, &parse):
		typ := ""
		if e.Parameter.Schema != nil && e.Parameter.Schema.Value != nil {
			typ = schemaType(e.Parameter.Schema.Value)
		}
		return []problem{{field: name, reason: "must be " + article(typ)}}
	}
	if problems := schemaProblems(name, e.Err); len(problems) > 0 {
		return problems
	}
	return []problem{{field: name, reason: e.Error()}}
}

func (op *operation) explainBody(e *openapi3filter.RequestError) []problem {
	switch {
	case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
		return []problem{{field: "body", reason: "a request body is required", missing: true}}
	case strings.HasPrefix(e.Reason, "header Content-Type has unexpected value"):
		return []problem{{field: "Content-Type", reason: "must be one of " + op.bodyTypes}}
	case e.Reason == "failed to decode request body":
		return []problem{decodeProblem(e.Err)}
	}
	if problems := schemaProblems("", e.Err); len(problems) > 0 {
		return problems
	}
	return []problem{{field: "body", reason: e.Error()}}
}

// decodeProblem names the field a body could not be decoded at (a form value that is not a
// boolean, say), or keeps the useful end of the decoder's message for malformed JSON.
func decodeProblem(err error) problem {
	var parse *openapi3filter.ParseError
	if errors.As(err, &parse) {
		field := make([]string, 0, 2)
		for _, step := range parse.Path() {
			field = append(field, fmt.Sprint(step))
		}
		root := parse
		for {
			next, ok := root.Cause.(*openapi3filter.ParseError)
			if !ok {
				break
			}
			root = next
		}
		if typ, ok := strings.CutPrefix(root.Reason, "an invalid "); ok && len(field) > 0 {
			return problem{field: strings.Join(field, "."), reason: "must be " + article(typ)}
		}
	}
	msg := "malformed body"
	if err != nil {
		msg = err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	return problem{field: "body", reason: "cannot be decoded: " + msg}
}

var unsupportedProperty = regexp.MustCompile(`^property ("(?:[^"\\]|\\.)*") is unsupported$`)

// schemaProblems lists the schema errors inside err, each with the dotted path of its field.
func schemaProblems(prefix string, err error) []problem {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []problem
		for _, inner := range e {
			out = append(out, schemaProblems(prefix, inner)...)
		}
		return out
	case *openapi3.SchemaError:
		path := e.JSONPointer()
		if m := unsupportedProperty.FindStringSubmatch(e.Reason); m != nil {
			if name, err := strconv.Unquote(m[1]); err == nil {
				path = append(path, name)
			}
		}
		field := strings.Join(path, ".")
		switch {
		case prefix != "" && field != "":
			field = prefix + "." + field
		case prefix != "":
			field = prefix
		case field == "":
			field = "body"
		}
		return []problem{{field: field, reason: schemaReason(e), missing: e.SchemaField == "required"}}
	}
	var inner interface{ Unwrap() error }
	if errors.As(err, &inner) && inner.Unwrap() != nil && inner.Unwrap() != err {
		return schemaProblems(prefix, inner.Unwrap())
	}
	return nil
}

// credentialProblem says which credential is missing or malformed, for journal entries and logs.
func credentialProblem(reqs []requirement) problem {
	c := reqs[0][0]
	switch {
	case c.in == openapi3.ParameterInCookie:
		return problem{field: c.name, reason: "send the " + c.name + " cookie"}
	case c.prefix != "":
		return problem{field: c.name, reason: fmt.Sprintf("send %s: %s <credential>", c.name, c.prefix)}
	}
	return problem{field: c.name, reason: "send the " + c.name + " " + c.in}
}

// authorized tells whether the request carries, in the right form, the credentials of one of
// the operation's security alternatives. Values are not checked: any well-formed one passes.
func authorized(r *http.Request, reqs []requirement) bool {
	if len(reqs) == 0 {
		return true
	}
	for _, req := range reqs {
		ok := true
		for _, c := range req {
			if !c.sent(r) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c credential) sent(r *http.Request) bool {
	var value string
	switch c.in {
	case openapi3.ParameterInHeader:
		value = r.Header.Get(c.name)
	case openapi3.ParameterInQuery:
		value = r.URL.Query().Get(c.name)
	case openapi3.ParameterInCookie:
		cookie, err := r.Cookie(c.name)
		if err != nil {
			return false
		}
		value = cookie.Value
	}
	if c.prefix == "" {
		return strings.TrimSpace(value) != ""
	}
	n := len(c.prefix)
	return len(value) > n+1 && strings.EqualFold(value[:n], c.prefix) && value[n] == ' ' &&
		strings.TrimSpace(value[n+1:]) != ""
}
