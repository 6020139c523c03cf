package impl

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
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

// bindValidatedFormOnly makes a form body's own fields the only form values the generated binding
// sees. It reads Go's r.Form, which also merges the URL query, so `edit/?password=x` with a valid
// body would otherwise reach the handler unvalidated: the validator checks the query only for the
// operation's query parameters, and the body only as sent.
func bindValidatedFormOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || !strings.HasPrefix(r.Header.Get(echo.HeaderContentType), formContentType) {
			return next(c)
		}
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return fmt.Errorf("impl: read form body: %w", err)
		}
		values, err := url.ParseQuery(string(raw))
		if err != nil {
			return &Error{Status: http.StatusBadRequest, Message: "Malformed form body", Err: err}
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		r.PostForm, r.Form = values, values
		return next(c)
	}
}
