package impl

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// How the request validator reads what JSON alone does not say: form bodies and string formats.

const formContentType = "application/x-www-form-urlencoded"

// unknownFieldsError reports body fields the operation's schema does not allow.
type unknownFieldsError struct{ names []string }

func (e *unknownFieldsError) Error() string {
	return "unknown fields: " + strings.Join(e.names, ", ")
}

// kin-openapi decodes a form body by the schema's properties and silently drops any other field,
// so a misspelt `is_staf=False` would go unnoticed. Form bodies refuse them instead, as JSON bodies
// do under `additionalProperties: false`.
func init() {
	decode := openapi3filter.RegisteredBodyDecoder(formContentType)
	openapi3filter.RegisterBodyDecoder(formContentType, func(body io.Reader, h http.Header, schema *openapi3.SchemaRef, enc openapi3filter.EncodingFn) (any, error) {
		raw, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		values, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, err
		}
		if closed := schema.Value.AdditionalProperties.Has; closed != nil && !*closed {
			var unknown []string
			for _, name := range slices.Sorted(maps.Keys(values)) {
				if _, ok := schema.Value.Properties[name]; !ok {
					unknown = append(unknown, name)
				}
			}
			if len(unknown) > 0 {
				return nil, &unknownFieldsError{names: unknown}
			}
		}
		return decode(bytes.NewReader(raw), h, schema, enc)
	})
}
