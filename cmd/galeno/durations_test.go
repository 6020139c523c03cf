package main

import (
	"io"
	"testing"
	"time"
)

func TestDaysFlagTakesDaysOrGoDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"400d": 400 * day, "1d": day, "36h": 36 * time.Hour, "90m": 90 * time.Minute} {
		var d days
		if err := d.Set(in); err != nil || time.Duration(d) != want {
			t.Errorf("%q: %v %v, want %v", in, time.Duration(d), err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "1.5d", "forever", "99999d"} {
		var d days
		if err := d.Set(in); err == nil {
			t.Errorf("%q was accepted as %v", in, time.Duration(d))
		}
	}
	for d, want := range map[days]string{days(400 * day): "400d", days(36 * time.Hour): "36h0m0s"} {
		if got := d.String(); got != want {
			t.Errorf("%v prints as %q, want %q", time.Duration(d), got, want)
		}
	}
}

func TestServeConfigAuditRetention(t *testing.T) {
	if cfg := testConfig(t); time.Duration(cfg.AuditRetention) != 400*day {
		t.Errorf("default retention %s, want 400d", &cfg.AuditRetention)
	}
	cfg, err := parseServeConfig(nil, env(map[string]string{"GALENO_AUDIT_RETENTION": "30d"}), io.Discard)
	if err != nil || time.Duration(cfg.AuditRetention) != 30*day {
		t.Errorf("GALENO_AUDIT_RETENTION=30d: %s %v", &cfg.AuditRetention, err)
	}
	for _, bad := range []string{"0d", "0s", "-5h"} {
		if _, err := parseServeConfig([]string{"--audit-retention", bad}, env(nil), io.Discard); err == nil {
			t.Errorf("--audit-retention %s was accepted", bad)
		}
	}
}
