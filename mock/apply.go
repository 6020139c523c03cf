package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/internal/contract"
)

// applyExtension on an operation names fields the mock sets on the object it answers with, for
// an effect no request body carries: a soft DELETE declares `x-mock-apply: {is_deleted: true}`.
const applyExtension = "x-mock-apply"

// applyFields reads an operation's x-mock-apply: a map of field names to values.
func applyFields(o *operation, op *openapi3.Operation) (map[string]any, error) {
	raw, ok := op.Extensions[applyExtension]
	if !ok {
		return nil, nil
	}
	fields, ok := raw.(map[string]any)
	if !ok || len(fields) == 0 {
		return nil, fmt.Errorf("mock: %s %s: %s must map field names to values", o.method, o.template, applyExtension)
	}
	normal, err := normalized(fields)
	if err != nil {
		return nil, fmt.Errorf("mock: %s %s: %s: %w", o.method, o.template, applyExtension, err)
	}
	return normal.(map[string]any), nil
}

// appliesRequests tells whether the operation answers with the request applied to the object its path
// names: a write (not GET) whose answer is path-aware, with a request body or x-mock-apply.
func (op *operation) appliesRequests() bool {
	return op.byID != nil && op.method != http.MethodGet && (op.body != nil || op.apply != nil)
}

// applied returns the body of ex, the object the path's id picked, with the operation's effect:
// its x-mock-apply fields, then the validated request body's fields that the request schema
// declares. Only fields the response schema declares (and does not mark writeOnly) are set, and
// only as long as the result still validates against schema. It returns nil when nothing changes,
// and costs nothing to operations that do not apply requests.
func (op *operation) applied(r *http.Request, ex *example, schema *openapi3.Schema) []byte {
	obj, ok := ex.value.(map[string]any)
	if !ok || schema == nil {
		return nil
	}
	fields := maps.Clone(op.apply)
	if fields == nil {
		fields = map[string]any{}
	}
	if sent, ok := op.sentFields(r); ok {
		maps.Copy(fields, sent)
	}
	// The object is the example itself, or the one object it wraps (`{"data": {"id": 2, …}}`).
	wrapper := ""
	target, targetSchema := obj, schema
	if _, own := ownID(obj); !own {
		for key, inner := range obj {
			if inner, ok := inner.(map[string]any); ok {
				if _, ok := ownID(inner); ok && declared(schema, key) != nil {
					wrapper, target, targetSchema = key, inner, declared(schema, key)
				}
			}
		}
	}
	merged := maps.Clone(target)
	whole := func() any {
		if wrapper == "" {
			return merged
		}
		outer := maps.Clone(obj)
		outer[wrapper] = merged
		return outer
	}
	valid := func() bool {
		opts := append([]openapi3.SchemaValidationOption{openapi3.VisitAsResponse()}, contract.SchemaOptions()...)
		return schema.VisitJSON(whole(), opts...) == nil
	}
	changed := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		p := declared(targetSchema, name)
		if p == nil || p.WriteOnly {
			continue
		}
		before, had := merged[name]
		merged[name] = fields[name]
		if valid() {
			changed[name] = fields[name]
			continue
		}
		if had {
			merged[name] = before
		} else {
			delete(merged, name)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	body, err := setFields(ex.body, wrapper, changed)
	if err != nil {
		return marshalJSON(whole())
	}
	return body
}

// sentFields returns the fields of the validated request body that its schema declares, as JSON
// decodes them.
func (op *operation) sentFields(r *http.Request) (map[string]any, bool) {
	v, ok := r.Body.(interface{ ValidatedValue() any })
	if !ok || op.body == nil {
		return nil, false
	}
	media := op.body.Content.Get(r.Header.Get("Content-Type"))
	if media == nil || media.Schema == nil || media.Schema.Value == nil {
		return nil, false
	}
	value, err := normalized(v.ValidatedValue())
	if err != nil {
		return nil, false
	}
	sent, ok := value.(map[string]any)
	if !ok {
		return nil, false
	}
	out := map[string]any{}
	for name, value := range sent {
		if declared(media.Schema.Value, name) != nil {
			out[name] = value
		}
	}
	return out, true
}

// declared returns the schema of a property that s (or its allOf) declares; nil when it does not.
func declared(s *openapi3.Schema, name string) *openapi3.Schema {
	if len(s.AllOf) > 0 {
		s = mergeAllOf(s)
	}
	if ref := s.Properties[name]; ref != nil {
		return ref.Value
	}
	return nil
}

var errNotObject = errors.New("not a JSON object")

// setFields rewrites the fields of a JSON object (or of the object under wrapper) in place,
// keeping the document's key order; fields it lacks are added at the end, by name.
func setFields(body []byte, wrapper string, fields map[string]any) ([]byte, error) {
	if wrapper != "" {
		return rewriteObject(body, func(key string, raw json.RawMessage) (json.RawMessage, error) {
			if key != wrapper {
				return raw, nil
			}
			return setFields(raw, "", fields)
		}, nil)
	}
	return rewriteObject(body, func(key string, raw json.RawMessage) (json.RawMessage, error) {
		if v, ok := fields[key]; ok {
			return marshalJSON(v), nil
		}
		return raw, nil
	}, fields)
}

// rewriteObject copies a JSON object, passing each value through edit, and appends the fields of
// extra the object lacks.
func rewriteObject(body []byte, edit func(string, json.RawMessage) (json.RawMessage, error), extra map[string]any) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errNotObject
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if raw, err = edit(key, raw); err != nil {
			return nil, err
		}
		seen[key] = true
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		buf.Write(marshalJSON(key))
		buf.WriteByte(':')
		buf.Write(raw)
	}
	for _, key := range slices.Sorted(maps.Keys(extra)) {
		if !seen[key] {
			if buf.Len() > 1 {
				buf.WriteByte(',')
			}
			buf.Write(marshalJSON(key))
			buf.WriteByte(':')
			buf.Write(marshalJSON(extra[key]))
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
