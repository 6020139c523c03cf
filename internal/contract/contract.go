// Package contract is the request-validation layer that galeno serve (impl) and galeno mock share:
// loading openapi.yaml, the schema checks kin-openapi leaves out (email addresses), the leniency
// rules the contract declares (unknown body fields ignored, prose types accepted), and one wording
// for what is wrong with a request. Each family's error dialect renders the problems it returns.
package contract

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/galeno-health/galeno/gen"
)

// Load returns the contract compiled into the binary.
func Load() (*openapi3.T, error) {
	api, err := gen.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("contract: load the embedded openapi.yaml: %w", err)
	}
	return api, nil
}

// SchemaOptions are the schema checks every request validation uses, server and mock alike; pass
// them as openapi3filter.Options.SchemaValidationOptions.
func SchemaOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidator("email", openapi3.NewCallbackValidator(CheckEmail))}
}

var errEmail = errors.New("must be a valid email")

// CheckEmail accepts a bare address (as net/mail parses it) whose domain has a dot, as the
// original platforms' validators (Django's among them) do: `a@b` is refused.
func CheckEmail(s string) error {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return errEmail
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	if i := strings.LastIndexByte(domain, '.'); i <= 0 || i == len(domain)-1 {
		return errEmail
	}
	return nil
}
