package mock

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/galeno-health/galeno/internal/contract"
)

// maxBody is the request body limit; larger bodies get the operation's 413.
const maxBody = 1 << 20

var requestOptions = &openapi3filter.Options{
	MultiError:              true,
	SkipSettingDefaults:     true,
	KeepValidatedValue:      true, // the body as decoded, to name the fields its schema ignores
	AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
	SchemaValidationOptions: contract.SchemaOptions(),
}

// validate checks the request's parameters, content type and body against the operation, after the
// contract's leniency rewrites, and says what is wrong, field by field. tooLarge reports a body
// over maxBody. The body fields its schema does not declare are named in the response's
// Galeno-Ignored-Fields header, as galeno serve names them.
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
			problems = append(problems, contract.Explain(err)...)
		}
	}
	if op.body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		var large *http.MaxBytesError
		if err := op.lenience.Rewrite(r); errors.As(err, &large) {
			return nil, true
		}
		if err := openapi3filter.ValidateRequestBody(ctx, in(), op.body); err != nil {
			if errors.As(err, &large) {
				return nil, true
			}
			problems = append(problems, contract.Explain(err)...)
		} else if ignored := op.ignoredFields(r); len(ignored) > 0 {
			w.Header().Set(contract.HeaderIgnoredFields, strings.Join(ignored, ", "))
		}
	}
	return problems, false
}

// ignoredFields lists the fields of a validated body that its schema does not declare: from the
// decoded JSON, or for a form (whose decoding drops them) from the form as sent.
func (op *operation) ignoredFields(r *http.Request) []string {
	media := op.body.Content.Get(r.Header.Get("Content-Type"))
	if media == nil || media.Schema == nil {
		return nil
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") && r.GetBody != nil {
		body, err := r.GetBody()
		if err != nil {
			return nil
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			return nil
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil
		}
		return contract.IgnoredFields(media.Schema.Value, form)
	}
	if v, ok := r.Body.(interface{ ValidatedValue() any }); ok {
		return contract.IgnoredFields(media.Schema.Value, v.ValidatedValue())
	}
	return nil
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

// credentialProblem says which credential is missing or malformed, for journal entries and logs.
func credentialProblem(reqs []requirement) problem {
	c := reqs[0][0]
	switch {
	case c.in == openapi3.ParameterInCookie:
		return problem{Field: c.name, Reason: "send the " + c.name + " cookie"}
	case c.prefix != "":
		return problem{Field: c.name, Reason: fmt.Sprintf("send %s: %s <credential>", c.name, c.prefix)}
	}
	return problem{Field: c.name, Reason: "send the " + c.name + " " + c.in}
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
