package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/galeno-health/galeno/mock"
)

func runMock(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("mock", "[flags]", stderr)
	addr := fs.String("addr", "127.0.0.1:4010", "address to listen on")
	spec := fs.String("spec", "", "serve this OpenAPI file instead of the embedded contract, reloading it when it changes")
	noValidate := fs.Bool("no-validate", false, "do not validate requests or check credentials (demos)")
	cors := fs.Bool("cors", true, "send CORS headers and answer preflights for any origin")
	allowInvalid := fs.Bool("allow-invalid-examples", false, "start even when examples do not match their schemas")
	delay := fs.Duration("delay", 0, "latency added to every answer, e.g. 200ms (Prefer: delay=… overrides it)")
	seed := fs.String("seed", "", "seed of dynamic bodies: the same seed gives the same data (default: vary per request)")
	quiet := fs.Bool("quiet", false, "do not log a line per request")
	journal := fs.Int("journal", 1000, "how many requests GET /__mock/requests keeps")
	proxy := fs.String("proxy", "", "forward every request to the backend at `URL` (e.g. http://127.0.0.1:8080) and check its answers against the contract:\nviolations go to the Galeno-Contract-Violations header, the journal and the log")
	upstreamErrors := fs.Bool("errors", false, "with --proxy: answer 502, in the family's error dialect, instead of an answer that breaks the contract")
	fallback := fs.Bool("fallback", false, "with --proxy: answer as the mock (with Galeno-Mock-Fallback: true) when the backend lacks the operation (a 501, or a 404 the contract does not document)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	opts := mock.Options{
		SpecFile:             *spec,
		NoValidate:           *noValidate,
		NoCORS:               !*cors,
		AllowInvalidExamples: *allowInvalid,
		Delay:                *delay,
		JournalSize:          *journal,
		Log:                  stdout,
		Quiet:                *quiet,
		UpstreamErrors:       *upstreamErrors,
		Fallback:             *fallback,
	}
	switch {
	case *proxy != "":
		u, err := url.Parse(*proxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--proxy %q: not an http:// or https:// URL with a host", *proxy)
		}
		opts.Upstream = u
	case *upstreamErrors || *fallback:
		return errors.New("--errors and --fallback need --proxy URL")
	}
	if *seed != "" {
		n, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return fmt.Errorf("--seed %q: not a non-negative integer", *seed)
		}
		opts.Seed = &n
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveMock(ctx, opts, *addr, stdout)
}

// serveMock serves the mock on addr until ctx is done.
func serveMock(ctx context.Context, opts mock.Options, addr string, stdout io.Writer) error {
	server, err := mock.New(opts)
	if err != nil {
		return err
	}
	defer server.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(stdout, "galeno mock: serving %s on http://%s\n", server.Describe(), ln.Addr())
	if opts.Upstream != nil {
		fmt.Fprintf(stdout, "galeno mock: forwarding every request to %s and checking its answers against the contract\n", opts.Upstream)
	}
	go server.Watch(ctx)
	if err := mock.Serve(ctx, ln, withSpecFile(server, withDocs(server))); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// withSpecFile serves /openapi.yaml and /openapi.json from the spec file the mock serves, as last
// reloaded, so that /docs shows what is mocked rather than the embedded contract.
func withSpecFile(server *mock.Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if (path == "/openapi.yaml" || path == "/openapi.json") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			if text, asJSON, ok := server.SpecFile(); ok {
				if path == "/openapi.yaml" {
					staticFile("openapi.yaml", "application/yaml; charset=utf-8", text).ServeHTTP(w, r)
				} else {
					staticFile("openapi.json", "application/json", asJSON).ServeHTTP(w, r)
				}
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
