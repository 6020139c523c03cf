package db_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/db/dbtest"
)

func newUser(t *testing.T, s *db.Store, username, email string) *db.User {
	t.Helper()
	u := &db.User{Username: username, PasswordHash: "h", Email: email, IsStaff: false, IsActive: true,
		UserType: "CL", Gender: "U", CreatedAt: now}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

func usernames(users []db.User) string {
	var names []string
	for _, u := range users {
		names = append(names, u.Username)
	}
	return strings.Join(names, ",")
}

func TestUsersRoundTripAndUniqueness(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		birth := time.Date(1985, 12, 10, 0, 0, 0, 0, time.UTC)
		pin := "pin-hash"
		u := &db.User{Username: "ada", PasswordHash: "pw-hash", PINHash: &pin, FirstName: "Ada", LastName: "Lovelace",
			Email: "Ada@Example.com", BirthDate: &birth, IsStaff: true, IsActive: true, IsAdmin: true, UserType: "TE",
			Gender: "F", Phone: "1", Mobile: "2", CertifiedEmail: "ada@pec.example.com", CreatedAt: now}
		if err := d.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := d.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != "ada" || got.PasswordHash != "pw-hash" || got.PINHash == nil || *got.PINHash != "pin-hash" ||
			got.BirthDate == nil || !got.BirthDate.Equal(birth) || !got.IsStaff || !got.IsAdmin || got.UserType != "TE" ||
			got.Gender != "F" || got.Email != "Ada@Example.com" || got.CertifiedEmail != "ada@pec.example.com" ||
			got.Phone != "1" || got.Mobile != "2" || !got.CreatedAt.Equal(now) {
			t.Fatalf("round trip: %+v", got)
		}
		if byName, err := d.UserByUsername(ctx, "ada"); err != nil || byName.ID != u.ID {
			t.Fatalf("by username: %v %+v", err, byName)
		}
		if byName, err := d.UserByUsername(ctx, "ADA"); err != nil || byName.ID != u.ID || byName.Username != "ada" {
			t.Fatalf("usernames compare case-insensitively and keep their case: %v %+v", err, byName)
		}
		if _, err := d.UserByUsername(ctx, "adam"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown username: %v", err)
		}
		if _, err := d.UserByID(ctx, u.ID+100); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}

		for _, name := range []string{"ada", "ADA"} {
			dupName := &db.User{Username: name, PasswordHash: "h", UserType: "CL", Gender: "U", CreatedAt: now}
			if err := d.CreateUser(ctx, dupName); db.ConflictField(err) != "username" {
				t.Fatalf("duplicate username %s: %v", name, err)
			}
		}
		dupEmail := &db.User{Username: "ada2", PasswordHash: "h", Email: "ada@EXAMPLE.com", UserType: "CL", Gender: "U", CreatedAt: now}
		if err := d.CreateUser(ctx, dupEmail); db.ConflictField(err) != "email" {
			t.Fatalf("duplicate email in another case: %v", err)
		}
		// Case is folded beyond ASCII, whatever the database's own lower() does.
		newUser(t, &d.Store, "elodie", "élodie@example.com")
		dupAccented := &db.User{Username: "elodie2", PasswordHash: "h", Email: "ÉLODIE@example.com", UserType: "CL", Gender: "U", CreatedAt: now}
		if err := d.CreateUser(ctx, dupAccented); db.ConflictField(err) != "email" {
			t.Fatalf("duplicate email with non-ASCII letters in another case: %v", err)
		}
		// Users without an email do not collide.
		newUser(t, &d.Store, "noemail1", "")
		other := newUser(t, &d.Store, "noemail2", "")

		other.Email = "ADA@example.com"
		if err := d.UpdateUser(ctx, other); db.ConflictField(err) != "email" {
			t.Fatalf("update to a taken email: %v", err)
		}
		other.Email, other.FirstName, other.PINHash = "other@example.com", "Other", nil
		if err := d.UpdateUser(ctx, other); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.UserByID(ctx, other.ID); got.Email != "other@example.com" || got.FirstName != "Other" || got.PINHash != nil {
			t.Fatalf("update: %+v", got)
		}
		other.ID += 100
		if err := d.UpdateUser(ctx, other); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("update of an unknown user: %v", err)
		}
	})
}

func TestConcurrentCreatesOfOneUsernameMakeOneUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		wantOneInsertWins(t, 8, func(i int) error {
			return d.CreateUser(context.Background(), &db.User{Username: "same", PasswordHash: "h",
				Email: fmt.Sprintf("u%d@example.com", i), UserType: "CL", Gender: "U", CreatedAt: now})
		}, func(err error) bool { return db.ConflictField(err) == "username" })
	})
}

func TestSearchUsers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ada := newUser(t, &d.Store, "ada", "ada@example.com")
		ada.FirstName, ada.LastName = "Ada", "Lovelace"
		if err := d.UpdateUser(ctx, ada); err != nil {
			t.Fatal(err)
		}
		grace := newUser(t, &d.Store, "grace", "grace@navy.example")
		grace.FirstName, grace.LastName, grace.CertifiedEmail = "Grace", "Hopper", "hopper@pec.example"
		if err := d.UpdateUser(ctx, grace); err != nil {
			t.Fatal(err)
		}
		newUser(t, &d.Store, "percent%man", "")
		newUser(t, &d.Store, "under_score", "")
		newUser(t, &d.Store, "underXscore", "")

		for _, c := range []struct {
			terms []string
			want  string
		}{
			{[]string{"ADA"}, "ada"},
			{[]string{"love", "ada"}, "ada"},           // every term, in any field
			{[]string{"love", "grace"}, ""},            // no user matches both
			{[]string{"example"}, "ada,grace"},         // ordered by username
			{[]string{"PEC"}, "grace"},                 // certified email
			{[]string{"hopp", "navy", "gra"}, "grace"}, // last name, email, username
			{[]string{"%"}, "percent%man"},             // wildcards match literally
			{[]string{"_"}, "under_score"},
			{[]string{`\`}, ""},
			{[]string{"nobody"}, ""},
		} {
			users, err := d.SearchUsers(ctx, c.terms, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := usernames(users); got != c.want {
				t.Errorf("search %q = %q, want %q", c.terms, got, c.want)
			}
		}
		if users, err := d.SearchUsers(ctx, nil, nil); err != nil || len(users) != 5 {
			t.Fatalf("no terms: %v %d users", err, len(users))
		}
		grace, err := d.UserByUsername(ctx, "grace")
		if err != nil {
			t.Fatal(err)
		}
		for terms, want := range map[string]string{"hopp": "grace", "a": "grace", "ada": ""} {
			users, err := d.SearchUsers(ctx, []string{terms}, &grace.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := usernames(users); got != want {
				t.Errorf("search %q restricted to grace = %q, want %q", terms, got, want)
			}
		}
	})
}

func TestSearchUsersIsBounded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		err := d.InTx(context.Background(), func(tx *db.Store) error {
			for i := range db.MaxUserSearchResults + 10 {
				newUser(t, tx, fmt.Sprintf("user%03d", i), "")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		users, err := d.SearchUsers(context.Background(), []string{"user"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != db.MaxUserSearchResults || users[0].Username != "user000" || users[len(users)-1].Username != "user049" {
			t.Fatalf("got %d users, %s…%s", len(users), users[0].Username, users[len(users)-1].Username)
		}
	})
}

func TestUserSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		ada := newUser(t, &d.Store, "ada", "")
		bob := newUser(t, &d.Store, "bob", "")
		start := func(u *db.User, lifetime time.Duration) (string, *db.UserSession) {
			t.Helper()
			sess := &db.UserSession{UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(lifetime)}
			key, err := d.CreateUserSession(ctx, sess)
			if err != nil {
				t.Fatal(err)
			}
			return key, sess
		}
		key, sess := start(ada, time.Hour)
		if len(key) < 43 {
			t.Fatalf("key %q is shorter than 256 bits in base64", key)
		}
		hashes, err := d.SessionKeyHashes(ctx)
		sum := sha256.Sum256([]byte(key))
		if err != nil || len(hashes) != 1 || hashes[0] != hex.EncodeToString(sum[:]) {
			t.Fatalf("stored %v (%v), want only the key's SHA-256", hashes, err)
		}

		got, user, err := d.UserSessionByKey(ctx, key, now.Add(time.Minute))
		if err != nil || got.ID != sess.ID || user.ID != ada.ID || !got.ExpiresAt.Equal(now.Add(time.Hour)) || !got.CreatedAt.Equal(now) {
			t.Fatalf("look up: %v %+v %+v", err, got, user)
		}
		for _, bad := range []string{"", "short", key[:len(key)-1] + "!", strings.Repeat("A", len(key))} {
			if _, _, err := d.UserSessionByKey(ctx, bad, now); !errors.Is(err, db.ErrInvalidToken) {
				t.Errorf("key %q: %v", bad, err)
			}
		}

		// Expired: refused, and deleted.
		if _, _, err := d.UserSessionByKey(ctx, key, now.Add(time.Hour)); !errors.Is(err, db.ErrInvalidToken) {
			t.Fatalf("expired session: %v", err)
		}
		if _, _, err := d.UserSessionByKey(ctx, key, now); !errors.Is(err, db.ErrInvalidToken) {
			t.Fatalf("the expired session was not deleted: %v", err)
		}

		// Ending all of a user's sessions: the one deactivated (impl ends them, not UpdateUser); the others stay.
		adaKey, _ := start(ada, time.Hour)
		bobKey, _ := start(bob, time.Hour)
		if err := d.DeleteUserSessions(ctx, ada.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.UserSessionByKey(ctx, adaKey, now); !errors.Is(err, db.ErrInvalidToken) {
			t.Fatalf("session of a deactivated user: %v", err)
		}
		if _, _, err := d.UserSessionByKey(ctx, bobKey, now); err != nil {
			t.Fatalf("another user's session: %v", err)
		}

		// Ending all of a user's sessions but one; ending one.
		keep, kept := start(bob, time.Hour)
		if err := d.DeleteUserSessions(ctx, bob.ID, kept.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.UserSessionByKey(ctx, bobKey, now); !errors.Is(err, db.ErrInvalidToken) {
			t.Fatalf("session not ended: %v", err)
		}
		if _, _, err := d.UserSessionByKey(ctx, keep, now); err != nil {
			t.Fatalf("the kept session was ended: %v", err)
		}
		if err := d.DeleteUserSession(ctx, kept.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.UserSessionByKey(ctx, keep, now); !errors.Is(err, db.ErrInvalidToken) {
			t.Fatalf("deleted session: %v", err)
		}

		// Cleaning: only the expired ones go.
		start(bob, time.Minute)
		start(bob, 2*time.Minute)
		liveKey, _ := start(bob, time.Hour)
		if n, err := d.DeleteExpiredUserSessions(ctx, now.Add(2*time.Minute)); err != nil || n != 2 {
			t.Fatalf("deleted %d expired sessions (%v), want 2", n, err)
		}
		if _, _, err := d.UserSessionByKey(ctx, liveKey, now); err != nil {
			t.Fatalf("a live session was cleaned: %v", err)
		}
	})
}
