// Package impl implements the Galeno API behind gen.StrictServerInterface: authentication, the rules
// of each family, and the mapping of errors to each family's dialect.
package impl

import (
	"io"
	"log/slog"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
)

// Server implements every operation of openapi.yaml.
type Server struct {
	db  *db.DB
	log *slog.Logger
	now func() time.Time

	audit    *auditQueue
	auditOff bool // record no audit events: only where a benchmark measures what they cost

	patientSigningKey *patientSigningKey
	tokens            *tokenCache
	hashSlots         chan struct{} // see newHashSlots
	lightHashing      bool          // see Options.LightPasswordHashing
	// limits is set by NewEcho, whose options configure it; nil limits nothing.
	limits *rateLimiter
}

var _ gen.StrictServerInterface = (*Server)(nil)

// Options tunes a Server; the zero value is fine.
type Options struct {
	Logger *slog.Logger     // where request, error and panic logs go; nil discards them
	Now    func() time.Time // the clock; nil is time.Now

	// PatientSigningKey signs patient tokens (at least 32 bytes: see ParsePatientSigningKey); nil
	// for one generated on first use and kept in the database, shared by every server on it.
	PatientSigningKey []byte

	// TokenCacheTTL is how long a checked Prescrypto token is trusted without asking the database
	// again; 0 asks on every request. A medic deactivated through another process keeps its
	// token that long at most.
	TokenCacheTTL time.Duration

	// LightPasswordHashing hashes new passwords and PINs at argon2id's lightest cost instead of
	// OWASP's: only for `galeno sandbox`, whose passwords are published and whose seed, seven
	// hashes, must take well under a second.
	LightPasswordHashing bool
}

// NewServer returns a Server storing its data in d.
func NewServer(d *db.DB, opts Options) *Server {
	s := &Server{db: d, log: opts.Logger, now: opts.Now, hashSlots: newHashSlots(), lightHashing: opts.LightPasswordHashing}
	s.patientSigningKey = newPatientSigningKey(opts.PatientSigningKey)
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.log = slog.New(requestIDHandler{s.log.Handler()})
	if s.now == nil {
		s.now = time.Now
	}
	s.tokens = newTokenCache(opts.TokenCacheTTL, s.now)
	s.audit = newAuditQueue(d, s.log)
	return s
}

// timestamp is the current time as the database keeps it: UTC, to the microsecond.
func (s *Server) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }
