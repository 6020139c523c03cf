package impl

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). They are stored in
// each hash, so raising them later keeps old hashes verifiable.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// argonCost is the work argon2id's parameters ask of each hash: passes and KiB of memory.
type argonCost struct{ time, memory uint32 }

var (
	defaultArgonCost = argonCost{argonTime, argonMemory}
	// lightArgonCost is argon2id's lightest (one pass over 64 KiB), for Options.LightPasswordHashing.
	lightArgonCost = argonCost{1, 64}
)

// HashPassword hashes a password with argon2id into a self-describing PHC string.
func HashPassword(password string) string { return hashPasswordAt(defaultArgonCost, password) }

// hashPasswordAt is HashPassword at cost c.
func hashPasswordAt(c argonCost, password string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, c.time, c.memory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, c.memory, c.time, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// hashCost is the cost of the server's new password and PIN hashes.
func (s *Server) hashCost() argonCost {
	if s.lightHashing {
		return lightArgonCost
	}
	return defaultArgonCost
}

// unusablePasswordHash is the hash of a random password nobody knows, for accounts created without
// one: no password logs them in until one is set.
func (s *Server) unusablePasswordHash() string {
	unusable := make([]byte, 32)
	rand.Read(unusable)
	return hashPasswordAt(s.hashCost(), hex.EncodeToString(unusable))
}

// errBadPasswordHash is returned for a stored hash that is not an argon2id PHC string.
var errBadPasswordHash = errors.New("impl: unrecognised password hash")

// VerifyPassword reports whether password matches a hash made by HashPassword, in constant time.
func VerifyPassword(password, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadPasswordHash
	}
	var version int
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadPasswordHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false, errBadPasswordHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false, errBadPasswordHash
	}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// dummyPasswordHash is verified against when there is no account or it has no password, so that a
// refusal takes as long whatever its reason and tells nobody which accounts exist.
var dummyPasswordHash = sync.OnceValue(func() string {
	b := make([]byte, 16)
	rand.Read(b)
	return HashPassword(base64.StdEncoding.EncodeToString(b))
})

// newHashSlots returns the semaphore of a server's argon2id computations, sized to the cores: each
// takes a core and 19 MiB for tens of milliseconds, so more at once would only hold memory while
// queueing for the CPU.
func newHashSlots() chan struct{} { return make(chan struct{}, runtime.GOMAXPROCS(0)) }

// withHashSlot runs an argon2id computation once a slot is free, waiting no longer than ctx (the
// request's). Callers hash before any transaction, so that waiting holds no lock.
func (s *Server) withHashSlot(ctx context.Context, compute func()) error {
	select {
	case s.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("impl: wait for a hashing slot: %w", ctx.Err())
	}
	defer func() { <-s.hashSlots }()
	compute()
	return nil
}

// hashSecret hashes a password or PIN with HashPassword in a hashing slot.
func (s *Server) hashSecret(ctx context.Context, secret string) (hash string, err error) {
	err = s.withHashSlot(ctx, func() { hash = hashPasswordAt(s.hashCost(), secret) })
	return hash, err
}

// hashOptionalSecret is hashSecret for a secret the request may leave out (nil stays nil).
func (s *Server) hashOptionalSecret(ctx context.Context, secret *string) (*string, error) {
	if secret == nil {
		return nil, nil
	}
	hash, err := s.hashSecret(ctx, *secret)
	if err != nil {
		return nil, err
	}
	return &hash, nil
}

// verifyAccountPassword reports whether password matches an account's hash, in a hashing slot. A
// nil hash (no such account, or one without a password) matches nothing, after as long a check as
// a real one.
func (s *Server) verifyAccountPassword(ctx context.Context, password string, hash *string) (ok bool, err error) {
	checked := dummyPasswordHash()
	if hash != nil {
		checked = *hash
	}
	if slotErr := s.withHashSlot(ctx, func() { ok, err = VerifyPassword(password, checked) }); slotErr != nil {
		return false, slotErr
	}
	return ok && hash != nil, err
}
