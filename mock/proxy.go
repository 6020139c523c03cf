package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/internal/contract"
)

// Headers of proxy mode's answers.
const (
	HeaderViolations = "Galeno-Contract-Violations" // `<count>; <first problem>` when the upstream breaks the contract
	HeaderFallback   = "Galeno-Mock-Fallback"       // `true` when the mock answered for an unimplemented operation
)

// maxChecked is the largest JSON body of the upstream that is checked against its schema: a larger
// one is relayed as it streams, unchecked, rather than held in memory.
const maxChecked = 16 << 20

// errFallback tells the proxy's error handler to serve the mock's own answer.
var errFallback = errors.New("mock: the upstream does not implement the operation")

// quietProxyLog drops ReverseProxy's own messages: failures are journaled and logged per request.
var quietProxyLog = log.New(io.Discard, "", 0)

// proxy forwards r to the upstream and relays its answer, checked against the contract. The
// mock's own answer is computed first, on a copy of the request: a refusal (an invalid request, a
// missing credential) is served as the mock serves it, without forwarding; any other answer is
// what --fallback serves when the upstream does not implement the operation.
func (s *Server) proxy(w http.ResponseWriter, r *http.Request, c *compiled, start time.Time) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		rep := reply{status: http.StatusBadRequest, body: errorBody(c.familyOf(r.URL.Path), failure{status: http.StatusBadRequest,
			kind: kindInvalid, title: "Unreadable request body", detail: "The request body could not be read: " + err.Error()}), name: "error"}
		write(w, &rep)
		s.record(r, rep, start)
		return
	}
	held := &heldHeaders{header: http.Header{}}
	copied := *r
	copied.Body = io.NopCloser(bytes.NewReader(body))
	own := s.answer(held, &copied, c)
	if own.op != nil && (own.name == "error" || len(own.problems) > 0) {
		mergeHeaders(w.Header(), held.header)
		write(w, &own)
		s.record(r, own, start)
		return
	}

	if h := w.Header(); h.Get("Access-Control-Allow-Origin") != "" {
		// A browser's script may read what the proxy adds.
		exposed := []string{HeaderViolations, HeaderFallback}
		if c.expose != "" {
			exposed = append([]string{c.expose}, exposed...)
		}
		h.Set("Access-Control-Expose-Headers", strings.Join(exposed, ", "))
	}
	forwarded := *r
	if len(body) <= maxBody {
		forwarded.Body, forwarded.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	} else {
		forwarded.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	}
	rep := reply{op: own.op, name: "upstream"}
	var errorSchema *openapi3.Schema
	if own.op != nil {
		errorSchema = own.op.errors
	} else {
		errorSchema = c.familyOf(r.URL.Path)
		rep.violations = []problem{{Field: "request", Reason: fmt.Sprintf("No operation of the contract matches %s %s.", r.Method, r.URL.Path)}}
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(s.opts.Upstream)
			pr.SetXForwarded()
			// The transport then asks for gzip itself and decodes it, so that the body checked is
			// the body relayed, whatever encoding the client accepts.
			pr.Out.Header.Del("Accept-Encoding")
		},
		ErrorLog: quietProxyLog,
		ModifyResponse: func(resp *http.Response) error {
			rep.status = resp.StatusCode
			if w.Header().Get("Access-Control-Allow-Origin") != "" {
				dropCORS(resp.Header) // the mock's CORS headers, for the browser's origin, stand
			}
			if own.op != nil {
				checked, err := own.op.check(r.Method, resp)
				if err != nil {
					return err
				}
				rep.violations = checked
				if s.opts.Fallback && unimplemented(resp.StatusCode, checked) {
					return errFallback
				}
			}
			if len(rep.violations) == 0 {
				return nil
			}
			if s.opts.UpstreamErrors {
				replaced := errorBody(errorSchema, failure{status: http.StatusBadGateway, kind: kindUpstream,
					title: "The upstream's answer violates the contract", problems: rep.violations})
				resp.Body.Close()
				resp.StatusCode, resp.Status = http.StatusBadGateway, http.StatusText(http.StatusBadGateway)
				resp.Header = http.Header{"Content-Type": jsonContentType}
				resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(replaced)), int64(len(replaced))
				resp.Header.Set("Content-Length", strconv.Itoa(len(replaced)))
				rep.status = http.StatusBadGateway
			}
			resp.Header.Set(HeaderViolations, violationSummary(rep.violations))
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			if errors.Is(err, errFallback) {
				upstream := rep.status
				rep = own
				rep.name = fmt.Sprintf("fallback (upstream answered %d)", upstream)
				mergeHeaders(w.Header(), held.header)
				w.Header().Set(HeaderFallback, "true")
				write(w, &rep)
				return
			}
			// Not a violation of the contract: the answer is missing, so it is the request's problem.
			rep = reply{op: own.op, status: http.StatusBadGateway, name: "error", problems: []problem{{Field: "upstream", Reason: err.Error()}}}
			rep.body = errorBody(errorSchema, failure{status: http.StatusBadGateway, kind: kindUpstream,
				title: "The upstream did not answer", problems: rep.problems})
			write(w, &rep)
		},
	}
	rp.ServeHTTP(w, &forwarded)
	s.record(r, rep, start)
}

// check reads the upstream's answer to op (a JSON body up to maxChecked, which it puts back) and
// says how it breaks the contract: an undocumented status, an undocumented content type, a body
// its schema refuses.
func (op *operation) check(method string, resp *http.Response) ([]problem, error) {
	documented := op.response(resp.StatusCode)
	if documented == nil {
		return []problem{{Field: "status", Reason: fmt.Sprintf("%d is not documented for %s %s; documented: %s.",
			resp.StatusCode, op.method, op.template, op.codes())}}, nil
	}
	contentType := resp.Header.Get("Content-Type")
	bodiless := method == http.MethodHead || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified
	if len(documented.media) == 0 {
		if contentType != "" && !bodiless && resp.ContentLength != 0 {
			return []problem{{Field: "body", Reason: fmt.Sprintf("Status %d is documented without a body; the upstream sent %s.", resp.StatusCode, contentType)}}, nil
		}
		return nil, nil
	}
	m := mediaOf(documented.media, contentType)
	if m == nil {
		types := make([]string, len(documented.media))
		for i, dm := range documented.media {
			types[i] = dm.contentType
		}
		return []problem{{Field: "Content-Type", Reason: fmt.Sprintf("%q is not documented for status %d; documented: %s.",
			contentType, resp.StatusCode, strings.Join(types, ", "))}}, nil
	}
	if bodiless || m.schema == nil || !isJSON(m.contentType) {
		return nil, nil
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxChecked+1))
	if err != nil {
		return nil, fmt.Errorf("mock: read the upstream's answer: %w", err)
	}
	if len(raw) > maxChecked {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(raw), resp.Body), resp.Body}
		return nil, nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	var value any
	if err := json.Unmarshal(raw, &value); err != nil {
		return []problem{{Field: "body", Reason: "Is not JSON: " + err.Error() + "."}}, nil
	}
	err = m.schema.VisitJSON(value, append(contract.SchemaOptions(), openapi3.VisitAsResponse(), openapi3.MultiErrors())...)
	if err == nil {
		return nil, nil
	}
	if problems := contract.ExplainSchema(err); len(problems) > 0 {
		return problems, nil
	}
	return []problem{{Field: "body", Reason: err.Error()}}, nil
}

// mediaOf finds the documented media type of a Content-Type header, parameters aside.
func mediaOf(options []*media, contentType string) *media {
	got, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil
	}
	for _, m := range options {
		want, _, err := mime.ParseMediaType(m.contentType)
		if err != nil {
			continue
		}
		typ, _, _ := strings.Cut(want, "/")
		if want == got || want == "*/*" || want == typ+"/*" && strings.HasPrefix(got, typ+"/") {
			return m
		}
	}
	return nil
}

// unimplemented tells an upstream that lacks the operation: a 501, or a 404 that is not one the
// contract documents for it (an undocumented status, content type or body, as an unknown route
// answers).
func unimplemented(status int, violations []problem) bool {
	return status == http.StatusNotImplemented || status == http.StatusNotFound && len(violations) > 0
}

// violationSummary is the Galeno-Contract-Violations value: the count and the first problem, on
// one line.
func violationSummary(violations []problem) string {
	first := strings.Join(strings.Fields(violations[0].String()), " ")
	return fmt.Sprintf("%d; %s", len(violations), first)
}

// dropCORS removes the upstream's CORS headers.
func dropCORS(h http.Header) {
	for name := range h {
		if strings.HasPrefix(name, "Access-Control-") {
			delete(h, name)
		}
	}
}

func mergeHeaders(dst, src http.Header) {
	for name, values := range src {
		dst[name] = values
	}
}

// heldHeaders is the response writer of the mock's own answer in proxy mode: it keeps the headers
// that validation sets (Galeno-Ignored-Fields) until the answer is known to be the mock's.
type heldHeaders struct{ header http.Header }

func (h *heldHeaders) Header() http.Header         { return h.header }
func (h *heldHeaders) Write(p []byte) (int, error) { return len(p), nil }
func (h *heldHeaders) WriteHeader(int)             {}
