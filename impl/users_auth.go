package impl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
	"github.com/galeno-health/galeno/internal/contract"
)

// Users log in with a username and password and get a `sessionid` cookie. Sessions live in the
// database, so every server process on it shares them.

const (
	sessionCookieName = "sessionid"
	sessionLifetime   = 14 * 24 * time.Hour
)

// userLogins limits failed logins per username from one client address and per client address, and
// slows those of a username failing from everywhere, as openapi.yaml documents. An address gets
// more tries than a username, since many people may share one (behind a NAT).
var userLogins = loginThrottle{family: "users", account: "username", window: 15 * time.Minute, perAccount: 5, perAddress: 20,
	slowAfter: 50, slowdown: 2 * time.Second, sleep: sleepContext}

var errBadCredentials = &Error{Status: http.StatusUnauthorized, Message: "Login failed", Detail: "Invalid username or password"}

// userSession is the principal of a request with a valid session cookie.
type userSession struct {
	session *db.UserSession
	user    *db.User
}

// authenticateSessionCookie resolves the `sessionid` cookie into a *userSession. Expired sessions
// and sessions of deactivated users are refused.
func (s *Server) authenticateSessionCookie(ctx context.Context, r *http.Request) (any, error) {
	cookie, err := r.Cookie(sessionCookieName)
	if err != nil {
		return nil, newError(http.StatusUnauthorized, "")
	}
	sess, user, err := s.db.UserSessionByKey(ctx, cookie.Value, s.timestamp())
	if errors.Is(err, db.ErrInvalidToken) {
		return nil, newError(http.StatusUnauthorized, "")
	}
	if err != nil {
		return nil, err
	}
	return &userSession{session: sess, user: user}, nil
}

// currentSession returns the session that authenticated the request.
func currentSession(ctx context.Context) (*userSession, error) { return principal[*userSession](ctx) }

// adminSession returns the session that authenticated the request, which must be an
// administrator's: privileges follow is_admin, as users.txt documents (is_staff defaults to true).
func adminSession(ctx context.Context) (*userSession, error) {
	me, err := currentSession(ctx)
	if err == nil && !me.user.IsAdmin {
		return nil, errNotAdmin
	}
	return me, err
}

// LoginUser checks a username and password and starts a session.
func (s *Server) LoginUser(ctx context.Context, req gen.LoginUserRequestObject) (gen.LoginUserResponseObject, error) {
	b, err := formOrJSON(req.JSONBody, req.FormdataBody)
	if err != nil {
		return nil, err
	}
	if b.Password == nil {
		return nil, fieldError("password", msgRequired)
	}
	now := s.timestamp()
	attempt, wait, err := userLogins.begin(ctx, &s.db.Store, now, strings.ToLower(b.Username), clientAddress(ctx))
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, &Error{Status: http.StatusTooManyRequests, Message: "Too many attempts", RetryAfter: wait,
			Detail: fmt.Sprintf("Too many failed logins; try again in %d seconds.", int(math.Ceil(wait.Seconds())))}
	}
	u, err := s.checkPassword(ctx, b.Username, *b.Password)
	if errors.Is(err, errBadCredentials) {
		if err := attempt.failed(ctx, &s.db.Store); err != nil {
			return nil, err
		}
		return nil, errBadCredentials
	}
	if err != nil {
		return nil, err
	}
	auditObject(ctx, u.ID)
	sess := &db.UserSession{UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(sessionLifetime)}
	var key string
	err = s.db.InTx(ctx, func(tx *db.Store) error {
		if err := attempt.succeeded(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.DeleteExpiredUserSessions(ctx, now); err != nil {
			return err
		}
		key, err = tx.CreateUserSession(ctx, sess)
		return err
	})
	if err != nil {
		return nil, err
	}
	cookie := sessionCookie(ctx, key, sess.ExpiresAt, int(sessionLifetime.Seconds()))
	return gen.LoginUser200JSONResponse{
		Body:    gen.UserEnvelope{Success: true, Message: "Logged in", Data: userJSON(u)},
		Headers: gen.LoginUser200ResponseHeaders{SetCookie: &cookie},
	}, nil
}

// LogoutUser ends the request's session and expires the cookie.
func (s *Server) LogoutUser(ctx context.Context, _ gen.LogoutUserRequestObject) (gen.LogoutUserResponseObject, error) {
	me, err := currentSession(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.db.DeleteUserSession(ctx, me.session.ID); err != nil {
		return nil, err
	}
	cookie := sessionCookie(ctx, "", time.Unix(0, 0), -1)
	return gen.LogoutUser200JSONResponse{
		Body:    gen.UsersMessage{Success: true, Message: "Logged out"},
		Headers: gen.LogoutUser200ResponseHeaders{SetCookie: &cookie},
	}, nil
}

// checkPassword returns the active user with this username and password, or errBadCredentials,
// the same for an unknown username, a wrong password or a deactivated user.
func (s *Server) checkPassword(ctx context.Context, username, password string) (*db.User, error) {
	u, err := s.db.UserByUsername(ctx, username)
	var hash *string
	switch {
	case err == nil:
		hash = &u.PasswordHash
	case !errors.Is(err, db.ErrNotFound):
		return nil, err
	}
	ok, err := s.verifyAccountPassword(ctx, password, hash)
	if err != nil {
		return nil, fmt.Errorf("impl: verify password of %q: %w", username, err)
	}
	if !ok || !u.IsActive {
		return nil, errBadCredentials
	}
	return u, nil
}

// sessionCookie is the Set-Cookie value for a session key (maxAge < 0 expires the cookie). It is
// Secure when the request really came over HTTPS (not merely when a client says so).
func sessionCookie(ctx context.Context, key string, expires time.Time, maxAge int) string {
	c := http.Cookie{
		Name: sessionCookieName, Value: key, Path: "/", Expires: expires, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: requestIsHTTPS(ctx),
	}
	return c.String()
}

// CreateStaff creates an administrator (is_admin, and is_staff), for `galeno admin staff`,
// and returns its id. The username and password must meet the rules of openapi.yaml's UserCreate.
func (s *Server) CreateStaff(ctx context.Context, username, password string) (int64, error) {
	if err := validateUserCreate(map[string]any{"username": username, "password": password}); err != nil {
		return 0, err
	}
	hash, err := s.hashSecret(ctx, password)
	if err != nil {
		return 0, err
	}
	u := &db.User{Username: username, PasswordHash: hash, IsStaff: true, IsActive: true,
		IsAdmin: true, UserType: defaultUserType, Gender: defaultGender, CreatedAt: s.timestamp()}
	if err := s.db.CreateUser(ctx, u); err != nil {
		if db.ConflictField(err) == "username" {
			return 0, fmt.Errorf("a user with the username %q already exists", username)
		}
		return 0, err
	}
	return u.ID, nil
}

// validateUserCreate checks a user's fields against the UserCreate schema of the embedded spec.
func validateUserCreate(fields map[string]any) error {
	spec, err := contract.Load()
	if err != nil {
		return fmt.Errorf("impl: %w", err)
	}
	schema := spec.Components.Schemas["UserCreate"].Value
	for name, value := range fields {
		if err := schema.Properties[name].Value.VisitJSON(value); err != nil {
			return fmt.Errorf("invalid %s: %s", name, schemaReason(err))
		}
	}
	return nil
}

// schemaReason is the reason of a schema error, without the schema dump VisitJSON's message carries.
func schemaReason(err error) string {
	if problems := contract.ExplainSchema(err); len(problems) > 0 {
		return problems[0].Reason
	}
	return err.Error()
}
