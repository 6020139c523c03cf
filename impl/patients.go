package impl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"regexp"
	"slices"
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
var organizationID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// earliestDOB is the oldest date of birth accepted: anything before is a typing error.
var earliestDOB = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// errAccountExists is the documented answer to a second registration of an email in an organization.
var errAccountExists = newError(http.StatusConflict, "Account Exists Already")

// errEmrIDTaken answers a registration with an emrId another patient of the organization has.
var errEmrIDTaken = newError(http.StatusConflict, "An account with this emrId exists already")

// callingCodes are the countries an organization may read national phone numbers in, with their
// calling codes: the platform's Canada and the countries of Galeno's other families.
var callingCodes = map[string]string{
	"CA": "1", "US": "1", "MX": "52", "CO": "57", "AR": "54", "BR": "55", "CL": "56", "PE": "51",
	"ES": "34", "PT": "351", "GB": "44", "FR": "33", "DE": "49", "IT": "39",
}

// DefaultOrganizationCountry is an organization's country when none is given: Canada, as in the
// platform's documents.
const DefaultOrganizationCountry = "CA"

// portalDomain is what a portal domain may look like: a lower-case host name with a dot.
var portalDomain = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// CreateOrganization creates an organization patients can register in, for `galeno admin
// organization`: its country (ISO alpha-2, "" for CA) reads national phone numbers, and a request
// to one of its portal domains needs no organization header.
func (s *Server) CreateOrganization(ctx context.Context, id, name, country string, domains ...string) error {
	name = strings.TrimSpace(name)
	if !organizationID.MatchString(id) {
		return fmt.Errorf("%q is not a valid organization id: use 1 to 64 lower-case letters, digits, dashes and underscores (like appgen_demo), starting with a letter or digit", id)
	}
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return fmt.Errorf("an organization name of 1 to 200 characters is required")
	}
	country = strings.ToUpper(strings.TrimSpace(country))
	if country == "" {
		country = DefaultOrganizationCountry
	}
	if callingCodes[country] == "" {
		return fmt.Errorf("%q is not a country Galeno reads phone numbers in: use one of %s", country,
			strings.Join(slices.Sorted(maps.Keys(callingCodes)), ", "))
	}
	for i, d := range domains {
		domains[i] = hostName(d)
		if !portalDomain.MatchString(domains[i]) {
			return fmt.Errorf("%q is not a valid portal domain (a host name such as portal.example.com)", d)
		}
	}
	return s.db.InTx(ctx, func(tx *db.Store) error {
		err := tx.CreateOrganization(ctx, &db.Organization{ID: id, Name: name, Country: country, CreatedAt: s.timestamp()})
		if db.IsConflict(err) {
			return fmt.Errorf("an organization with the id %s already exists", id)
		}
		if err != nil {
			return err
		}
		for _, d := range domains {
			if err := tx.AddOrganizationDomain(ctx, id, d); db.IsConflict(err) {
				return fmt.Errorf("the domain %s is already another organization's", d)
			} else if err != nil {
				return err
			}
		}
		return nil
	})
}

// hostName is a Host header's name, lower case, without port or trailing dot.
func hostName(host string) string {
	host = strings.ToLower(strings.TrimSpace(host))
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(host, ".")
}

// requestOrganization finds the organization of a request: the organization header when given (404
// when unknown), else the portal domain the request was sent to (400 when it is none).
func (s *Server) requestOrganization(ctx context.Context, header *string) (*db.Organization, error) {
	if header != nil {
		return s.db.OrganizationByID(ctx, *header) // an unknown one is the central mapper's 404
	}
	org, err := s.db.OrganizationByDomain(ctx, hostName(portalHost(ctx)))
	if errors.Is(err, db.ErrNotFound) {
		return nil, fieldError("organization", "Send the organization header: this address is no organization's portal domain.")
	}
	return org, err
}

// RegisterPatient creates a patient account in the organization named by the `organization` header.
func (s *Server) RegisterPatient(ctx context.Context, req gen.RegisterPatientRequestObject) (gen.RegisterPatientResponseObject, error) {
	org, err := s.requestOrganization(ctx, req.Params.Organization)
	if err != nil {
		return nil, err
	}
	p, err := s.newPatient(org, req.Body)
	if err != nil {
		return nil, err
	}
	if p.PasswordHash, err = s.hashOptionalSecret(ctx, req.Body.Password); err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *db.Store) error {
		if err := tx.CreatePatient(ctx, p); err != nil {
			switch db.ConflictField(err) {
			case "uname":
				return errAccountExists
			case "emrId":
				return errEmrIDTaken
			}
			return err
		}
		auditObject(ctx, p.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return gen.RegisterPatient201JSONResponse{Body: patientJSON(p)}, nil
}

// GetCurrentPatient returns the patient the bearer token belongs to.
func (s *Server) GetCurrentPatient(ctx context.Context, _ gen.GetCurrentPatientRequestObject) (gen.GetCurrentPatientResponseObject, error) {
	p, err := principal[*db.Patient](ctx)
	if err != nil {
		return nil, err
	}
	return gen.GetCurrentPatient200JSONResponse(patientJSON(p)), nil
}

// GetPatientAccount returns the signed-in patient's account in the platform's shape. Galeno keeps
// no addresses, prescriptions, consultations or appointments of patients yet: those are empty.
func (s *Server) GetPatientAccount(ctx context.Context, _ gen.GetPatientAccountRequestObject) (gen.GetPatientAccountResponseObject, error) {
	p, err := principal[*db.Patient](ctx)
	if err != nil {
		return nil, err
	}
	var a gen.PatientAccount
	a.Profile.Dob, a.Profile.Email, a.Profile.Phone = openapi_types.Date{Time: p.DOB}, p.Email, p.Phone
	a.Profile.FirstName, a.Profile.LastName, a.Profile.Gender = p.FirstName, p.LastName, gen.PatientGender(p.Gender)
	a.Address.Other = []gen.PatientAddress{}
	a.Prescriptions, a.Consultations, a.Appointments = []map[string]any{}, []map[string]any{}, []map[string]any{}
	return gen.GetPatientAccount200JSONResponse(a), nil
}

// newPatient checks a registration beyond what the schema says and builds the patient (but for the
// hash of its password, which the caller computes in a hashing slot), reporting every field
// problem at once.
func (s *Server) newPatient(organization *db.Organization, b *gen.PatientRegistration) (*db.Patient, error) {
	org := organization.ID
	problems := map[string][]string{}
	email := string(b.Email) // a bare address: decoding the body checked it
	firstName, lastName := strings.TrimSpace(b.FirstName), strings.TrimSpace(b.LastName)
	if firstName == "" {
		problems["firstName"] = append(problems["firstName"], "must not be blank")
	}
	if lastName == "" {
		problems["lastName"] = append(problems["lastName"], "must not be blank")
	}
	phone, problem := normalizePhone(b.Phone, callingCodes[organization.Country])
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

	// Anyone may register, so what only the organization grants (verifications, providers, groups)
	// starts empty whatever the request claims (the documented example sends them: not refused).
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
		Providers:                db.JSON[[]string]{V: []string{}},
		Verifications:            db.JSON[map[string]any]{V: map[string]any{}},
		Province:                 b.Province,
		Groups:                   db.JSON[[]string]{V: []string{}},
		CreatedAt:                s.timestamp(),
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
// starts with 0). Without +, the number is national to the organization's country (callingCode):
// in North America ("1") ten digits get +1; elsewhere a trunk prefix 0 goes and the calling code is
// added. It returns the problem instead when the number cannot be normalised.
func normalizePhone(raw, callingCode string) (phone, problem string) {
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
	if !international && callingCode != "1" && callingCode != "" {
		// A national number outside North America: drop the trunk prefix 0, add the country code.
		national, _ := strings.CutPrefix(string(digits), "0")
		digits, international = []byte(callingCode+national), true
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
