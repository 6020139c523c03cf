package db

import (
	"context"
	"fmt"
	"time"
)

// Patient is a patient-portal account within an organization.
type Patient struct {
	ID                       string               `db:"id"`
	OrganizationID           string               `db:"organization_id"`
	Uname                    string               `db:"uname"` // lower-cased email#organization, unique
	Email                    string               `db:"email"`
	PasswordHash             *string              `db:"password_hash"` // nil: the patient cannot sign in
	FirstName                string               `db:"first_name"`
	LastName                 string               `db:"last_name"`
	Gender                   string               `db:"gender"`
	Phone                    string               `db:"phone"`
	DOB                      time.Time            `db:"dob"`
	Roles                    JSON[[]string]       `db:"roles"`
	Meta                     JSON[map[string]any] `db:"meta"`
	UnreadNotificationsCount int                  `db:"unread_notifications_count"`
	EmrID                    *int64               `db:"emr_id"`
	Referrer                 *string              `db:"referrer"`
	HcCard                   JSON[map[string]any] `db:"hc_card"`
	AcceptsMarketing         bool                 `db:"accepts_marketing"`
	HasInsurance             bool                 `db:"has_insurance"`
	Providers                JSON[[]string]       `db:"providers"`
	Verifications            JSON[map[string]any] `db:"verifications"`
	Province                 *string              `db:"province"`
	Groups                   JSON[[]string]       `db:"group_ids"`
	CreatedAt                time.Time            `db:"created_at"`
}

const patientColumns = `id, organization_id, uname, email, password_hash, first_name, last_name, gender, phone,
	dob, roles, meta, unread_notifications_count, emr_id, referrer, hc_card, accepts_marketing, has_insurance,
	providers, verifications, province, group_ids, created_at`

// CreatePatient inserts p. A second account for the same uname, or the same emr_id in the
// organization, is a *ConflictError on "uname" or "emrId" (see ConflictField).
func (s *Store) CreatePatient(ctx context.Context, p *Patient) error {
	_, err := s.exec(ctx, `INSERT INTO patients (`+patientColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.OrganizationID, p.Uname, p.Email, p.PasswordHash, p.FirstName, p.LastName, p.Gender, p.Phone,
		p.DOB, p.Roles, p.Meta, p.UnreadNotificationsCount, p.EmrID, p.Referrer, p.HcCard, p.AcceptsMarketing,
		p.HasInsurance, p.Providers, p.Verifications, p.Province, p.Groups, p.CreatedAt)
	if err != nil {
		return fmt.Errorf("db: create patient %s: %w", p.Uname, err)
	}
	return nil
}

// PatientByID returns a patient, or ErrNotFound.
func (s *Store) PatientByID(ctx context.Context, id string) (*Patient, error) {
	var p Patient
	if err := s.get(ctx, &p, `SELECT `+patientColumns+` FROM patients WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("db: patient %s: %w", id, err)
	}
	return &p, nil
}

// PatientByUname returns the patient with this (lower-cased) uname, or ErrNotFound.
func (s *Store) PatientByUname(ctx context.Context, uname string) (*Patient, error) {
	var p Patient
	if err := s.get(ctx, &p, `SELECT `+patientColumns+` FROM patients WHERE uname = ?`, uname); err != nil {
		return nil, fmt.Errorf("db: patient %s: %w", uname, err)
	}
	return &p, nil
}
