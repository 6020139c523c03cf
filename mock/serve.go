package mock

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Serve answers HTTP/1.1 on ln with h until ctx is done, then stops accepting and waits for
// requests in flight. It runs h on fasthttp rather than net/http: on this path net/http costs
// more than the mock itself (a goroutine per request to watch the connection, fresh header
// maps), and the mock exists to be fast. h sees ordinary *http.Request values that own their
// memory, so the journal may keep what it likes of them.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	// Requests carry ctx, so that a delayed answer ends when the server stops.
	blank := (&http.Request{}).WithContext(ctx)
	exchanges := sync.Pool{New: func() any {
		return &exchange{r: &http.Request{Header: make(http.Header, 8)}, w: responseWriter{header: make(http.Header, 4)}}
	}}
	srv := &fasthttp.Server{
		Handler: func(fc *fasthttp.RequestCtx) {
			x := exchanges.Get().(*exchange)
			defer exchanges.Put(x)
			if err := x.load(fc, blank); err != nil {
				fc.Error("Malformed request target", http.StatusBadRequest)
				return
			}
			h.ServeHTTP(&x.w, x.r)
			x.w.finish()
		},
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		DisablePreParseMultipartForm: true,
		ReadBufferSize:               64 << 10, // the most header bytes: browsers send every cookie set on localhost, whatever the port
		ReadTimeout:                  time.Minute,
		IdleTimeout:                  2 * time.Minute,
		MaxRequestBodySize:           maxBody,
		StreamRequestBody:            true, // bodies over the limit still reach the mock, which answers the operation's 413
		CloseOnShutdown:              true,
		Logger:                       quietLogger{},
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.ShutdownWithContext(shutdown)
}

type quietLogger struct{}

// Printf drops fasthttp's connection-level messages; requests are logged by the mock.
func (quietLogger) Printf(string, ...any) {}

// exchange is one request and its answer; exchanges are reused, with their header maps.
type exchange struct {
	r *http.Request
	w responseWriter
}

// load copies fc's request into x.r, starting from blank, so that what the handler keeps (the
// journal keeps paths) does not point into fasthttp's reused buffers; the body is read from the
// connection as the handler reads it. It readies x.w to answer.
func (x *exchange) load(fc *fasthttp.RequestCtx, blank *http.Request) error {
	uri := string(fc.RequestURI())
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return err
	}
	header := x.r.Header
	clear(header)
	r := x.r
	*r = *blank
	r.Method = method(fc.Method())
	r.URL = u
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	if !fc.Request.Header.IsHTTP11() {
		r.Proto, r.ProtoMinor = "HTTP/1.0", 0
	}
	r.Header = header
	r.Host = string(fc.Host())
	r.RemoteAddr = fc.RemoteAddr().String()
	r.RequestURI = uri
	r.Body = http.NoBody
	for k, v := range fc.Request.Header.All() {
		if string(k) == "Host" {
			continue // in r.Host, as net/http does
		}
		name := headerName(k)
		header[name] = append(header[name], string(v))
	}
	if body := fc.RequestBodyStream(); body != nil {
		r.Body = io.NopCloser(body)
		r.ContentLength = int64(fc.Request.Header.ContentLength())
	}
	clear(x.w.header)
	x.w.fc, x.w.status = fc, 0
	return nil
}

// method returns the common methods without allocating.
func method(b []byte) string {
	for _, m := range [...]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions} {
		if string(b) == m {
			return m
		}
	}
	return string(b)
}

// knownHeaders holds the canonical names of common request headers, so that they are not
// allocated per request (fasthttp has already canonicalized the name).
var knownHeaders = map[string]string{}

func init() {
	for _, name := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
		"Connection", "Content-Length", "Content-Type", "Cookie", "Origin", "Prefer", "Referer",
		"User-Agent", "Access-Control-Request-Method", "Access-Control-Request-Headers", "X-Request-Id"} {
		knownHeaders[name] = name
	}
}

func headerName(b []byte) string {
	if name, ok := knownHeaders[string(b)]; ok {
		return name
	}
	return http.CanonicalHeaderKey(string(b))
}

// responseWriter buffers a net/http answer into fasthttp's response.
type responseWriter struct {
	fc     *fasthttp.RequestCtx
	header http.Header
	status int
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.fc.Write(p)
}

// finish moves the status and headers into fasthttp's response, which counts the body itself.
// A HEAD answer keeps the length the handler declared for the body it did not send.
func (w *responseWriter) finish() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	resp := &w.fc.Response
	resp.SetStatusCode(w.status)
	for name, values := range w.header {
		if name == "Content-Length" {
			continue
		}
		for _, v := range values {
			resp.Header.Add(name, v)
		}
	}
	if w.fc.IsHead() {
		if n, err := strconv.Atoi(w.header.Get("Content-Length")); err == nil {
			resp.Header.SetContentLength(n)
		}
	}
}
