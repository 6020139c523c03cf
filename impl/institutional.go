package impl

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
)

// The Institutional accounts family: an institution, with its API key, creates doctor accounts and
// reads them back. Each doctor account gets an API key of its own, which authenticates but is
// refused by these institution-only operations.

var (
	errInstitutionKeyRequired = newError(http.StatusUnauthorized, "A valid institution API key is required (Authorization: Bearer <key>)")
	errDoctorKey              = newError(http.StatusForbidden, "This operation needs an institution API key, not a doctor account key")
)

// CreateInstitution creates an institution and returns its API key, for `galeno admin institution`.
func (s *Server) CreateInstitution(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errors.New("a name is required")
	}
	key, err := s.db.CreateInstitution(ctx, &db.Institution{Name: name, CreatedAt: s.timestamp()})
	if db.ConflictField(err) == "name" {
		return "", fmt.Errorf("an institution named %q already exists", name)
	}
	return key, err
}

// authenticateInstitutionalBearer resolves `Authorization: Bearer <key>` into the key's
// *db.Institution. A doctor account's key is valid but refused (403): every operation of the family
// needs the institution's.
func (s *Server) authenticateInstitutionalBearer(ctx context.Context, r *http.Request) (any, error) {
	scheme, key, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errInstitutionKeyRequired
	}
	key = strings.TrimSpace(key)
	inst, err := s.db.InstitutionByKey(ctx, key)
	if err == nil {
		return inst, nil
	}
	if !errors.Is(err, db.ErrInvalidToken) {
		return nil, err
	}
	_, err = s.db.InstitutionalAccountByKey(ctx, key)
	switch {
	case err == nil:
		return nil, errDoctorKey
	case errors.Is(err, db.ErrInvalidToken):
		return nil, errInstitutionKeyRequired
	}
	return nil, err
}

// CreateInstitutionalAccount creates a doctor account in the caller's institution and returns its
// API key, shown only here.
func (s *Server) CreateInstitutionalAccount(ctx context.Context, req gen.CreateInstitutionalAccountRequestObject) (gen.CreateInstitutionalAccountResponseObject, error) {
	inst, err := principal[*db.Institution](ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	a := &db.InstitutionalAccount{
		InstitutionID:           inst.ID,
		Email:                   string(b.Email),
		DoctorSpecialties:       db.JSON[[]string]{V: b.DoctorSpecialties},
		AccountRole:             b.AccountRole,
		Country:                 b.Country,
		Language:                b.Language,
		TimeZone:                b.TimeZone,
		NameFull:                b.NameFull,
		InstitutionalBranchName: b.InstitutionalBranchName,
		InternalCode:            b.InternalCode,
		Enabled:                 true,
		CreatedAt:               s.timestamp(),
	}
	var key string
	err = s.inTx(ctx, func(tx *db.Store) (err error) {
		if key, err = tx.CreateInstitutionalAccount(ctx, a); err != nil {
			return err
		}
		auditObject(ctx, a.PublicID)
		return nil
	})
	switch {
	case db.ConflictField(err) == "internal_code":
		return nil, conflict("internalCode", "An account with internalCode "+*a.InternalCode+" already exists")
	case db.ConflictField(err) == "email":
		return nil, conflict("email", "An account with email "+a.Email+" already exists")
	case err != nil:
		return nil, err
	}
	return gen.CreateInstitutionalAccount201JSONResponse{Body: gen.InstitutionalAccountCreated{Id: a.PublicID, Email: a.Email, ApiKey: key, InternalCode: a.InternalCode}}, nil
}

// GetInstitutionalAccount returns an account of the caller's institution; any other is not found.
func (s *Server) GetInstitutionalAccount(ctx context.Context, req gen.GetInstitutionalAccountRequestObject) (gen.GetInstitutionalAccountResponseObject, error) {
	inst, err := principal[*db.Institution](ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.db.InstitutionalAccount(ctx, inst.ID, req.AccountId)
	if err != nil {
		return nil, err
	}
	return gen.GetInstitutionalAccount200JSONResponse{
		Id:                a.PublicID,
		Email:             a.Email,
		DoctorSpecialties: a.DoctorSpecialties.V,
		Enabled:           a.Enabled,
		CreatedAt:         a.CreatedAt,
		NameFull:          a.NameFull,
		InternalCode:      a.InternalCode,
	}, nil
}

// conflict is a 409 (resource_conflict) about one request field.
func conflict(field, message string) *Error {
	return &Error{Status: http.StatusConflict, Message: message, Fields: map[string][]string{field: {"already exists"}}}
}
