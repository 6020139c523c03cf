package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/impl"
)

// defaultDB is where Galeno keeps its data unless --db or GALENO_DB says otherwise.
const defaultDB = "sqlite:galeno.db"

// dbFlag adds --db to fs, defaulting to $GALENO_DB or defaultDB.
func dbFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("GALENO_DB")
	if def == "" {
		def = defaultDB
	}
	return fs.String("db", def, "database URL: postgres://… or sqlite:PATH or sqlite::memory: (env GALENO_DB)")
}

// newLogger logs text to a terminal and JSON lines anywhere else.
func newLogger(w io.Writer) *slog.Logger {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// openMigrated opens the database at url and applies pending migrations, returning their versions.
func openMigrated(ctx context.Context, url string) (*db.DB, []int64, error) {
	d, err := db.Open(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	applied, err := d.Migrate(ctx)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, applied, nil
}

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "[--addr 127.0.0.1:8080] [--db URL] [--jwt-key KEY]", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dbURL := dbFlag(fs)
	// The environment's key is not the flag's default: --help would print it.
	jwtKey := fs.String("jwt-key", "", "key signing patient tokens, raw or base64, at least 32 bytes (env GALENO_JWT_KEY,\n"+
		"better: flags show in ps); without one, a key is generated and kept in the database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *jwtKey == "" {
		*jwtKey = os.Getenv("GALENO_JWT_KEY")
	}
	key, err := impl.ParsePatientSigningKey(*jwtKey)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, *addr, *dbURL, impl.Options{Logger: newLogger(stdout), PatientSigningKey: key}, nil)
}

// serve runs the API on addr until ctx ends, then stops accepting connections and lets requests in
// flight finish (for up to 30 s). opts.Logger must be set. ready, if set, is told the address once
// it listens.
func serve(ctx context.Context, addr, dbURL string, opts impl.Options, ready func(addr string)) error {
	log := opts.Logger
	d, applied, err := openMigrated(ctx, dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	if len(applied) > 0 {
		log.Info("applied migrations", "versions", applied)
	}
	e, err := impl.NewEcho(impl.NewServer(d, opts))
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	log.Info("galeno serving", "addr", "http://"+ln.Addr().String(), "db", d.Dialect())
	if ready != nil {
		ready(ln.Addr().String())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func runMigrate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", "[--db URL]", stderr)
	dbURL := dbFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	d, applied, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	version, err := d.MigrationVersion(ctx)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "applied %d migration(s); database at version %d\n", len(applied), version)
	return err
}
