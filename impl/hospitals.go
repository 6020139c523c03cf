package impl

import (
	"context"
	"net/http"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
)

var errNotHospitalAdmin = newError(http.StatusForbidden, "Only ADMINs of this hospital can edit it")

// ListHospitals lists the hospitals the caller has a membership (not deleted) in.
func (s *Server) ListHospitals(ctx context.Context, req gen.ListHospitalsRequestObject) (gen.ListHospitalsResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := paged(ctx, req.Params.Limit, req.Params.Offset, func(p db.Page) ([]db.MemberHospital, int, error) {
		return s.db.MemberHospitals(ctx, me.ID, p)
	}, hospitalJSON)
	if err != nil {
		return nil, err
	}
	return gen.ListHospitals200JSONResponse(p), nil
}

// GetHospital returns a hospital the caller has a membership in.
func (s *Server) GetHospital(ctx context.Context, req gen.GetHospitalRequestObject) (gen.GetHospitalResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.db.MemberHospital(ctx, me.ID, req.HospitalId)
	if err != nil {
		return nil, err
	}
	return gen.GetHospital200JSONResponse(hospitalJSON(h)), nil
}

// CreateHospital creates a hospital with the caller as ADMIN (MEMBER with is_admin: false). It
// becomes the caller's current hospital when the caller has none.
func (s *Server) CreateHospital(ctx context.Context, req gen.CreateHospitalRequestObject) (gen.CreateHospitalResponseObject, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	now := s.timestamp()
	h := &db.Hospital{
		CreatedBy: me.ID, CreatedAt: now, Name: b.Name, Patron: b.Patron, Location: b.Location, Contact: b.Contact,
		Headline: valueOr(b.Headline, ""), PageSize: valueOr(b.PageSize, true), PageTemplate: "classic",
		Info: valueOr(b.Info, false), IsActive: true, SendEmails: true, ZipCode: valueOr(b.ZipCode, ""),
		LocationLat: valueOr(b.LocationLat, ""), LocationLon: valueOr(b.LocationLon, ""),
	}
	var created *db.MemberHospital
	err = s.inTx(ctx, func(tx *db.Store) error {
		if err := tx.CreateHospital(ctx, h); err != nil {
			return err
		}
		auditObject(ctx, h.ID)
		current, err := tx.MedicByID(ctx, me.ID)
		if err != nil {
			return err
		}
		err = tx.CreateMembership(ctx, &db.Membership{MedicID: me.ID, HospitalID: h.ID,
			TypeMembership: membershipType(valueOr(b.IsAdmin, true)), IsActive: current.HospitalID == nil, DateJoined: now})
		if err != nil {
			return err
		}
		created, err = tx.MemberHospital(ctx, me.ID, h.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return gen.CreateHospital201JSONResponse{Body: hospitalJSON(created)}, nil
}

// UpdateHospital edits a hospital; only its ADMINs may (a MEMBER gets 403, anyone else 404).
func (s *Server) UpdateHospital(ctx context.Context, req gen.UpdateHospitalRequestObject) (gen.UpdateHospitalResponseObject, error) {
	h, err := s.updateHospital(ctx, req.HospitalId, req.Body)
	if err != nil {
		return nil, err
	}
	return gen.UpdateHospital201JSONResponse{Body: h}, nil
}

// UpdateHospitalByPost is UpdateHospital sent with POST, as hospital.md's sample sends it.
func (s *Server) UpdateHospitalByPost(ctx context.Context, req gen.UpdateHospitalByPostRequestObject) (gen.UpdateHospitalByPostResponseObject, error) {
	h, err := s.updateHospital(ctx, req.HospitalId, req.Body)
	if err != nil {
		return nil, err
	}
	return gen.UpdateHospitalByPost201JSONResponse{Body: h}, nil
}

// updateHospital applies b to the hospital id, when the caller is one of its ADMINs.
func (s *Server) updateHospital(ctx context.Context, id int64, b *gen.HospitalUpdate) (gen.Hospital, error) {
	me, err := caller(ctx)
	if err != nil {
		return gen.Hospital{}, err
	}
	var h *db.MemberHospital
	err = s.inTx(ctx, func(tx *db.Store) error {
		h, err = tx.MemberHospital(ctx, me.ID, id)
		if err != nil {
			return err
		}
		if h.TypeMembership != db.Admin {
			return errNotHospitalAdmin
		}
		setIf(&h.Name, b.Name)
		setIf(&h.Patron, b.Patron)
		setIf(&h.Location, b.Location)
		setIf(&h.Contact, b.Contact)
		setIf(&h.Headline, b.Headline)
		setIf(&h.PageSize, b.PageSize)
		setIf(&h.Info, b.Info)
		setIf(&h.IsActive, b.IsActive)
		setIf(&h.SendEmails, b.SendEmails)
		setIf(&h.ZipCode, b.ZipCode)
		setIf(&h.LocationLat, b.LocationLat)
		setIf(&h.LocationLon, b.LocationLon)
		setIf(&h.GooglePlaceID, b.GooglePlaceId)
		return tx.UpdateHospital(ctx, &h.Hospital)
	})
	if err != nil {
		return gen.Hospital{}, err
	}
	return hospitalJSON(h), nil
}

func hospitalJSON(h *db.MemberHospital) gen.Hospital {
	return gen.Hospital{
		Id: h.ID, CreatedAt: h.CreatedAt, Name: h.Name, Patron: h.Patron, Location: h.Location, Contact: h.Contact,
		Headline: h.Headline, PageSize: h.PageSize, PageTemplate: &h.PageTemplate, Picture: h.Picture,
		UniversityLogo: h.UniversityLogo, Info: h.Info, IsActive: h.IsActive, IsAdmin: h.TypeMembership == db.Admin,
		SendEmails: h.SendEmails, ZipCode: h.ZipCode, LocationLat: h.LocationLat, LocationLon: h.LocationLon,
		GooglePlaceId: h.GooglePlaceID,
	}
}
