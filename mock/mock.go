// Package mock serves a mock of an OpenAPI contract, driven by the spec alone: it routes with
// kin-openapi's router, answers with the documented examples (serialized once, at load time),
// picks responses from `Prefer` headers, finds path-aware examples by id, generates schema-valid
// data on request, validates requests and answers problems in the API family's error dialect,
// checks the form of credentials, speaks CORS, records a request journal and reloads a spec file
// when it changes.
package mock

import (
	"fmt"
	"github.com/galeno-health/galeno/internal/contract"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Options configure a mock server. The zero value serves the embedded contract, validating
// requests, with CORS on and no log.
type Options struct {
	SpecFile             string        // a spec file to serve and watch; empty serves the embedded contract
	NoValidate           bool          // skip request validation and security checks
	NoCORS               bool          // send no CORS headers and leave preflights unanswered
	AllowInvalidExamples bool          // start even when examples do not match their schemas
	Delay                time.Duration // added before every answer (Prefer: delay overrides it)
	Seed                 *uint64       // default seed of dynamic bodies; nil varies them per request
	JournalSize          int           // requests kept for GET /__mock/requests (default 1000)
	Log                  io.Writer     // start-up, reload and request messages; nil for none
	Quiet                bool          // leave the per-request lines out of Log
	PollInterval         time.Duration // how often SpecFile is checked for changes (default 300ms)
	Upstream             *url.URL      // proxy mode: forward requests there and check its answers (see proxy.go)
	UpstreamErrors       bool          // proxy mode: answer 502 in the family's dialect when the upstream breaks the contract
	Fallback             bool          // proxy mode: serve the mock's answer when the upstream lacks the operation
}

// Server is the mock: an http.Handler whose spec can be swapped while it serves.
type Server struct {
	opts    Options
	spec    atomic.Pointer[compiled]
	journal *journal
	log     *logger
	unseed  atomic.Uint64

	reloading sync.Mutex // guards stamp and serializes reloads
	stamp     fileStamp
	failed    atomic.Pointer[reloadFailure] // the last reload's failure; nil once one succeeds
}

// InvalidExamplesError lists the examples that do not validate against their schemas.
type InvalidExamplesError struct {
	Source     string
	Violations []string
}

func (e *InvalidExamplesError) Error() string {
	return fmt.Sprintf("%d invalid examples in %s (start with --allow-invalid-examples to serve them anyway):\n  %s",
		len(e.Violations), e.Source, strings.Join(e.Violations, "\n  "))
}

// New loads and compiles the spec. It fails when the spec is unusable, or when an example
// violates its schema unless AllowInvalidExamples is set.
func New(opts Options) (*Server, error) {
	if opts.JournalSize <= 0 {
		opts.JournalSize = 1000
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 300 * time.Millisecond
	}
	s := &Server{opts: opts, journal: newJournal(opts.JournalSize), log: newLogger(opts.Log)}
	s.unseed.Store(uint64(time.Now().UnixNano()))
	c, err := s.load()
	if err != nil {
		return nil, err
	}
	s.spec.Store(c)
	return s, nil
}

func (s *Server) load() (*compiled, error) {
	var (
		doc *document
		err error
	)
	if s.opts.SpecFile == "" {
		doc, err = loadEmbedded()
	} else {
		s.stamp = stampOf(s.opts.SpecFile)
		doc, err = loadFile(s.opts.SpecFile)
	}
	if err != nil {
		return nil, err
	}
	c, violations, err := compile(doc)
	if err != nil {
		return nil, err
	}
	c.loadedAt = time.Now()
	if len(violations) > 0 {
		invalid := &InvalidExamplesError{Source: doc.source, Violations: violations}
		if !s.opts.AllowInvalidExamples {
			return nil, invalid
		}
		s.log.message("galeno mock: serving anyway: " + invalid.Error())
	}
	return c, nil
}

// Describe says what is being served, for the start-up line.
func (s *Server) Describe() string {
	c := s.spec.Load()
	return fmt.Sprintf("%s (%d operations)", c.doc.source, len(c.list))
}

// SpecFile returns the spec file being served as last loaded, as written (YAML or JSON) and as
// JSON; ok is false when the mock serves the embedded contract.
func (s *Server) SpecFile() (text, asJSON []byte, ok bool) {
	doc := s.spec.Load().doc
	return doc.text, doc.json, doc.text != nil
}

// Close flushes the request log.
func (s *Server) Close() {
	s.log.flush()
}

// controlPrefix is where the mock's own endpoints live, out of the way of any API path.
const controlPrefix = "/__mock/"

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := s.spec.Load()
	if f := s.failed.Load(); f != nil {
		w.Header()[specErrorHeader] = f.header
	}
	if !s.opts.NoCORS && s.cors(w, r, c) {
		s.record(r, reply{status: http.StatusNoContent, name: "preflight"}, start)
		return
	}
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.control(w, r)
		return
	}
	if s.opts.Upstream != nil {
		s.proxy(w, r, c, start)
		return
	}
	var sent *capture
	if r.Body != nil && r.Body != http.NoBody {
		sent = &capture{body: r.Body}
		r.Body = sent
	}
	rep := s.answer(w, r, c)
	rep.sent = sent
	if d := s.delay(rep); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	write(w, &rep)
	s.record(r, rep, start)
}

// escapedPath is r as the router should match it: on the escaped path when it differs from the
// decoded one, so that an escaped slash (`%2F`) stays inside its path parameter, as galeno serve's
// router keeps it, rather than splitting the path. Other requests are r itself.
func escapedPath(r *http.Request) *http.Request {
	if r.URL.RawPath == "" {
		return r
	}
	u := *r.URL
	u.Path, u.RawPath = r.URL.RawPath, ""
	escaped := *r
	escaped.URL = &u
	return &escaped
}

// reply is a decided answer: everything in it points at data prepared at load time, except
// generated and error bodies.
type reply struct {
	status   int
	op       *operation
	media    *media
	example  *example
	body     []byte // a generated or error body, when there is no example
	headers  []headerLine
	name     string // what was served, for the journal: an example name, "dynamic", "error"
	allow    string
	problems []problem
	prefs    prefs

	violations []problem // proxy mode: how the upstream's answer breaks the contract
	sent       *capture  // the request body, for the journal
}

func (s *Server) delay(rep reply) time.Duration {
	if rep.prefs.delayed {
		return rep.prefs.delay
	}
	return s.opts.Delay
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, c *compiled) reply {
	p, badPrefs := parsePrefs(r)
	route, pathParams, err := c.router.FindRoute(escapedPath(r))
	if err != nil && r.Method == http.MethodHead {
		get := *escapedPath(r)
		get.Method = http.MethodGet
		route, pathParams, err = c.router.FindRoute(&get)
	}
	if err != nil {
		rep := c.routeFailure(r)
		rep.prefs = p
		return rep
	}
	op := c.operations[route.Operation]
	if badPrefs != nil {
		return op.fail(failure{status: http.StatusBadRequest, kind: kindPreference, title: "Invalid mock preference", detail: badPrefs.Error()}, p)
	}
	if !s.opts.NoValidate {
		if !authorized(r, op.security) {
			return op.unauthorized(r, p)
		}
		problems, tooLarge := op.validate(w, r, pathParams)
		if tooLarge {
			return op.bodyTooLarge(r, p)
		}
		if len(problems) > 0 {
			status := contract.Status(problems)
			schema := op.errors
			if op.invalid != nil && status == http.StatusBadRequest {
				status = op.invalid.status
				if len(op.invalid.media) > 0 && op.invalid.media[0].schema != nil {
					schema = op.invalid.media[0].schema
				}
			}
			title := "Invalid input"
			if status == http.StatusUnsupportedMediaType {
				title = http.StatusText(status) // as galeno serve titles it
			}
			return errorReply(op, schema, failure{status: status, kind: kindInvalid, title: title, problems: problems}, p)
		}
	}
	rep := s.choose(op, r, pathParams, p)
	rep.prefs = p
	return rep
}

// choose picks the response and example, in this order: an explicit Prefer code and/or example;
// an example pinned with x-mock-match to the request's parameter values; the example whose id
// is the path's last parameter (or the 404 when none is); the lowest 2xx and its first example.
func (s *Server) choose(op *operation, r *http.Request, pathParams map[string]string, p prefs) reply {
	var (
		resp   *response
		m      *media
		ex     *example
		status int
		byPath bool // ex is the object the path's id names
	)
	accept := r.Header.Get("Accept")
	switch {
	case p.code != 0:
		resp = op.response(p.code)
		if resp == nil {
			return op.fail(failure{status: http.StatusBadRequest, kind: kindPreference, title: "Unknown response code",
				detail: fmt.Sprintf("Prefer code=%d is not declared for %s %s; declared: %s.", p.code, op.method, op.template, op.codes())}, p)
		}
		status = p.code
	case p.example != "":
		resp, m, ex = op.exampleNamed(p.example)
		if ex == nil {
			return op.fail(failure{status: http.StatusBadRequest, kind: kindPreference, title: "Unknown example",
				detail: fmt.Sprintf("Prefer example=%s is not documented for %s %s; documented: %s.", p.example, op.method, op.template, op.exampleNames(nil))}, p)
		}
	case !p.dynamic:
		if len(op.pins) > 0 {
			lookup := paramLookup(r, pathParams)
			for _, pin := range op.pins {
				if pin.matches(lookup) {
					resp, m, ex = pin.response, pin.media, pin.example
					break
				}
			}
		}
		if ex == nil && op.byID != nil {
			if found := op.byID[pathParams[op.idParam]]; found != nil {
				resp, m, ex, byPath = op.primary, op.primary.media[0], found, true
			} else if op.missing != nil {
				resp = op.missing
			}
		}
	}
	if resp == nil {
		resp = op.primary
	}
	if resp == nil {
		return op.fail(failure{status: http.StatusNotImplemented, kind: kindPreference, title: "No response",
			detail: fmt.Sprintf("%s %s declares no response.", op.method, op.template)}, p)
	}
	if status == 0 {
		status = resp.status
	}
	rep := reply{status: status, op: op}
	if m == nil && len(resp.media) > 0 {
		if m = negotiate(resp.media, accept); m == nil {
			return op.notAcceptable(resp, accept, p)
		}
	} else if m != nil && !accepts(accept, m.contentType) {
		return op.notAcceptable(resp, accept, p)
	}
	rep.media = m
	rep.headers = resp.headers
	if m == nil {
		rep.name = "empty"
		return rep
	}
	switch {
	case p.dynamic && m.schema != nil:
		seed := s.seedFor(p)
		h := fnv.New64a()
		io.WriteString(h, op.id+" "+resp.code)
		rep.body = marshalJSON(newGenerator(seed^h.Sum64(), false).value(m.schema, "", 0))
		rep.name = "dynamic"
		return rep
	case ex != nil:
	case p.example != "":
		if ex = m.example(p.example); ex == nil {
			return op.fail(failure{status: http.StatusBadRequest, kind: kindPreference, title: "Unknown example",
				detail: fmt.Sprintf("Prefer example=%s is not documented for response %s of %s %s; documented: %s.", p.example, resp.code, op.method, op.template, op.exampleNames(resp))}, p)
		}
	case resp == op.primary && op.byID != nil && m == op.primary.media[0]:
		if ex = op.byID[pathParams[op.idParam]]; ex == nil {
			ex = m.first
		}
	default:
		ex = m.first
	}
	rep.example = ex
	if ex != nil {
		rep.name = ex.name
		if ex.links != nil {
			rep.example, rep.body = nil, ex.linked(r)
		}
	}
	if byPath && op.applies && !s.opts.NoValidate {
		if body := op.applied(r, ex, m.schema); body != nil {
			rep.example, rep.body = nil, body
		}
	}
	return rep
}

func (s *Server) seedFor(p prefs) uint64 {
	switch {
	case p.seeded:
		return p.seed
	case s.opts.Seed != nil:
		return *s.opts.Seed
	}
	return s.unseed.Add(0x9e3779b97f4a7c15)
}

// response finds the declared response for a status: exact, then its range (4XX), then default.
func (op *operation) response(status int) *response {
	for _, r := range op.responses {
		if r.code == strconv.Itoa(status) {
			return r
		}
	}
	for _, r := range op.responses {
		if len(r.code) == 3 && strings.EqualFold(r.code[1:], "XX") && int(r.code[0]-'0') == status/100 {
			return r
		}
	}
	for _, r := range op.responses {
		if r.code == "default" {
			return r
		}
	}
	return nil
}

func (op *operation) codes() string {
	codes := make([]string, len(op.responses))
	for i, r := range op.responses {
		codes[i] = r.code
	}
	return strings.Join(codes, ", ")
}

// exampleNamed looks for an example by name in every response, lowest status first.
func (op *operation) exampleNamed(name string) (*response, *media, *example) {
	for _, r := range op.responses {
		for _, m := range r.media {
			if ex := m.example(name); ex != nil {
				return r, m, ex
			}
		}
	}
	return nil, nil, nil
}

// exampleNames lists the documented examples as "code name", of one response or of all.
func (op *operation) exampleNames(only *response) string {
	var names []string
	for _, r := range op.responses {
		if only != nil && r != only {
			continue
		}
		for _, m := range r.media {
			for _, ex := range m.examples {
				names = append(names, r.code+" "+ex.name)
			}
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(slices.Compact(names), ", ")
}

func (m *media) example(name string) *example {
	for _, ex := range m.examples {
		if ex.name == name {
			return ex
		}
	}
	return nil
}

// paramLookup finds a request parameter by name for x-mock-match: path, query, header, cookie.
func paramLookup(r *http.Request, pathParams map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if v, ok := pathParams[name]; ok {
			return v, true
		}
		if v, ok := r.URL.Query()[name]; ok && len(v) > 0 {
			return v[0], true
		}
		if v := r.Header.Get(name); v != "" {
			return v, true
		}
		if cookie, err := r.Cookie(name); err == nil {
			return cookie.Value, true
		}
		return "", false
	}
}

// unauthorized answers a request without the operation's credential with its documented 401.
func (op *operation) unauthorized(r *http.Request, p prefs) reply {
	missing := credentialProblem(op.security)
	if rep, ok := op.documented(op.denied, r, p); ok {
		rep.problems = []problem{missing}
		return rep
	}
	rep := op.fail(failure{status: http.StatusUnauthorized, kind: kindUnauthorized, title: "Authentication required",
		detail: "Authentication required: " + missing.Reason + "."}, p)
	rep.problems = []problem{missing}
	return rep
}

func (op *operation) bodyTooLarge(r *http.Request, p prefs) reply {
	tooLarge := problem{Field: "body", Reason: fmt.Sprintf("is larger than %d bytes", maxBody)}
	if rep, ok := op.documented(op.tooLarge, r, p); ok {
		rep.problems = []problem{tooLarge}
		return rep
	}
	return errorReply(op, op.errors, failure{status: http.StatusRequestEntityTooLarge, kind: kindTooLarge,
		title: "Request body too large", problems: []problem{tooLarge}}, p)
}

// documented answers with a declared error response's first example, when it has one.
func (op *operation) documented(resp *response, r *http.Request, p prefs) (reply, bool) {
	if resp == nil || len(resp.media) == 0 {
		return reply{}, false
	}
	m := negotiate(resp.media, r.Header.Get("Accept"))
	if m == nil {
		m = resp.media[0]
	}
	if m.first == nil {
		return reply{}, false
	}
	return reply{status: resp.status, op: op, media: m, example: m.first, name: m.first.name, headers: resp.headers, prefs: p}, true
}

func (op *operation) notAcceptable(resp *response, accept string, p prefs) reply {
	types := make([]string, len(resp.media))
	for i, m := range resp.media {
		types[i] = m.contentType
	}
	return op.fail(failure{status: http.StatusNotAcceptable, kind: kindNotAcceptable, title: "Not acceptable",
		detail: fmt.Sprintf("%s %s answers %s; the request accepts only %s.", op.method, op.template, strings.Join(types, ", "), accept)}, p)
}

func (op *operation) fail(f failure, p prefs) reply {
	return errorReply(op, op.errors, f, p)
}

// errorReply answers f in the shape of schema; the problems also go to the journal and the log.
func errorReply(op *operation, schema *openapi3.Schema, f failure, p prefs) reply {
	problems := f.problems
	if len(problems) == 0 && f.kind == kindPreference {
		problems = []problem{{Field: "Prefer", Reason: f.detail}}
	}
	return reply{status: f.status, op: op, body: errorBody(schema, f), name: "error", problems: problems, prefs: p}
}

// routeFailure answers a request no operation matches: 405 with Allow when the path exists,
// else 404, in the error dialect of the family whose paths it resembles most.
func (c *compiled) routeFailure(r *http.Request) reply {
	if node, _ := c.paths.Match(r.URL.Path); node != nil {
		entry := node.Value.(*pathEntry)
		f := failure{status: http.StatusMethodNotAllowed, kind: kindMethodNotAllowed, title: "Method not allowed",
			detail: fmt.Sprintf("%s is not allowed on %s; allowed: %s.", r.Method, entry.template, entry.allow)}
		return reply{status: f.status, body: errorBody(entry.errors, f), name: "error", allow: entry.allow}
	}
	f := failure{status: http.StatusNotFound, kind: kindNotFound, title: "Not found",
		detail: fmt.Sprintf("No operation matches %s %s.", r.Method, r.URL.Path)}
	return reply{status: f.status, body: errorBody(c.familyOf(r.URL.Path), f), name: "error"}
}

// familyOf picks the error schema of the paths sharing the most leading segments with path;
// nil (the generic shape) when no path shares any and the spec has several families.
func (c *compiled) familyOf(path string) *openapi3.Schema {
	segments := splitPath(path)
	var best *pathEntry
	bestScore := 0
	families := map[*openapi3.Schema]bool{}
	for _, e := range c.entries {
		families[e.errors] = true
		score := 0
		for i, seg := range e.segments {
			if i >= len(segments) || (seg != segments[i] && !strings.HasPrefix(seg, "{")) {
				break
			}
			score++
		}
		if score > bestScore {
			best, bestScore = e, score
		}
	}
	switch {
	case best != nil:
		return best.errors
	case len(families) == 1 && len(c.entries) > 0:
		return c.entries[0].errors
	}
	return nil
}
