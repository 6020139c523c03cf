package impl

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/galeno-health/galeno/internal/contract"
)

// specRoute is one path of openapi.yaml.
type specRoute struct {
	path     string                           // as in the spec: /api/v2/medics/{medic_id}/
	echoPath string                           // as echo registers it: /api/v2/medics/:medic_id/
	pattern  *regexp.Regexp                   // matches request paths of this route
	dialect  *dialect                         // the error dialect of the route's family
	opIDs    map[string]string                // HTTP method → operationId
	params   map[string][]*openapi3.Parameter // HTTP method → the operation's parameters, the path's included
	bodies   map[string]*openapi3.RequestBody // HTTP method → the operation's request body, if any
	lenience map[string]*contract.Lenience    // HTTP method → the rewrites of its body, nil for none
	success  map[string]int                   // HTTP method → the operation's documented 2xx status (the lowest)
}

// routeTable is derived from the spec: which paths exist, and which family (error dialect) owns each.
type routeTable struct {
	routes     []specRoute
	byEchoPath map[string]*specRoute
}

var pathParam = regexp.MustCompile(`\{[^/{}]+\}`)

func newRouteTable(spec *openapi3.T) (*routeTable, error) {
	dialectOfTag := map[string]*dialect{}
	for _, tag := range spec.Tags {
		name, _ := tag.Extensions["x-error-schema"].(string)
		d, ok := dialects[name]
		if !ok {
			return nil, fmt.Errorf("impl: tag %q has x-error-schema %q, which has no dialect in errors.go", tag.Name, name)
		}
		dialectOfTag[tag.Name] = d
	}
	rt := &routeTable{byEchoPath: map[string]*specRoute{}}
	for _, path := range spec.Paths.InMatchingOrder() {
		var d *dialect
		opIDs := map[string]string{}
		params := map[string][]*openapi3.Parameter{}
		bodies := map[string]*openapi3.RequestBody{}
		lenience := map[string]*contract.Lenience{}
		success := map[string]int{}
		item := spec.Paths.Value(path)
		for method, op := range item.Operations() {
			opIDs[method] = op.OperationID
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				params[method] = append(params[method], p.Value)
			}
			if op.RequestBody != nil {
				bodies[method] = op.RequestBody.Value
				lenience[method] = contract.NewLenience(op.RequestBody.Value)
			}
			success[method] = successStatus(op)
			if len(op.Tags) != 1 || dialectOfTag[op.Tags[0]] == nil {
				return nil, fmt.Errorf("impl: %s %s needs exactly one tag with an x-error-schema", method, path)
			}
			if d != nil && d != dialectOfTag[op.Tags[0]] {
				return nil, fmt.Errorf("impl: the operations of %s belong to families with different error dialects", path)
			}
			d = dialectOfTag[op.Tags[0]]
		}
		quoted := regexp.QuoteMeta(path)
		quoted = strings.ReplaceAll(strings.ReplaceAll(quoted, `\{`, "{"), `\}`, "}")
		rt.routes = append(rt.routes, specRoute{
			path:     path,
			echoPath: pathParam.ReplaceAllStringFunc(path, func(p string) string { return ":" + p[1:len(p)-1] }),
			pattern:  regexp.MustCompile("^" + pathParam.ReplaceAllString(quoted, `[^/]+`) + "$"),
			dialect:  d,
			opIDs:    opIDs,
			params:   params,
			bodies:   bodies,
			lenience: lenience,
			success:  success,
		})
	}
	for i := range rt.routes {
		rt.byEchoPath[rt.routes[i].echoPath] = &rt.routes[i]
	}
	return rt, nil
}

// successStatus is the lowest 2xx status op documents (0 when it documents none).
func successStatus(op *openapi3.Operation) int {
	lowest := 0
	for code := range op.Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 && (lowest == 0 || n < lowest) {
			lowest = n
		}
	}
	return lowest
}

func (rt *routeTable) match(path string) *specRoute {
	for i := range rt.routes {
		if rt.routes[i].pattern.MatchString(path) {
			return &rt.routes[i]
		}
	}
	return nil
}

// canonical returns path in the trailing-slash form the spec uses, when only that slash differs.
func (rt *routeTable) canonical(path string) (string, bool) {
	if rt.match(path) != nil {
		return path, false
	}
	toggled := toggleTrailingSlash(path)
	if toggled != "" && rt.match(toggled) != nil {
		return toggled, true
	}
	return path, false
}

// normalizeTrailingSlash rewrites a request path to the spec's form before routing, so both
// /api/v2/medics and /api/v2/medics/ reach the same operation. It decides on the escaped path, as
// echo routes on it: an escaped slash (/memberships/%2F) is a parameter's value, not a separator.
func (rt *routeTable) normalizeTrailingSlash(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		if _, changed := rt.canonical(u.EscapedPath()); changed {
			u.Path = toggleTrailingSlash(u.Path)
			if u.RawPath != "" {
				u.RawPath = toggleTrailingSlash(u.RawPath)
			}
		}
		return next(c)
	}
}

// toggleTrailingSlash adds a trailing slash to path, or removes the one it has.
func toggleTrailingSlash(path string) string {
	if trimmed, ok := strings.CutSuffix(path, "/"); ok {
		return trimmed
	}
	return path + "/"
}

// isSpecRoute tells whether the echo context was routed to an operation of the spec (rather than
// to /healthz, or to no route at all).
func (rt *routeTable) isSpecRoute(c echo.Context) bool {
	_, ok := rt.byEchoPath[c.Path()]
	return ok && c.Request().Method != http.MethodOptions
}

// dialectFor returns the error dialect of the request: its route's family, or for paths outside
// the spec, the family owning the path prefix.
func (rt *routeTable) dialectFor(c echo.Context) *dialect {
	if r, ok := rt.byEchoPath[c.Path()]; ok {
		return r.dialect
	}
	if r := rt.match(c.Request().URL.Path); r != nil {
		return r.dialect
	}
	return dialectForUnknownPath(c.Request().URL.Path)
}

// unmatchedOperation labels requests that reached no route (or a route without their method).
const unmatchedOperation = "unmatched"

// operationID names what a routed request does, with a bounded set of values fit for metric labels
// and rate-limit keys: the spec's operationId, the registered path of a route outside the spec
// (/healthz, /metrics…), or "unmatched".
func (rt *routeTable) operationID(c echo.Context) string {
	if r, ok := rt.byEchoPath[c.Path()]; ok {
		if id, ok := r.opIDs[c.Request().Method]; ok {
			return id
		}
		return unmatchedOperation
	}
	if c.Path() == "" {
		return unmatchedOperation
	}
	return c.Path()
}
