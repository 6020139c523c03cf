package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/galeno-health/galeno/impl"
)

// serveConfig is what `galeno serve` runs with. Every flag can also come from the environment as
// GALENO_<FLAG> (--read-timeout ↔ GALENO_READ_TIMEOUT); a flag on the command line wins.
type serveConfig struct {
	Addr              string
	DB                string
	DBMaxConns        int
	LogLevel          slog.Level
	LogFormat         string
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration
	BodyLimit         byteSize
	RateLimit         float64
	RateBurst         int
	RegistrationLimit int
	CredentialLimit   float64
	CredentialBurst   int
	EmailChangeLimit  int
	TrustedProxies    networks
	PublicURL         publicURL
	CORSOrigins       origins
	MetricsAddr       string
	JWTKey            string
	TokenCacheTTL     time.Duration
	AuditRetention    days

	// patientSigningKey is JWTKey decoded (nil without one: a key kept in the database is used).
	patientSigningKey []byte
	// summary is the configuration as one log line's attributes, secrets masked.
	summary []slog.Attr
}

// parseServeConfig reads serve's flags from args and, for flags not given there, the GALENO_*
// variables that getenv returns.
func parseServeConfig(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	cfg := serveConfig{BodyLimit: impl.MaxBodyBytes, AuditRetention: days(400 * day)}
	fs := newFlagSet("serve", "[flags]   (each flag can be set as GALENO_<FLAG> instead)", stderr)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&cfg.DB, "db", defaultDB, "database URL: postgres://… or sqlite:PATH or sqlite::memory:")
	fs.IntVar(&cfg.DBMaxConns, "db-max-conns", 0, "most PostgreSQL connections this process opens (0: 20)")
	fs.TextVar(&cfg.LogLevel, "log-level", slog.LevelInfo, "least severe level logged: debug, info, warn or error")
	fs.StringVar(&cfg.LogFormat, "log-format", "auto", "log format: json, text, or auto (text on a terminal, JSON elsewhere)")
	fs.DurationVar(&cfg.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "longest time to read a request's headers")
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", 30*time.Second, "longest time to read a whole request, body included")
	fs.DurationVar(&cfg.WriteTimeout, "write-timeout", 60*time.Second, "longest time from the end of the request headers to the end of the response")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", 120*time.Second, "longest time a keep-alive connection waits for its next request")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "longest time to finish requests in flight on SIGTERM")
	fs.Var(&cfg.AuditRetention, "audit-retention", "how long audit events are kept (400d, 36h…); every serve process deletes older ones, hourly")
	fs.Var(&cfg.BodyLimit, "body-limit", "largest request body, in bytes or with KiB/MiB (larger ones get a 413)")
	limits := impl.DefaultRateLimits
	fs.Float64Var(&cfg.RateLimit, "rate-limit", limits.PerAddress.Rate, "requests a second each client address may make on average to each login (0: unlimited)")
	fs.IntVar(&cfg.RateBurst, "rate-burst", limits.PerAddress.Burst, "requests each client address may make at once to each login")
	fs.IntVar(&cfg.RegistrationLimit, "registration-limit", limits.Registration.Burst, "patient registrations each client address may make an hour (0: unlimited)")
	fs.Float64Var(&cfg.CredentialLimit, "credential-rate-limit", limits.PerCredential.Rate, "requests a second each credential may make on average to each authenticated creation or edit (0: unlimited)")
	fs.IntVar(&cfg.CredentialBurst, "credential-rate-burst", limits.PerCredential.Burst, "requests each credential may make at once to each authenticated creation or edit")
	fs.IntVar(&cfg.EmailChangeLimit, "email-change-limit", limits.EmailChange.Burst, "email changes each credential may make an hour (0: unlimited)")
	fs.StringVar(&cfg.JWTKey, "jwt-key", "", "key signing patient tokens, raw or base64, at least 32 bytes (better in the environment: flags show in ps);\n"+
		"without one, a key is generated and kept in the database")
	fs.DurationVar(&cfg.TokenCacheTTL, "token-cache-ttl", time.Second, "how long a checked Prescrypto token is trusted before the database is asked again (0: every request);\n"+
		"a medic deactivated through another process keeps using its token that long at most")
	fs.Var(&cfg.TrustedProxies, "trusted-proxy", "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For, -Proto and -Host are believed (repeatable)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "address to serve /metrics on instead of the API address (empty: on the API address)")
	fs.Var(&cfg.PublicURL, "public-url", "the URL clients reach Galeno at (https://api.example.com[/prefix]): links start with it;\n"+
		"without one they name the address the connection arrived on, or a trusted proxy's forwarded host")
	fs.Var(&cfg.CORSOrigins, "cors-origin", "comma-separated origins (https://app.example.com) whose browser pages may call the API with credentials (repeatable; none by default)")
	fs.VisitAll(func(f *flag.Flag) { f.Usage += " (env " + envName(f.Name) + ")" })

	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fromEnv, err := applyEnv(fs, getenv)
	if err != nil {
		return cfg, err
	}
	if err := cfg.validate(); err != nil {
		return cfg, err
	}
	fs.VisitAll(func(f *flag.Flag) {
		cfg.summary = append(cfg.summary, slog.String(f.Name, masked(f.Name, f.Value.String())))
	})
	cfg.summary = append(cfg.summary, slog.Any("from_env", fromEnv))
	return cfg, nil
}

func (cfg *serveConfig) validate() error {
	var problems []error
	if cfg.LogFormat != "auto" && cfg.LogFormat != "json" && cfg.LogFormat != "text" {
		problems = append(problems, fmt.Errorf("--log-format %q: want json, text or auto", cfg.LogFormat))
	}
	for name, d := range map[string]time.Duration{"read-header-timeout": cfg.ReadHeaderTimeout, "read-timeout": cfg.ReadTimeout,
		"write-timeout": cfg.WriteTimeout, "idle-timeout": cfg.IdleTimeout, "shutdown-timeout": cfg.ShutdownTimeout} {
		if d <= 0 {
			problems = append(problems, fmt.Errorf("--%s %s: want a positive duration", name, d))
		}
	}
	if cfg.RateLimit < 0 {
		problems = append(problems, fmt.Errorf("--rate-limit %v: want 0 (unlimited) or more", cfg.RateLimit))
	}
	if cfg.RateBurst < 1 {
		problems = append(problems, fmt.Errorf("--rate-burst %d: want 1 or more", cfg.RateBurst))
	}
	if cfg.CredentialLimit < 0 {
		problems = append(problems, fmt.Errorf("--credential-rate-limit %v: want 0 (unlimited) or more", cfg.CredentialLimit))
	}
	if cfg.CredentialBurst < 1 {
		problems = append(problems, fmt.Errorf("--credential-rate-burst %d: want 1 or more", cfg.CredentialBurst))
	}
	for name, n := range map[string]int{"registration-limit": cfg.RegistrationLimit, "email-change-limit": cfg.EmailChangeLimit} {
		if n < 0 {
			problems = append(problems, fmt.Errorf("--%s %d: want 0 (unlimited) or more", name, n))
		}
	}
	if cfg.TokenCacheTTL < 0 {
		problems = append(problems, fmt.Errorf("--token-cache-ttl %s: want 0 (off) or a positive duration", cfg.TokenCacheTTL))
	}
	if cfg.AuditRetention <= 0 {
		problems = append(problems, fmt.Errorf("--audit-retention %s: want a positive duration", &cfg.AuditRetention))
	}
	if cfg.DBMaxConns < 0 {
		problems = append(problems, fmt.Errorf("--db-max-conns %d: want 0 (default) or more", cfg.DBMaxConns))
	}
	key, err := impl.ParsePatientSigningKey(cfg.JWTKey)
	if err != nil {
		problems = append(problems, fmt.Errorf("--jwt-key: %w", err))
	}
	cfg.patientSigningKey = key
	return errors.Join(problems...)
}

// httpOptions are the settings of the HTTP layer impl.NewEcho builds.
func (cfg *serveConfig) httpOptions() []impl.HTTPOption {
	return []impl.HTTPOption{
		impl.WithBodyLimit(int64(cfg.BodyLimit)),
		impl.WithRateLimits(impl.RateLimits{
			PerAddress:    impl.RateLimit{Rate: cfg.RateLimit, Burst: cfg.RateBurst},
			Registration:  impl.HourlyLimit(cfg.RegistrationLimit),
			PerCredential: impl.RateLimit{Rate: cfg.CredentialLimit, Burst: cfg.CredentialBurst},
			EmailChange:   impl.HourlyLimit(cfg.EmailChangeLimit),
		}),
		impl.WithTrustedProxies(cfg.TrustedProxies),
		impl.WithPublicURL(cfg.PublicURL.URL),
		impl.WithCORSOrigins(cfg.CORSOrigins),
	}
}

// envName is the environment variable of a flag: --read-timeout ↔ GALENO_READ_TIMEOUT.
func envName(flagName string) string {
	return "GALENO_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its non-empty GALENO_* variable, and
// returns the names of the variables it used.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) ([]string, error) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	used := []string{}
	var problems []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		value := getenv(name)
		if given[f.Name] || value == "" {
			return
		}
		if err := f.Value.Set(value); err != nil {
			problems = append(problems, fmt.Errorf("%s=%q: %w", name, masked(f.Name, value), err))
			return
		}
		used = append(used, name)
	})
	return used, errors.Join(problems...)
}

// mask replaces secrets in logged configuration.
const mask = "****"

// masked hides the value of a flag naming a secret (its last word is key, secret, password or
// token: --jwt-key, not --token-cache-ttl) entirely, and the password of any URL value
// (postgres://user:password@host/db, or ?password=… in its query).
func masked(flagName, value string) string {
	noun := flagName[strings.LastIndex(flagName, "-")+1:]
	if value != "" && slices.Contains([]string{"key", "secret", "password", "token"}, noun) {
		return mask
	}
	u, err := url.Parse(value)
	if err != nil || u.Scheme == "" {
		return value
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), mask)
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", mask)
		u.RawQuery = q.Encode()
	}
	s := u.String()
	return strings.ReplaceAll(s, url.QueryEscape(mask), mask) // keep **** readable
}

// byteSize is a flag of a size in bytes: 1048576, 1024KiB or 1MiB.
type byteSize int64

// byteUnits are the suffixes a byteSize accepts, largest first.
var byteUnits = []struct {
	suffix string
	factor int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// String writes the size in the largest unit that divides it: 1MiB, 512KiB, 1000B.
func (b *byteSize) String() string {
	for _, u := range byteUnits {
		if *b != 0 && int64(*b)%u.factor == 0 {
			return strconv.FormatInt(int64(*b)/u.factor, 10) + u.suffix
		}
	}
	return "0"
}

func (b *byteSize) Set(s string) error {
	number, factor := strings.TrimSpace(s), int64(1)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(number, u.suffix); ok {
			number, factor = strings.TrimSpace(n), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(number, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/factor {
		return fmt.Errorf("%q is not a size such as 1048576, 512KiB or 1MiB", s)
	}
	*b = byteSize(n * factor)
	return nil
}

// networks is a flag of IP networks: CIDRs, or single addresses, comma-separated or repeated.
type networks []*net.IPNet

func (n *networks) String() string {
	var s []string
	for _, network := range *n {
		s = append(s, network.String())
	}
	return strings.Join(s, ",")
}

func (n *networks) Set(value string) error {
	for _, part := range strings.Split(value, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			ip := net.ParseIP(part)
			if ip == nil {
				return fmt.Errorf("%q is not an IP address or CIDR", part)
			}
			bits := 8 * net.IPv6len
			if ip.To4() != nil {
				ip, bits = ip.To4(), 8*net.IPv4len
			}
			*n = append(*n, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, network, err := net.ParseCIDR(part)
		if err != nil {
			return fmt.Errorf("%q is not an IP address or CIDR", part)
		}
		*n = append(*n, network)
	}
	return nil
}

// publicURL is a flag of an absolute http or https URL without query, fragment or credentials.
type publicURL struct{ *url.URL }

func (p *publicURL) String() string {
	if p.URL == nil {
		return ""
	}
	return p.URL.String()
}

func (p *publicURL) Set(value string) error {
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("%q is not an http or https URL such as https://api.example.com", value)
	}
	p.URL = u
	return nil
}

// origins is a flag of browser origins (scheme://host[:port]), comma-separated or repeated.
type origins []string

func (o *origins) String() string { return strings.Join(*o, ",") }

func (o *origins) Set(value string) error {
	for part := range strings.SplitSeq(value, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		origin, err := impl.ParseCORSOrigin(part)
		if err != nil {
			return err
		}
		if !slices.Contains(*o, origin) {
			*o = append(*o, origin)
		}
	}
	return nil
}
