package db

import (
	"context"
	"fmt"
	"time"
)

// Organization is a patient portal's tenant: patients register within one, named by its id or by
// one of its portal domains.
type Organization struct {
	ID        string    `db:"id"`
	Name      string    `db:"name"`
	Country   string    `db:"country"` // ISO 3166 alpha-2: national phone numbers are read in it
	CreatedAt time.Time `db:"created_at"`
}

// CreateOrganization inserts o; a taken id is a *ConflictError on "id" (see ConflictField).
func (s *Store) CreateOrganization(ctx context.Context, o *Organization) error {
	_, err := s.exec(ctx, `INSERT INTO organizations (id, name, country, created_at) VALUES (?, ?, ?, ?)`,
		o.ID, o.Name, o.Country, o.CreatedAt)
	if err != nil {
		return fmt.Errorf("db: create organization %s: %w", o.ID, err)
	}
	return nil
}

// AddOrganizationDomain makes domain (lower case, without port) a portal domain of organization; a
// domain another organization has is a *ConflictError on "domain" (see ConflictField).
func (s *Store) AddOrganizationDomain(ctx context.Context, organization, domain string) error {
	_, err := s.exec(ctx, `INSERT INTO organization_domains (domain, organization_id) VALUES (?, ?)`, domain, organization)
	if err != nil {
		return fmt.Errorf("db: add domain %s to organization %s: %w", domain, organization, err)
	}
	return nil
}

// OrganizationByID returns an organization, or a *NotFoundError.
func (s *Store) OrganizationByID(ctx context.Context, id string) (*Organization, error) {
	var o Organization
	if err := s.get(ctx, &o, `SELECT id, name, country, created_at FROM organizations WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("db: organization %s: %w", id, missing(err, "organization", id))
	}
	return &o, nil
}

// OrganizationByDomain returns the organization whose portal domain is domain, or ErrNotFound.
func (s *Store) OrganizationByDomain(ctx context.Context, domain string) (*Organization, error) {
	var o Organization
	err := s.get(ctx, &o, `SELECT organizations.id, organizations.name, organizations.country, organizations.created_at
		FROM organizations JOIN organization_domains ON organization_domains.organization_id = organizations.id
		WHERE organization_domains.domain = ?`, domain)
	if err != nil {
		return nil, fmt.Errorf("db: organization of domain %s: %w", domain, err)
	}
	return &o, nil
}
