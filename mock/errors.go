package mock

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// failureKind says why the mock refuses a request; it picks enum codes in error schemas.
type failureKind int

const (
	kindInvalid failureKind = iota
	kindUnauthorized
	kindNotFound
	kindMethodNotAllowed
	kindNotAcceptable
	kindTooLarge
	kindPreference
)

// problem is one thing wrong with a request: the field (a parameter, a body property path such
// as `hcCard.number`, `body` or `Content-Type`) and why.
type problem struct {
	field   string
	reason  string
	missing bool
}

func (p problem) String() string { return p.field + ": " + p.reason }

// failure is a refusal the mock writes in the family's error dialect.
type failure struct {
	status   int
	kind     failureKind
	title    string // a few words: "Invalid input"
	detail   string // a sentence saying exactly what happened, used when there are no problems
	problems []problem
}

// errorBody writes f in the shape of schema, the family's error schema (`x-error-schema` of the
// operation's tag, or the operation's own 400 schema). It fills the conventional properties
// (message, errors, success, code, type, param, data) and carries field problems wherever the
// schema has room for them. Without a schema the body is {"message", "errors"}.
func errorBody(schema *openapi3.Schema, f failure) []byte {
	if schema == nil {
		out := map[string]any{"message": f.summary()}
		if len(f.problems) > 0 {
			fields := map[string]string{}
			for _, p := range f.problems {
				fields[p.field] = p.reason
			}
			out["errors"] = fields
		}
		return marshalJSON(out)
	}
	return marshalJSON(fillError(schema, f, 0))
}

// summary is the one-line message for a schema that has nowhere else to put the details.
func (f failure) summary() string {
	switch {
	case len(f.problems) == 1 && f.problems[0].missing:
		return "Missing required parameter: " + f.problems[0].field
	case len(f.problems) == 1:
		return f.problems[0].String()
	case len(f.problems) > 0:
		parts := make([]string, len(f.problems))
		for i, p := range f.problems {
			parts[i] = p.String()
		}
		return f.title + ": " + strings.Join(parts, "; ")
	case f.detail != "":
		return f.detail
	}
	return f.title
}

func fillError(s *openapi3.Schema, f failure, depth int) map[string]any {
	out := map[string]any{}
	names := sortedKeys(s.Properties)
	fieldMap := s.AdditionalProperties.Schema != nil && s.AdditionalProperties.Schema.Value != nil
	carrier, detailField := "", ""
	for _, name := range names {
		switch strings.ToLower(name) {
		case "errors", "details", "fields", "violations":
			carrier = name
			if schemaType(s.Properties[name].Value) == "string" {
				detailField = name
			}
		}
	}
	singleProblem := hasAny(names, "param", "field", "parameter", "pointer")
	message := f.summary()
	if (carrier != "" || fieldMap) && (len(f.problems) > 0 || detailField != "") {
		message = f.title
	}
	for _, name := range names {
		p := s.Properties[name].Value
		if p == nil {
			continue
		}
		lower := strings.ToLower(name)
		typ := schemaType(p)
		switch {
		case depth == 0 && typ == "object" && len(p.Properties) > 0 && (lower == "error" || lower == "problem"):
			out[name] = fillError(p, f, depth+1)
		case typ == "boolean" && (lower == "success" || lower == "ok"):
			out[name] = false
		case name == carrier:
			if v, ok := problemsAs(p, f); ok {
				out[name] = v
			}
		case typ == "string" && slices.Contains([]string{"message", "msg", "title", "detail", "description", "error", "error_description"}, lower):
			out[name] = message
		case (lower == "code" || lower == "type") && len(p.Enum) > 0:
			out[name] = pickEnum(p.Enum, f)
		case (lower == "status" || lower == "code" || lower == "status_code") && typ == "integer":
			out[name] = f.status
		case singleProblem && slices.Contains([]string{"param", "field", "parameter", "pointer"}, lower):
			if len(f.problems) > 0 {
				out[name] = f.problems[0].field
			} else if p.Nullable {
				out[name] = nil
			}
		case lower == "data" && p.Nullable:
			out[name] = nil
		}
	}
	if fieldMap && len(f.problems) > 0 {
		list := schemaType(s.AdditionalProperties.Schema.Value) == "array"
		for _, pr := range f.problems {
			if _, declared := s.Properties[pr.field]; declared {
				continue
			}
			if list {
				messages, _ := out[pr.field].([]string)
				out[pr.field] = append(messages, sentence(pr.reason))
			} else {
				out[pr.field] = pr.reason
			}
		}
	}
	fill := newGenerator(1, true)
	for _, name := range s.Required {
		if _, ok := out[name]; !ok && s.Properties[name] != nil {
			out[name] = fill.value(s.Properties[name].Value, name, depth+1)
		}
	}
	return out
}

// problemsAs shapes the field problems for an `errors`-like property of the given schema.
func problemsAs(p *openapi3.Schema, f failure) (any, bool) {
	switch schemaType(p) {
	case "string":
		if len(f.problems) == 0 {
			return f.summary(), true
		}
		parts := make([]string, len(f.problems))
		for i, pr := range f.problems {
			parts[i] = pr.String()
		}
		return strings.Join(parts, "; "), true
	case "array":
		if len(f.problems) == 0 && p.MinItems > 0 {
			return nil, false
		}
		items := make([]any, 0, len(f.problems))
		for _, pr := range f.problems {
			if p.Items != nil && p.Items.Value != nil && schemaType(p.Items.Value) == "object" {
				items = append(items, map[string]any{"field": pr.field, "reason": pr.reason})
			} else {
				items = append(items, pr.String())
			}
		}
		return items, true
	case "object":
		if len(f.problems) == 0 {
			return nil, false
		}
		list := p.AdditionalProperties.Schema != nil && p.AdditionalProperties.Schema.Value != nil &&
			schemaType(p.AdditionalProperties.Schema.Value) == "array"
		fields := map[string]any{}
		for _, pr := range f.problems {
			if list {
				messages, _ := fields[pr.field].([]string)
				fields[pr.field] = append(messages, sentence(pr.reason))
			} else {
				fields[pr.field] = pr.reason
			}
		}
		return fields, true
	}
	return nil, false
}

// pickEnum chooses the enum value that best names the failure, e.g. `parameter_missing`,
// `authentication_required` or `resource_not_found`; the first value when none fits.
func pickEnum(values []any, f failure) any {
	var words []string
	switch f.kind {
	case kindInvalid:
		if len(f.problems) > 0 && f.problems[0].missing {
			words = []string{"missing", "required"}
		}
		words = append(words, "invalid", "validation", "bad_request", "request")
	case kindUnauthorized:
		words = []string{"authentication", "unauthorized", "unauthenticated", "auth"}
	case kindNotFound:
		words = []string{"not_found", "notfound", "invalid_request", "request"}
	case kindMethodNotAllowed:
		words = []string{"method", "not_found", "invalid_request", "request"}
	case kindNotAcceptable:
		words = []string{"acceptable", "invalid", "request"}
	case kindTooLarge:
		words = []string{"too_large", "large", "invalid_request", "request"}
	case kindPreference:
		words = []string{"invalid", "request"}
	}
	for _, w := range words {
		for _, v := range values {
			if s, ok := v.(string); ok && strings.Contains(strings.ToLower(s), w) {
				return v
			}
		}
	}
	return values[0]
}

// sentence capitalises a reason and ends it with a period, as field-error lists print them.
func sentence(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[size:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func hasAny(names []string, wanted ...string) bool {
	for _, n := range names {
		if slices.Contains(wanted, strings.ToLower(n)) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// schemaReason says in plain words which keyword of the schema the value broke.
func schemaReason(se *openapi3.SchemaError) string {
	s := se.Schema
	if s == nil {
		return se.Reason
	}
	switch se.SchemaField {
	case "required":
		return "this field is required"
	case "properties", "additionalProperties":
		return "this field is not allowed"
	case "type":
		if se.Value == nil {
			return "must not be null"
		}
		return "must be " + article(schemaType(s))
	case "nullable":
		return "must not be null"
	case "enum":
		values := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			values[i] = fmt.Sprint(v)
		}
		return "must be one of " + strings.Join(values, ", ")
	case "format":
		return "must be a valid " + s.Format
	case "pattern":
		return "must match the pattern " + s.Pattern
	case "minLength":
		return "must be at least " + count(s.MinLength, "character") + " long"
	case "maxLength":
		return "must be at most " + count(*s.MaxLength, "character") + " long"
	case "minimum", "exclusiveMinimum":
		return "must be at least " + bound(s.Min, s.ExclusiveMin)
	case "maximum", "exclusiveMaximum":
		return "must be at most " + bound(s.Max, s.ExclusiveMax)
	case "multipleOf":
		return fmt.Sprintf("must be a multiple of %v", *s.MultipleOf)
	case "minItems":
		return "must have at least " + count(s.MinItems, "item")
	case "maxItems":
		return "must have at most " + count(*s.MaxItems, "item")
	case "uniqueItems":
		return "must not repeat items"
	case "minProperties":
		return "must have at least " + count(s.MinProps, "field")
	case "maxProperties":
		return "must have at most " + count(*s.MaxProps, "field")
	}
	return se.Reason
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
