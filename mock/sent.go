package mock

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxJournalBody is how much of a request body the journal keeps.
const maxJournalBody = 64 << 10

// masked replaces a credential in the journal.
const masked = "****"

// capture keeps the first maxJournalBody bytes of a request body as the mock reads it, so the
// journal can show what a client sent. Only requests with a body get one.
type capture struct {
	body      io.ReadCloser
	kept      []byte
	truncated bool
}

func (c *capture) Read(p []byte) (int, error) {
	n, err := c.body.Read(p)
	if room := maxJournalBody - len(c.kept); n > room {
		c.kept, c.truncated = append(c.kept, p[:room]...), true
	} else {
		c.kept = append(c.kept, p[:n]...)
	}
	return n, err
}

func (c *capture) Close() error { return c.body.Close() }

// finish reads, up to the cap, what answering left unread (an operation without a body, or
// --no-validate), and returns the body as the journal shows it: secrets masked.
func (c *capture) finish(contentType string) (body []byte, truncated bool) {
	if !c.truncated {
		_, _ = io.Copy(io.Discard, io.LimitReader(c, int64(maxJournalBody-len(c.kept)+1)))
	}
	return maskBody(c.kept, contentType), c.truncated
}

// secretField tells whether a header, JSON or form field carries a credential by its name.
func secretField(name string) bool {
	n := strings.ToLower(name)
	for _, word := range []string{"authorization", "cookie", "password", "secret", "token", "apikey", "api-key", "api_key", "session"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return n == "pin" || strings.HasSuffix(n, "-key") || strings.HasSuffix(n, "_key")
}

// maskHeaders flattens a request's headers into name, value pairs with credentials masked: an
// Authorization keeps its scheme word (`Token ****`), a Cookie its names (`sessionid=****`).
func maskHeaders(h http.Header) []string {
	pairs := make([]string, 0, 2*len(h))
	for name, values := range h {
		for _, v := range values {
			if secretField(name) {
				v = maskCredential(name, v)
			}
			pairs = append(pairs, name, v)
		}
	}
	return pairs
}

func maskCredential(name, value string) string {
	switch strings.ToLower(name) {
	case "cookie":
		var parts []string
		for part := range strings.SplitSeq(value, ";") {
			if cookie, _, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
				parts = append(parts, cookie+"="+masked)
			}
		}
		return strings.Join(parts, "; ")
	case "authorization", "proxy-authorization":
		if scheme, _, ok := strings.Cut(value, " "); ok {
			return scheme + " " + masked
		}
	}
	return masked
}

// maskBody masks the secret fields (password, token…) of a JSON or form body; other bodies are
// kept as sent. A JSON or form body that does not parse (or was truncated) is left out, since a
// secret could hide in it.
func maskBody(body []byte, contentType string) []byte {
	switch {
	case isJSON(contentType):
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil
		}
		if maskJSON(v) {
			return marshalJSON(v)
		}
	case strings.HasPrefix(contentType, "application/x-www-form-urlencoded"):
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil
		}
		secret := false
		for name := range form {
			if secretField(name) {
				form[name], secret = []string{masked}, true
			}
		}
		if secret {
			return []byte(form.Encode())
		}
	}
	return body
}

// maskJSON masks secret fields at any depth and tells whether it masked any.
func maskJSON(v any) bool {
	found := false
	switch x := v.(type) {
	case map[string]any:
		for key, inner := range x {
			if secretField(key) {
				x[key], found = masked, true
			} else if maskJSON(inner) {
				found = true
			}
		}
	case []any:
		for _, inner := range x {
			if maskJSON(inner) {
				found = true
			}
		}
	}
	return found
}
