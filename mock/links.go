package mock

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/internal/contract"
)

// linkFields are the page links of a list answer.
var linkFields = []string{"next", "previous"}

// pageLinks makes an example's page links agree with its page and point at the mock: a link
// past the last item (its offset at least the page's count) becomes null, and the others are
// kept as a path and query, to be served under the mock's own address (see linked). Examples
// without absolute links are left alone, and cost nothing per request.
func pageLinks(ex *example, schema *openapi3.Schema) {
	obj, ok := ex.value.(map[string]any)
	if !ok || schema == nil {
		return
	}
	count, counted := obj["count"].(float64)
	nulls := map[string]any{}
	links := map[string]string{}
	for _, field := range linkFields {
		link, ok := obj[field].(string)
		if !ok {
			continue
		}
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		if offset, err := strconv.Atoi(u.Query().Get("offset")); counted && err == nil && float64(offset) >= count {
			nulls[field] = nil
			continue
		}
		links[field] = u.RequestURI()
	}
	if len(nulls) > 0 {
		body, err := setFields(ex.body, "", nulls)
		if err != nil {
			return
		}
		value, err := normalizedJSON(body)
		opts := append([]openapi3.SchemaValidationOption{openapi3.VisitAsResponse()}, contract.SchemaOptions()...)
		if err != nil || schema.VisitJSON(value, opts...) != nil {
			return // the schema does not let the link be null: keep the example as documented
		}
		ex.body, ex.value, ex.length = body, value, []string{strconv.Itoa(len(body))}
	}
	if len(links) > 0 {
		ex.links = links
	}
}

// linked returns the example's body with its links under the address the request reached the
// mock at; the body as it is when that address is not a plain host[:port].
func (ex *example) linked(r *http.Request) []byte {
	if !plainHost(r.Host) {
		return ex.body
	}
	origin := "http://" + r.Host
	if r.TLS != nil {
		origin = "https://" + r.Host
	}
	fields := make(map[string]any, len(ex.links))
	for field, target := range ex.links {
		fields[field] = origin + target
	}
	body, err := setFields(ex.body, "", fields)
	if err != nil {
		return ex.body
	}
	return body
}

// plainHost tells whether a Host header is a host name or IP literal with an optional port,
// nothing that could smuggle a path or another URL into a link.
func plainHost(host string) bool {
	if host == "" || len(host) > 261 {
		return false
	}
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}
