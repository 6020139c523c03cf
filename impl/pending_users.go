package impl

import (
	"context"
	"net/http"

	"github.com/galeno-health/galeno/gen"
)

// The users family is not implemented yet: every operation answers 501 in its dialect.
// Its implementer deletes this file and adds real handlers (see /work/coord/FOUNDATION.md).

func (s *Server) authenticateSessionCookie(context.Context, *http.Request) (any, error) {
	return nil, errNotImplemented
}

func (s *Server) CreateUser(context.Context, gen.CreateUserRequestObject) (gen.CreateUserResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) LoginUser(context.Context, gen.LoginUserRequestObject) (gen.LoginUserResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) LogoutUser(context.Context, gen.LogoutUserRequestObject) (gen.LogoutUserResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) GetUserInfo(context.Context, gen.GetUserInfoRequestObject) (gen.GetUserInfoResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) SearchUsers(context.Context, gen.SearchUsersRequestObject) (gen.SearchUsersResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) EditUser(context.Context, gen.EditUserRequestObject) (gen.EditUserResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) DeactivateUser(context.Context, gen.DeactivateUserRequestObject) (gen.DeactivateUserResponseObject, error) {
	return nil, errNotImplemented
}

func (s *Server) ActivateUser(context.Context, gen.ActivateUserRequestObject) (gen.ActivateUserResponseObject, error) {
	return nil, errNotImplemented
}
