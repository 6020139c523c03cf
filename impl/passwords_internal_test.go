package impl

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestHashSlotsAreTheCoresAndWaitWithTheRequestsContext(t *testing.T) {
	if got, want := cap(newHashSlots()), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("%d hashing slots, want one per core (%d)", got, want)
	}
	s := &Server{hashSlots: make(chan struct{}, 1)}
	s.hashSlots <- struct{}{} // every slot taken
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.hashSecret(ctx, "secret"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting for a slot past the request's deadline: %v", err)
	}
	<-s.hashSlots
	hash, err := s.hashSecret(context.Background(), "secret")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := VerifyPassword("secret", hash); !ok || err != nil {
		t.Fatalf("the hash does not verify: %v %v", ok, err)
	}
	if len(s.hashSlots) != 0 {
		t.Fatal("a hash kept its slot")
	}
}

func TestLightPasswordHashingIsForTheSandboxOnly(t *testing.T) {
	for light, params := range map[bool]string{false: "$m=19456,t=2,p=1$", true: "$m=64,t=1,p=1$"} {
		s := NewServer(nil, Options{LightPasswordHashing: light})
		for _, hash := range []string{s.unusablePasswordHash(), mustHash(t, s, "secret")} {
			if !strings.Contains(hash, params) {
				t.Errorf("LightPasswordHashing %v: hash %s, want the parameters %s", light, hash, params)
			}
		}
		if ok, err := VerifyPassword("secret", mustHash(t, s, "secret")); !ok || err != nil {
			t.Errorf("LightPasswordHashing %v: the hash does not verify: %v %v", light, ok, err)
		}
	}
}

func mustHash(t *testing.T, s *Server, secret string) string {
	t.Helper()
	hash, err := s.hashSecret(t.Context(), secret)
	if err != nil {
		t.Fatal(err)
	}
	return hash
}
