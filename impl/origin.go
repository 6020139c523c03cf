package impl

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// WithPublicURL sets the address clients reach Galeno at (https://api.example.com, or with a path
// prefix): absolute links (next, previous) start with it, and over https session cookies are Secure.
// Without one, links name the host and scheme the request arrived with, as RequestOrigin finds them.
func WithPublicURL(public *url.URL) HTTPOption {
	return func(o *httpOptions) { o.publicURL = public }
}

// RequestOrigin returns the scheme and host a client used to reach Galeno. From a peer in
// trustedProxies they are its X-Forwarded-Proto and X-Forwarded-Host (else its Host); from anyone
// else the connection's own: https only under TLS, and the address the connection arrived on, since
// a Host header anyone can send must not steer the links Galeno writes.
func RequestOrigin(r *http.Request, trustedProxies []*net.IPNet) (scheme, host string) {
	scheme = "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if trustedPeer(r, trustedProxies) {
		if proto := strings.ToLower(lastForwarded(r.Header.Get("X-Forwarded-Proto"))); proto == "http" || proto == "https" {
			scheme = proto
		}
		host = r.Host
		if forwarded := lastForwarded(r.Header.Get("X-Forwarded-Host")); saneHost.MatchString(forwarded) {
			host = forwarded
		}
		return scheme, host
	}
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return scheme, local.String()
	}
	return scheme, r.Host
}

// saneHost is a host name or IP literal with an optional port: nothing a forwarded header could use
// to smuggle a path, credentials or a second URL into a link.
var saneHost = regexp.MustCompile(`^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)

// lastForwarded is the last value of a comma-separated forwarded header: the one the nearest proxy,
// the trusted one, wrote.
func lastForwarded(header string) string {
	return strings.TrimSpace(header[strings.LastIndex(header, ",")+1:])
}

// trustedPeer tells whether the request's TCP peer is one of trustedProxies.
func trustedPeer(r *http.Request, trustedProxies []*net.IPNet) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	for _, network := range trustedProxies {
		if ip != nil && network.Contains(ip) {
			return true
		}
	}
	return false
}

// origin decides the base of the links and whether the request came over HTTPS.
type origin struct {
	public         *url.URL
	trustedProxies []*net.IPNet
}

// of returns the absolute URL of r (scheme, host and path, no query) for links, and whether r
// really came over HTTPS (its connection, a trusted proxy's forwarded proto, or an https public URL).
func (o origin) of(r *http.Request) (link url.URL, https bool) {
	scheme, host := RequestOrigin(r, o.trustedProxies)
	if o.public == nil {
		return url.URL{Scheme: scheme, Host: host, Path: r.URL.Path}, scheme == "https"
	}
	link = url.URL{Scheme: o.public.Scheme, Host: o.public.Host, Path: strings.TrimSuffix(o.public.Path, "/") + r.URL.Path}
	return link, scheme == "https" || o.public.Scheme == "https"
}
