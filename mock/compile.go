package mock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/getkin/kin-openapi/routers/legacy/pathpattern"
	"go.yaml.in/yaml/v3"

	"github.com/galeno-health/galeno/internal/contract"
)

// compiled is everything the hot path needs from one spec, computed once when it is loaded:
// routes, operations with their responses and pre-serialized example bodies, security forms,
// error schemas and the path-aware example index.
type compiled struct {
	doc        *document
	router     routers.Router
	operations map[*openapi3.Operation]*operation
	list       []*operation      // by path, then method
	paths      *pathpattern.Node // path template → *pathEntry, to tell 405 from 404
	entries    []*pathEntry
	expose     string // response headers the spec declares, for Access-Control-Expose-Headers
	loadedAt   time.Time
}

// pathEntry is one path template with the methods it serves.
type pathEntry struct {
	template string
	segments []string
	allow    string           // the Allow header: its methods, with HEAD where GET is served
	errors   *openapi3.Schema // error schema of its operations' family
}

// operation is one documented operation, ready to answer.
type operation struct {
	id       string
	method   string
	template string
	route    *routers.Route
	params   []*parameter
	body     *openapi3.RequestBody
	lenience *contract.Lenience // the contract's rewrites of the body; nil for none
	security []requirement
	errors   *openapi3.Schema // the family's error schema; nil for the generic shape

	responses []*response // ascending status; "default" last
	primary   *response   // lowest 2xx, else lowest declared
	invalid   *response   // 400 or 422: its schema shapes validation failures
	denied    *response   // 401: its first example answers missing credentials
	missing   *response   // 404: served when a path id matches no example
	tooLarge  *response   // 413
	pins      []pin       // examples pinned to parameter values with x-mock-match

	idParam string              // the last path parameter, compared with example ids
	byID    map[string]*example // path-aware examples of the primary response
	apply   map[string]any      // x-mock-apply: fields the operation sets on the object it answers with
	applies bool                // answers with the request applied (see applied)
}

type parameter struct {
	*openapi3.Parameter
	header string // canonical header name for `in: header`
}

// response is one declared status with its bodies, one per media type.
type response struct {
	status  int
	code    string // as declared: "200", "4XX", "default"
	media   []*media
	headers []headerLine
}

// headerLine is a response header ready for the header map.
type headerLine struct {
	name  string
	value []string
}

type media struct {
	contentType string
	header      []string // Content-Type header value, shared by every answer
	schema      *openapi3.Schema
	examples    []*example
	first       *example // first example not pinned to parameter values
}

// example is a body ready to write: bytes serialized once at load time, in document key order.
type example struct {
	name   string
	body   []byte
	length []string // Content-Length header value
	value  any
	match  map[string]string // x-mock-match: parameter name → value
	raw    *yaml.Node        // the value in the spec file, to serialize list items in order
	links  map[string]string // page link field → path and query, served under the mock's address
}

// pin is an example that x-mock-match ties to parameter values.
type pin struct {
	response *response
	media    *media
	example  *example
}

// matchExtension is the example extension that pins an example to parameter values.
const matchExtension = "x-mock-match"

// compile prepares a loaded document for serving. It also returns the examples that do not
// validate against their schemas.
func compile(doc *document) (*compiled, []string, error) {
	api := doc.api
	// The router matches the path alone, whatever host and port the mock listens on.
	routed := *api
	routed.Servers = nil
	router, err := legacy.NewRouter(&routed, openapi3.DisableExamplesValidation())
	if err != nil {
		return nil, nil, fmt.Errorf("mock: %s: %w", doc.source, err)
	}
	c := &compiled{
		doc:        doc,
		router:     router,
		operations: map[*openapi3.Operation]*operation{},
		paths:      &pathpattern.Node{},
	}
	b := &builder{doc: doc, api: api, matching: map[*openapi3.Schema][]*candidate{}}
	b.cookies = cookieSchemes(api)
	exposed := map[string]bool{specErrorHeader: true}
	for _, template := range sortedKeys(api.Paths.Map()) {
		item := api.Paths.Value(template)
		entry := &pathEntry{template: template, segments: splitPath(template)}
		var methods []string
		for _, method := range sortedKeys(item.Operations()) {
			op, err := b.operation(template, item, method, item.GetOperation(method))
			if err != nil {
				return nil, nil, err
			}
			for _, r := range op.responses {
				for _, h := range r.headers {
					if h.name != "Set-Cookie" {
						exposed[h.name] = true
					}
				}
			}
			c.operations[item.GetOperation(method)] = op
			c.list = append(c.list, op)
			methods = append(methods, method)
			if entry.errors == nil {
				entry.errors = op.errors
			}
		}
		if slices.Contains(methods, http.MethodGet) && !slices.Contains(methods, http.MethodHead) {
			methods = append(methods, http.MethodHead)
		}
		slices.Sort(methods)
		entry.allow = strings.Join(methods, ", ")
		if err := c.paths.Add(template, entry, nil); err != nil {
			return nil, nil, fmt.Errorf("mock: path %s: %w", template, err)
		}
		c.entries = append(c.entries, entry)
	}
	b.indexCandidates(c.list)
	for _, op := range c.list {
		b.pathAware(op)
		op.applies = op.appliesRequests()
	}
	c.expose = strings.Join(sortedKeys(exposed), ", ")
	for _, op := range c.list {
		for _, r := range op.responses {
			for _, m := range r.media {
				for _, ex := range m.examples {
					pageLinks(ex, m.schema)
				}
			}
		}
	}
	// The raw tree served only to order keys; bodies are serialized now, so let it go.
	for _, op := range c.list {
		for _, r := range op.responses {
			for _, m := range r.media {
				for _, ex := range m.examples {
					ex.raw = nil
				}
			}
		}
	}
	for _, cand := range b.candidates {
		cand.example.raw = nil
	}
	doc.tree = nil
	return c, exampleViolations(api), nil
}

// builder holds what compiling one document shares across operations.
type builder struct {
	doc        *document
	api        *openapi3.T
	cookies    []string // names of the cookies that apiKey security schemes read
	candidates []*candidate
	matching   map[*openapi3.Schema][]*candidate
}

func (b *builder) operation(template string, item *openapi3.PathItem, method string, op *openapi3.Operation) (*operation, error) {
	o := &operation{
		id:       op.OperationID,
		method:   method,
		template: template,
		route:    &routers.Route{Spec: b.api, Path: template, PathItem: item, Method: method, Operation: op},
		security: b.security(op),
		errors:   b.errorSchema(op),
	}
	if o.id == "" {
		o.id = method + " " + template
	}
	for _, ref := range item.Parameters {
		if op.Parameters.GetByInAndName(ref.Value.In, ref.Value.Name) == nil {
			o.params = append(o.params, newParameter(ref.Value))
		}
	}
	for _, ref := range op.Parameters {
		o.params = append(o.params, newParameter(ref.Value))
	}
	if names := pathVariables(template); len(names) > 0 {
		o.idParam = names[len(names)-1]
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		o.body = op.RequestBody.Value
		o.lenience = contract.NewLenience(o.body)
	}
	apply, err := applyFields(o, op)
	if err != nil {
		return nil, err
	}
	o.apply = apply
	raw := b.doc.node(nil, "paths", template, strings.ToLower(method), "responses")
	for _, code := range responseCodes(op.Responses) {
		r, err := b.response(o, code, op.Responses.Value(code), b.doc.node(raw, code))
		if err != nil {
			return nil, err
		}
		o.responses = append(o.responses, r)
	}
	for _, r := range o.responses {
		switch {
		case o.primary == nil && r.status >= 200 && r.status < 300:
			o.primary = r
		case r.status == http.StatusBadRequest || (r.status == http.StatusUnprocessableEntity && o.invalid == nil):
			o.invalid = r
		case r.status == http.StatusUnauthorized:
			o.denied = r
		case r.status == http.StatusNotFound:
			o.missing = r
		case r.status == http.StatusRequestEntityTooLarge:
			o.tooLarge = r
		}
		for _, m := range r.media {
			for _, ex := range m.examples {
				if ex.match != nil {
					o.pins = append(o.pins, pin{r, m, ex})
				}
			}
		}
	}
	if o.primary == nil && len(o.responses) > 0 {
		o.primary = o.responses[0]
	}
	if o.errors == nil && o.invalid != nil && len(o.invalid.media) > 0 {
		o.errors = o.invalid.media[0].schema
	}
	return o, nil
}

func newParameter(p *openapi3.Parameter) *parameter {
	return &parameter{Parameter: p, header: http.CanonicalHeaderKey(p.Name)}
}

// responseCodes lists the declared codes by status, with ranges (2XX) after exact codes and
// "default" last.
func responseCodes(responses *openapi3.Responses) []string {
	codes := sortedKeys(responses.Map())
	slices.SortStableFunc(codes, func(a, b string) int { return statusOf(a) - statusOf(b) })
	return codes
}

// statusOf turns a declared code into the status the mock answers with: "2XX" is 200 and
// "default" sorts last (its status comes from the request's Prefer code, or 500).
func statusOf(code string) int {
	if n, err := strconv.Atoi(code); err == nil {
		return n
	}
	if len(code) == 3 && strings.EqualFold(code[1:], "XX") && code[0] >= '1' && code[0] <= '5' {
		return int(code[0]-'0')*100 + 99
	}
	return 1000
}

func (b *builder) response(o *operation, code string, ref *openapi3.ResponseRef, raw *yaml.Node) (*response, error) {
	r := &response{code: code, status: statusOf(code)}
	switch {
	case r.status == 1000:
		r.status = http.StatusInternalServerError
	case r.status%100 == 99:
		r.status -= 99
	}
	spec := ref.Value
	if spec == nil {
		return r, nil
	}
	for _, name := range sortedKeys(spec.Headers) {
		if value, ok := b.headerValue(o, name, spec.Headers[name].Value); ok {
			r.headers = append(r.headers, headerLine{http.CanonicalHeaderKey(name), []string{value}})
		}
	}
	types := sortedKeys(spec.Content)
	slices.SortStableFunc(types, func(a, b string) int { return boolRank(isJSON(a)) - boolRank(isJSON(b)) })
	for _, ct := range types {
		m, err := b.media(o, code, ct, spec.Content[ct], b.doc.node(raw, "content", ct))
		if err != nil {
			return nil, err
		}
		r.media = append(r.media, m)
	}
	return r, nil
}

func isJSON(contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.TrimSpace(strings.ToLower(ct))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

func (b *builder) media(o *operation, code, contentType string, mt *openapi3.MediaType, raw *yaml.Node) (*media, error) {
	m := &media{contentType: contentType, header: []string{contentType}}
	if mt.Schema != nil {
		m.schema = mt.Schema.Value
	}
	names := sortedKeys(mt.Examples)
	if rawExamples := b.doc.node(raw, "examples"); rawExamples != nil && rawExamples.Kind == yaml.MappingNode {
		ordered := make([]string, 0, len(names))
		for i := 0; i < len(rawExamples.Content); i += 2 {
			if name := rawExamples.Content[i].Value; mt.Examples[name] != nil {
				ordered = append(ordered, name)
			}
		}
		if len(ordered) == len(names) {
			names = ordered
		}
	}
	for _, name := range names {
		ref := mt.Examples[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		ex := b.example(contentType, name, ref.Value.Value, b.doc.node(raw, "examples", name, "value"))
		if match, ok := ref.Value.Extensions[matchExtension]; ok {
			fields, ok := match.(map[string]any)
			if !ok || len(fields) == 0 {
				return nil, fmt.Errorf("mock: %s %s response %s example %s: %s must map parameter names to values",
					o.method, o.template, code, name, matchExtension)
			}
			ex.match = map[string]string{}
			for k, v := range fields {
				ex.match[k] = scalarString(v)
			}
		}
		m.examples = append(m.examples, ex)
	}
	if len(m.examples) == 0 && mt.Example != nil {
		m.examples = append(m.examples, b.example(contentType, "example", mt.Example, b.doc.node(raw, "example")))
	}
	if len(m.examples) == 0 && m.schema != nil {
		m.examples = append(m.examples, b.example(contentType, "generated", newGenerator(1, true).value(m.schema, "", 0), nil))
	}
	for _, ex := range m.examples {
		if ex.match == nil {
			m.first = ex
			break
		}
	}
	if m.first == nil && len(m.examples) > 0 {
		m.first = m.examples[0]
	}
	return m, nil
}

// example serializes one example value; raw, when known, gives the document's key order.
func (b *builder) example(contentType, name string, value any, raw *yaml.Node) *example {
	ex := &example{name: name, raw: raw}
	value, err := normalized(value)
	if err != nil {
		value = nil
	}
	ex.value = value
	if s, ok := value.(string); ok && !isJSON(contentType) {
		ex.body = []byte(s)
	} else {
		ex.body = marshalJSON(value)
		if raw != nil {
			if ordered, err := nodeJSON(raw); err == nil {
				if same, err := normalizedJSON(ordered); err == nil && reflect.DeepEqual(same, value) {
					ex.body = ordered
				}
			}
		}
	}
	ex.length = []string{strconv.Itoa(len(ex.body))}
	return ex
}

func normalizedJSON(data []byte) (any, error) {
	var v any
	err := json.Unmarshal(data, &v)
	return v, err
}

// scalarString prints a parameter value as it appears in a URL: 11, not 11.0.
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// headerValue is the value a response header is sent with: its example, or one generated from
// its schema. Set-Cookie for a session cookie the spec's security reads is special: an
// operation that needs the cookie expires it (logout), one that does not sets it (login).
func (b *builder) headerValue(o *operation, name string, h *openapi3.Header) (string, bool) {
	switch strings.ToLower(name) {
	case "content-type", "content-length", strings.ToLower(contract.HeaderIgnoredFields):
		// Galeno-Ignored-Fields is the request's own (see validate), never an example's.
		return "", false
	case "set-cookie":
		if len(b.cookies) == 0 {
			return "", false
		}
		cookie := b.cookies[0]
		for _, req := range o.security {
			for _, cred := range req {
				if cred.in == openapi3.ParameterInCookie {
					return cookie + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax", true
				}
			}
		}
		return cookie + "=mock-session; Path=/; HttpOnly; SameSite=Lax", true
	}
	if h == nil {
		return "", false
	}
	if h.Example != nil {
		return scalarString(h.Example), true
	}
	for _, name := range sortedKeys(h.Examples) {
		if ex := h.Examples[name]; ex.Value != nil {
			return scalarString(ex.Value.Value), true
		}
	}
	if h.Schema != nil && h.Schema.Value != nil {
		return scalarString(newGenerator(1, true).value(h.Schema.Value, name, 0)), true
	}
	return "", false
}

// errorSchema is the family's error schema, named by the `x-error-schema` extension of the
// operation's first tag that has one.
func (b *builder) errorSchema(op *openapi3.Operation) *openapi3.Schema {
	for _, tagName := range op.Tags {
		tag := b.api.Tags.Get(tagName)
		if tag == nil {
			continue
		}
		name, ok := tag.Extensions["x-error-schema"].(string)
		if !ok || b.api.Components == nil {
			continue
		}
		if ref := b.api.Components.Schemas[name]; ref != nil && ref.Value != nil {
			return ref.Value
		}
	}
	return nil
}

// requirement is one alternative of an operation's security: every credential must be sent.
type requirement []credential

// credential is where a security scheme expects its credential and in which form.
type credential struct {
	scheme string
	in     string // header, query or cookie
	name   string
	prefix string // "Token", "Bearer", "Basic"; empty accepts any non-empty value
}

// tokenPrefix finds the scheme word in descriptions such as "sent as `Authorization: Token <key>`".
var tokenPrefix = regexp.MustCompile(`(?i)authorization:\s*([A-Za-z][A-Za-z0-9_-]*)\s+<`)

// prefixExtension on an apiKey security scheme names the word its header value starts with.
const prefixExtension = "x-mock-prefix"

func (b *builder) security(op *openapi3.Operation) []requirement {
	reqs := b.api.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	var out []requirement
	for _, req := range reqs {
		if len(req) == 0 {
			return nil // an empty requirement makes the operation open
		}
		var all requirement
		for _, name := range sortedKeys(req) {
			if b.api.Components == nil || b.api.Components.SecuritySchemes[name] == nil {
				continue
			}
			all = append(all, schemeCredential(name, b.api.Components.SecuritySchemes[name].Value))
		}
		out = append(out, all)
	}
	return out
}

func schemeCredential(name string, s *openapi3.SecurityScheme) credential {
	c := credential{scheme: name, in: openapi3.ParameterInHeader, name: "Authorization"}
	switch s.Type {
	case "apiKey":
		c.in, c.name = s.In, s.Name
		if p, ok := s.Extensions[prefixExtension].(string); ok {
			c.prefix = p
		} else if c.in == openapi3.ParameterInHeader && strings.EqualFold(c.name, "Authorization") {
			if m := tokenPrefix.FindStringSubmatch(s.Description); m != nil {
				c.prefix = m[1]
			}
		}
		if c.in == openapi3.ParameterInHeader {
			c.name = http.CanonicalHeaderKey(c.name)
		}
	case "http":
		c.prefix = strings.ToUpper(s.Scheme[:1]) + strings.ToLower(s.Scheme[1:])
	default: // oauth2, openIdConnect
		c.prefix = "Bearer"
	}
	return c
}

func cookieSchemes(api *openapi3.T) []string {
	if api.Components == nil {
		return nil
	}
	var names []string
	for _, key := range sortedKeys(api.Components.SecuritySchemes) {
		if s := api.Components.SecuritySchemes[key].Value; s != nil && s.Type == "apiKey" && s.In == openapi3.ParameterInCookie {
			names = append(names, s.Name)
		}
	}
	return names
}

func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}

func pathVariables(template string) []string {
	var names []string
	for _, seg := range splitPath(template) {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"))
		}
	}
	return names
}
