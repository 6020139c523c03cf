package impl

import (
	"context"
	"net/http"

	"github.com/galeno-health/galeno/gen"
)

// The patients family is not implemented yet: every operation answers 501 in its dialect.
// Its implementer deletes this file and adds real handlers (see /work/coord/FOUNDATION.md).

func (s *Server) authenticatePatientBearer(context.Context, *http.Request) (any, error) {
	return nil, errNotImplemented
}

func (s *Server) RegisterPatient(context.Context, gen.RegisterPatientRequestObject) (gen.RegisterPatientResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) LoginPatient(context.Context, gen.LoginPatientRequestObject) (gen.LoginPatientResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) GetCurrentPatient(context.Context, gen.GetCurrentPatientRequestObject) (gen.GetCurrentPatientResponseObject, error) {
	return nil, errNotImplemented
}
