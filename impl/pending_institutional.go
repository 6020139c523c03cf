package impl

import (
	"context"
	"net/http"

	"github.com/galeno-health/galeno/gen"
)

// The institutional accounts family is not implemented yet: every operation answers 501 in its dialect.
// Its implementer deletes this file and adds real handlers (see /work/coord/FOUNDATION.md).

func (s *Server) authenticateInstitutionalBearer(context.Context, *http.Request) (any, error) {
	return nil, errNotImplemented
}

func (s *Server) CreateInstitutionalAccount(context.Context, gen.CreateInstitutionalAccountRequestObject) (gen.CreateInstitutionalAccountResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) GetInstitutionalAccount(context.Context, gen.GetInstitutionalAccountRequestObject) (gen.GetInstitutionalAccountResponseObject, error) {
	return nil, errNotImplemented
}
