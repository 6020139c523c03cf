package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// testConfig parses serve's flags with an empty environment.
func testConfig(t *testing.T, args ...string) serveConfig {
	t.Helper()
	cfg, err := parseServeConfig(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return cfg
}

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestServeConfigDefaults(t *testing.T) {
	cfg := testConfig(t)
	if cfg.Addr != "127.0.0.1:8080" || cfg.DB != defaultDB || cfg.LogLevel != slog.LevelInfo || cfg.LogFormat != "auto" ||
		cfg.ReadHeaderTimeout != 10*time.Second || cfg.ReadTimeout != 30*time.Second || cfg.WriteTimeout != time.Minute ||
		cfg.IdleTimeout != 2*time.Minute || cfg.ShutdownTimeout != 30*time.Second || cfg.BodyLimit != 1<<20 ||
		cfg.RateLimit != 10 || cfg.RateBurst != 20 || len(cfg.TrustedProxies) != 0 || cfg.DBMaxConns != 0 ||
		cfg.RegistrationLimit != 10 || cfg.CredentialLimit != 10 || cfg.CredentialBurst != 100 || cfg.EmailChangeLimit != 20 {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestServeConfigFromEnvironmentWithFlagsWinning(t *testing.T) {
	vars := map[string]string{
		"GALENO_ADDR":                "0.0.0.0:9000",
		"GALENO_DB":                  "sqlite:env.db",
		"GALENO_DB_MAX_CONNS":        "8",
		"GALENO_LOG_LEVEL":           "debug",
		"GALENO_LOG_FORMAT":          "text",
		"GALENO_READ_HEADER_TIMEOUT": "2s",
		"GALENO_READ_TIMEOUT":        "5s",
		"GALENO_WRITE_TIMEOUT":       "7s",
		"GALENO_IDLE_TIMEOUT":        "9s",
		"GALENO_SHUTDOWN_TIMEOUT":    "11s",
		"GALENO_BODY_LIMIT":          "512KiB",
		"GALENO_RATE_LIMIT":          "2.5",
		"GALENO_RATE_BURST":          "4",
		"GALENO_REGISTRATION_LIMIT":  "3",
		"GALENO_TRUSTED_PROXY":       "10.0.0.0/8, 192.168.1.10",
	}
	cfg, err := parseServeConfig([]string{"--addr", "127.0.0.1:7000", "--rate-burst=6", "--trusted-proxy", "172.16.0.0/12"}, env(vars), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7000" || cfg.RateBurst != 6 || cfg.TrustedProxies.String() != "172.16.0.0/12" {
		t.Errorf("flags did not win: addr %s, burst %d, proxies %s", cfg.Addr, cfg.RateBurst, cfg.TrustedProxies.String())
	}
	if cfg.DB != "sqlite:env.db" || cfg.DBMaxConns != 8 || cfg.LogLevel != slog.LevelDebug || cfg.LogFormat != "text" ||
		cfg.ReadHeaderTimeout != 2*time.Second || cfg.ReadTimeout != 5*time.Second || cfg.WriteTimeout != 7*time.Second ||
		cfg.IdleTimeout != 9*time.Second || cfg.ShutdownTimeout != 11*time.Second || cfg.BodyLimit != 512<<10 || cfg.RateLimit != 2.5 ||
		cfg.RegistrationLimit != 3 {
		t.Errorf("environment not applied: %+v", cfg)
	}
	cfg, err = parseServeConfig(nil, env(vars), io.Discard)
	if err != nil || cfg.TrustedProxies.String() != "10.0.0.0/8,192.168.1.10/32" {
		t.Errorf("GALENO_TRUSTED_PROXY: %v %s", err, cfg.TrustedProxies.String())
	}
}

func TestServeConfigRejectsBadValuesNamingWhereTheyCameFrom(t *testing.T) {
	cases := []struct {
		args []string
		vars map[string]string
		want string
	}{
		{nil, map[string]string{"GALENO_READ_TIMEOUT": "soon"}, `GALENO_READ_TIMEOUT="soon"`},
		{nil, map[string]string{"GALENO_BODY_LIMIT": "1 parsec"}, `GALENO_BODY_LIMIT`},
		{nil, map[string]string{"GALENO_TRUSTED_PROXY": "10.0.0.0/33"}, `GALENO_TRUSTED_PROXY`},
		{nil, map[string]string{"GALENO_LOG_LEVEL": "chatty"}, `GALENO_LOG_LEVEL`},
		{[]string{"--log-format", "xml"}, nil, `--log-format "xml"`},
		{[]string{"--idle-timeout", "0s"}, nil, `--idle-timeout 0s`},
		{[]string{"--rate-burst", "0"}, nil, `--rate-burst 0`},
		{[]string{"--rate-limit", "-1"}, nil, `--rate-limit -1`},
		{[]string{"--credential-rate-limit", "-1"}, nil, `--credential-rate-limit -1`},
		{[]string{"--credential-rate-burst", "0"}, nil, `--credential-rate-burst 0`},
		{nil, map[string]string{"GALENO_REGISTRATION_LIMIT": "-1"}, `--registration-limit -1`},
		{[]string{"--email-change-limit", "-2"}, nil, `--email-change-limit -2`},
		{[]string{"--body-limit", "0"}, nil, `body-limit`},
		{[]string{"stray"}, nil, `unexpected argument "stray"`},
	}
	for _, c := range cases {
		_, err := parseServeConfig(c.args, env(c.vars), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: error %v, want one mentioning %s", c.args, c.vars, err, c.want)
		}
	}
}

func TestByteSizes(t *testing.T) {
	for in, want := range map[string]byteSize{"1048576": 1 << 20, "1MiB": 1 << 20, "1 MiB": 1 << 20, "512KiB": 512 << 10, "2GiB": 2 << 30, "100B": 100} {
		var b byteSize
		if err := b.Set(in); err != nil || b != want {
			t.Errorf("%q: %d %v, want %d", in, b, err, want)
		}
		if again := new(byteSize); again.Set(b.String()) != nil || *again != b {
			t.Errorf("%d prints as %q, which does not read back", b, b.String())
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1.5MiB", "1MB", "1e6", "99999999999GiB"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("%q was accepted as %d", in, b)
		}
	}
}

func TestSecretsAreMaskedInTheConfigurationLine(t *testing.T) {
	for value, want := range map[string]string{
		"postgres://galeno:s3cret@db.internal:5432/galeno?sslmode=disable": "postgres://galeno:****@db.internal:5432/galeno?sslmode=disable",
		"postgresql://galeno@db/galeno?password=s3cret&sslmode=require":    "postgresql://galeno@db/galeno?password=****&sslmode=require",
		"postgres://galeno@/galeno?host=/run/postgresql":                   "postgres://galeno@/galeno?host=/run/postgresql",
		"sqlite:galeno.db": "sqlite:galeno.db",
		"127.0.0.1:8080":   "127.0.0.1:8080",
		"postgres://galeno:p%40ss%3Aw0rd@db/galeno": "postgres://galeno:****@db/galeno",
	} {
		if got := masked("db", value); got != want {
			t.Errorf("masked(%q) = %q, want %q", value, got, want)
		}
	}
	for flag, want := range map[string]string{"jwt-key": mask, "api-token": mask, "password": mask, "token-cache-ttl": "1s", "keyspace": "1s"} {
		if got := masked(flag, "1s"); got != want {
			t.Errorf("masked(--%s) = %q, want %q", flag, got, want)
		}
	}

	var logs bytes.Buffer
	cfg, err := parseServeConfig(nil, env(map[string]string{"GALENO_DB": "postgres://galeno:s3cret@db/galeno", "GALENO_RATE_LIMIT": "3"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	slog.New(slog.NewJSONHandler(&logs, nil)).LogAttrs(t.Context(), slog.LevelInfo, "configuration", cfg.summary...)
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "s3cret") || line["db"] != "postgres://galeno:****@db/galeno" {
		t.Errorf("the password shows: %s", logs.String())
	}
	if line["body-limit"] != "1MiB" || line["rate-limit"] != "3" || line["read-timeout"] != "30s" || line["log-level"] != "INFO" || !jsonHas(line["from_env"], "GALENO_DB", "GALENO_RATE_LIMIT") {
		t.Errorf("configuration line: %s", logs.String())
	}
}

func jsonHas(list any, want ...string) bool {
	items, _ := list.([]any)
	if len(items) != len(want) {
		return false
	}
	for i, w := range want {
		if items[i] != w {
			return false
		}
	}
	return true
}

func TestServeConfigPublicURL(t *testing.T) {
	if cfg := testConfig(t); cfg.PublicURL.URL != nil {
		t.Fatalf("default public URL: %v", cfg.PublicURL.URL)
	}
	cfg, err := parseServeConfig(nil, env(map[string]string{"GALENO_PUBLIC_URL": "https://api.example.com/galeno"}), io.Discard)
	if err != nil || cfg.PublicURL.String() != "https://api.example.com/galeno" {
		t.Fatalf("GALENO_PUBLIC_URL: %v %v", err, cfg.PublicURL.String())
	}
	for _, bad := range []string{"api.example.com", "ftp://api.example.com", "https://user:pw@api.example.com", "https://api.example.com/?x=1", "https://"} {
		if _, err := parseServeConfig([]string{"--public-url", bad}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "public-url") {
			t.Errorf("--public-url %q: %v, want an error naming the flag", bad, err)
		}
	}
}

func TestServeConfigCORSOrigins(t *testing.T) {
	if cfg := testConfig(t); len(cfg.CORSOrigins) != 0 {
		t.Fatalf("default CORS origins: %v", cfg.CORSOrigins)
	}
	cfg, err := parseServeConfig(nil, env(map[string]string{"GALENO_CORS_ORIGIN": "https://app.example.com, http://localhost:5173/"}), io.Discard)
	if err != nil || cfg.CORSOrigins.String() != "https://app.example.com,http://localhost:5173" {
		t.Fatalf("GALENO_CORS_ORIGIN: %v %v", err, cfg.CORSOrigins.String())
	}
	cfg = testConfig(t, "--cors-origin", "https://a.example", "--cors-origin", "https://b.example,https://a.example")
	if cfg.CORSOrigins.String() != "https://a.example,https://b.example" {
		t.Fatalf("repeated --cors-origin: %v", cfg.CORSOrigins.String())
	}
	for _, bad := range []string{"*", "app.example.com", "https://app.example.com/app"} {
		if _, err := parseServeConfig([]string{"--cors-origin", bad}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "cors-origin") {
			t.Errorf("--cors-origin %q: %v, want an error naming the flag", bad, err)
		}
	}
}
