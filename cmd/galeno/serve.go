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

// auditSweepInterval is how often serve deletes the audit events older than --audit-retention.
const auditSweepInterval = time.Hour

// defaultDB is where Galeno keeps its data unless --db or GALENO_DB says otherwise.
const defaultDB = "sqlite:galeno.db"

// dbFlag adds --db to fs, defaulting to $GALENO_DB or defaultDB; --help shows that default with its
// password masked, as serve logs it.
func dbFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("GALENO_DB")
	if def == "" {
		def = defaultDB
	}
	dbURL := fs.String("db", def, "database URL: postgres://… or sqlite:PATH or sqlite::memory: (env GALENO_DB)")
	fs.Lookup("db").DefValue = masked("db", def)
	return dbURL
}

// newLogger logs in format ("json", "text", or "auto": text to a terminal and JSON lines anywhere
// else) from level up.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
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
	cfg, err := parseServeConfig(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, newLogger(stdout, cfg.LogFormat, cfg.LogLevel), nil)
}

// serve runs the API on cfg.Addr until ctx ends, then stops accepting connections and lets requests
// in flight finish (for up to cfg.ShutdownTimeout). ready, if set, is told the address once it listens.
func serve(ctx context.Context, cfg serveConfig, log *slog.Logger, ready func(addr string)) error {
	log.LogAttrs(ctx, slog.LevelInfo, "configuration", cfg.summary...)
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer d.Close()
	d.SetMaxOpenConns(cfg.DBMaxConns)
	applied, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		log.Info("applied migrations", "versions", applied)
	}
	httpOptions := cfg.httpOptions()
	var metricsSrv *http.Server
	metricsServed := make(chan error, 1)
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		httpOptions = append(httpOptions, impl.WithMetricsOn(mux))
		metricsSrv = cfg.httpServer(mux, log)
		metricsLn, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (--metrics-addr): %w", cfg.MetricsAddr, err)
		}
		log.Info("metrics serving", "addr", "http://"+metricsLn.Addr().String()+"/metrics")
		go func() { metricsServed <- metricsSrv.Serve(metricsLn) }()
		defer metricsSrv.Close() // when serving the API fails to start; a no-op after Shutdown
	}
	api := impl.NewServer(d, impl.Options{Logger: log, PatientSigningKey: cfg.patientSigningKey, TokenCacheTTL: cfg.TokenCacheTTL})
	defer api.Close() // writes the queued audit events once serving has stopped, before the database closes
	e, err := impl.NewEcho(api, httpOptions...)
	if err != nil {
		return err
	}
	sweepCtx, stopSweeping := context.WithCancel(ctx)
	defer stopSweeping()
	go api.KeepAuditEvents(sweepCtx, time.Duration(cfg.AuditRetention), auditSweepInterval)
	mountDocs(e)
	srv := cfg.httpServer(e, log)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
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
	case err := <-metricsServed:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if metricsSrv != nil {
		if err := metricsSrv.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("shutdown metrics server: %w", err)
		}
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// httpServer serves handler with cfg's timeouts, logging connection errors to log.
func (cfg *serveConfig) httpServer(handler http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
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
