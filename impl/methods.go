package impl

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// The error-codes guide lists 405 (Method Not Allowed): every 405 names the methods the path takes
// in Allow, and HEAD works wherever GET does, as HTTP asks of both.

// allowedMethods lists the methods a path of the spec takes (HEAD with GET), for Allow; nil for a
// path outside the spec.
func (rt *routeTable) allowedMethods(path string) []string {
	r := rt.match(path)
	if r == nil {
		return nil
	}
	var methods []string
	for m := range r.opIDs {
		methods = append(methods, m)
		if m == http.MethodGet {
			methods = append(methods, http.MethodHead)
		}
	}
	slices.Sort(methods)
	return methods
}

// setAllow sets the Allow header of a 405 on a path of the spec.
func (rt *routeTable) setAllow(c echo.Context) {
	if methods := rt.allowedMethods(c.Request().URL.Path); methods != nil {
		c.Response().Header().Set("Allow", strings.Join(methods, ", "))
	}
}

// headAsGet serves HEAD on a path of the spec that takes GET as that GET, without its body. It runs
// before routing (echo routes HEAD to nothing): the request goes on as a GET whose body is dropped.
func (rt *routeTable) headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method != http.MethodHead {
			return next(c)
		}
		if r := rt.match(req.URL.Path); r == nil || r.opIDs[http.MethodGet] == "" {
			return next(c)
		}
		req.Method = http.MethodGet
		c.Response().Writer = bodiless{c.Response().Writer}
		return next(c)
	}
}

// bodiless is a response writer that sends the header and drops the body, for HEAD.
type bodiless struct{ http.ResponseWriter }

func (b bodiless) Write(p []byte) (int, error) { return len(p), nil }

// Unwrap lets http.ResponseController reach the connection's writer.
func (b bodiless) Unwrap() http.ResponseWriter { return b.ResponseWriter }
