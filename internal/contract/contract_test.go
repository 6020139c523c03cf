package contract_test

import (
	"testing"

	"github.com/galeno-health/galeno/internal/contract"
)

func TestCheckEmailIsTheOriginalsCheck(t *testing.T) {
	for email, ok := range map[string]bool{
		"ada@example.com": true, "a.b+c@mail.example.co.uk": true,
		"a@b": false, "a@b.": false, "a@.b": false, "X <x@example.com>": false, "nope": false, "a b@example.com": false, "": false,
	} {
		if err := contract.CheckEmail(email); (err == nil) != ok {
			t.Errorf("CheckEmail(%q) = %v, want ok %t", email, err, ok)
		}
	}
}

func TestLoadTheEmbeddedContract(t *testing.T) {
	api, err := contract.Load()
	if err != nil || api.Paths.Find("/api/v2/medics/") == nil || api.Components.Headers["GalenoIgnoredFields"] == nil {
		t.Fatalf("%v", err)
	}
}
