package impl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
)

// The Patients family: organizations, patient registration (POST /users) and the signed-in patient
// (GET /users/me). Sign-in and tokens are in patient_auth.go.

// organizationID is what an organization id may look like: it ends every uname, after the '#'.
var organizationID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// earliestDOB is the oldest date of birth accepted: anything before is a typing error.
var earliestDOB = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// errAccountExists is the documented answer to a second registration of an email in an organization.
var errAccountExists = newError(http.StatusConflict, "Account Exists Already")

// CreateOrganization creates an organization patients can register in, for `galeno admin organization`.
func (s *Server) CreateOrganization(ctx context.Context, id, name string) error {
	name = strings.TrimSpace(name)
	if !organizationID.MatchString(id) {
		return fmt.Errorf("%q is not a valid organization id: use 1 to 64 lower-case letters, digits and dashes, not starting with a dash", id)
	}
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return fmt.Errorf("an organization name of 1 to 200 characters is required")
	}
	err := s.db.CreateOrganization(ctx, &db.Organization{ID: id, Name: name, CreatedAt: s.timestamp()})
	if db.ConflictField(err) == "id" {
		return fmt.Errorf("an organization with the id %s already exists", id)
	}
	return err
}

// RegisterPatient creates a patient account in the organization named by the `organization` header.
func (s *Server) RegisterPatient(ctx context.Context, req gen.RegisterPatientRequestObject) (gen.RegisterPatientResponseObject, error) {
	org := req.Params.Organization
	if _, err := s.db.OrganizationByID(ctx, org); err != nil {
		return nil, err
	}
	p, err := s.newPatient(org, req.Body)
	if err != nil {
		return nil, err
	}
	if err := s.db.CreatePatient(ctx, p); db.ConflictField(err) == "uname" {
		return nil, errAccountExists
	} else if err != nil {
		return nil, err
	}
	return gen.RegisterPatient201JSONResponse(patientJSON(p)), nil
}

// GetCurrentPatient returns the patient the bearer token belongs to.
func (s *Server) GetCurrentPatient(ctx context.Context, _ gen.GetCurrentPatientRequestObject) (gen.GetCurrentPatientResponseObject, error) {
	p, err := principal[*db.Patient](ctx)
	if err != nil {
		return nil, err
	}
	return gen.GetCurrentPatient200JSONResponse(patientJSON(p)), nil
}

// newPatient checks a registration beyond what the schema says and builds the patient, reporting
// every field problem at once.
func (s *Server) newPatient(org string, b *gen.PatientRegistration) (*db.Patient, error) {
	problems := map[string][]string{}
	email := string(b.Email) // a bare address: decoding the body checked it
	firstName, lastName := strings.TrimSpace(b.FirstName), strings.TrimSpace(b.LastName)
	if firstName == "" {
		problems["firstName"] = append(problems["firstName"], "must not be blank")
	}
	if lastName == "" {
		problems["lastName"] = append(problems["lastName"], "must not be blank")
	}
	phone, problem := normalizePhone(b.Phone)
	if problem != "" {
		problems["phone"] = append(problems["phone"], problem)
	}
	dob := *dateValue(&b.Dob)
	if problem := s.dobProblem(dob); problem != "" {
		problems["dob"] = append(problems["dob"], problem)
	}
	if b.Password != nil && !strongPassword(*b.Password) {
		problems["password"] = append(problems["password"],
			"must be 8 to 128 characters with a lower-case letter, an upper-case letter and a digit")
	}
	if len(problems) > 0 {
		return nil, &Error{Status: http.StatusBadRequest, Fields: problems}
	}

	p := &db.Patient{
		ID:                       newPatientID(),
		OrganizationID:           org,
		Uname:                    patientUname(email, org),
		Email:                    email,
		FirstName:                firstName,
		LastName:                 lastName,
		Gender:                   string(b.Gender),
		Phone:                    phone,
		DOB:                      dob,
		Roles:                    db.JSON[[]string]{V: []string{string(gen.PatientRegistrationRolesPatient)}}, // the only role registration grants
		Meta:                     db.JSON[map[string]any]{V: valueOr(b.Meta, map[string]any{})},
		UnreadNotificationsCount: valueOr(b.UnreadNotificationsCount, 0),
		EmrID:                    b.EmrId,
		Referrer:                 b.Referrer,
		HcCard:                   db.JSON[map[string]any]{V: valueOr(b.HcCard, map[string]any{})},
		AcceptsMarketing:         valueOr(b.AcceptsMarketing, false),
		HasInsurance:             valueOr(b.HasInsurance, false),
		Providers:                db.JSON[[]string]{V: valueOr(b.Providers, []string{})},
		Verifications:            db.JSON[map[string]any]{V: valueOr(b.Verifications, map[string]any{})},
		Province:                 b.Province,
		Groups:                   db.JSON[[]string]{V: valueOr(b.Groups, []string{})},
		CreatedAt:                s.timestamp(),
	}
	if b.Password != nil {
		hash := HashPassword(*b.Password)
		p.PasswordHash = &hash
	}
	return p, nil
}

// patientUname is a patient's sign-in name: the lower-cased email, '#', the organization id. Its
// uniqueness makes an email unique within an organization, whatever its case.
func patientUname(email, org string) string { return strings.ToLower(email) + "#" + org }

// newPatientID returns "pat_" and 16 random hex characters.
func newPatientID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "pat_" + hex.EncodeToString(b)
}

// normalizePhone returns a phone number in E.164 form: spaces, dashes, dots and parentheses go, a
// leading + stays; there must be 7 to 15 digits, the first of which is not 0 (no country code
// starts with 0); ten digits without + are a North American number (+1 is added). It returns the
// problem instead when the number cannot be normalised.
func normalizePhone(raw string) (phone, problem string) {
	rest, international := strings.CutPrefix(strings.TrimSpace(raw), "+")
	digits := make([]byte, 0, len(rest))
	for _, r := range rest {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case strings.ContainsRune(" -.()", r):
		default:
			return "", "may contain only digits, spaces, dashes, dots, parentheses and a leading +"
		}
	}
	switch {
	case len(digits) < 7 || len(digits) > 15:
		return "", "must contain 7 to 15 digits"
	case digits[0] == '0':
		return "", "must start with a country code, which never starts with 0"
	case !international && len(digits) == 10:
		return "+1" + string(digits), ""
	}
	return "+" + string(digits), ""
}

// dobProblem says what is wrong with a date of birth, if anything. "The future" starts after today
// in the earliest time zone (UTC+14), so that nobody born today anywhere is refused.
func (s *Server) dobProblem(dob time.Time) string {
	today := s.now().UTC().Add(14 * time.Hour)
	switch {
	case dob.Before(earliestDOB):
		return "must be on or after 1900-01-01"
	case dob.After(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)):
		return "must not be in the future"
	}
	return ""
}

// strongPassword reports whether a password has 8 to 128 characters, among them a lower-case
// letter, an upper-case letter and a digit.
func strongPassword(password string) bool {
	if n := utf8.RuneCountInString(password); n < 8 || n > 128 {
		return false
	}
	var lower, upper, digit bool
	for _, r := range password {
		lower = lower || unicode.IsLower(r)
		upper = upper || unicode.IsUpper(r)
		digit = digit || unicode.IsDigit(r)
	}
	return lower && upper && digit
}

func patientJSON(p *db.Patient) gen.Patient {
	return gen.Patient{
		UnderscoreId:             p.ID,
		Organization:             p.OrganizationID,
		Uname:                    p.Uname,
		Email:                    p.Email,
		FirstName:                p.FirstName,
		LastName:                 p.LastName,
		Gender:                   gen.PatientGender(p.Gender),
		Phone:                    p.Phone,
		Dob:                      openapi_types.Date{Time: p.DOB},
		Roles:                    p.Roles.V,
		Meta:                     p.Meta.V,
		UnreadNotificationsCount: p.UnreadNotificationsCount,
		EmrId:                    p.EmrID,
		Referrer:                 p.Referrer,
		HcCard:                   p.HcCard.V,
		AcceptsMarketing:         p.AcceptsMarketing,
		HasInsurance:             p.HasInsurance,
		Providers:                p.Providers.V,
		Verifications:            p.Verifications.V,
		Province:                 p.Province,
		Groups:                   p.Groups.V,
		CreatedAt:                p.CreatedAt,
	}
}
