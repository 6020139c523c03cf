package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// InstitutionalAccount is a doctor account an institution created.
type InstitutionalAccount struct {
	ID                      int64          `db:"id"`
	PublicID                string         `db:"public_id"` // "acc_" and 16 random [a-z0-9]
	InstitutionID           int64          `db:"institution_id"`
	Email                   string         `db:"email"` // unique in the institution, ignoring case
	DoctorSpecialties       JSON[[]string] `db:"doctor_specialties"`
	AccountRole             *string        `db:"account_role"`
	Country                 *string        `db:"country"`
	Language                *string        `db:"language"`
	TimeZone                *string        `db:"time_zone"`
	NameFull                *string        `db:"name_full"`
	InstitutionalBranchName *string        `db:"institutional_branch_name"`
	InternalCode            *string        `db:"internal_code"` // unique in the institution when set
	Enabled                 bool           `db:"enabled"`
	CreatedAt               time.Time      `db:"created_at"`
}

const institutionalAccountColumns = `id, public_id, institution_id, email, doctor_specialties, account_role,
	country, language, time_zone, name_full, institutional_branch_name, internal_code, enabled, created_at`

// CreateInstitutionalAccount inserts a with a new public id, sets its ID and PublicID, and returns
// its new API key, which cannot be recovered later. A duplicate internal code or email in the
// institution is a *ConflictError on "internal_code" or "email" (see ConflictField).
func (s *Store) CreateInstitutionalAccount(ctx context.Context, a *InstitutionalAccount) (string, error) {
	a.PublicID = "acc_" + s.randomLowerAlnum(16)
	token, keyID, secretHash := s.newToken()
	err := s.get(ctx, &a.ID, `INSERT INTO institutional_accounts (public_id, institution_id, email, email_lower,
		doctor_specialties, account_role, country, language, time_zone, name_full, institutional_branch_name,
		internal_code, enabled, key_id, secret_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.PublicID, a.InstitutionID, a.Email, strings.ToLower(a.Email), a.DoctorSpecialties, a.AccountRole,
		a.Country, a.Language, a.TimeZone, a.NameFull, a.InstitutionalBranchName, a.InternalCode, a.Enabled,
		keyID, secretHash, a.CreatedAt)
	if err != nil {
		return "", fmt.Errorf("db: create institutional account: %w", err)
	}
	return accountKeyPrefix + token, nil
}

// InstitutionalAccount returns the account with publicID in institution, or a *NotFoundError (also
// when it belongs to another institution).
func (s *Store) InstitutionalAccount(ctx context.Context, institution int64, publicID string) (*InstitutionalAccount, error) {
	var a InstitutionalAccount
	err := s.get(ctx, &a, `SELECT `+institutionalAccountColumns+` FROM institutional_accounts
		WHERE institution_id = ? AND public_id = ?`, institution, publicID)
	if err != nil {
		return nil, fmt.Errorf("db: institutional account %s of institution %d: %w", publicID, institution, missing(err, "institutional account", publicID))
	}
	return &a, nil
}

// InstitutionalAccountByKey returns the account an API key belongs to, or ErrInvalidToken.
func (s *Store) InstitutionalAccountByKey(ctx context.Context, key string) (*InstitutionalAccount, error) {
	id, err := s.keyOwner(ctx, "institutional_accounts", accountKeyPrefix, key)
	if err != nil {
		return nil, err
	}
	var a InstitutionalAccount
	if err := s.get(ctx, &a, `SELECT `+institutionalAccountColumns+` FROM institutional_accounts WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("db: institutional account %d: %w", id, err)
	}
	return &a, nil
}

// randomLowerAlnum returns n characters drawn uniformly from [a-z0-9] by the store's entropy source.
func (s *Store) randomLowerAlnum(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	// Bytes of 252 and above are rejected so that every character is equally likely (252 = 7×36).
	out := make([]byte, 0, n)
	buf := make([]byte, n)
	for len(out) < n {
		s.random(buf)
		for _, b := range buf {
			if b < 252 && len(out) < n {
				out = append(out, alphabet[b%36])
			}
		}
	}
	return string(out)
}
