package impl

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// PostgreSQL refuses text holding a NUL character or bytes that are not UTF-8 (SQLite would keep
// them), so a request carrying such text in a parameter or a body field gets a field error, the
// same on both databases, rather than the 500 of a failed query. Write-only fields (the passwords)
// are exempt: they are hashed, never stored as text.

const msgUnstorableText = "Must be UTF-8 text without NUL characters."

// storableText reports whether a database can store s.
func storableText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// refuseUnstorableText answers 400 to a request whose path, query or header parameters, or body,
// hold text no database can store. It runs after the request validator, so after authentication,
// and reads the parameters as the generated binders will (path values unescaped) and the body as
// the validator decoded it.
func (rt *routeTable) refuseUnstorableText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, ok := rt.byEchoPath[c.Path()]
		if !ok {
			return next(c)
		}
		for _, p := range r.params[c.Request().Method] {
			var values []string
			switch p.In {
			case openapi3.ParameterInPath:
				v := c.Param(p.Name)
				if unescaped, err := url.PathUnescape(v); err == nil {
					v = unescaped
				}
				values = []string{v}
			case openapi3.ParameterInQuery:
				values = c.QueryParams()[p.Name]
			case openapi3.ParameterInHeader:
				values = c.Request().Header.Values(p.Name)
			}
			for _, v := range values {
				if !storableText(v) {
					return fieldError(p.Name, msgUnstorableText)
				}
			}
		}
		body, ok := c.Request().Body.(interface{ ValidatedValue() any })
		if rb := r.bodies[c.Request().Method]; ok && rb != nil {
			if field, found := unstorableIn(body.ValidatedValue(), rt.bodySchema(c), ""); found {
				return fieldError(field, msgUnstorableText)
			}
		}
		return next(c)
	}
}

// unstorableIn finds the first string, or key, of a decoded body (of the schema, when known) that
// no database can store, and says where it is ("a.b.0" when nested).
func unstorableIn(v any, schema *openapi3.Schema, at string) (string, bool) {
	if schema != nil && schema.WriteOnly {
		return "", false
	}
	child := func(key string) string {
		if at == "" {
			return key
		}
		return at + "." + key
	}
	switch x := v.(type) {
	case string:
		return at, !storableText(x)
	case map[string]any:
		for key, value := range x {
			if !storableText(key) {
				return child(key), true
			}
			if field, ok := unstorableIn(value, propertySchema(schema, key), child(key)); ok {
				return field, true
			}
		}
	case []any:
		var items *openapi3.Schema
		if schema != nil && schema.Items != nil {
			items = schema.Items.Value
		}
		for i, value := range x {
			if field, ok := unstorableIn(value, items, child(fmt.Sprint(i))); ok {
				return field, true
			}
		}
	}
	return "", false
}

// propertySchema returns the schema of an object's property, or nil when unknown.
func propertySchema(object *openapi3.Schema, name string) *openapi3.Schema {
	switch {
	case object == nil:
		return nil
	case object.Properties[name] != nil:
		return object.Properties[name].Value
	case object.AdditionalProperties.Schema != nil:
		return object.AdditionalProperties.Schema.Value
	}
	return nil
}
