package mock

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/internal/contract"
)

// exampleViolations validates every example of the spec against its schema (parameters, request
// and response bodies, headers, and `example` keywords of component schemas) and lists every
// violation, one line each.
func exampleViolations(api *openapi3.T) []string {
	var out []string
	check := func(where string, schema *openapi3.SchemaRef, value any, mode openapi3.SchemaValidationOption) {
		if schema == nil || schema.Value == nil || value == nil {
			return
		}
		v, err := normalized(value)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: not JSON: %v", where, err))
			return
		}
		opts := append([]openapi3.SchemaValidationOption{openapi3.MultiErrors()}, contract.SchemaOptions()...)
		if mode != nil {
			opts = append(opts, mode)
		}
		if err := schema.Value.VisitJSON(v, opts...); err != nil {
			problems := contract.ExplainSchema(err)
			if len(problems) == 0 {
				problems = []problem{{Field: "value", Reason: err.Error()}}
			}
			for _, p := range problems {
				out = append(out, fmt.Sprintf("%s: %s", where, p))
			}
		}
	}
	checkMedia := func(where string, content openapi3.Content, mode openapi3.SchemaValidationOption) {
		for _, ct := range sortedKeys(content) {
			mt := content[ct]
			check(fmt.Sprintf("%s %s example", where, ct), mt.Schema, mt.Example, mode)
			for _, name := range sortedKeys(mt.Examples) {
				if ex := mt.Examples[name].Value; ex != nil {
					check(fmt.Sprintf("%s %s example %s", where, ct, name), mt.Schema, ex.Value, mode)
				}
			}
		}
	}
	checkParameter := func(where string, p *openapi3.Parameter) {
		check(where+" example", p.Schema, p.Example, openapi3.VisitAsRequest())
		for _, name := range sortedKeys(p.Examples) {
			if ex := p.Examples[name].Value; ex != nil {
				check(fmt.Sprintf("%s example %s", where, name), p.Schema, ex.Value, openapi3.VisitAsRequest())
			}
		}
		checkMedia(where, p.Content, openapi3.VisitAsRequest())
	}
	for _, template := range sortedKeys(api.Paths.Map()) {
		item := api.Paths.Value(template)
		for _, ref := range item.Parameters {
			checkParameter(fmt.Sprintf("%s parameter %s", template, ref.Value.Name), ref.Value)
		}
		for _, method := range sortedKeys(item.Operations()) {
			op := item.GetOperation(method)
			where := method + " " + template
			for _, ref := range op.Parameters {
				checkParameter(fmt.Sprintf("%s parameter %s", where, ref.Value.Name), ref.Value)
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				checkMedia(where+" request", op.RequestBody.Value.Content, openapi3.VisitAsRequest())
			}
			for _, code := range responseCodes(op.Responses) {
				resp := op.Responses.Value(code).Value
				if resp == nil {
					continue
				}
				at := fmt.Sprintf("%s response %s", where, code)
				checkMedia(at, resp.Content, openapi3.VisitAsResponse())
				for _, name := range sortedKeys(resp.Headers) {
					if h := resp.Headers[name].Value; h != nil {
						check(fmt.Sprintf("%s header %s example", at, name), h.Schema, h.Example, nil)
					}
				}
			}
		}
	}
	if api.Components != nil {
		seen := map[*openapi3.Schema]bool{}
		for _, name := range sortedKeys(api.Components.Schemas) {
			walkSchemaExamples("schema "+name, api.Components.Schemas[name], seen, func(where string, s *openapi3.SchemaRef) {
				check(where+" example", s, s.Value.Example, nil)
			})
		}
	}
	return slices.Compact(out)
}

func walkSchemaExamples(where string, ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool, visit func(string, *openapi3.SchemaRef)) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	if s.Example != nil {
		visit(where, ref)
	}
	for _, name := range sortedKeys(s.Properties) {
		walkSchemaExamples(where+"."+name, s.Properties[name], seen, visit)
	}
	walkSchemaExamples(where+"[]", s.Items, seen, visit)
	walkSchemaExamples(where+".*", s.AdditionalProperties.Schema, seen, visit)
	for i, group := range [][]*openapi3.SchemaRef{s.AllOf, s.OneOf, s.AnyOf} {
		for j, sub := range group {
			walkSchemaExamples(fmt.Sprintf("%s.%s[%d]", where, strings.Fields("allOf oneOf anyOf")[i], j), sub, seen, visit)
		}
	}
}
