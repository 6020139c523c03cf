package impl

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/galeno-health/galeno/internal/contract"
)

// The leniency rules of the contract (internal/contract): looser forms of some fields are rewritten
// before validation, and the fields a body's schema does not declare are ignored and named in the
// response's Galeno-Ignored-Fields header.

// applyLenience rewrites the request body into its schema's forms, before the validator reads it.
func (rt *routeTable) applyLenience(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r, ok := rt.byEchoPath[c.Path()]; ok {
			if err := r.lenience[c.Request().Method].Rewrite(c.Request()); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// reportIgnoredFields names, in the response, the validated body's fields its schema does not
// declare. It runs after bindValidatedFormOnly, which leaves a form body's fields in PostForm.
func (rt *routeTable) reportIgnoredFields(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		schema := rt.bodySchema(c)
		if schema == nil {
			return next(c)
		}
		var body any
		if v, ok := c.Request().Body.(interface{ ValidatedValue() any }); ok {
			body = v.ValidatedValue()
		}
		if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), formContentType) {
			body = c.Request().PostForm
		}
		if ignored := contract.IgnoredFields(schema, body); len(ignored) > 0 {
			c.Response().Header().Set(contract.HeaderIgnoredFields, strings.Join(ignored, ", "))
		}
		return next(c)
	}
}

// bodySchema returns the schema of the request's body for its content type, or nil when the
// operation takes no body of that type.
func (rt *routeTable) bodySchema(c echo.Context) *openapi3.Schema {
	r, ok := rt.byEchoPath[c.Path()]
	if !ok || r.bodies[c.Request().Method] == nil {
		return nil
	}
	media := r.bodies[c.Request().Method].Content.Get(c.Request().Header.Get(echo.HeaderContentType))
	if media == nil || media.Schema == nil {
		return nil
	}
	return media.Schema.Value
}
