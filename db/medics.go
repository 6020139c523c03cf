package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Medic is a Prescrypto medic, with its active hospital (the hospital of its active, not deleted
// membership) when it has one.
type Medic struct {
	ID                int64      `db:"id"`
	OwnerID           *int64     `db:"owner_id"` // the medic whose token created this one
	Name              string     `db:"name"`
	Email             string     `db:"email"`
	PasswordHash      string     `db:"password_hash"`
	DateOfBirth       *time.Time `db:"date_of_birth"`
	CedulaProf        string     `db:"cedula_prof"`
	SpecialtyNo       string     `db:"specialty_no"`
	Specialty         string     `db:"specialty"`
	AlmaMater         string     `db:"alma_mater"`
	Female            bool       `db:"female"`
	IsActive          bool       `db:"is_active"`
	SpecialtyVerified bool       `db:"specialty_verified"`
	Campaign          *string    `db:"campaign"`
	CreatedAt         time.Time  `db:"created_at"`

	HospitalID     *int64          `db:"hospital_id"`     // read-only: the active hospital
	TypeMembership *MembershipType `db:"type_membership"` // read-only: the active membership's type
}

// medicColumns selects a medic and its active hospital; use with medicFrom.
const medicColumns = `medics.id, medics.owner_id, medics.name, medics.email, medics.password_hash,
	medics.date_of_birth, medics.cedula_prof, medics.specialty_no, medics.specialty, medics.alma_mater,
	medics.female, medics.is_active, medics.specialty_verified, medics.campaign, medics.created_at,
	active.hospital_id, active.type_membership`

const medicFrom = ` FROM medics LEFT JOIN memberships active
	ON active.medic_id = medics.id AND active.is_active AND NOT active.is_deleted`

// CreateMedic inserts m and sets its ID. An email taken in any letter case is a *ConflictError on
// "email" (see ConflictField).
func (s *Store) CreateMedic(ctx context.Context, m *Medic) error {
	err := s.get(ctx, &m.ID, `INSERT INTO medics (owner_id, name, email, email_lower, password_hash, date_of_birth,
		cedula_prof, specialty_no, specialty, alma_mater, female, is_active, specialty_verified, campaign, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.OwnerID, m.Name, m.Email, strings.ToLower(m.Email), m.PasswordHash, m.DateOfBirth, m.CedulaProf, m.SpecialtyNo, m.Specialty,
		m.AlmaMater, m.Female, m.IsActive, m.SpecialtyVerified, m.Campaign, m.CreatedAt)
	if err != nil {
		return fmt.Errorf("db: create medic: %w", err)
	}
	return nil
}

// UpdateMedic saves m's editable fields (everything but the owner, password and creation time).
func (s *Store) UpdateMedic(ctx context.Context, m *Medic) error {
	n, err := s.exec(ctx, `UPDATE medics SET name = ?, email = ?, email_lower = ?, date_of_birth = ?, cedula_prof = ?,
		specialty_no = ?, specialty = ?, alma_mater = ?, female = ?, is_active = ?, campaign = ?
		WHERE id = ?`,
		m.Name, m.Email, strings.ToLower(m.Email), m.DateOfBirth, m.CedulaProf, m.SpecialtyNo, m.Specialty, m.AlmaMater, m.Female,
		m.IsActive, m.Campaign, m.ID)
	if err != nil {
		return fmt.Errorf("db: update medic %d: %w", m.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("db: update medic %d: %w", m.ID, ErrNotFound)
	}
	return nil
}

// MedicByID returns a medic, whoever owns it.
func (s *Store) MedicByID(ctx context.Context, id int64) (*Medic, error) {
	var m Medic
	if err := s.get(ctx, &m, `SELECT `+medicColumns+medicFrom+` WHERE medics.id = ?`, id); err != nil {
		return nil, fmt.Errorf("db: medic %d: %w", id, err)
	}
	return &m, nil
}

// MedicsByEmail pages through the medics whose email is email in any letter case (at most one), and
// counts them.
func (s *Store) MedicsByEmail(ctx context.Context, email string, page Page) ([]Medic, int, error) {
	lower := strings.ToLower(email)
	var count int
	if err := s.get(ctx, &count, `SELECT COUNT(*) FROM medics WHERE email_lower = ?`, lower); err != nil {
		return nil, 0, fmt.Errorf("db: count medics with email %q: %w", email, err)
	}
	medics := []Medic{}
	err := s.selectAll(ctx, &medics, `SELECT `+medicColumns+medicFrom+` WHERE medics.email_lower = ?
		ORDER BY medics.id LIMIT ? OFFSET ?`, lower, page.Limit, page.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("db: medics with email %q: %w", email, err)
	}
	return medics, count, nil
}

// VisibleMedic returns medic id if viewer may see it: it is the viewer or was created by the viewer.
func (s *Store) VisibleMedic(ctx context.Context, viewer, id int64) (*Medic, error) {
	var m Medic
	err := s.get(ctx, &m, `SELECT `+medicColumns+medicFrom+`
		WHERE medics.id = ? AND (medics.id = ? OR medics.owner_id = ?)`, id, viewer, viewer)
	if err != nil {
		return nil, fmt.Errorf("db: medic %d seen by %d: %w", id, viewer, err)
	}
	return &m, nil
}

// VisibleMedics pages through the medics viewer may see, ordered by id, and counts them all: the
// viewer itself and those it created, whose number medic_owned_counts keeps (migration 00005). The
// count comes with the page's rows; only a page past the end needs a query of its own for it.
func (s *Store) VisibleMedics(ctx context.Context, viewer int64, page Page) ([]Medic, int, error) {
	const count = `SELECT COALESCE((SELECT 1 + medics FROM medic_owned_counts WHERE owner_id = ?), 0)`
	var rows []struct {
		Medic
		Total int `db:"total"`
	}
	err := s.selectAll(ctx, &rows, `SELECT `+medicColumns+`, (`+count+`) AS total`+medicFrom+`
		WHERE medics.id = ? OR medics.owner_id = ? ORDER BY medics.id LIMIT ? OFFSET ?`,
		viewer, viewer, viewer, page.Limit, page.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("db: list medics of %d: %w", viewer, err)
	}
	medics := make([]Medic, len(rows))
	for i := range rows {
		medics[i] = rows[i].Medic
	}
	if len(rows) > 0 {
		return medics, rows[0].Total, nil
	}
	var total int
	if err := s.get(ctx, &total, count, viewer); err != nil {
		return nil, 0, fmt.Errorf("db: count medics of %d: %w", viewer, err)
	}
	return medics, total, nil
}

// LockMedic holds medic's row until the transaction ends, to serialise read-then-write changes to
// the medic's memberships. (SQLite transactions are already serialised: there it only checks the row.)
func (s *Store) LockMedic(ctx context.Context, id int64) error {
	var locked int64
	if err := s.get(ctx, &locked, `SELECT id FROM medics WHERE id = ?`+s.dialect.forUpdate(), id); err != nil {
		return fmt.Errorf("db: lock medic %d: %w", id, err)
	}
	return nil
}
