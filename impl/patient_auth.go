package impl

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
)

// Patient sign-in (POST /auth/login) and its bearer tokens: HS256 JWTs that expire after a day,
// signed with a key from the configuration or, without one, a key generated once and kept in the
// database so that every server process on it accepts the tokens of the others.

const (
	patientTokenTTL    = 24 * time.Hour
	patientTokenIssuer = "galeno"
	// patientTokenLeeway tolerates clock differences between the server processes.
	patientTokenLeeway = 30 * time.Second
	// patientKeySecret names the generated signing key in the database.
	patientKeySecret = "patient_jwt_key"
	// MinPatientSigningKeyBytes is the shortest signing key accepted: 256 bits, as HS256 needs.
	MinPatientSigningKeyBytes = 32
)

// patientLogins limits failed sign-ins per uname from one client address and per client address,
// and slows those of a uname failing from everywhere, as openapi.yaml documents.
var patientLogins = loginThrottle{family: "patients", account: "uname", window: 15 * time.Minute, perAccount: 5, perAddress: 20,
	slowAfter: 50, slowdown: 2 * time.Second, sleep: sleepContext}

var (
	errInvalidCredentials   = newError(http.StatusUnauthorized, "Invalid credentials")
	errPatientTokenRequired = newError(http.StatusUnauthorized, "A patient token is required (Authorization: Bearer <token>)")
	errInvalidPatientToken  = newError(http.StatusUnauthorized, "Invalid or expired token")
)

// patientClaims are the claims of a patient token: sub is the patient's id, org its organization,
// pgen and ogen the token generations of both when it was signed (tokens from before revocation
// existed have neither: generation 0).
type patientClaims struct {
	Org                    string `json:"org"`
	PatientGeneration      int64  `json:"pgen,omitempty"`
	OrganizationGeneration int64  `json:"ogen,omitempty"`
	jwt.RegisteredClaims
}

// ParsePatientSigningKey reads a configured signing key: base64 (standard or URL alphabet, padded
// or not) of at least 32 bytes, or else at least 32 raw bytes (so a value that decodes to fewer
// bytes is used as it is). An empty value means none (nil): the server then generates one and
// keeps it in the database.
func ParsePatientSigningKey(value string) ([]byte, error) {
	if value == "" {
		return nil, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(value); err == nil && len(key) >= MinPatientSigningKeyBytes {
			return key, nil
		}
	}
	if len(value) >= MinPatientSigningKeyBytes {
		return []byte(value), nil
	}
	return nil, fmt.Errorf("the patient token signing key must be at least %d bytes, raw or base64-encoded", MinPatientSigningKeyBytes)
}

// patientSigningKey holds the key that signs patient tokens, loaded from the database on first use
// unless configured.
type patientSigningKey struct {
	mu  sync.Mutex
	key []byte
}

func newPatientSigningKey(configured []byte) *patientSigningKey {
	if configured != nil && len(configured) < MinPatientSigningKeyBytes {
		panic(fmt.Sprintf("impl: PatientSigningKey must be at least %d bytes (see ParsePatientSigningKey)", MinPatientSigningKeyBytes))
	}
	return &patientSigningKey{key: configured}
}

// patientKey returns the signing key, generating and storing it if the database has none yet.
func (s *Server) patientKey(ctx context.Context) ([]byte, error) {
	k := s.patientSigningKey
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key == nil {
		candidate := make([]byte, MinPatientSigningKeyBytes)
		rand.Read(candidate)
		key, err := s.db.SecretOrCreate(ctx, patientKeySecret, candidate, s.timestamp())
		if err != nil {
			return nil, err
		}
		k.key = key
	}
	return k.key, nil
}

// signPatientToken returns a token for p, valid for patientTokenTTL.
func (s *Server) signPatientToken(ctx context.Context, p *db.Patient) (string, error) {
	key, err := s.patientKey(ctx)
	if err != nil {
		return "", err
	}
	generations, err := s.db.PatientTokenGenerations(ctx, p.ID)
	if err != nil {
		return "", err
	}
	now := s.now()
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, patientClaims{
		Org:                    p.OrganizationID,
		PatientGeneration:      generations.Patient,
		OrganizationGeneration: generations.Organization,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    patientTokenIssuer,
			Subject:   p.ID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(patientTokenTTL)),
		},
	})
	signed, err := token.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("impl: sign patient token: %w", err)
	}
	return signed, nil
}

// authenticatePatientBearer resolves `Authorization: Bearer <token>` into the token's *db.Patient.
// The algorithm is pinned to HS256 (no "none", no other key type), and the issuer, expiry and
// issue time are checked; so is the lifetime, which may not exceed the one Galeno gives (so that a
// leaked signing key cannot mint long-lived tokens unnoticed), and the token generations, which an
// operator raises to revoke every token of a patient or an organization.
func (s *Server) authenticatePatientBearer(ctx context.Context, r *http.Request) (any, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errPatientTokenRequired
	}
	key, err := s.patientKey(ctx)
	if err != nil {
		return nil, err
	}
	var claims patientClaims
	_, err = jwt.ParseWithClaims(strings.TrimSpace(token), &claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(patientTokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(patientTokenLeeway),
		jwt.WithTimeFunc(s.now),
	)
	if err == nil && (claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > patientTokenTTL) {
		err = errors.New("no issue time, or a lifetime longer than Galeno gives")
	}
	if err != nil {
		return nil, &Error{Status: http.StatusUnauthorized, Message: errInvalidPatientToken.Message, Err: err}
	}
	p, err := s.db.PatientByID(ctx, claims.Subject)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil, errInvalidPatientToken
	case err != nil:
		return nil, err
	case p.OrganizationID != claims.Org:
		return nil, errInvalidPatientToken
	}
	generations, err := s.db.PatientTokenGenerations(ctx, p.ID)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil, errInvalidPatientToken
	case err != nil:
		return nil, err
	case generations != db.TokenGenerations{Patient: claims.PatientGeneration, Organization: claims.OrganizationGeneration}:
		return nil, &Error{Status: http.StatusUnauthorized, Message: errInvalidPatientToken.Message, Err: errors.New("revoked token")}
	}
	return p, nil
}

// LoginPatient exchanges a uname (or an email and the organization header) and a password for a
// token. Every failure looks the same (an unknown uname, a wrong password, an account without a
// password) and takes as long, so that accounts cannot be discovered; repeated failures per uname or
// per client address are refused for a while (429).
func (s *Server) LoginPatient(ctx context.Context, req gen.LoginPatientRequestObject) (gen.LoginPatientResponseObject, error) {
	uname := strings.ToLower(strings.TrimSpace(req.Body.Username))
	// The platform signs in with the email and the organization (header or portal domain); the
	// uname carries both.
	if !strings.Contains(uname, "#") && req.Params.Organization != nil {
		uname += "#" + strings.ToLower(strings.TrimSpace(*req.Params.Organization))
	} else if !strings.Contains(uname, "#") {
		org, err := s.db.OrganizationByDomain(ctx, hostName(portalHost(ctx)))
		if errors.Is(err, db.ErrNotFound) {
			return nil, fieldError("username", "Send the organization header with an email, or the username as email#organization.")
		}
		if err != nil {
			return nil, err
		}
		uname += "#" + org.ID
	}
	attempt, wait, err := patientLogins.begin(ctx, &s.db.Store, s.timestamp(), uname, clientAddress(ctx))
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, &Error{Status: http.StatusTooManyRequests, Message: "Too many failed sign-ins: try again later", RetryAfter: wait}
	}
	p, err := s.db.PatientByUname(ctx, uname)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	ok, err := s.checkPatientPassword(ctx, p, valueOr(req.Body.Password, ""))
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := attempt.failed(ctx, &s.db.Store); err != nil {
			return nil, err
		}
		return nil, errInvalidCredentials
	}
	if err := attempt.succeeded(ctx, &s.db.Store); err != nil {
		return nil, err
	}
	auditObject(ctx, p.ID)
	token, err := s.signPatientToken(ctx, p)
	if err != nil {
		return nil, err
	}
	return gen.LoginPatient200JSONResponse{Body: gen.PatientToken{Token: token}}, nil
}

// checkPatientPassword reports whether p (nil when unknown) exists, has a password, and it is password.
func (s *Server) checkPatientPassword(ctx context.Context, p *db.Patient, password string) (bool, error) {
	var hash *string
	if p != nil {
		hash = p.PasswordHash
	}
	ok, err := s.verifyAccountPassword(ctx, password, hash)
	if err != nil {
		return false, fmt.Errorf("impl: check a patient's password: %w", err)
	}
	return ok, nil
}
