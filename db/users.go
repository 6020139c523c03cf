package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// User is a telemedicine user (the Users family). Secrets are kept only as argon2id hashes.
type User struct {
	ID             int64      `db:"id"`
	Username       string     `db:"username"`
	PasswordHash   string     `db:"password_hash"`
	PINHash        *string    `db:"pin_hash"` // the 4-digit numeric_password's hash; nil when none
	FirstName      string     `db:"first_name"`
	LastName       string     `db:"last_name"`
	Email          string     `db:"email"` // "" when none
	BirthDate      *time.Time `db:"birth_date"`
	IsStaff        bool       `db:"is_staff"`
	IsActive       bool       `db:"is_active"`
	IsAdmin        bool       `db:"is_admin"`
	UserType       string     `db:"user_type"` // AD, TE, CL or ST
	Gender         string     `db:"gender"`    // M, F or U
	Phone          string     `db:"phone"`
	Mobile         string     `db:"mobile"`
	CertifiedEmail string     `db:"certified_email"`
	CreatedAt      time.Time  `db:"created_at"`
}

const userColumns = `id, username, password_hash, pin_hash, first_name, last_name, email, birth_date,
	is_staff, is_active, is_admin, user_type, gender, phone, mobile, certified_email, created_at`

// MaxUserSearchResults bounds a user search.
const MaxUserSearchResults = 50

// CreateUser inserts u and sets its ID. A taken username or email is a *ConflictError on "username" or "email" (see ConflictField).
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	err := s.get(ctx, &u.ID, `INSERT INTO users (username, password_hash, pin_hash, first_name, last_name, email,
		email_lower, birth_date, is_staff, is_active, is_admin, user_type, gender, phone, mobile, certified_email, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Username, u.PasswordHash, u.PINHash, u.FirstName, u.LastName, u.Email, strings.ToLower(u.Email), u.BirthDate, u.IsStaff,
		u.IsActive, u.IsAdmin, u.UserType, u.Gender, u.Phone, u.Mobile, u.CertifiedEmail, u.CreatedAt)
	if err != nil {
		return fmt.Errorf("db: create user %q: %w", u.Username, err)
	}
	return nil
}

// UpdateUser saves every field of u but its username and creation time.
func (s *Store) UpdateUser(ctx context.Context, u *User) error {
	n, err := s.exec(ctx, `UPDATE users SET password_hash = ?, pin_hash = ?, first_name = ?, last_name = ?,
		email = ?, email_lower = ?, birth_date = ?, is_staff = ?, is_active = ?, is_admin = ?, user_type = ?, gender = ?,
		phone = ?, mobile = ?, certified_email = ? WHERE id = ?`,
		u.PasswordHash, u.PINHash, u.FirstName, u.LastName, u.Email, strings.ToLower(u.Email), u.BirthDate, u.IsStaff, u.IsActive,
		u.IsAdmin, u.UserType, u.Gender, u.Phone, u.Mobile, u.CertifiedEmail, u.ID)
	if err != nil {
		return fmt.Errorf("db: update user %d: %w", u.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("db: update user %d: %w", u.ID, ErrNotFound)
	}
	return nil
}

// UserByID returns a user, or a *NotFoundError.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.get(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("db: user %d: %w", id, missing(err, "user", id))
	}
	return &u, nil
}

// UserByUsername returns the user with this username, whatever its case.
func (s *Store) UserByUsername(ctx context.Context, username string) (*User, error) {
	var u User
	if err := s.get(ctx, &u, `SELECT `+userColumns+` FROM users WHERE lower(username) = lower(?)`, username); err != nil {
		return nil, fmt.Errorf("db: user %q: %w", username, err)
	}
	return &u, nil
}

// SearchUsers returns the users matching every term, ordered by username, at most
// MaxUserSearchResults. A term matches when it is a case-insensitive substring of the username,
// first name, last name, email or certified email; LIKE wildcards in terms match literally. With
// only set, the search is restricted to that user.
func (s *Store) SearchUsers(ctx context.Context, terms []string, only *int64) ([]User, error) {
	like := ` ` + s.Dialect().ILike() + ` ? ESCAPE '\'`
	var where []string
	var args []any
	if only != nil {
		where = append(where, `id = ?`)
		args = append(args, *only)
	}
	for _, term := range terms {
		where = append(where, `(username`+like+` OR first_name`+like+` OR last_name`+like+
			` OR email`+like+` OR certified_email`+like+`)`)
		p := ContainsPattern(term)
		args = append(args, p, p, p, p, p)
	}
	if len(where) == 0 {
		where = []string{"TRUE"}
	}
	args = append(args, MaxUserSearchResults)
	users := []User{}
	err := s.selectAll(ctx, &users, `SELECT `+userColumns+` FROM users WHERE `+strings.Join(where, " AND ")+
		` ORDER BY username LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: search users %q: %w", terms, err)
	}
	return users, nil
}
