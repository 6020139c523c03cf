package db

import (
	"context"
	"fmt"
	"time"
)

// Hospital is a place a medic practises from.
type Hospital struct {
	ID             int64     `db:"id"`
	CreatedBy      int64     `db:"created_by"`
	CreatedAt      time.Time `db:"created_at"`
	Name           string    `db:"name"`
	Patron         string    `db:"patron"`
	Location       string    `db:"location"`
	Contact        string    `db:"contact"`
	Headline       string    `db:"headline"`
	PageSize       bool      `db:"page_size"`
	PageTemplate   string    `db:"page_template"`
	Picture        *string   `db:"picture"`
	UniversityLogo *string   `db:"university_logo"`
	Info           bool      `db:"info"`
	IsActive       bool      `db:"is_active"`
	SendEmails     bool      `db:"send_emails"`
	ZipCode        string    `db:"zip_code"`
	LocationLat    string    `db:"location_lat"`
	LocationLon    string    `db:"location_lon"`
	GooglePlaceID  string    `db:"google_place_id"`
}

// MemberHospital is a hospital seen by one of its members, with that member's membership type.
type MemberHospital struct {
	Hospital
	TypeMembership MembershipType `db:"type_membership"`
}

const hospitalColumns = `hospitals.id, hospitals.created_by, hospitals.created_at, hospitals.name,
	hospitals.patron, hospitals.location, hospitals.contact, hospitals.headline, hospitals.page_size,
	hospitals.page_template, hospitals.picture, hospitals.university_logo, hospitals.info, hospitals.is_active,
	hospitals.send_emails, hospitals.zip_code, hospitals.location_lat, hospitals.location_lon,
	hospitals.google_place_id`

// memberHospitalFrom joins the hospitals a medic (the first argument) has a live membership in.
const memberHospitalFrom = ` FROM hospitals JOIN memberships
	ON memberships.hospital_id = hospitals.id AND memberships.medic_id = ? AND NOT memberships.is_deleted`

// CreateHospital inserts h and sets its ID.
func (s *Store) CreateHospital(ctx context.Context, h *Hospital) error {
	err := s.get(ctx, &h.ID, `INSERT INTO hospitals (created_by, created_at, name, patron, location, contact,
		headline, page_size, page_template, picture, university_logo, info, is_active, send_emails, zip_code,
		location_lat, location_lon, google_place_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		h.CreatedBy, h.CreatedAt, h.Name, h.Patron, h.Location, h.Contact, h.Headline, h.PageSize,
		h.PageTemplate, h.Picture, h.UniversityLogo, h.Info, h.IsActive, h.SendEmails, h.ZipCode,
		h.LocationLat, h.LocationLon, h.GooglePlaceID)
	if err != nil {
		return fmt.Errorf("db: create hospital: %w", err)
	}
	return nil
}

// UpdateHospital saves h's editable fields.
func (s *Store) UpdateHospital(ctx context.Context, h *Hospital) error {
	n, err := s.exec(ctx, `UPDATE hospitals SET name = ?, patron = ?, location = ?, contact = ?, headline = ?,
		page_size = ?, info = ?, is_active = ?, send_emails = ?, zip_code = ?, location_lat = ?,
		location_lon = ?, google_place_id = ? WHERE id = ?`,
		h.Name, h.Patron, h.Location, h.Contact, h.Headline, h.PageSize, h.Info, h.IsActive, h.SendEmails,
		h.ZipCode, h.LocationLat, h.LocationLon, h.GooglePlaceID, h.ID)
	if err != nil {
		return fmt.Errorf("db: update hospital %d: %w", h.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("db: update hospital %d: %w", h.ID, ErrNotFound)
	}
	return nil
}

// MemberHospital returns hospital id as seen by medic, who must have a live membership in it.
func (s *Store) MemberHospital(ctx context.Context, medic, id int64) (*MemberHospital, error) {
	var h MemberHospital
	err := s.get(ctx, &h, `SELECT `+hospitalColumns+`, memberships.type_membership`+memberHospitalFrom+`
		WHERE hospitals.id = ?`, medic, id)
	if err != nil {
		return nil, fmt.Errorf("db: hospital %d of medic %d: %w", id, medic, err)
	}
	return &h, nil
}

// MemberHospitals pages through the hospitals medic has a live membership in, ordered by id.
func (s *Store) MemberHospitals(ctx context.Context, medic int64, page Page) ([]MemberHospital, int, error) {
	var count int
	if err := s.get(ctx, &count, `SELECT COUNT(*)`+memberHospitalFrom, medic); err != nil {
		return nil, 0, fmt.Errorf("db: count hospitals of medic %d: %w", medic, err)
	}
	hospitals := []MemberHospital{}
	err := s.selectAll(ctx, &hospitals, `SELECT `+hospitalColumns+`, memberships.type_membership`+memberHospitalFrom+`
		ORDER BY hospitals.id LIMIT ? OFFSET ?`, medic, page.Limit, page.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("db: list hospitals of medic %d: %w", medic, err)
	}
	return hospitals, count, nil
}
