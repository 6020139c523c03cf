package mock

import (
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/galeno-health/galeno/internal/contract"
)

// candidate is an example object that can answer a path-aware request: a whole 2xx response
// example, or one item of a list inside one (the `results` of a page, the `data` of an envelope).
type candidate struct {
	id      string
	example *example
}

// indexCandidates collects every identifiable object of every 2xx JSON example in the spec, in
// the order of paths and methods.
func (b *builder) indexCandidates(ops []*operation) {
	for _, op := range ops {
		for _, r := range op.responses {
			if r.status < 200 || r.status >= 300 {
				continue
			}
			for _, m := range r.media {
				if !isJSON(m.contentType) {
					continue
				}
				for _, ex := range m.examples {
					b.addCandidates(m.contentType, ex)
				}
			}
		}
	}
}

func (b *builder) addCandidates(contentType string, ex *example) {
	if id, ok := idOf(ex.value); ok {
		b.candidates = append(b.candidates, &candidate{id: id, example: ex})
	}
	addItems := func(prefix string, items []any, raw *yaml.Node) {
		raw = b.doc.resolve(raw)
		for i, item := range items {
			id, ok := idOf(item)
			if !ok {
				continue
			}
			var itemRaw *yaml.Node
			if raw != nil && raw.Kind == yaml.SequenceNode && i < len(raw.Content) {
				itemRaw = raw.Content[i]
			}
			name := fmt.Sprintf("%s%s[%d]", ex.name, prefix, i)
			b.candidates = append(b.candidates, &candidate{id: id, example: b.example(contentType, name, item, itemRaw)})
		}
	}
	switch v := ex.value.(type) {
	case []any:
		addItems("", v, ex.raw)
	case map[string]any:
		for _, key := range sortedKeys(v) {
			if items, ok := v[key].([]any); ok {
				addItems("."+key, items, mappingValue(b.doc.resolve(ex.raw), key))
			}
		}
	}
}

// pathAware indexes, by id, the examples a request for one resource can be answered with: the
// operation's own examples first, then every other example object that fits its schema.
func (b *builder) pathAware(op *operation) {
	if op.idParam == "" || op.primary == nil || op.primary.status >= 300 || len(op.primary.media) == 0 {
		return
	}
	m := op.primary.media[0]
	if m.schema == nil || contract.SchemaType(m.schema) != "object" {
		return
	}
	index := map[string]*example{}
	for _, ex := range m.examples {
		if id, ok := idOf(ex.value); ok && ex.match == nil && index[id] == nil {
			index[id] = ex
		}
	}
	for _, c := range b.fitting(m.schema) {
		if index[c.id] == nil {
			index[c.id] = c.example
		}
	}
	if len(index) > 0 {
		op.byID = index
	}
}

// fitting returns the candidates that validate against schema, computed once per schema.
func (b *builder) fitting(schema *openapi3.Schema) []*candidate {
	if list, ok := b.matching[schema]; ok {
		return list
	}
	var list []*candidate
	for _, c := range b.candidates {
		if plausible(schema, c.example.value) && schema.VisitJSON(c.example.value, openapi3.VisitAsResponse(), openapi3.FailFast()) == nil {
			list = append(list, c)
		}
	}
	b.matching[schema] = list
	return list
}

// plausible is a cheap pre-check before full validation: required keys present, no unknown keys
// where the schema forbids them.
func plausible(schema *openapi3.Schema, value any) bool {
	obj, ok := value.(map[string]any)
	if !ok {
		return false
	}
	for _, name := range schema.Required {
		if _, ok := obj[name]; !ok {
			return false
		}
	}
	if has := schema.AdditionalProperties.Has; has != nil && !*has {
		for key := range obj {
			if _, ok := schema.Properties[key]; !ok {
				return false
			}
		}
	}
	return true
}

// idOf finds an object's identity: its `id` (or `_id`), or that of the one object it wraps
// (`{"data": {"id": 2, …}}`).
func idOf(v any) (string, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	if id, ok := ownID(obj); ok {
		return id, true
	}
	var wrapped []string
	for key, inner := range obj {
		if inner, ok := inner.(map[string]any); ok {
			if _, ok := ownID(inner); ok {
				wrapped = append(wrapped, key)
			}
		}
	}
	if len(wrapped) != 1 {
		return "", false
	}
	return ownID(obj[wrapped[0]].(map[string]any))
}

func ownID(obj map[string]any) (string, bool) {
	for _, key := range []string{"id", "_id"} {
		switch id := obj[key].(type) {
		case string:
			if id != "" {
				return id, true
			}
		case float64:
			return scalarString(id), true
		}
	}
	return "", false
}

// matches tells whether every parameter an example is pinned to has the pinned value.
func (p pin) matches(value func(name string) (string, bool)) bool {
	for name, want := range p.example.match {
		if got, ok := value(name); !ok || got != want {
			return false
		}
	}
	return true
}
