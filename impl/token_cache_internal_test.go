package impl

import (
	"strconv"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
)

func TestTokenCacheStaysBounded(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c := newTokenCache(time.Second, func() time.Time { return now })
	for i := range maxCachedTokens - 1 {
		c.put("old"+strconv.Itoa(i), &db.Medic{ID: int64(i)})
	}
	now = now.Add(500 * time.Millisecond)
	c.put("fresh", &db.Medic{ID: -1})
	if len(c.entries) != maxCachedTokens {
		t.Fatalf("%d entries before the cache was full", len(c.entries))
	}
	// Full: the expired entries go first.
	now = now.Add(600 * time.Millisecond)
	c.put("new", &db.Medic{ID: -2})
	if len(c.entries) != 2 || c.get("fresh") == nil || c.get("new") == nil || c.get("old1") != nil {
		t.Fatalf("after pruning: %d entries", len(c.entries))
	}
	// Full of live entries: it starts over.
	for i := range maxCachedTokens {
		c.put("live"+strconv.Itoa(i), &db.Medic{ID: int64(i)})
	}
	if len(c.entries) > maxCachedTokens {
		t.Fatalf("%d entries: over the bound", len(c.entries))
	}
	if newTokenCache(0, time.Now) != nil {
		t.Fatal("a zero TTL should turn the cache off")
	}
}
