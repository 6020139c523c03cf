package impl

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
)

// The Users family (/users/user/…): telemedicine users managed by administrators, with session logins
// (users_auth.go). Every body is the {success, message, errors, data} envelope.

var errNotAdmin = &Error{Status: http.StatusForbidden, Detail: "This action needs an administrator (is_admin)"}

// Defaults of a new user's fields that the request leaves out.
const (
	defaultUserType = "AD"
	defaultGender   = "U"
)

// CreateUser creates a user; it needs an administrator's session.
func (s *Server) CreateUser(ctx context.Context, req gen.CreateUserRequestObject) (gen.CreateUserResponseObject, error) {
	if _, err := adminSession(ctx); err != nil {
		return nil, err
	}
	b, err := formOrJSON(req.JSONBody, req.FormdataBody)
	if err != nil {
		return nil, err
	}
	birthDate, err := parseBirthDate(b.BirthDate)
	if err != nil {
		return nil, err
	}
	secrets, err := s.hashUserSecrets(ctx, b.Password, b.NumericPassword)
	if err != nil {
		return nil, err
	}
	u := &db.User{
		Username:       b.Username,
		PINHash:        secrets.pin,
		FirstName:      valueOr(b.FirstName, ""),
		LastName:       valueOr(b.LastName, ""),
		Email:          string(valueOr(b.Email, "")),
		BirthDate:      birthDate,
		IsStaff:        valueOr(b.IsStaff, true),
		IsActive:       valueOr(b.IsActive, true),
		IsAdmin:        valueOr(b.IsAdmin, false),
		UserType:       string(valueOr(b.UserType, defaultUserType)),
		Gender:         string(valueOr(b.Gender, defaultGender)),
		Phone:          valueOr(b.Phone, ""),
		Mobile:         valueOr(b.Mobile, ""),
		CertifiedEmail: string(valueOr(b.CertifiedEmail, "")),
		CreatedAt:      s.timestamp(),
	}
	if secrets.password != nil {
		u.PasswordHash = *secrets.password
	} else {
		u.PasswordHash = s.unusablePasswordHash() // users.txt lists no password: set one through edit/
	}
	err = s.inTx(ctx, func(tx *db.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return userConflict(err)
		}
		auditObject(ctx, u.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return gen.CreateUser201JSONResponse{Body: gen.UserEnvelope{Success: true, Message: "User created", Data: userJSON(u)}}, nil
}

// GetUserInfo returns any user to an administrator's session, and only its own user to any other session
// (another user is as unknown as a missing one).
func (s *Server) GetUserInfo(ctx context.Context, req gen.GetUserInfoRequestObject) (gen.GetUserInfoResponseObject, error) {
	me, err := currentSession(ctx)
	if err != nil {
		return nil, err
	}
	if !me.user.IsAdmin && me.user.ID != req.UserId {
		return nil, &db.NotFoundError{Resource: "user", Key: strconv.FormatInt(req.UserId, 10)} // as if missing
	}
	u, err := s.db.UserByID(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	return gen.GetUserInfo200JSONResponse{Success: true, Message: "User found", Data: userJSON(u)}, nil
}

// SearchUsers returns the users matching every space-separated term of query_string: any of them
// to an administrator's session, at most its own user to any other.
func (s *Server) SearchUsers(ctx context.Context, req gen.SearchUsersRequestObject) (gen.SearchUsersResponseObject, error) {
	me, err := currentSession(ctx)
	if err != nil {
		return nil, err
	}
	var only *int64
	if !me.user.IsAdmin {
		only = &me.user.ID
	}
	terms := strings.Fields(req.Params.QueryString)
	if len(terms) == 0 {
		return nil, fieldError("query_string", "Give at least one search term.")
	}
	users, err := s.db.SearchUsers(ctx, terms, only)
	if err != nil {
		return nil, err
	}
	// users.txt: success is "True if users matching the query string are found. False otherwise".
	resp := gen.SearchUsers200JSONResponse{Success: len(users) > 0, Data: make([]gen.User, 0, len(users))}
	for i := range users {
		resp.Data = append(resp.Data, userJSON(&users[i]))
	}
	resp.Message = fmt.Sprintf("%d users found", len(users))
	if len(users) == 1 {
		resp.Message = "1 user found"
	}
	return resp, nil
}

// EditUser updates a user: administrators may edit anyone and any field; other users only themselves,
// and not their privileges (is_staff, is_admin, is_active, user_type). A new password ends the
// user's other sessions.
func (s *Server) EditUser(ctx context.Context, req gen.EditUserRequestObject) (gen.EditUserResponseObject, error) {
	me, err := currentSession(ctx)
	if err != nil {
		return nil, err
	}
	if !me.user.IsAdmin && me.user.ID != req.UserId {
		return nil, &Error{Status: http.StatusForbidden, Detail: "Only administrators may edit other users"}
	}
	b, err := formOrJSON(req.JSONBody, req.FormdataBody)
	if err != nil {
		return nil, err
	}
	birthDate, err := parseBirthDate(b.BirthDate)
	if err != nil {
		return nil, err
	}
	secrets, err := s.hashUserSecrets(ctx, b.Password, b.NumericPassword)
	if err != nil {
		return nil, err
	}
	var u *db.User
	err = s.inTx(ctx, func(tx *db.Store) error {
		if u, err = tx.UserByID(ctx, req.UserId); err != nil {
			return err
		}
		if !me.user.IsAdmin {
			if field := changedPrivilege(u, b); field != "" {
				return &Error{Status: http.StatusForbidden, Detail: "Only administrators may change " + field}
			}
		}
		if b.Email != nil && !strings.EqualFold(string(*b.Email), u.Email) {
			if err := s.limits.allowEmailChange(ctx); err != nil {
				return err
			}
		}
		applyUserUpdate(u, b, birthDate, secrets)
		if err := saveUser(ctx, tx, u); err != nil {
			return userConflict(err)
		}
		if b.Password == nil {
			return nil
		}
		keep := int64(0)
		if me.user.ID == u.ID {
			keep = me.session.ID
		}
		return tx.DeleteUserSessions(ctx, u.ID, keep)
	})
	if err != nil {
		return nil, err
	}
	return gen.EditUser200JSONResponse{Body: gen.UserEnvelope{Success: true, Message: "User updated", Data: userJSON(u)}}, nil
}

// DeactivateUser stops a user from logging in and ends all its sessions; it needs an administrator's session.
func (s *Server) DeactivateUser(ctx context.Context, req gen.DeactivateUserRequestObject) (gen.DeactivateUserResponseObject, error) {
	state, err := s.setUserActive(ctx, req.UserId, false)
	if err != nil {
		return nil, err
	}
	return gen.DeactivateUser200JSONResponse{Success: true, Message: "User deactivated", Data: state}, nil
}

// ActivateUser lets a deactivated user log in again; it needs an administrator's session.
func (s *Server) ActivateUser(ctx context.Context, req gen.ActivateUserRequestObject) (gen.ActivateUserResponseObject, error) {
	state, err := s.setUserActive(ctx, req.UserId, true)
	if err != nil {
		return nil, err
	}
	return gen.ActivateUser200JSONResponse{Success: true, Message: "User activated", Data: state}, nil
}

func (s *Server) setUserActive(ctx context.Context, id int64, active bool) (gen.UserActivation, error) {
	if _, err := adminSession(ctx); err != nil {
		return gen.UserActivation{}, err
	}
	err := s.inTx(ctx, func(tx *db.Store) error {
		u, err := tx.UserByID(ctx, id)
		if err != nil {
			return err
		}
		u.IsActive = active
		return saveUser(ctx, tx, u)
	})
	return gen.UserActivation{Id: id, IsActive: active}, err
}

// saveUser saves u in tx; an inactive user keeps no session, so that reactivating it does not
// revive the sessions it had.
func saveUser(ctx context.Context, tx *db.Store, u *db.User) error {
	if err := tx.UpdateUser(ctx, u); err != nil {
		return err
	}
	if u.IsActive {
		return nil
	}
	return tx.DeleteUserSessions(ctx, u.ID, 0)
}

// changedPrivilege names the first privilege field b would change on u, or returns "".
func changedPrivilege(u *db.User, b *gen.UserUpdate) string {
	switch {
	case b.IsStaff != nil && *b.IsStaff != u.IsStaff:
		return "is_staff"
	case b.IsAdmin != nil && *b.IsAdmin != u.IsAdmin:
		return "is_admin"
	case b.IsActive != nil && *b.IsActive != u.IsActive:
		return "is_active"
	case b.UserType != nil && string(*b.UserType) != u.UserType:
		return "user_type"
	}
	return ""
}

// userSecrets are the hashes of the secrets a request gives (nil for those it leaves out).
type userSecrets struct{ password, pin *string }

// hashUserSecrets hashes a user's password and PIN, before any transaction.
func (s *Server) hashUserSecrets(ctx context.Context, password, pin *string) (hashes userSecrets, err error) {
	if hashes.password, err = s.hashOptionalSecret(ctx, password); err != nil {
		return hashes, err
	}
	hashes.pin, err = s.hashOptionalSecret(ctx, pin)
	return hashes, err
}

// applyUserUpdate sets the fields b gives on u (birthDate is b's, parsed; secrets its hashed secrets).
func applyUserUpdate(u *db.User, b *gen.UserUpdate, birthDate *time.Time, secrets userSecrets) {
	if secrets.password != nil {
		u.PasswordHash = *secrets.password
	}
	if secrets.pin != nil {
		u.PINHash = secrets.pin
	}
	setIf(&u.FirstName, b.FirstName)
	setIf(&u.LastName, b.LastName)
	if b.Email != nil {
		u.Email = string(*b.Email)
	}
	if birthDate != nil {
		u.BirthDate = birthDate
	}
	setIf(&u.IsStaff, b.IsStaff)
	setIf(&u.IsActive, b.IsActive)
	setIf(&u.IsAdmin, b.IsAdmin)
	if b.UserType != nil {
		u.UserType = string(*b.UserType)
	}
	if b.Gender != nil {
		u.Gender = string(*b.Gender)
	}
	setIf(&u.Phone, b.Phone)
	setIf(&u.Mobile, b.Mobile)
	if b.CertifiedEmail != nil {
		u.CertifiedEmail = string(*b.CertifiedEmail)
	}
}

// parseBirthDate parses a birth_date (already checked to look like YYYY-MM-DD); nil stays nil.
func parseBirthDate(s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, *s)
	if err != nil {
		return nil, fieldError("birth_date", "Not a valid date.")
	}
	return &d, nil
}

// formOrJSON returns the body the request came with: the operations take either content type.
func formOrJSON[T any](jsonBody, formBody *T) (*T, error) {
	switch {
	case jsonBody != nil:
		return jsonBody, nil
	case formBody != nil:
		return formBody, nil
	}
	return nil, newError(http.StatusBadRequest, "A request body is required")
}

// userConflict turns a duplicate username or email into a 400 naming the field.
func userConflict(err error) error {
	if field := db.ConflictField(err); field == "username" || field == "email" {
		return fieldError(field, "A user with this "+field+" already exists.")
	}
	return err
}

func userJSON(u *db.User) gen.User {
	j := gen.User{
		Id: u.ID, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
		IsStaff: u.IsStaff, IsActive: u.IsActive, IsAdmin: u.IsAdmin, UserType: gen.UserType(u.UserType),
		Gender: gen.UserGender(u.Gender), Phone: u.Phone, Mobile: u.Mobile, CertifiedEmail: u.CertifiedEmail,
	}
	if u.BirthDate != nil {
		j.BirthDate = &openapi_types.Date{Time: *u.BirthDate}
	}
	return j
}
