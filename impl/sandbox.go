package impl

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/galeno-health/galeno/db"
)

// The sandbox's fixed development secrets: `galeno sandbox` prints them, and they are public on
// purpose (the sandbox is for development only and binds to loopback).
const (
	SandboxUsersUsername   = "admin"
	SandboxUsersPassword   = "sandbox-admin-password"
	SandboxPatientEmail    = "jane.doe@example.com" // RegisterPatientRequest's example
	SandboxPatientPassword = "Sup3rSecret"          // RegisterPatientRequest's example
	SandboxOrganization    = "appgen_demo"
	sandboxMatildePassword = "sandbox-matilde-password"
)

// SandboxCredentials are a working credential for every family of a seeded sandbox, with how to send it.
type SandboxCredentials struct {
	Prescrypto struct {
		Token  string `json:"token"`
		Medic  int64  `json:"medic"`
		Header string `json:"header"`
	} `json:"prescrypto"`
	Institutional struct {
		InstitutionKey string `json:"institutionKey"`
		DoctorAccount  string `json:"doctorAccount"` // its key is refused by every operation: the family acts with the institution's
		Header         string `json:"header"`
	} `json:"institutional"`
	Users struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Login    string `json:"login"`
	} `json:"users"`
	Patients struct {
		Organization string `json:"organization"`
		Username     string `json:"username"`
		Password     string `json:"password"`
		Login        string `json:"login"`
	} `json:"patients"`
}

// SeedSandbox fills s's empty database with the documented examples of every family, through the
// admin commands' functions and, for the rest, documented requests sent to api (s's HTTP server), so
// that the seed takes the handlers' own paths and validation. The documented ids (medics 1 and 11,
// hospital 7, memberships 342 and 343) come from advancing the id sequences before each creation.
func (s *Server) SeedSandbox(ctx context.Context, api http.Handler) (*SandboxCredentials, error) {
	var c SandboxCredentials
	seed := sandboxSeeder{api: api}
	// medics.txt: Elizabeth Blackwell (1) is the integrator; she creates hospital 7 (as its ADMIN, in
	// membership 342) and Matilde Montoya (11), a MEMBER of it (membership 343).
	if err := s.db.AdvanceIDs(ctx, db.MedicIDs, 1); err != nil {
		return nil, fmt.Errorf("impl: seed the sandbox (it needs an empty database): %w", err)
	}
	token, err := s.CreateIntegrator(ctx, "Elizabeth Blackwell", "elizabeth.blackwell@example.com")
	if err != nil {
		return nil, fmt.Errorf("impl: seed the sandbox: %w", err)
	}
	c.Prescrypto.Token, c.Prescrypto.Medic, c.Prescrypto.Header = token, 1, "Authorization: Token "+token
	medic := http.Header{"Authorization": {"Token " + token}}
	seed.send(ctx, http.MethodPatch, "/api/v2/medics/1/", medic, `{"date_of_birth": "1821-02-03",
		"cedula_prof": "123123123", "specialty_no": "123123123", "specialty": "Medico Cirujano",
		"alma_mater": "Geneva College", "female": true, "campaign": ""}`, nil)
	seed.advance(ctx, s.db, db.HospitalIDs, 7)
	seed.advance(ctx, s.db, db.MembershipIDs, 342)
	seed.send(ctx, http.MethodPost, "/api/v2/hospital/", medic, `{"name": "Consultorio de la Dra. Matilde Montoya",
		"patron": "Consultorio de la Dra. Matilde Montoya", "location": "Nombre de la Calle, Colonia, CP, Alcaldia, Estado",
		"contact": "hola@prescrypto.com", "page_size": false, "info": true, "zip_code": "06500",
		"location_lat": "00.0000000000000", "location_lon": "00.0000000000000", "is_admin": true}`, nil)
	seed.advance(ctx, s.db, db.MedicIDs, 11)
	seed.send(ctx, http.MethodPost, "/api/v2/medics/", medic, `{"name": "Matilde Montoya",
		"password": "`+sandboxMatildePassword+`", "email": "matilde@example.com", "hospital": 7,
		"is_admin_membership": false, "date_of_birth": "1957-03-14", "cedula_prof": "123123123",
		"specialty_no": "123123123", "specialty": "Medico Cirujano", "alma_mater": "Escuela Nacional de Medicina",
		"female": false, "is_active": true, "campaign": ""}`, nil)

	// institutional-accounts.txt: an institution with the documented doctor account.
	if seed.err == nil {
		c.Institutional.InstitutionKey, seed.err = s.CreateInstitution(ctx, "Clínica Sandbox")
	}
	var account struct {
		ID string `json:"id"`
	}
	seed.send(ctx, http.MethodPost, "/v1/institutional/accounts", http.Header{"Authorization": {"Bearer " + c.Institutional.InstitutionKey}},
		`{"country": "COLOMBIA", "doctorSpecialties": ["CARDIOLOGY"], "email": "dr.juan@clinica.com",
		"institutionalBranchName": "Sede Norte", "internalCode": "DOC-001", "language": "es",
		"nameFull": "Dr. Juan Pérez", "timeZone": "America/Bogota"}`, &account)
	c.Institutional.DoctorAccount = account.ID
	c.Institutional.Header = "Authorization: Bearer " + c.Institutional.InstitutionKey

	// users.txt: an administrator (user 1), who creates the documented clinician Ada (user 2).
	if seed.err == nil {
		_, seed.err = s.CreateStaff(ctx, SandboxUsersUsername, SandboxUsersPassword)
	}
	c.Users.Username, c.Users.Password = SandboxUsersUsername, SandboxUsersPassword
	c.Users.Login = fmt.Sprintf(`POST /users/user/login/ {"username": %q, "password": %q}, then send the sessionid cookie`,
		SandboxUsersUsername, SandboxUsersPassword)
	login := seed.send(ctx, http.MethodPost, "/users/user/login/", nil,
		fmt.Sprintf(`{"username": %q, "password": %q}`, SandboxUsersUsername, SandboxUsersPassword), nil)
	session := http.Header{}
	for _, cookie := range login.Cookies() {
		session.Add("Cookie", cookie.Name+"="+cookie.Value)
	}
	seed.send(ctx, http.MethodPost, "/users/user/new/", session, `{"username": "ada", "password": "correct-horse-battery",
		"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "birth_date": "1985-12-10",
		"is_staff": false, "numeric_password": "1234", "user_type": "CL", "gender": "F",
		"phone": "+44 20 7946 0000", "mobile": "+44 7700 900000", "certified_email": "ada@pec.example.com"}`, nil)

	// patients.txt and the platform's notes: the organization appgen_demo (in Canada) with a patient.
	if seed.err == nil {
		seed.err = s.CreateOrganization(ctx, SandboxOrganization, "AppGen Demo", "CA")
	}
	seed.send(ctx, http.MethodPost, "/users", http.Header{"Organization": {SandboxOrganization}}, `{"email": "`+SandboxPatientEmail+`",
		"password": "`+SandboxPatientPassword+`", "firstName": "Jane", "lastName": "Doe", "gender": "female",
		"phone": "(416) 555-0199", "dob": "1990-04-12", "roles": ["patient"], "meta": {"preferredLanguage": "en"},
		"hcCard": {"number": "1234-567-890", "versionCode": "AB", "expiry": "2028-04-30"},
		"acceptsMarketing": false, "hasInsurance": false, "province": "AB"}`, nil)
	c.Patients.Organization, c.Patients.Username, c.Patients.Password = SandboxOrganization, SandboxPatientEmail, SandboxPatientPassword
	c.Patients.Login = fmt.Sprintf(`POST /auth/login {"username": %q, "password": %q} with the header organization: %s, then send Authorization: Bearer <token>`,
		SandboxPatientEmail, SandboxPatientPassword, SandboxOrganization)
	if seed.err != nil {
		return nil, fmt.Errorf("impl: seed the sandbox: %w", seed.err)
	}
	return &c, nil
}

// sandboxSeeder sends the seed's requests, keeping the first error (after which it does nothing).
type sandboxSeeder struct {
	api http.Handler
	err error
}

// advance is db.AdvanceIDs unless an earlier step failed.
func (sd *sandboxSeeder) advance(ctx context.Context, d *db.DB, seq db.IDSequence, next int64) {
	if sd.err == nil {
		sd.err = d.AdvanceIDs(ctx, seq, next)
	}
}

// send serves a JSON request in process (a recorder stands for the connection, so the seed needs no
// listener) and decodes the answer into out when it is not nil; any status but 2xx is an error.
func (sd *sandboxSeeder) send(ctx context.Context, method, path string, header http.Header, body string, out any) *http.Response {
	rec := httptest.NewRecorder()
	if sd.err != nil {
		return rec.Result()
	}
	req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Content-Type", "application/json")
	sd.api.ServeHTTP(rec, req)
	resp := rec.Result()
	if resp.StatusCode/100 != 2 {
		sd.err = fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, rec.Body.Bytes())
	} else if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			sd.err = fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return resp
}
