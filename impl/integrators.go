package impl

import (
	"context"
	"fmt"
	"strings"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/internal/contract"
)

// CreateIntegrator creates an integrator's own medic account (owned by nobody, with no usable
// password) and returns its new API token, for `galeno admin token`.
func (s *Server) CreateIntegrator(ctx context.Context, name, email string) (string, error) {
	name, email = strings.TrimSpace(name), strings.TrimSpace(email)
	if name == "" {
		return "", fmt.Errorf("a name is required")
	}
	if contract.CheckEmail(email) != nil {
		return "", fmt.Errorf("%q is not a valid email address", email)
	}
	now := s.timestamp()
	m := &db.Medic{Name: name, Email: email, PasswordHash: s.unusablePasswordHash(), IsActive: true, CreatedAt: now}
	var token string
	err := s.db.InTx(ctx, func(tx *db.Store) error {
		if err := tx.CreateMedic(ctx, m); err != nil {
			if db.ConflictField(err) == "email" {
				return fmt.Errorf("a medic with the email %s already exists", email)
			}
			return err
		}
		var err error
		token, err = tx.IssueMedicToken(ctx, m.ID, now)
		return err
	})
	return token, err
}
