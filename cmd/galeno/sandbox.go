package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/impl"
)

// sandboxPrefix is where the sandbox's own endpoints live, outside the contract's paths.
const sandboxPrefix = "/__sandbox/"

// sandboxExposed are the response headers a browser's script may read from the sandbox's answers.
const sandboxExposed = "Allow, Galeno-Ignored-Fields, Retry-After, X-Request-Id"

func runSandbox(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sandbox", "[--addr 127.0.0.1:4010]", stderr)
	addr := fs.String("addr", "127.0.0.1:4010", "address to listen on (loopback by default: the sandbox's credentials are public)")
	quiet := fs.Bool("quiet", false, "do not log a line per request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveSandbox(ctx, *addr, stdout, *quiet)
}

// serveSandbox seeds a world, prints its credentials and serves it on addr until ctx ends, logging
// warnings and (unless quiet) a line per request after the seed's own.
func serveSandbox(ctx context.Context, addr string, stdout io.Writer, quiet bool) error {
	start := time.Now()
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: level}))
	world, err := newSandboxWorld(ctx, log)
	if err != nil {
		return err
	}
	sb := &sandbox{world: world, log: log}
	defer func() { sb.world.close() }()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	printSandbox(stdout, "http://"+ln.Addr().String(), time.Since(start), world.creds)
	if !quiet {
		level.Set(slog.LevelInfo)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	// Once ctx ends, stop accepting connections and let the requests in flight finish on the world
	// before the deferred close takes its database away.
	shutDown := make(chan error, 1)
	stop := context.AfterFunc(ctx, func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutDown <- srv.Shutdown(shutdownCtx)
	})
	defer stop()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := <-shutDown; err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// printSandbox prints where the sandbox serves, the credential of every family, and what to do next.
func printSandbox(w io.Writer, base string, took time.Duration, c *impl.SandboxCredentials) {
	fmt.Fprintf(w, `galeno sandbox: the real API on an in-memory SQLite database, seeded with the documented examples,
serving on %[1]s (started in %[2]s)
FOR DEVELOPMENT ONLY: these credentials are fixed and published, and nothing is kept when it stops.

Prescrypto     %[3]s   (medic 1, Elizabeth Blackwell, ADMIN of hospital 7)
Institutional  %[4]s   (doctor account %[5]s)
Users          POST /users/user/login/ {"username": %[6]q, "password": %[7]q}, then send the sessionid cookie
Patients       POST /auth/login {"username": %[8]q, "password": %[9]q} with the header
               organization: %[10]s, then send Authorization: Bearer <token>

Try:   curl -H '%[3]s' %[1]s/api/v2/medics/
Next:  GET %[1]s/__sandbox/credentials returns these as JSON (the same at every start and
       reset); POST %[1]s/__sandbox/reset restores the seed; /docs is the reference.
`, base, took.Round(time.Millisecond), c.Prescrypto.Header, c.Institutional.Header, c.Institutional.DoctorAccount,
		c.Users.Username, c.Users.Password, c.Patients.Username, c.Patients.Password, c.Patients.Organization)
}

// sandboxWorld is one seeded database with the API serving it.
type sandboxWorld struct {
	db     *db.DB
	server *impl.Server
	api    http.Handler
	creds  *impl.SandboxCredentials
}

// newSandboxWorld migrates a new in-memory database and seeds it through a server on it.
func newSandboxWorld(ctx context.Context, log *slog.Logger) (*sandboxWorld, error) {
	d, _, err := openMigrated(ctx, "sqlite::memory:")
	if err != nil {
		return nil, err
	}
	d.UseEntropy(newSandboxEntropy())
	s := impl.NewServer(d, impl.Options{Logger: log, LightPasswordHashing: true})
	e, err := impl.NewEcho(s)
	if err != nil {
		s.Close()
		d.Close()
		return nil, err
	}
	mountDocs(e)
	w := &sandboxWorld{db: d, server: s, api: e}
	if w.creds, err = s.SeedSandbox(ctx, e); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// close writes the world's queued audit events and closes its database.
func (w *sandboxWorld) close() {
	w.server.Close()
	w.db.Close()
}

// sandboxSeed seeds the entropy of every world: the same tokens and keys at every start and reset.
var sandboxSeed = [32]byte([]byte("galeno sandbox, development only"))

// sandboxEntropy is a world's source of tokens, keys and account ids (see db.UseEntropy): ChaCha8
// from sandboxSeed, behind a mutex since requests draw from it concurrently.
type sandboxEntropy struct {
	mu  sync.Mutex
	src *rand.ChaCha8
}

func newSandboxEntropy() *sandboxEntropy { return &sandboxEntropy{src: rand.NewChaCha8(sandboxSeed)} }

func (e *sandboxEntropy) Read(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.src.Read(p)
}

// sandbox serves its current world's API, with CORS for any origin, and its own endpoints.
type sandbox struct {
	log    *slog.Logger
	resets sync.Mutex   // one reset at a time
	mu     sync.RWMutex // held for reading by each request to the world, for writing to replace it
	world  *sandboxWorld
}

func (sb *sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" {
		h := w.Header()
		// The origin is echoed (not `*`) so that browsers send and accept cookies (the sessionid).
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
			if headers := r.Header.Get("Access-Control-Request-Headers"); headers != "" {
				h.Set("Access-Control-Allow-Headers", headers)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", sandboxExposed)
		// Every origin is trusted here, so the Users family's refusal of cross-site posts (a defence
		// of real sessions) would only stop the frontends the sandbox is for.
		r = r.Clone(r.Context())
		r.Header.Del("Origin")
		r.Header.Del("Sec-Fetch-Site")
	}
	if strings.HasPrefix(r.URL.Path, sandboxPrefix) {
		sb.control(w, r)
		return
	}
	sb.mu.RLock()
	defer sb.mu.RUnlock()
	sb.world.api.ServeHTTP(w, r)
}

// control serves GET /__sandbox/credentials and POST /__sandbox/reset.
func (sb *sandbox) control(w http.ResponseWriter, r *http.Request) {
	action := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, sandboxPrefix), "/")
	method := map[string]string{"credentials": http.MethodGet, "reset": http.MethodPost}[action]
	switch {
	case method == "":
		writeSandboxJSON(w, http.StatusNotFound, map[string]string{"message": "Unknown sandbox endpoint: GET /__sandbox/credentials or POST /__sandbox/reset."})
	case r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead):
		w.Header().Set("Allow", method)
		writeSandboxJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "Method not allowed: use " + method + "."})
	case action == "credentials":
		sb.mu.RLock()
		creds := sb.world.creds
		sb.mu.RUnlock()
		writeSandboxJSON(w, http.StatusOK, creds)
	default:
		creds, err := sb.reset(r.Context())
		if err != nil {
			sb.log.Error("sandbox reset failed", "err", err)
			writeSandboxJSON(w, http.StatusInternalServerError, map[string]string{"message": "The reset failed; the sandbox keeps its current data."})
			return
		}
		writeSandboxJSON(w, http.StatusOK, creds)
	}
}

// reset seeds a new world and swaps it in: requests already running finish on the old world, and
// the swap waits for them, so that every request sees the old world or the new one whole.
func (sb *sandbox) reset(ctx context.Context) (*impl.SandboxCredentials, error) {
	sb.resets.Lock()
	defer sb.resets.Unlock()
	fresh, err := newSandboxWorld(ctx, sb.log)
	if err != nil {
		return nil, err
	}
	sb.mu.Lock()
	old := sb.world
	sb.world = fresh
	sb.mu.Unlock()
	old.close()
	sb.log.Info("sandbox reset to the seed")
	return fresh.creds, nil
}

// writeSandboxJSON answers v as JSON; the answers carry credentials, so no cache keeps them.
func writeSandboxJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
