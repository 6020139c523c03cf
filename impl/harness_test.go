package impl_test

// The HTTP test harness every family reuses: an in-process server per backend, called through the
// generated client, with every response validated against openapi.yaml.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/impl"
)

// testServer is Galeno running in-process on one backend.
type testServer struct {
	*gen.ClientWithResponses
	URL    string       // base URL, e.g. http://127.0.0.1:41234
	HTTP   *http.Client // raw client for hand-made requests; it validates responses too
	DB     *db.DB
	Server *impl.Server
}

// eachBackend runs fn as a subtest on SQLite and on PostgreSQL, each with a fresh server (built
// with httpOpts) and database.
func eachBackend(t *testing.T, fn func(t *testing.T, ts *testServer), httpOpts ...impl.HTTPOption) {
	t.Helper()
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, newTestServer(t, b.Open(t), httpOpts...))
		})
	}
}

// newTestServer starts Galeno on d and returns a client whose every response is checked against the spec.
func newTestServer(t testing.TB, d *db.DB, httpOpts ...impl.HTTPOption) *testServer {
	t.Helper()
	return newTestServerWith(t, d, impl.Options{}, httpOpts...)
}

// newTestServerWith is newTestServer with server options (a clock, a signing key).
func newTestServerWith(t testing.TB, d *db.DB, opts impl.Options, httpOpts ...impl.HTTPOption) *testServer {
	t.Helper()
	s := impl.NewServer(d, opts)
	e, err := impl.NewEcho(s, httpOpts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	httpClient := &http.Client{Transport: &validatingTransport{t: t, router: specRouter(t), next: srv.Client().Transport}}
	client, err := gen.NewClientWithResponses(srv.URL, gen.WithHTTPClient(httpClient))
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{ClientWithResponses: client, URL: srv.URL, HTTP: httpClient, DB: d, Server: s}
}

// reportingTo returns ts with a client that reports what breaks the spec to t instead (for fuzz
// targets, whose server outlives each input's t).
func (ts *testServer) reportingTo(t testing.TB) *testServer {
	t.Helper()
	v := *ts.HTTP.Transport.(*validatingTransport)
	v.t = t
	httpClient := &http.Client{Transport: &v}
	client, err := gen.NewClientWithResponses(ts.URL, gen.WithHTTPClient(httpClient))
	if err != nil {
		t.Fatal(err)
	}
	copied := *ts
	copied.ClientWithResponses, copied.HTTP = client, httpClient
	return &copied
}

func specRouter(t testing.TB) routers.Router {
	t.Helper()
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	spec.Servers = nil // match any host
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

// validatingTransport fails the test when a response does not match openapi.yaml: an undocumented
// status, a body that breaks its schema, a wrong content type. Requests to paths outside the spec
// (deliberately unknown routes) are only checked to be JSON.
type validatingTransport struct {
	t      errorReporter
	router routers.Router
	next   http.RoundTripper
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode >= 500 {
		v.t.Errorf("%s %s: server error %d: %s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	if req.Method == http.MethodHead {
		// The spec declares no HEAD: it answers as GET (tests compare the two), without a body.
		if len(body) > 0 {
			v.t.Errorf("HEAD %s: %d response has a body: %q", req.URL.Path, resp.StatusCode, body)
		}
		return resp, nil
	}

	route, params, err := v.findRoute(req)
	if err != nil {
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			v.t.Errorf("%s %s (outside the spec): %d response is not JSON: %q", req.Method, req.URL.Path, resp.StatusCode, body)
		}
		return resp, nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		v.t.Errorf("%s %s: %d response violates openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}

// errorReporter is the part of *testing.T the transport reports to.
type errorReporter interface {
	Errorf(format string, args ...any)
}

// findRoute finds the spec operation of a request, trying the other trailing-slash form too.
func (v *validatingTransport) findRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	route, params, err := v.router.FindRoute(req)
	if err == nil || errors.Is(err, routers.ErrMethodNotAllowed) {
		return route, params, err
	}
	other := req.Clone(req.Context())
	if strings.HasSuffix(other.URL.Path, "/") {
		other.URL.Path = strings.TrimSuffix(other.URL.Path, "/")
	} else {
		other.URL.Path += "/"
	}
	other.URL.RawPath = ""
	return v.router.FindRoute(other)
}

// withToken authenticates a generated-client call as a Prescrypto medic.
func withToken(token string) gen.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Token "+token)
		return nil
	}
}

// withBearer authenticates a generated-client call with a bearer credential (an institutional key
// or a patient token).
func withBearer(token string) gen.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// do sends a hand-made request (through the validating client) and returns the status and body.
func (ts *testServer) do(t *testing.T, method, path, contentType string, body io.Reader, header http.Header) (int, []byte) {
	t.Helper()
	resp, b := ts.send(t, method, path, contentType, body, header)
	return resp.StatusCode, b
}

// send is do for tests that need the response's header too; the body is already read.
func (ts *testServer) send(t *testing.T, method, path, contentType string, body io.Reader, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
