package impl

import (
	"context"
	"errors"
	"net/http"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
)

var (
	errDuplicateMembership = newError(http.StatusConflict, "Membership already exists please edit instead of trying to create it again.")
	errLastAdmin           = newError(http.StatusConflict, "A hospital needs at least one ADMIN; make another medic ADMIN first.")
)

// ListMemberships lists the caller's memberships and those of the hospitals where it is ADMIN.
func (s *Server) ListMemberships(ctx context.Context, req gen.ListMembershipsRequestObject) (gen.ListMembershipsResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := paged(ctx, req.Params.Limit, req.Params.Offset, func(p db.Page) ([]db.Membership, int, error) {
		return s.db.ManageableMemberships(ctx, me.ID, p)
	}, membershipJSON)
	if err != nil {
		return nil, err
	}
	return gen.ListMemberships200JSONResponse(p), nil
}

// GetMembership returns a membership the caller may manage: its own, or one of a hospital it is ADMIN of.
func (s *Server) GetMembership(ctx context.Context, req gen.GetMembershipRequestObject) (gen.GetMembershipResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	m, admin, err := managedMembership(ctx, &s.db.Store, me.ID, req.MembershipId)
	if err != nil {
		return nil, err
	}
	if !admin && m.MedicID != me.ID {
		return nil, errNotFound
	}
	return gen.GetMembership200JSONResponse(membershipJSON(m)), nil
}

// CreateMembership links any medic (found by email with SearchMedics) to a hospital the caller is
// ADMIN of. A soft-deleted membership of the medic there is restored, as the tutorial says.
func (s *Server) CreateMembership(ctx context.Context, req gen.CreateMembershipRequestObject) (gen.CreateMembershipResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	m := &db.Membership{MedicID: b.Medic, HospitalID: b.Hospital, TypeMembership: db.MembershipType(b.TypeMembership),
		IsActive: valueOr(b.IsActive, false), DateJoined: s.timestamp()}
	err = s.inTx(ctx, func(tx *db.Store) error {
		admin, err := isHospitalAdmin(ctx, tx, me.ID, b.Hospital)
		if err != nil {
			return err
		}
		if !admin {
			return errUnauthorizedMedic
		}
		// PATCH medic {hospital} creates the membership when, under this lock, it finds none: taking
		// the lock here too makes the two queue, so that PATCH never meets a membership created
		// after it looked (it documents no 409). The lock also tells an unknown medic.
		if err := tx.LockMedic(ctx, b.Medic); errors.Is(err, db.ErrNotFound) {
			return errNotFound
		} else if err != nil {
			return err
		}
		existing, err := tx.MembershipOf(ctx, b.Medic, b.Hospital)
		switch {
		case errors.Is(err, db.ErrNotFound):
			if err := membershipConflict(tx.CreateMembership(ctx, m)); err != nil {
				return err
			}
		case err != nil:
			return err
		case !existing.IsDeleted:
			return errDuplicateMembership
		default:
			existing.IsDeleted, existing.TypeMembership, existing.IsActive = false, m.TypeMembership, m.IsActive
			m = existing
			if err := tx.UpdateMembership(ctx, m); err != nil {
				return err
			}
		}
		auditObject(ctx, m.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return gen.CreateMembership201JSONResponse{Body: gen.MembershipCreated{Id: &m.ID, Medic: m.MedicID, Hospital: &m.HospitalID,
		TypeMembership: gen.MembershipType(m.TypeMembership)}}, nil
}

// UpdateMembership changes a membership's type, makes it the medic's active one, or (un)deletes it.
func (s *Server) UpdateMembership(ctx context.Context, req gen.UpdateMembershipRequestObject) (gen.UpdateMembershipResponseObject, error) {
	m, err := s.changeMembership(ctx, req.MembershipId, false, func(m *db.Membership) {
		if req.Body.TypeMembership != nil {
			m.TypeMembership = db.MembershipType(*req.Body.TypeMembership)
		}
		setIf(&m.IsActive, req.Body.IsActive)
		setIf(&m.IsDeleted, req.Body.IsDeleted)
	})
	if err != nil {
		return nil, err
	}
	return gen.UpdateMembership201JSONResponse{Body: membershipJSON(m)}, nil
}

// DeleteMembership soft-deletes a membership; PATCH with is_deleted: false restores it. A medic may
// also delete its own membership, to leave the hospital.
func (s *Server) DeleteMembership(ctx context.Context, req gen.DeleteMembershipRequestObject) (gen.DeleteMembershipResponseObject, error) {
	m, err := s.changeMembership(ctx, req.MembershipId, true, func(m *db.Membership) { m.IsDeleted = true })
	if err != nil {
		return nil, err
	}
	return gen.DeleteMembership201JSONResponse(membershipJSON(m)), nil
}

// changeMembership applies change to a membership of a hospital the caller is ADMIN of, or to the
// caller's own membership when ownAllowed. The caller's own membership otherwise is a 401 (it may
// see it, not change it); any other is a 404. No change may leave a hospital without a live ADMIN.
func (s *Server) changeMembership(ctx context.Context, id int64, ownAllowed bool, change func(*db.Membership)) (*db.Membership, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var m *db.Membership
	err = s.inTx(ctx, func(tx *db.Store) error {
		if err := lockMembershipHospital(ctx, tx, id); err != nil {
			return err
		}
		var admin bool
		m, admin, err = managedMembership(ctx, tx, me.ID, id)
		switch {
		case err != nil:
			return err
		case !admin && m.MedicID == me.ID && !ownAllowed:
			return errUnauthorizedMedic
		case !admin && m.MedicID != me.ID:
			return errNotFound
		}
		wasAdmin := m.IsLiveAdmin()
		change(m)
		if wasAdmin && !m.IsLiveAdmin() {
			admins, err := tx.LiveAdminCount(ctx, m.HospitalID)
			if err != nil {
				return err
			}
			if admins <= 1 {
				return errLastAdmin
			}
		}
		if err := membershipConflict(tx.UpdateMembership(ctx, m)); err != nil {
			return err
		}
		m, err = tx.MembershipByID(ctx, id)
		return err
	})
	return m, err
}

// ListHospitalMemberships lists a hospital's live memberships, newest first, to any of its members.
func (s *Server) ListHospitalMemberships(ctx context.Context, req gen.ListHospitalMembershipsRequestObject) (gen.ListHospitalMembershipsResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	mine, err := s.db.MembershipOf(ctx, me.ID, req.HospitalId)
	if errors.Is(err, db.ErrNotFound) || (err == nil && mine.IsDeleted) {
		return nil, errUnauthorizedMedic
	}
	if err != nil {
		return nil, err
	}
	memberships, err := s.db.HospitalMemberships(ctx, req.HospitalId)
	if err != nil {
		return nil, err
	}
	resp := make(gen.ListHospitalMemberships200JSONResponse, 0, len(memberships))
	for i := range memberships {
		resp = append(resp, membershipJSON(&memberships[i]))
	}
	return resp, nil
}

// lockMembershipHospital locks the hospital of membership id, so that concurrent changes cannot
// both remove one of its last two ADMINs.
func lockMembershipHospital(ctx context.Context, tx *db.Store, id int64) error {
	m, err := tx.MembershipByID(ctx, id)
	if err != nil {
		return err
	}
	return tx.LockHospital(ctx, m.HospitalID)
}

// managedMembership loads membership id and tells whether medic is a live ADMIN of its hospital.
func managedMembership(ctx context.Context, tx *db.Store, medic, id int64) (*db.Membership, bool, error) {
	m, err := tx.MembershipByID(ctx, id)
	if err != nil {
		return nil, false, err
	}
	admin, err := isHospitalAdmin(ctx, tx, medic, m.HospitalID)
	return m, admin, err
}

// isHospitalAdmin tells whether medic is a live ADMIN of hospital.
func isHospitalAdmin(ctx context.Context, tx *db.Store, medic, hospital int64) (bool, error) {
	ms, err := tx.MembershipOf(ctx, medic, hospital)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return ms.IsLiveAdmin(), nil
}

// membershipConflict turns a second membership of a medic in a hospital into the documented 409.
func membershipConflict(err error) error {
	if db.ConflictField(err) == "medic_hospital" {
		return errDuplicateMembership
	}
	return err
}

// SetDefaultHospital makes the caller's live membership in a hospital its active one, and its
// other memberships inactive (the tutorial's "Set as default hospital").
func (s *Server) SetDefaultHospital(ctx context.Context, req gen.SetDefaultHospitalRequestObject) (gen.SetDefaultHospitalResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Store) error {
		m, err := tx.MembershipOf(ctx, me.ID, req.Body.HospitalId)
		if errors.Is(err, db.ErrNotFound) || (err == nil && m.IsDeleted) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		m.IsActive = true
		return tx.UpdateMembership(ctx, m)
	})
	if err != nil {
		return nil, err
	}
	return gen.SetDefaultHospital200JSONResponse{Body: gen.PrescryptoMessage{Message: "HOSPITAL UPDATE SUCCESSFULLY"}}, nil
}
