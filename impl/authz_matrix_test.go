package impl_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// authzCase is how the authorization matrix calls one operation: a request aimed at the victim's
// objects, the credential it succeeds with, and what the family's other principals get.
type authzCase struct {
	path        string // with the world's placeholders ($medic, …)
	contentType string
	body        string      // with the placeholders, and $seq for a value unique to each request
	header      http.Header // sent with every request (the organization header)
	owner       string      // the credential the request succeeds with
	ok          int         // its status
	// others maps the family's other credentials to their status. The intruder's is required unless
	// the operation acts only on the caller's own things (selfOnly).
	others   map[string]int
	selfOnly bool
}

const jsonType = "application/json"

// authzMatrix has one entry per operation of openapi.yaml, by operationId (capitalised, as the
// embedded spec and the generated client name it). Operations without a
// security requirement (logins, registration) have an owner too: their request must succeed the
// same whatever credential comes with it.
var authzMatrix = map[string]authzCase{
	"listMedics": {path: "/api/v2/medics/", owner: credPrescrypto, ok: 200, others: map[string]int{credPrescryptoIntruder: 200}},
	"createMedic": {path: "/api/v2/medics/", contentType: jsonType,
		body:  `{"name":"Matrix Medic","email":"matrix-medic@example.com","password":"password1","hospital":$hospital}`,
		owner: credPrescrypto, ok: 201, others: map[string]int{credPrescryptoIntruder: 400}},
	"getMedic": {path: "/api/v2/medics/$medic/", owner: credPrescrypto, ok: 200, others: map[string]int{credPrescryptoIntruder: 404}},
	"updateMedic": {path: "/api/v2/medics/$medic/", contentType: jsonType, body: `{"specialty":"Matrix"}`,
		owner: credPrescrypto, ok: 202, others: map[string]int{credPrescryptoIntruder: 404}},
	"listHospitals": {path: "/api/v2/hospital/", owner: credPrescrypto, ok: 200, others: map[string]int{credPrescryptoIntruder: 200}},
	"createHospital": {path: "/api/v2/hospital/", contentType: jsonType,
		body:  `{"name":"Matrix Hospital","patron":"Matrix S.A.","location":"Matrix street","contact":"matrix@hospital.example"}`,
		owner: credPrescrypto, ok: 201, others: map[string]int{credPrescryptoIntruder: 201}},
	"getHospital": {path: "/api/v2/hospital/$hospital/", owner: credPrescrypto, ok: 200, others: map[string]int{credPrescryptoIntruder: 404}},
	"updateHospital": {path: "/api/v2/hospital/$hospital/", contentType: jsonType, body: `{"headline":"Matrix"}`,
		owner: credPrescrypto, ok: 201, others: map[string]int{credPrescryptoIntruder: 404}},
	"updateHospitalByPost": {path: "/api/v2/hospital/$hospital/", contentType: jsonType, body: `{"headline":"Matrix"}`,
		owner: credPrescrypto, ok: 201, others: map[string]int{credPrescryptoIntruder: 404}},
	"listMemberships": {path: "/api/v2/management/memberships/", owner: credPrescrypto, ok: 200, others: map[string]int{credPrescryptoIntruder: 200}},
	"createMembership": {path: "/api/v2/management/memberships/", contentType: jsonType,
		body:  `{"medic":$lone_medic,"hospital":$hospital,"type_membership":"MEMBER"}`,
		owner: credPrescrypto, ok: 201, others: map[string]int{credPrescryptoIntruder: 401}},
	"getMembership": {path: "/api/v2/management/memberships/$membership", owner: credPrescrypto, ok: 200,
		others: map[string]int{credPrescryptoIntruder: 404}},
	"updateMembership": {path: "/api/v2/management/memberships/$membership", contentType: jsonType, body: `{"type_membership":"MEMBER"}`,
		owner: credPrescrypto, ok: 201, others: map[string]int{credPrescryptoIntruder: 404}},
	"deleteMembership": {path: "/api/v2/management/memberships/$membership", owner: credPrescrypto, ok: 201,
		others: map[string]int{credPrescryptoIntruder: 404}},
	"listHospitalMemberships": {path: "/api/v2/memberships/$hospital", owner: credPrescrypto, ok: 200,
		others: map[string]int{credPrescryptoIntruder: 401}},
	// Any token finds any medic by its whole email (only id and email), so that an ADMIN can add it
	// (TestSearchMedicsFindsOneWholeEmailInAnyCase); here, one whose email has no victim marker.
	"searchMedics": {path: "/api/v2/search/medics/?query=intruder-medic@example.com", owner: credPrescrypto, ok: 200,
		others: map[string]int{credPrescryptoIntruder: 200}},
	"setDefaultHospital": {path: "/api/v2/locations/update/", contentType: jsonType, body: `{"hospital_id":$hospital}`,
		owner: credPrescrypto, ok: 200, others: map[string]int{credPrescryptoIntruder: 404}},

	"createInstitutionalAccount": {path: "/v1/institutional/accounts", contentType: jsonType,
		body:  `{"email":"matrix@doctor.example","doctorSpecialties":["CARDIOLOGY"]}`,
		owner: credInstitution, ok: 201, others: map[string]int{credInstitutionIntruder: 201, credDoctor: 403}},
	"getInstitutionalAccount": {path: "/v1/institutional/accounts/$account", owner: credInstitution, ok: 200,
		others: map[string]int{credInstitutionIntruder: 404, credDoctor: 403}},

	"createUser": {path: "/users/user/new/", contentType: jsonType, body: `{"username":"matrix-user","password":"matrix-password"}`,
		owner: credStaff, ok: 201, others: map[string]int{credUser: 403, credUserIntruder: 403}},
	"loginUser": {path: "/users/user/login/", contentType: jsonType, body: `{"username":"victim","password":"victim-password"}`,
		owner: credUser, ok: 200, selfOnly: true},
	"logoutUser":  {path: "/users/user/logout/", owner: credUserSpare, ok: 200, selfOnly: true},
	"getUserInfo": {path: "/users/user/$user/get_user_info/", owner: credUser, ok: 200, others: map[string]int{credUserIntruder: 404}},
	"searchUsers": {path: "/users/user/search/?query_string=victim", owner: credUser, ok: 200, others: map[string]int{credUserIntruder: 200}},
	"editUser": {path: "/users/user/$user/edit/", contentType: jsonType, body: `{"first_name":"Matrix"}`,
		owner: credUser, ok: 200, others: map[string]int{credUserIntruder: 403}},
	"deactivateUser": {path: "/users/user/$target_user/deactivate/", owner: credStaff, ok: 200,
		others: map[string]int{credUser: 403, credUserIntruder: 403}},
	"activateUser": {path: "/users/user/$target_user/activate/", owner: credStaff, ok: 200,
		others: map[string]int{credUser: 403, credUserIntruder: 403}},

	"registerPatient": {path: "/users", contentType: jsonType, header: http.Header{"Organization": {northclinic}},
		body:  `{"email":"matrix-$seq@patient.example","firstName":"Matrix","lastName":"Patient","gender":"female","phone":"4165550199","dob":"1990-04-12"}`,
		owner: credPatient, ok: 201, selfOnly: true},
	"getCurrentPatient": {path: "/users/me", owner: credPatient, ok: 200, selfOnly: true},
	"getPatientAccount": {path: "/users/account", owner: credPatient, ok: 200, selfOnly: true},
	"loginPatient": {path: "/auth/login", contentType: jsonType, body: `{"username":"victim@patient.example#northclinic","password":"Sup3rSecret"}`,
		owner: credPatient, ok: 200, selfOnly: true},
}

// intruderOf names the intruder credential of each family.
var intruderOf = map[string]string{
	familyPrescrypto: credPrescryptoIntruder, familyInstitutional: credInstitutionIntruder,
	familyUsers: credUserIntruder, familyPatients: credPatientIntruder,
}

// familyOfErrorSchema maps a tag's x-error-schema to its family.
var familyOfErrorSchema = map[string]string{
	"PrescryptoError": familyPrescrypto, "InstitutionalError": familyInstitutional,
	"UsersFailure": familyUsers, "PatientError": familyPatients,
}

// specOperation is one operation of openapi.yaml, as the matrix and the fuzz targets need it.
type specOperation struct {
	id, method, path, family string
	open                     bool // security: []
}

// specOperations lists every operation of openapi.yaml, ordered by operationId.
func specOperations(t *testing.T) []specOperation {
	t.Helper()
	spec := loadSpec(t)
	familyOfTag := map[string]string{}
	for _, tag := range spec.Tags {
		name, _ := tag.Extensions["x-error-schema"].(string)
		familyOfTag[tag.Name] = familyOfErrorSchema[name]
	}
	var ops []specOperation
	for _, path := range spec.Paths.InMatchingOrder() {
		for method, op := range spec.Paths.Value(path).Operations() {
			if op.Security == nil || len(op.Tags) != 1 || familyOfTag[op.Tags[0]] == "" {
				t.Fatalf("%s %s: needs its own security requirement and one tag of a known family", method, path)
			}
			ops = append(ops, specOperation{id: op.OperationID, method: method, path: path, family: familyOfTag[op.Tags[0]], open: len(*op.Security) == 0})
		}
	}
	slices.SortFunc(ops, func(a, b specOperation) int { return strings.Compare(a.id, b.id) })
	return ops
}

// malformedCredentials are broken, forged or misplaced credentials; every secured operation
// answers them 401.
func (w *world) malformedCredentials(t *testing.T) map[string]http.Header {
	t.Helper()
	auth := func(v string) http.Header { return http.Header{"Authorization": {v}} }
	cookie := func(v string) http.Header { return http.Header{"Cookie": {v}} }
	claims := jwt.MapClaims{"sub": w.patient, "org": northclinic, "iss": "galeno", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	unsigned, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("not the server's key, but 32 bytes long"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]http.Header{
		"Token without a key":                   auth("Token"),
		"Token with spaces":                     auth("Token    "),
		"Token with a tampered key":             auth("Token " + w.prescryptoToken + "0"),
		"Token with a guessed key":              auth("Token " + strings.Repeat("0", 32)),
		"a bare prescrypto token":               auth(w.prescryptoToken),
		"a prescrypto token as Bearer":          auth("Bearer " + w.prescryptoToken),
		"Bearer without a token":                auth("Bearer"),
		"Bearer garbage":                        auth("Bearer not.a.jwt"),
		"an institution key as Token":           auth("Token " + w.institutionKey),
		"a tampered institution key":            auth("Bearer " + w.institutionKey + "0"),
		"a patient token as Token":              auth("Token " + w.patientToken),
		"an unsigned patient token (alg none)":  auth("Bearer " + unsigned),
		"a patient token signed with other key": auth("Bearer " + forged),
		"Basic credentials":                     auth("Basic " + base64.StdEncoding.EncodeToString([]byte(victimUsername+":"+victimPassword))),
		"a session key as Bearer":               auth("Bearer " + w.userSession),
		"an empty session cookie":               cookie("sessionid="),
		"a garbage session cookie":              cookie("sessionid=garbage"),
		"a tampered session cookie":             cookie("sessionid=" + w.userSession + "0"),
		"a session cookie under another name":   cookie("SESSIONID=" + w.userSession),
		"a prescrypto token as session cookie":  cookie("sessionid=" + w.prescryptoToken),
	}
}

// ownerViews reads the victim's objects as their owners see them, to show that nothing the matrix
// refused changed them.
func (w *world) ownerViews(t *testing.T, ts *testServer) map[string]string {
	t.Helper()
	views := map[string]string{}
	for path, cred := range map[string]string{
		"/api/v2/medics/$medic/": credPrescrypto, "/api/v2/hospital/$hospital/": credPrescrypto,
		"/api/v2/management/memberships/$membership": credPrescrypto, "/v1/institutional/accounts/$account": credInstitution,
		"/users/user/$user/get_user_info/": credStaff, "/users/user/$target_user/get_user_info/": credStaff, "/users/me": credPatient,
	} {
		status, body := ts.do(t, "GET", w.expand(path), "", nil, w.credential(t, cred).header)
		if status != 200 {
			t.Fatalf("the owner's view of %s: %d %s", path, status, body)
		}
		views[path] = string(body)
	}
	return views
}

// TestAuthorizationMatrix calls every operation of openapi.yaml without a credential, with
// malformed and forged ones, with valid credentials of the other families and with the family's
// other principals: each gets the documented refusal in its family's dialect (the harness checks
// every body against the operation's schema) and no response shows the victim's data or anyone's
// secret. The victim's objects are unchanged by it all, and its own requests then succeed.
func TestAuthorizationMatrix(t *testing.T) {
	ops := specOperations(t)
	for _, op := range ops {
		c, ok := authzMatrix[op.id]
		if !ok {
			t.Errorf("operation %s has no entry in the authorization matrix", op.id)
			continue
		}
		if _, ok := c.others[intruderOf[op.family]]; !ok && !c.selfOnly {
			t.Errorf("%s: the matrix does not say what the %s intruder gets", op.id, op.family)
		}
	}
	for id := range authzMatrix {
		if !slices.ContainsFunc(ops, func(op specOperation) bool { return op.id == id }) {
			t.Errorf("the authorization matrix has an entry for %s, which openapi.yaml does not have", id)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	eachBackend(t, func(t *testing.T, ts *testServer) {
		w := newWorld(t, ts)
		seq := 0
		call := func(t *testing.T, op specOperation, c authzCase, header http.Header) (int, string) {
			t.Helper()
			seq++
			h := http.Header{}
			for _, extra := range []http.Header{c.header, header} {
				for k, vs := range extra {
					h[k] = append(h[k], vs...)
				}
			}
			var body *strings.Reader
			if c.body != "" {
				body = strings.NewReader(strings.ReplaceAll(w.expand(c.body), "$seq", fmt.Sprint(seq)))
			}
			status, got := doMaybeBody(t, ts, strings.ToUpper(op.method), w.expand(c.path), c.contentType, body, h)
			// A sign-in's new token may equal the world's (a JWT issued in the same second): only
			// the other operations must never show one.
			for _, secret := range w.secrets() {
				if strings.Contains(string(got), secret) && !op.open {
					t.Errorf("%s: the response shows a secret of the world: %s", op.id, got)
				}
			}
			return status, string(got)
		}
		expect := func(t *testing.T, op specOperation, c authzCase, what string, header http.Header, want int) {
			t.Helper()
			status, body := call(t, op, c, header)
			if status != want {
				t.Errorf("%s with %s: %d, want %d: %s", op.id, what, status, want, body)
			}
			if strings.Contains(body, victimMarker) {
				t.Errorf("%s with %s: the response shows the victim's data: %s", op.id, what, body)
			}
		}

		before := w.ownerViews(t, ts)
		malformed := w.malformedCredentials(t)
		for _, op := range ops {
			c := authzMatrix[op.id]
			if op.open {
				continue // below, with the owners' requests
			}
			t.Run(op.id, func(t *testing.T) {
				expect(t, op, c, "no credential", nil, 401)
				for name, header := range malformed {
					expect(t, op, c, name, header, 401)
				}
				for _, cred := range w.credentials() {
					want, listed := c.others[cred.name]
					switch {
					case cred.name == c.owner || cred.name == credUserSpare:
					case cred.family != op.family:
						expect(t, op, c, "the "+cred.name+" credential", cred.header, 401)
					case listed:
						expect(t, op, c, "the "+cred.name+" credential", cred.header, want)
					}
				}
			})
		}
		if after := w.ownerViews(t, ts); !jsonEqual(before, after) {
			t.Errorf("refused requests changed the victim's objects:\nbefore %v\nafter  %v", before, after)
		}

		for _, op := range ops {
			c := authzMatrix[op.id]
			t.Run(op.id+"/owner", func(t *testing.T) {
				if status, body := call(t, op, c, w.credential(t, c.owner).header); status != c.ok {
					t.Fatalf("%s by its owner: %d, want %d: %s", op.id, status, c.ok, body)
				}
				if !op.open {
					return
				}
				// The operation needs no credential: none, a foreign one, one of every other family
				// or a malformed one all change nothing.
				variants := map[string]http.Header{"no credential": nil, "a malformed credential": malformed["Token without a key"]}
				sent := map[string]bool{op.family: true}
				for _, cred := range w.credentials() {
					if cred.name == intruderOf[op.family] || !sent[cred.family] {
						sent[cred.family] = true
						variants["the "+cred.name+" credential"] = cred.header
					}
				}
				for what, header := range variants {
					if status, body := call(t, op, c, header); status != c.ok {
						t.Errorf("%s with %s: %d, want %d as without it: %s", op.id, what, status, c.ok, body)
					}
				}
			})
		}
	})
}
