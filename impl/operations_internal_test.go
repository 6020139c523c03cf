package impl

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/gen"
)

func TestTokenBucketSpendsRefillsAndForgets(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBuckets(RateLimit{Rate: 2, Burst: 3})
	for i := range 3 {
		if wait := b.take("a", clock); wait != 0 {
			t.Fatalf("request %d of the burst waits %v", i+1, wait)
		}
	}
	if wait := b.take("a", clock); wait != 500*time.Millisecond {
		t.Fatalf("past the burst at 2/s: wait %v, want 500ms", wait)
	}
	if wait := b.take("b", clock); wait != 0 {
		t.Fatalf("another client is limited by the first: wait %v", wait)
	}
	clock = clock.Add(250 * time.Millisecond)
	if wait := b.take("a", clock); wait != 250*time.Millisecond {
		t.Fatalf("half a token later (a refused request spends nothing): wait %v, want 250ms", wait)
	}
	clock = clock.Add(250 * time.Millisecond)
	if wait := b.take("a", clock); wait != 0 {
		t.Fatalf("a token later: wait %v", wait)
	}

	// Once both buckets have refilled, the next sweep forgets them.
	clock = clock.Add(sweepEvery)
	b.take("c", clock)
	if _, ok := b.byKey["a"]; ok || len(b.byKey) != 1 {
		t.Fatalf("idle buckets were kept: %v", slices.Collect(maps.Keys(b.byKey)))
	}

	// No limit: a nil set of buckets, which never waits.
	if unlimited := newBuckets(RateLimit{}); unlimited != nil || unlimited.take("a", clock) != 0 {
		t.Fatal("a zero rate limits")
	}
}

func TestHourlyLimitAllowsItsNumberAtOnceThenOneEveryShare(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBuckets(HourlyLimit(10))
	for i := range 10 {
		if wait := b.take("a", clock); wait != 0 {
			t.Fatalf("registration %d of 10 waits %v", i+1, wait)
		}
	}
	if wait := b.take("a", clock); wait != 6*time.Minute {
		t.Fatalf("the 11th: wait %v, want 6m (an hour's tenth)", wait)
	}
}

// TestRateLimitedOperationsAreThoseDeclaringA429 pins the operations the contract rate-limits, and
// which of them are anonymous (limited per address).
func TestRateLimitedOperationsAreThoseDeclaringA429(t *testing.T) {
	spec, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"createHospital": false, "createInstitutionalAccount": false, "createMedic": false,
		"createMembership": false, "createUser": false, "editUser": false, "updateMedic": false,
		"loginPatient": true, "loginUser": true, "registerPatient": true}
	if got := rateLimitedOperations(spec); !maps.Equal(got, want) {
		t.Fatalf("rate-limited operations (true: anonymous) %v, want %v", got, want)
	}
}

func TestSaneRequestIDs(t *testing.T) {
	for id, sane := range map[string]bool{
		"abc-123":                 true,
		"0f8fad5b-d9cb-469f-a165": true,
		strings.Repeat("x", 128):  true,
		"":                        false,
		strings.Repeat("x", 129):  false,
		"with space":              false,
		"line\nbreak":             false,
		"tab\t":                   false,
		"ñandú":                   false,
		"\x7f":                    false,
		`{"json":"printable"}`:    true,
	} {
		if saneRequestID(id) != sane {
			t.Errorf("saneRequestID(%q) = %v, want %v", id, !sane, sane)
		}
	}
	if a, b := newRequestID(), newRequestID(); a == b || len(a) != 32 || !saneRequestID(a) {
		t.Errorf("generated IDs %q, %q: want two different sane 32-character IDs", a, b)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 5 << 20: "5 MiB", 512 << 10: "512 KiB", 1000: "1000 B", 1: "1 B"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestOperationIDsAreTheContracts checks the metric labels and rate-limit keys against openapi.yaml
// itself: the embedded spec must keep their casing (oapi-codegen capitalises them unless told not to).
func TestOperationIDsAreTheContracts(t *testing.T) {
	contract, err := openapi3.NewLoader().LoadFromFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := gen.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range contract.Paths.Map() {
		for method, op := range item.Operations() {
			if got := embedded.Paths.Value(path).GetOperation(method).OperationID; got != op.OperationID {
				t.Errorf("%s %s: %q, want %q", method, path, got, op.OperationID)
			}
		}
	}
}
