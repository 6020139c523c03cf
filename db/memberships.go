package db

import (
	"context"
	"fmt"
	"time"
)

// MembershipType is ADMIN (may edit the hospital and manage its memberships) or MEMBER.
type MembershipType string

// The membership types.
const (
	Admin  MembershipType = "ADMIN"
	Member MembershipType = "MEMBER"
)

// Membership links a medic to a hospital. At most one membership of a medic is active (its current
// hospital); a deleted membership is kept so that it can be restored.
type Membership struct {
	ID             int64          `db:"id"`
	MedicID        int64          `db:"medic_id"`
	HospitalID     int64          `db:"hospital_id"`
	TypeMembership MembershipType `db:"type_membership"`
	IsActive       bool           `db:"is_active"`
	IsDeleted      bool           `db:"is_deleted"`
	DateJoined     time.Time      `db:"date_joined"`

	MedicName  string `db:"medic_name"`  // read-only
	MedicEmail string `db:"medic_email"` // read-only
}

// IsLiveAdmin reports whether m is an ADMIN membership that is not deleted.
func (m *Membership) IsLiveAdmin() bool { return m.TypeMembership == Admin && !m.IsDeleted }

const membershipSelect = `SELECT memberships.id, memberships.medic_id, memberships.hospital_id,
	memberships.type_membership, memberships.is_active, memberships.is_deleted, memberships.date_joined,
	medics.name AS medic_name, medics.email AS medic_email
	FROM memberships JOIN medics ON medics.id = memberships.medic_id`

// CreateMembership inserts m and sets its ID; an active m replaces the medic's active membership.
// A second membership of the same medic in the same hospital is a *ConflictError on
// "medic_hospital" (see ConflictField).
func (s *Store) CreateMembership(ctx context.Context, m *Membership) error {
	if m.IsActive {
		if err := s.clearActive(ctx, m.MedicID, 0); err != nil {
			return err
		}
	}
	err := s.get(ctx, &m.ID, `INSERT INTO memberships (medic_id, hospital_id, type_membership, is_active,
		is_deleted, date_joined) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		m.MedicID, m.HospitalID, m.TypeMembership, m.IsActive, m.IsDeleted, m.DateJoined)
	if err != nil {
		return fmt.Errorf("db: create membership: %w", err)
	}
	return nil
}

// UpdateMembership saves m's type and flags; an active m replaces the medic's active membership.
func (s *Store) UpdateMembership(ctx context.Context, m *Membership) error {
	if m.IsActive {
		if err := s.clearActive(ctx, m.MedicID, m.ID); err != nil {
			return err
		}
	}
	n, err := s.exec(ctx, `UPDATE memberships SET type_membership = ?, is_active = ?, is_deleted = ? WHERE id = ?`,
		m.TypeMembership, m.IsActive, m.IsDeleted, m.ID)
	if err != nil {
		return fmt.Errorf("db: update membership %d: %w", m.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("db: update membership %d: %w", m.ID, ErrNotFound)
	}
	return nil
}

// clearActive makes every membership of medic but keep inactive. It locks the medic first, so that
// concurrent activations for one medic queue instead of colliding on the one-active-membership index.
func (s *Store) clearActive(ctx context.Context, medic, keep int64) error {
	if err := s.LockMedic(ctx, medic); err != nil {
		return err
	}
	_, err := s.exec(ctx, `UPDATE memberships SET is_active = ? WHERE medic_id = ? AND id <> ? AND is_active`,
		false, medic, keep)
	if err != nil {
		return fmt.Errorf("db: clear active membership of medic %d: %w", medic, err)
	}
	return nil
}

// MembershipByID returns a membership, whoever may see it.
func (s *Store) MembershipByID(ctx context.Context, id int64) (*Membership, error) {
	var m Membership
	if err := s.get(ctx, &m, membershipSelect+` WHERE memberships.id = ?`, id); err != nil {
		return nil, fmt.Errorf("db: membership %d: %w", id, err)
	}
	return &m, nil
}

// MembershipOf returns medic's membership in hospital, deleted or not.
func (s *Store) MembershipOf(ctx context.Context, medic, hospital int64) (*Membership, error) {
	var m Membership
	err := s.get(ctx, &m, membershipSelect+` WHERE memberships.medic_id = ? AND memberships.hospital_id = ?`,
		medic, hospital)
	if err != nil {
		return nil, fmt.Errorf("db: membership of medic %d in hospital %d: %w", medic, hospital, err)
	}
	return &m, nil
}

// manageableWhere selects the memberships a medic (bound twice) may manage: its own, and every
// membership of the hospitals where it is a live ADMIN.
const manageableWhere = ` WHERE memberships.medic_id = ? OR memberships.hospital_id IN (
	SELECT admin.hospital_id FROM memberships admin
	WHERE admin.medic_id = ? AND admin.type_membership = 'ADMIN' AND NOT admin.is_deleted)`

// ManageableMemberships pages through the memberships medic may manage, ordered by id.
func (s *Store) ManageableMemberships(ctx context.Context, medic int64, page Page) ([]Membership, int, error) {
	var count int
	if err := s.get(ctx, &count, `SELECT COUNT(*) FROM memberships`+manageableWhere, medic, medic); err != nil {
		return nil, 0, fmt.Errorf("db: count memberships managed by medic %d: %w", medic, err)
	}
	memberships := []Membership{}
	err := s.selectAll(ctx, &memberships, membershipSelect+manageableWhere+` ORDER BY memberships.id LIMIT ? OFFSET ?`,
		medic, medic, page.Limit, page.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("db: list memberships managed by medic %d: %w", medic, err)
	}
	return memberships, count, nil
}

// HospitalMemberships lists the live memberships of a hospital, newest first.
func (s *Store) HospitalMemberships(ctx context.Context, hospital int64) ([]Membership, error) {
	memberships := []Membership{}
	err := s.selectAll(ctx, &memberships, membershipSelect+`
		WHERE memberships.hospital_id = ? AND NOT memberships.is_deleted ORDER BY memberships.id DESC`, hospital)
	if err != nil {
		return nil, fmt.Errorf("db: memberships of hospital %d: %w", hospital, err)
	}
	return memberships, nil
}

// LockHospital holds hospital's row until the transaction ends, to serialise changes to who its
// ADMINs are. (SQLite transactions are already serialised: there it only checks the row.)
func (s *Store) LockHospital(ctx context.Context, id int64) error {
	var locked int64
	if err := s.get(ctx, &locked, `SELECT id FROM hospitals WHERE id = ?`+s.dialect.forUpdate(), id); err != nil {
		return fmt.Errorf("db: lock hospital %d: %w", id, err)
	}
	return nil
}

// LiveAdminCount counts the ADMIN memberships of hospital that are not deleted.
func (s *Store) LiveAdminCount(ctx context.Context, hospital int64) (int, error) {
	var n int
	err := s.get(ctx, &n, `SELECT COUNT(*) FROM memberships
		WHERE hospital_id = ? AND type_membership = 'ADMIN' AND NOT is_deleted`, hospital)
	if err != nil {
		return 0, fmt.Errorf("db: count ADMINs of hospital %d: %w", hospital, err)
	}
	return n, nil
}
