package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// The original platforms accept more than a strict reading of their documents' schemas: none
// refuses a body field it does not use, and their prose types are looser than the types their
// examples show. The contract says so in two ways, which both galeno serve and galeno mock apply:
//
//   - request body schemas do not say `additionalProperties: false`: a field they do not declare is
//     ignored, and the response names it in the Galeno-Ignored-Fields header;
//   - a property with `x-also-accepts` takes another form besides its schema's own, rewritten into
//     the schema's form before validation: `integer` (a string property given as a JSON integer is
//     read as its decimal text), `date-time` (a date given as a date-time keeps its date part), or a
//     map from JSON values to the schema's own values (`{"0": true, "1": false}`).

// HeaderIgnoredFields names the request body fields a response ignored, comma-separated and
// dotted when nested (`hcCard.x`).
const HeaderIgnoredFields = "Galeno-Ignored-Fields"

const (
	jsonType = "application/json"
	formType = "application/x-www-form-urlencoded"
)

// Lenience rewrites the forms a request body's `x-also-accepts` properties also take into the
// forms of their schemas. A nil *Lenience rewrites nothing.
type Lenience struct {
	rules map[string]map[string]any // media type → property → its x-also-accepts
}

// NewLenience returns the rewrites of an operation's request body; nil when it has none.
func NewLenience(body *openapi3.RequestBody) *Lenience {
	if body == nil {
		return nil
	}
	l := &Lenience{rules: map[string]map[string]any{}}
	for mediaType, media := range body.Content {
		if media.Schema == nil || media.Schema.Value == nil {
			continue
		}
		for name, prop := range media.Schema.Value.Properties {
			if also, ok := prop.Value.Extensions["x-also-accepts"]; ok {
				if l.rules[mediaType] == nil {
					l.rules[mediaType] = map[string]any{}
				}
				l.rules[mediaType][name] = also
			}
		}
	}
	if len(l.rules) == 0 {
		return nil
	}
	return l
}

// Rewrite rewrites the request's body, JSON or form, in place. A body it cannot parse is left as
// it is, for the validator to refuse. Reading past a body limit is the limit's error.
func (l *Lenience) Rewrite(r *http.Request) error {
	if l == nil || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	rules := l.rules[mediaType]
	if rules == nil {
		return nil
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("contract: read the request body: %w", err)
	}
	rewritten := raw
	switch mediaType {
	case jsonType:
		rewritten = rewriteJSON(raw, rules)
	case formType:
		rewritten = rewriteForm(raw, rules)
	}
	r.Body = io.NopCloser(bytes.NewReader(rewritten))
	r.ContentLength = int64(len(rewritten))
	return nil
}

func rewriteJSON(raw []byte, rules map[string]any) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var fields map[string]any
	if dec.Decode(&fields) != nil || dec.More() {
		return raw
	}
	changed := false
	for name, also := range rules {
		if v, ok := fields[name]; ok {
			if to, ok := accept(also, v); ok {
				fields[name], changed = to, true
			}
		}
	}
	if !changed {
		return raw
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return raw
	}
	return out
}

func rewriteForm(raw []byte, rules map[string]any) []byte {
	values, err := url.ParseQuery(string(raw))
	if err != nil {
		return raw
	}
	changed := false
	for name, also := range rules {
		for i, v := range values[name] {
			if to, ok := accept(also, v); ok {
				values[name][i], changed = fmt.Sprint(to), true
			}
		}
	}
	if !changed {
		return raw
	}
	return []byte(values.Encode())
}

// accept returns the schema's form of v under one x-also-accepts rule, when the rule takes v.
func accept(also, v any) (any, bool) {
	switch rule := also.(type) {
	case string:
		switch rule {
		case "integer":
			if n, ok := v.(json.Number); ok && !strings.ContainsAny(n.String(), ".eE") {
				return n.String(), true
			}
		case "date-time":
			if s, ok := v.(string); ok && datePart(s) != "" {
				return datePart(s), true
			}
		}
	case map[string]any:
		key := fmt.Sprint(v) // a json.Number or a form value: its text
		if to, ok := rule[key]; ok {
			return to, true
		}
	}
	return nil, false
}

// dateTimeLayouts are the date-times whose date part stands for a date: RFC 3339 and Python's
// isoformat() without a zone.
var dateTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// datePart returns the date of a date-time, or "" when s is not one.
func datePart(s string) string {
	for _, layout := range dateTimeLayouts {
		if _, err := time.Parse(layout, s); err == nil && len(s) > 10 {
			return s[:10] // the date as written, whatever the zone
		}
	}
	return ""
}

// IgnoredFields lists, sorted, the fields of a request body (decoded JSON, or a form's values)
// that its schema does not declare, dotted when nested; nil when there are none.
func IgnoredFields(schema *openapi3.Schema, body any) []string {
	var out []string
	switch b := body.(type) {
	case url.Values:
		for name := range b {
			if schema.Properties[name] == nil {
				out = append(out, name)
			}
		}
	case map[string]any:
		out = ignoredIn(schema, b, "", nil)
	}
	slices.Sort(out)
	return out
}

func ignoredIn(schema *openapi3.Schema, fields map[string]any, prefix string, out []string) []string {
	if schema == nil || schema.AdditionalProperties.Schema != nil ||
		schema.AdditionalProperties.Has != nil && *schema.AdditionalProperties.Has {
		return out // a free-form object keeps every field
	}
	for name, value := range fields {
		prop := schema.Properties[name]
		switch {
		case prop == nil:
			out = append(out, prefix+name)
		case prop.Value != nil:
			if nested, ok := value.(map[string]any); ok && len(prop.Value.Properties) > 0 {
				out = ignoredIn(prop.Value, nested, prefix+name+".", out)
			}
		}
	}
	return out
}
