package impl

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/galeno-health/galeno/db"
)

// maxCachedTokens bounds the token cache; when it is full of live entries it starts over.
const maxCachedTokens = 10_000

// tokenCache remembers, for a short time, which medic a Prescrypto token authenticated, so that a
// client sending many requests costs the database one token check per TTL instead of one per
// request. Only successful checks are kept, keyed by the token's SHA-256 (the cache holds no
// usable secret). A medic changed through this process is dropped at once; other processes
// notice a deactivation within the TTL.
type tokenCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]cachedMedic
}

type cachedMedic struct {
	medic   *db.Medic
	expires time.Time
}

// newTokenCache returns a cache keeping entries for ttl; nil (no caching) when ttl is not positive.
func newTokenCache(ttl time.Duration, now func() time.Time) *tokenCache {
	if ttl <= 0 {
		return nil
	}
	return &tokenCache{ttl: ttl, now: now, entries: make(map[[sha256.Size]byte]cachedMedic)}
}

// get returns the medic token authenticated less than ttl ago, or nil.
func (c *tokenCache) get(token string) *db.Medic {
	if c == nil {
		return nil
	}
	key := sha256.Sum256([]byte(token))
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.expires) {
		return nil
	}
	return e.medic
}

// put remembers that token authenticates medic.
func (c *tokenCache) put(token string, medic *db.Medic) {
	if c == nil {
		return
	}
	key := sha256.Sum256([]byte(token))
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCachedTokens {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCachedTokens {
			clear(c.entries)
		}
	}
	c.entries[key] = cachedMedic{medic: medic, expires: now.Add(c.ttl)}
}

// forget drops every entry of medic id, after the medic changed (it may have been deactivated).
func (c *tokenCache) forget(id int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.medic.ID == id {
			delete(c.entries, k)
		}
	}
}
