package impl

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
)

// ListMedics lists the caller and the medics created with its token.
func (s *Server) ListMedics(ctx context.Context, req gen.ListMedicsRequestObject) (gen.ListMedicsResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := paged(ctx, req.Params.Limit, req.Params.Offset, func(p db.Page) ([]db.Medic, int, error) {
		return s.db.VisibleMedics(ctx, me.ID, p)
	}, medicJSON)
	if err != nil {
		return nil, err
	}
	return gen.ListMedics200JSONResponse(p), nil
}

// GetMedic returns the caller or a medic created with its token.
func (s *Server) GetMedic(ctx context.Context, req gen.GetMedicRequestObject) (gen.GetMedicResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.db.VisibleMedic(ctx, me.ID, req.MedicId)
	if err != nil {
		return nil, err
	}
	return gen.GetMedic200JSONResponse(medicJSON(m)), nil
}

// SearchMedics finds the medic with an email, in any letter case, among all medics: only its id and
// email, and only for the whole email, so that an ADMIN can add it to a hospital without the search
// listing the platform.
func (s *Server) SearchMedics(ctx context.Context, req gen.SearchMedicsRequestObject) (gen.SearchMedicsResponseObject, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	p, err := paged(ctx, req.Params.Limit, req.Params.Offset, func(p db.Page) ([]db.Medic, int, error) {
		return s.db.MedicsByEmail(ctx, req.Params.Query, p)
	}, func(m *db.Medic) gen.MedicSearchResult { return gen.MedicSearchResult{Id: m.ID, Email: m.Email} })
	if err != nil {
		return nil, err
	}
	return gen.SearchMedics200JSONResponse(p), nil
}

// CreateMedic creates a medic owned by the caller, with its token, and its membership in `hospital`.
func (s *Server) CreateMedic(ctx context.Context, req gen.CreateMedicRequestObject) (gen.CreateMedicResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	if b.Password == nil {
		return nil, fieldError("password", msgRequired)
	}
	hash, err := s.hashSecret(ctx, *b.Password)
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	m := &db.Medic{
		OwnerID:      &me.ID,
		Name:         b.Name,
		Email:        string(b.Email),
		PasswordHash: hash,
		DateOfBirth:  dateValue(b.DateOfBirth),
		CedulaProf:   valueOr(b.CedulaProf, ""),
		SpecialtyNo:  valueOr(b.SpecialtyNo, ""),
		Specialty:    valueOr(b.Specialty, ""),
		AlmaMater:    valueOr(b.AlmaMater, ""),
		Female:       valueOr(b.Female, false),
		IsActive:     valueOr(b.IsActive, true),
		Campaign:     b.Campaign,
		CreatedAt:    now,
	}
	var token string
	err = s.inTx(ctx, func(tx *db.Store) error {
		if b.Hospital != nil {
			if err := requireHospitalAdmin(ctx, tx, me.ID, *b.Hospital); err != nil {
				return err
			}
		}
		if err := tx.CreateMedic(ctx, m); err != nil {
			return medicConflict(err)
		}
		auditObject(ctx, m.ID)
		if b.Hospital != nil {
			err := tx.CreateMembership(ctx, &db.Membership{MedicID: m.ID, HospitalID: *b.Hospital,
				TypeMembership: membershipType(valueOr(b.IsAdminMembership, false)), IsActive: true, DateJoined: now})
			if err != nil {
				return err
			}
		}
		if token, err = tx.IssueMedicToken(ctx, m.ID, now); err != nil {
			return err
		}
		m, err = tx.MedicByID(ctx, m.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	j := medicJSON(m)
	return gen.CreateMedic201JSONResponse{Body: gen.MedicCreated{
		Id: j.Id, Token: token, Name: j.Name, Email: j.Email, Hospital: j.Hospital, DateOfBirth: j.DateOfBirth,
		CedulaProf: j.CedulaProf, SpecialtyNo: j.SpecialtyNo, Specialty: j.Specialty, AlmaMater: j.AlmaMater,
		Female: j.Female, IsActive: j.IsActive, SpecialtyVerified: j.SpecialtyVerified, Campaign: j.Campaign,
		IsAdminMembership: j.IsAdminMembership,
	}}, nil
}

// UpdateMedic edits the caller or a medic created with its token. Setting `hospital` (or only
// `is_admin_membership`, for the medic's current hospital) needs the caller to be ADMIN there.
func (s *Server) UpdateMedic(ctx context.Context, req gen.UpdateMedicRequestObject) (gen.UpdateMedicResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	var m *db.Medic
	err = s.inTx(ctx, func(tx *db.Store) error {
		m, err = tx.VisibleMedic(ctx, me.ID, req.MedicId)
		if err != nil {
			return err
		}
		if err := s.assignHospital(ctx, tx, me.ID, m, b.Hospital, b.IsAdminMembership); err != nil {
			return err
		}
		setIf(&m.Name, b.Name)
		if b.Email != nil && !strings.EqualFold(string(*b.Email), m.Email) {
			if err := s.limits.allowEmailChange(ctx); err != nil {
				return err
			}
		}
		if b.Email != nil {
			m.Email = string(*b.Email)
		}
		if b.DateOfBirth.IsSpecified() {
			m.DateOfBirth = nil
			if d, err := b.DateOfBirth.Get(); err == nil {
				m.DateOfBirth = dateValue(&d)
			}
		}
		setIf(&m.CedulaProf, b.CedulaProf)
		setIf(&m.SpecialtyNo, b.SpecialtyNo)
		setIf(&m.Specialty, b.Specialty)
		setIf(&m.AlmaMater, b.AlmaMater)
		setIf(&m.Female, b.Female)
		setIf(&m.IsActive, b.IsActive)
		if b.Campaign.IsSpecified() {
			m.Campaign = nil
			if c, err := b.Campaign.Get(); err == nil {
				m.Campaign = &c
			}
		}
		if err := tx.UpdateMedic(ctx, m); err != nil {
			return medicConflict(err)
		}
		m, err = tx.MedicByID(ctx, m.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.tokens.forget(m.ID)
	return gen.UpdateMedic202JSONResponse{Body: medicJSON(m)}, nil
}

// assignHospital makes hospital the medic's active one (creating, restoring or retyping its
// membership there), or with only admin, retypes the membership in the medic's current hospital.
func (s *Server) assignHospital(ctx context.Context, tx *db.Store, me int64, m *db.Medic, hospital *int64, admin *bool) error {
	if hospital == nil && admin == nil {
		return nil
	}
	if hospital == nil {
		if m.HospitalID == nil {
			return fieldError("is_admin_membership", "Set a hospital to choose the type of the membership in it.")
		}
		hospital = m.HospitalID
	}
	if err := requireHospitalAdmin(ctx, tx, me, *hospital); err != nil {
		return err
	}
	if err := tx.LockMedic(ctx, m.ID); err != nil {
		return err
	}
	ms, err := tx.MembershipOf(ctx, m.ID, *hospital)
	if errors.Is(err, db.ErrNotFound) {
		return tx.CreateMembership(ctx, &db.Membership{MedicID: m.ID, HospitalID: *hospital,
			TypeMembership: membershipType(valueOr(admin, false)), IsActive: true, DateJoined: s.timestamp()})
	}
	if err != nil {
		return err
	}
	ms.IsActive, ms.IsDeleted = true, false
	if admin != nil {
		ms.TypeMembership = membershipType(*admin)
	}
	return tx.UpdateMembership(ctx, ms)
}

// requireHospitalAdmin fails with the documented 400 unless medic is a live ADMIN of hospital.
func requireHospitalAdmin(ctx context.Context, tx *db.Store, medic, hospital int64) error {
	admin, err := isHospitalAdmin(ctx, tx, medic, hospital)
	if err != nil {
		return err
	}
	if !admin {
		return newError(http.StatusBadRequest, fmt.Sprintf("You do not have sufficient permissions to assign this hospital: %d", hospital))
	}
	return nil
}

// medicConflict turns a duplicate email into the documented field error.
func medicConflict(err error) error {
	if db.ConflictField(err) == "email" {
		return fieldError("email", "medic with this email already exists.")
	}
	return err
}

func medicJSON(m *db.Medic) gen.Medic {
	j := gen.Medic{
		Id: m.ID, Name: m.Name, Email: m.Email, Hospital: m.HospitalID, CedulaProf: m.CedulaProf,
		SpecialtyNo: m.SpecialtyNo, Specialty: m.Specialty, AlmaMater: m.AlmaMater, Female: m.Female,
		IsActive: m.IsActive, SpecialtyVerified: m.SpecialtyVerified, Campaign: m.Campaign,
	}
	if m.DateOfBirth != nil {
		j.DateOfBirth = &openapi_types.Date{Time: *m.DateOfBirth}
	}
	if m.TypeMembership != nil {
		admin := *m.TypeMembership == db.Admin
		j.IsAdminMembership = &admin
	}
	return j
}

func dateValue(d *openapi_types.Date) *time.Time {
	if d == nil {
		return nil
	}
	t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	return &t
}

// valueOr returns *p, or def when p is nil.
func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// setIf sets *dst to *src when src is given.
func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
