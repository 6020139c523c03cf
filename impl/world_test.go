package impl_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/galeno-health/galeno/gen"
)

// A populated server for the authorization matrix and the fuzz targets: in every family, an owner
// (the victim) whose objects are targeted, and an intruder of the same family with objects of its
// own. Everything of the victim's carries the word "victim", so that a response leaking it shows.

const victimMarker = "victim"

// world holds what newWorld created: the ids of the objects and the credentials.
type world struct {
	// Prescrypto: the victim integrator is ADMIN of hospital; it created medic (a MEMBER there, with
	// membership) and loneMedic (in no hospital).
	prescryptoToken, intruderPrescryptoToken    string
	medic, loneMedic, hospital, membership      int64
	intruderMedic, intruderHospital             int64
	intruderMembership                          int64
	institutionKey, intruderInstitutionKey      string
	doctorKey                                   string // the victim institution's account's own key
	account, intruderAccount                    string
	staffSession, userSession, intruderSession  string
	spareSession                                string // the victim user's second session, to log out
	staffUser, user, targetUser, intruderUser   int64
	patientToken, intruderPatientToken, patient string
}

// Credentials the world's principals send.
const (
	credPrescrypto          = "prescrypto owner"
	credPrescryptoIntruder  = "prescrypto intruder"
	credInstitution         = "institution owner"
	credInstitutionIntruder = "institution intruder"
	credDoctor              = "institution doctor account"
	credStaff               = "users staff"
	credUser                = "users owner"
	credUserIntruder        = "users intruder"
	credUserSpare           = "users owner second session"
	credPatient             = "patient owner"
	credPatientIntruder     = "patient intruder"
)

const (
	southclinic          = "southclinic"
	victimUsername       = "victim"
	victimPassword       = "victim-password" // newMember's password for victimUsername
	victimPatientEmail   = "victim@patient.example"
	intruderPatientEmail = "intruder@patient.example"
	patientPassword      = "Sup3rSecret" // registration's
)

// credential is how one principal authenticates: the headers it sends, and its family.
type credential struct {
	name, family string
	header       http.Header
}

// families of the API, as the matrix and the fuzz targets group operations.
const (
	familyPrescrypto    = "prescrypto"
	familyInstitutional = "institutional"
	familyUsers         = "users"
	familyPatients      = "patients"
)

// newWorld creates the victims and intruders of every family through the API (and the admin code
// paths for the integrators, institutions, staff and organizations).
func newWorld(t *testing.T, ts *testServer) *world {
	t.Helper()
	w := &world{}

	w.prescryptoToken = integrator(t, ts, "victim-integrator@example.com")
	w.hospital = worldHospital(t, ts, w.prescryptoToken, "Victim Hospital")
	w.medic = createMedic(t, ts, w.prescryptoToken, "victim-medic@example.com").ID
	w.membership = worldMembership(t, ts, w.prescryptoToken, w.medic, w.hospital)
	w.loneMedic = createMedic(t, ts, w.prescryptoToken, "victim-lone@example.com").ID
	w.intruderPrescryptoToken = integrator(t, ts, "intruder-integrator@example.com")
	w.intruderHospital = worldHospital(t, ts, w.intruderPrescryptoToken, "Intruder Hospital")
	w.intruderMedic = createMedic(t, ts, w.intruderPrescryptoToken, "intruder-medic@example.com").ID
	w.intruderMembership = worldMembership(t, ts, w.intruderPrescryptoToken, w.intruderMedic, w.intruderHospital)

	w.institutionKey = institution(t, ts, "Victim Institution")
	victimAccount := newAccount("victim-doctor@north.example")
	victimAccount.NameFull = ptr("Dr Victim")
	created := createAccount(t, ts, w.institutionKey, victimAccount)
	w.account, w.doctorKey = created.Id, created.ApiKey
	w.intruderInstitutionKey = institution(t, ts, "Intruder Institution")
	w.intruderAccount = createAccount(t, ts, w.intruderInstitutionKey, newAccount("intruder-doctor@south.example")).Id

	w.staffUser, w.staffSession = newStaff(t, ts)
	victim, session := newMember(t, ts, w.staffSession, victimUsername)
	w.user, w.userSession = victim.Id, session
	w.spareSession = loginSession(t, ts, victimUsername, victimPassword)
	w.targetUser = createUser(t, ts, w.staffSession, gen.UserCreate{Username: "victim-target", Password: ptr("target-password"), IsStaff: ptr(false)}).Id
	intruder, session := newMember(t, ts, w.staffSession, "intruder")
	w.intruderUser, w.intruderSession = intruder.Id, session

	organization(t, ts, northclinic)
	organization(t, ts, southclinic)
	w.patient = register(t, ts, northclinic, registration(victimPatientEmail)).UnderscoreId
	w.patientToken = patientToken(t, ts, victimPatientEmail+"#"+northclinic)
	register(t, ts, southclinic, registration(intruderPatientEmail))
	w.intruderPatientToken = patientToken(t, ts, intruderPatientEmail+"#"+southclinic)
	return w
}

func worldHospital(t *testing.T, ts *testServer, token, name string) int64 {
	t.Helper()
	resp, err := ts.CreateHospitalWithResponse(t.Context(), gen.HospitalCreate{Name: name, Patron: name + " S.A.",
		Location: name + " street", Contact: strings.ToLower(strings.Fields(name)[0]) + "@hospital.example"}, withToken(token))
	if err != nil || resp.JSON201 == nil {
		t.Fatalf("create hospital %s: %v %s", name, err, resp.Body)
	}
	return resp.JSON201.Id
}

func worldMembership(t *testing.T, ts *testServer, token string, medic, hospital int64) int64 {
	t.Helper()
	resp, err := ts.CreateMembershipWithResponse(t.Context(), gen.MembershipCreate{Medic: medic, Hospital: hospital, TypeMembership: "MEMBER"}, withToken(token))
	if err != nil || resp.JSON201 == nil {
		t.Fatalf("create membership: %v %s", err, resp.Body)
	}
	return *resp.JSON201.Id
}

func patientToken(t *testing.T, ts *testServer, uname string) string {
	t.Helper()
	resp := loginResponse(t, ts, uname, patientPassword)
	if resp.JSON200 == nil {
		t.Fatalf("sign in %s: %d %s", uname, resp.StatusCode(), resp.Body)
	}
	return resp.JSON200.Token
}

// credentials lists every valid credential of the world.
func (w *world) credentials() []credential {
	token := func(scheme, secret string) http.Header { return http.Header{"Authorization": {scheme + " " + secret}} }
	return []credential{
		{credPrescrypto, familyPrescrypto, token("Token", w.prescryptoToken)},
		{credPrescryptoIntruder, familyPrescrypto, token("Token", w.intruderPrescryptoToken)},
		{credInstitution, familyInstitutional, token("Bearer", w.institutionKey)},
		{credInstitutionIntruder, familyInstitutional, token("Bearer", w.intruderInstitutionKey)},
		{credDoctor, familyInstitutional, token("Bearer", w.doctorKey)},
		{credStaff, familyUsers, sessionHeader(w.staffSession)},
		{credUser, familyUsers, sessionHeader(w.userSession)},
		{credUserIntruder, familyUsers, sessionHeader(w.intruderSession)},
		{credUserSpare, familyUsers, sessionHeader(w.spareSession)},
		{credPatient, familyPatients, token("Bearer", w.patientToken)},
		{credPatientIntruder, familyPatients, token("Bearer", w.intruderPatientToken)},
	}
}

// credential returns the credential named name.
func (w *world) credential(t testing.TB, name string) credential {
	t.Helper()
	for _, c := range w.credentials() {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no credential %q in the world", name)
	return credential{}
}

// secrets lists every secret of the world, none of which a response may contain.
func (w *world) secrets() []string {
	return []string{w.prescryptoToken, w.intruderPrescryptoToken, w.institutionKey, w.intruderInstitutionKey, w.doctorKey,
		w.staffSession, w.userSession, w.intruderSession, w.spareSession, w.patientToken, w.intruderPatientToken}
}

// expand replaces the placeholders of a request template ($medic, $intruder_hospital, …) with the
// world's ids, so that requests written before the world existed target its objects.
func (w *world) expand(s string) string {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return strings.NewReplacer(
		"$intruder_medic", id(w.intruderMedic), "$intruder_hospital", id(w.intruderHospital),
		"$intruder_membership", id(w.intruderMembership), "$intruder_account", w.intruderAccount,
		"$intruder_user", id(w.intruderUser),
		"$lone_medic", id(w.loneMedic), "$medic", id(w.medic), "$hospital", id(w.hospital),
		"$membership", id(w.membership), "$account", w.account, "$target_user", id(w.targetUser),
		"$staff_user", id(w.staffUser), "$user", id(w.user), "$patient", w.patient,
	).Replace(s)
}
