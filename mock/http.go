package mock

import (
	"net/http"
	"strconv"
	"strings"
)

var (
	jsonContentType = []string{"application/json"}
	trueValue       = []string{"true"}
	originValue     = []string{"Origin"}
	maxAgeValue     = []string{"86400"}
)

// allMethods answers preflights for paths the spec does not declare.
const allMethods = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"

// write sends a reply; example bodies and their headers were prepared at load time.
func write(w http.ResponseWriter, rep *reply) {
	h := w.Header()
	for _, line := range rep.headers {
		h[line.name] = line.value
	}
	if rep.allow != "" {
		h.Set("Allow", rep.allow)
	}
	switch {
	case rep.example != nil:
		h["Content-Type"] = rep.media.header
		h["Content-Length"] = rep.example.length
		w.WriteHeader(rep.status)
		_, _ = w.Write(rep.example.body)
	case rep.body != nil:
		if rep.media != nil {
			h["Content-Type"] = rep.media.header
		} else {
			h["Content-Type"] = jsonContentType
		}
		h.Set("Content-Length", strconv.Itoa(len(rep.body)))
		w.WriteHeader(rep.status)
		_, _ = w.Write(rep.body)
	default:
		w.WriteHeader(rep.status)
	}
}

// cors adds CORS headers for a browser request and answers its preflight, for any origin. The
// origin is echoed (not `*`) so that requests with cookies, like the sessionid, are allowed.
func (s *Server) cors(w http.ResponseWriter, r *http.Request, c *compiled) (answered bool) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h["Access-Control-Allow-Credentials"] = trueValue
	h["Vary"] = originValue
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		if c.expose != "" {
			h.Set("Access-Control-Expose-Headers", c.expose)
		}
		return false
	}
	methods := allMethods
	if node, _ := c.paths.Match(r.URL.Path); node != nil {
		methods = node.Value.(*pathEntry).allow + ", OPTIONS"
	}
	h.Set("Access-Control-Allow-Methods", methods)
	if headers := r.Header.Get("Access-Control-Request-Headers"); headers != "" {
		h.Set("Access-Control-Allow-Headers", headers)
	}
	h["Access-Control-Max-Age"] = maxAgeValue
	w.WriteHeader(http.StatusNoContent)
	return true
}

// control serves the mock's own endpoints: GET /__mock/requests lists the journal, DELETE
// clears it; GET /__mock/status tells what spec is served.
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case controlPrefix + "requests":
	case controlPrefix + "status":
		s.writeStatus(w, r)
		return
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Unknown mock endpoint; the journal is at /__mock/requests, the status at /__mock/status."})
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(w, http.StatusOK, map[string]any{"requests": s.journal.list()})
	case http.MethodDelete:
		s.journal.clear()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "DELETE, GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "Use GET to read the journal or DELETE to clear it."})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body := marshalJSON(v)
	w.Header()["Content-Type"] = jsonContentType
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// negotiate picks the media type the Accept header prefers, the first declared on a tie; nil
// when it accepts none of them.
func negotiate(options []*media, accept string) *media {
	if len(options) == 0 {
		return nil
	}
	if accept == "" || accept == "*/*" {
		return options[0]
	}
	var best *media
	bestQ := 0.0
	for _, m := range options {
		if q := quality(accept, m.contentType); q > bestQ {
			best, bestQ = m, q
		}
	}
	return best
}

func accepts(accept, contentType string) bool {
	return accept == "" || accept == "*/*" || quality(accept, contentType) > 0
}

// quality is the q-value the Accept header gives contentType; the most specific range wins.
func quality(accept, contentType string) float64 {
	ct, _, _ := strings.Cut(contentType, ";")
	typ, sub, _ := strings.Cut(strings.ToLower(strings.TrimSpace(ct)), "/")
	q, specificity := 0.0, -1
	for part := range strings.SplitSeq(accept, ",") {
		mediaRange, params, _ := strings.Cut(part, ";")
		rtyp, rsub, _ := strings.Cut(strings.ToLower(strings.TrimSpace(mediaRange)), "/")
		var spec int
		switch {
		case rtyp == "*" && rsub == "*":
			spec = 0
		case rtyp == typ && rsub == "*":
			spec = 1
		case rtyp == typ && rsub == sub:
			spec = 2
		default:
			continue
		}
		if spec <= specificity {
			continue
		}
		specificity, q = spec, 1
		for param := range strings.SplitSeq(params, ";") {
			if key, value, ok := strings.Cut(strings.TrimSpace(param), "="); ok && strings.TrimSpace(key) == "q" {
				if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
					q = v
				}
			}
		}
	}
	return q
}
