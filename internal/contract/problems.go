package contract

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Problem is one thing wrong with a request: the field (a parameter, a body property path such
// as `hcCard.number`, `body` or `Content-Type`) and why, as a sentence.
type Problem struct {
	Field, Reason string
}

// Required is the reason of a field (or body) that is missing.
const Required = "This field is required."

// Missing tells whether the problem is a missing field.
func (p Problem) Missing() bool { return p.Reason == Required }

// Param names the request field the problem is about (`doctorSpecialties` for a problem in
// `doctorSpecialties.0`), or "" when it is about the request as a whole (its body, its Content-Type).
func (p Problem) Param() string {
	switch p.Field {
	case "body", "Content-Type", "request":
		return ""
	}
	field, _, _ := strings.Cut(p.Field, ".")
	return field
}

func (p Problem) String() string { return p.Field + ": " + p.Reason }

// Summary is a one-line message for the problems: the one problem, or the title followed by all.
func Summary(title string, problems []Problem) string {
	switch {
	case len(problems) == 1 && problems[0].Missing():
		return "Missing required parameter: " + problems[0].Field
	case len(problems) == 1:
		return problems[0].String()
	case len(problems) > 0:
		return title + ": " + Join(problems)
	}
	return title
}

// Join lists the problems as `field: reason; field: reason`.
func Join(problems []Problem) string {
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// Explain turns what kin-openapi's request validation reports (parameters, content type and body;
// not the security requirements) into problems, sorted by field.
func Explain(err error) []Problem {
	problems := explain(err)
	slices.SortStableFunc(problems, func(a, b Problem) int { return cmp.Compare(a.Field, b.Field) })
	return problems
}

func explain(err error) []Problem {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []Problem
		for _, inner := range e {
			out = append(out, explain(inner)...)
		}
		return out
	case *openapi3filter.RequestError:
		switch {
		case e.Parameter != nil:
			return explainParameter(e)
		case e.RequestBody != nil:
			return explainBody(e)
		}
	}
	return []Problem{{Field: "request", Reason: sentence(err.Error())}}
}

func explainParameter(e *openapi3filter.RequestError) []Problem {
	name := e.Parameter.Name
	var parse *openapi3filter.ParseError
	switch {
	case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
		return []Problem{{Field: name, Reason: Required}}
	case errors.Is(e.Err, openapi3filter.ErrInvalidEmptyValue):
		return []Problem{{Field: name, Reason: "Must not be empty."}}
	case errors.As(e.Err, &parse):
		typ := ""
		if e.Parameter.Schema != nil && e.Parameter.Schema.Value != nil {
			typ = SchemaType(e.Parameter.Schema.Value)
		}
		return []Problem{{Field: name, Reason: "Must be " + article(typ) + "."}}
	}
	if problems := schemaProblems(name, e.Err); len(problems) > 0 {
		return problems
	}
	return []Problem{{Field: name, Reason: sentence(e.Error())}}
}

func explainBody(e *openapi3filter.RequestError) []Problem {
	switch {
	case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
		return []Problem{{Field: "body", Reason: Required}}
	case strings.HasPrefix(e.Reason, "header Content-Type has unexpected value"):
		return []Problem{{Field: "Content-Type", Reason: "Must be one of " + BodyTypes(e.RequestBody) + "."}}
	case e.Reason == "failed to decode request body":
		return []Problem{decodeProblem(e.Err)}
	}
	if problems := schemaProblems("", e.Err); len(problems) > 0 {
		return problems
	}
	return []Problem{{Field: "body", Reason: sentence(e.Error())}}
}

// Status is the status of a request with these problems: 415 (the error-codes guide's Unsupported
// Media Type) when its body is of a content type the operation does not take, else 400.
func Status(problems []Problem) int {
	for _, p := range problems {
		if p.Field == "Content-Type" {
			return http.StatusUnsupportedMediaType
		}
	}
	return http.StatusBadRequest
}

// BodyTypes lists the content types a request body may have, sorted: `a, b`.
func BodyTypes(body *openapi3.RequestBody) string {
	return strings.Join(slices.Sorted(maps.Keys(body.Content)), ", ")
}

// decodeProblem names the field a body could not be decoded at (a form value that is not a
// boolean, say), or keeps the useful end of the decoder's message for malformed JSON.
func decodeProblem(err error) Problem {
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
			return Problem{Field: strings.Join(field, "."), Reason: "Must be " + article(typ) + "."}
		}
	}
	msg := "malformed body"
	if err != nil {
		msg = err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	return Problem{Field: "body", Reason: sentence("cannot be decoded: " + msg)}
}

// ExplainSchema turns what a schema's VisitJSON reports into problems, each naming the dotted path
// of its field ("body" for the value itself); none when err holds no schema error.
func ExplainSchema(err error) []Problem { return schemaProblems("", err) }

var unsupportedProperty = regexp.MustCompile(`^property ("(?:[^"\\]|\\.)*") is unsupported$`)

// schemaProblems lists the schema errors inside err, each with the dotted path of its field.
func schemaProblems(prefix string, err error) []Problem {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []Problem
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
		return []Problem{{Field: field, Reason: schemaReason(e)}}
	}
	var inner interface{ Unwrap() error }
	if errors.As(err, &inner) && inner.Unwrap() != nil && inner.Unwrap() != err {
		return schemaProblems(prefix, inner.Unwrap())
	}
	return nil
}

// schemaReason says in plain words which keyword of the schema the value broke.
func schemaReason(se *openapi3.SchemaError) string {
	s := se.Schema
	if s == nil {
		return sentence(se.Reason)
	}
	switch se.SchemaField {
	case "required":
		return Required
	case "properties", "additionalProperties":
		return "This field is not allowed."
	case "type":
		if se.Value == nil {
			return "Must not be null."
		}
		return "Must be " + article(SchemaType(s)) + "."
	case "nullable":
		return "Must not be null."
	case "enum":
		values := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			values[i] = fmt.Sprint(v)
		}
		return "Must be one of " + strings.Join(values, ", ") + "."
	case "format":
		return "Must be a valid " + s.Format + "."
	case "pattern":
		return "Must match the pattern " + s.Pattern + "."
	case "minLength":
		return "Must be at least " + count(s.MinLength, "character") + " long."
	case "maxLength":
		return "Must be at most " + count(*s.MaxLength, "character") + " long."
	case "minimum", "exclusiveMinimum":
		return "Must be at least " + bound(s.Min, s.ExclusiveMin) + "."
	case "maximum", "exclusiveMaximum":
		return "Must be at most " + bound(s.Max, s.ExclusiveMax) + "."
	case "multipleOf":
		return fmt.Sprintf("Must be a multiple of %v.", *s.MultipleOf)
	case "minItems":
		return "Must have at least " + count(s.MinItems, "item") + "."
	case "maxItems":
		return "Must have at most " + count(*s.MaxItems, "item") + "."
	case "uniqueItems":
		return "Must not repeat items."
	case "minProperties":
		return "Must have at least " + count(s.MinProps, "field") + "."
	case "maxProperties":
		return "Must have at most " + count(*s.MaxProps, "field") + "."
	}
	return sentence(se.Reason)
}

func count(n uint64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func bound(limit *float64, exclusive openapi3.ExclusiveBound) string {
	switch {
	case exclusive.Value != nil:
		return fmt.Sprintf("%v (exclusive)", *exclusive.Value)
	case limit == nil:
		return "the bound"
	case exclusive.IsTrue():
		return fmt.Sprintf("%v (exclusive)", *limit)
	}
	return fmt.Sprint(*limit)
}

func article(typ string) string {
	switch typ {
	case "":
		return "a value"
	case "integer", "object", "array":
		return "an " + typ
	}
	return "a " + typ
}

// SchemaType is the schema's type, inferred from its keywords when it declares none.
func SchemaType(s *openapi3.Schema) string {
	if s.Type != nil {
		for _, t := range *s.Type {
			if t != "null" {
				return t
			}
		}
	}
	switch {
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil:
		return "object"
	case s.Items != nil:
		return "array"
	case s.Pattern != "" || s.Format != "" || s.MaxLength != nil || s.MinLength > 0:
		return "string"
	case s.Min != nil || s.Max != nil:
		return "number"
	}
	return ""
}

// sentence capitalises a reason and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return "Invalid value."
	}
	r, size := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[size:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
