package mock

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/internal/contract"
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
	kindUpstream // proxy mode: the upstream broke the contract or did not answer
)

// problem is one thing wrong with a request, worded as the server words it.
type problem = contract.Problem

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
				fields[p.Field] = p.Reason
			}
			out["errors"] = fields
		}
		return marshalJSON(out)
	}
	return marshalJSON(fillError(schema, f, 0))
}

// summary is the one-line message for a schema that has nowhere else to put the details.
func (f failure) summary() string {
	if len(f.problems) == 0 && f.detail != "" {
		return f.detail
	}
	return contract.Summary(f.title, f.problems)
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
			if contract.SchemaType(s.Properties[name].Value) == "string" {
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
		typ := contract.SchemaType(p)
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
			if len(f.problems) > 0 && f.problems[0].Param() != "" {
				out[name] = f.problems[0].Param()
			} else if p.Nullable {
				out[name] = nil
			}
		case lower == "data" && p.Nullable:
			out[name] = nil
		}
	}
	if fieldMap && len(f.problems) > 0 {
		list := contract.SchemaType(s.AdditionalProperties.Schema.Value) == "array"
		for _, pr := range f.problems {
			if _, declared := s.Properties[pr.Field]; declared {
				continue
			}
			if list {
				messages, _ := out[pr.Field].([]string)
				out[pr.Field] = append(messages, sentence(pr.Reason))
			} else {
				out[pr.Field] = joinReason(out[pr.Field], pr.Reason)
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
	switch contract.SchemaType(p) {
	case "string":
		if len(f.problems) == 0 {
			return f.summary(), true
		}
		return contract.Join(f.problems), true
	case "array":
		if len(f.problems) == 0 && p.MinItems > 0 {
			return nil, false
		}
		items := make([]any, 0, len(f.problems))
		for _, pr := range f.problems {
			if p.Items != nil && p.Items.Value != nil && contract.SchemaType(p.Items.Value) == "object" {
				items = append(items, map[string]any{"field": pr.Field, "reason": pr.Reason})
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
			contract.SchemaType(p.AdditionalProperties.Schema.Value) == "array"
		fields := map[string]any{}
		for _, pr := range f.problems {
			if list {
				messages, _ := fields[pr.Field].([]string)
				fields[pr.Field] = append(messages, sentence(pr.Reason))
			} else {
				fields[pr.Field] = joinReason(fields[pr.Field], pr.Reason)
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
		if len(f.problems) > 0 && f.problems[0].Missing() {
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
	case kindUpstream:
		words = []string{"upstream", "gateway", "server", "api_error", "internal"}
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

// joinReason adds a reason to the ones a field already has (nil for none), space-separated.
func joinReason(have any, reason string) string {
	if prev, ok := have.(string); ok && prev != "" {
		return prev + " " + reason
	}
	return reason
}
