package impl

import (
	"context"

	"github.com/galeno-health/galeno/gen"
)

func (s *Server) ListHospitals(context.Context, gen.ListHospitalsRequestObject) (gen.ListHospitalsResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) CreateHospital(context.Context, gen.CreateHospitalRequestObject) (gen.CreateHospitalResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) GetHospital(context.Context, gen.GetHospitalRequestObject) (gen.GetHospitalResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) UpdateHospital(context.Context, gen.UpdateHospitalRequestObject) (gen.UpdateHospitalResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) ListMemberships(context.Context, gen.ListMembershipsRequestObject) (gen.ListMembershipsResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) CreateMembership(context.Context, gen.CreateMembershipRequestObject) (gen.CreateMembershipResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) DeleteMembership(context.Context, gen.DeleteMembershipRequestObject) (gen.DeleteMembershipResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) GetMembership(context.Context, gen.GetMembershipRequestObject) (gen.GetMembershipResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) UpdateMembership(context.Context, gen.UpdateMembershipRequestObject) (gen.UpdateMembershipResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) ListHospitalMemberships(context.Context, gen.ListHospitalMembershipsRequestObject) (gen.ListHospitalMembershipsResponseObject, error) {
	return nil, errNotImplemented
}
