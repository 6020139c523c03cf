package impl

import (
	"context"
	"errors"
	"runtime"
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
