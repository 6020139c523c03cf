package impl

import (
	"context"
	"fmt"
	"net/http"

	echomw "github.com/oapi-codegen/echo-middleware"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// Authenticator resolves the credential a request carries for one security scheme of openapi.yaml
// into a principal, which handlers read with principal[T](ctx). To refuse the credential it returns
// an *Error (normally 401; its message is rendered in the operation's dialect); any other error is a
// failure of the authenticator itself (500).
type Authenticator func(ctx context.Context, r *http.Request) (principal any, err error)

// authenticators maps each security scheme of openapi.yaml to its Authenticator. Each family
// defines its method in its own file.
func (s *Server) authenticators() map[string]Authenticator {
	return map[string]Authenticator{
		"prescryptoToken":     s.authenticatePrescryptoToken,
		"institutionalBearer": s.authenticateInstitutionalBearer,
		"sessionCookie":       s.authenticateSessionCookie,
		"patientBearer":       s.authenticatePatientBearer,
	}
}

// authenticate is the request validator's AuthenticationFunc: it runs the scheme's Authenticator and
// leaves the principal on the echo context (intoRequestContext then moves it into the request's).
func (s *Server) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	c := echomw.GetEchoContext(ctx)
	if c == nil {
		return fmt.Errorf("impl: authenticate %s: no echo context", in.SecuritySchemeName)
	}
	auth, ok := s.authenticators()[in.SecuritySchemeName]
	if !ok {
		return fmt.Errorf("impl: no authenticator for security scheme %q", in.SecuritySchemeName)
	}
	p, err := auth(c.Request().Context(), c.Request())
	if err != nil {
		return err
	}
	c.Set(echoPrincipalKey, p)
	return nil
}
