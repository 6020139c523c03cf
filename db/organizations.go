package db

import (
	"context"
	"fmt"
	"time"
)

// Organization is a patient portal's tenant: patients register within one, named by its id.
type Organization struct {
	ID        string    `db:"id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// CreateOrganization inserts o; a taken id is a *ConflictError on "id" (see ConflictField).
func (s *Store) CreateOrganization(ctx context.Context, o *Organization) error {
	_, err := s.exec(ctx, `INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)`, o.ID, o.Name, o.CreatedAt)
	if err != nil {
		return fmt.Errorf("db: create organization %s: %w", o.ID, err)
	}
	return nil
}

// OrganizationByID returns an organization, or a *NotFoundError.
func (s *Store) OrganizationByID(ctx context.Context, id string) (*Organization, error) {
	var o Organization
	if err := s.get(ctx, &o, `SELECT id, name, created_at FROM organizations WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("db: organization %s: %w", id, missing(err, "organization", id))
	}
	return &o, nil
}
