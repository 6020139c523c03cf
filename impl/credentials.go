package impl

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/galeno-health/galeno/db"
)

// CredentialKind is a kind of credential an operator lists, rotates and revokes with `galeno admin`:
// a new secret is returned once and only its hash stored. A rotation or revocation acts on one
// owner: a medic id, an institution id, or an account's public id (acc_…).
type CredentialKind struct {
	Name   string // medic-token, institution-key, doctor-key
	List   func(ctx context.Context) ([]db.CredentialInfo, error)
	Rotate func(ctx context.Context, owner string) (string, error)
	Revoke func(ctx context.Context, owner string) error
}

// CredentialKinds are the credentials operators manage: medic tokens (a revoked medic has no token
// until rotated), institution keys and doctor-account keys (a revoked key authenticates nothing
// until rotated). A running server may accept a revoked medic token for up to its token cache TTL.
func (s *Server) CredentialKinds() []CredentialKind {
	return []CredentialKind{
		{
			Name: "medic-token",
			List: s.db.MedicTokens,
			Rotate: func(ctx context.Context, owner string) (string, error) {
				id, err := ownerID("medic", owner)
				if err != nil {
					return "", err
				}
				return notFound("medic", owner)(s.db.RotateMedicToken(ctx, id, s.timestamp()))
			},
			Revoke: func(ctx context.Context, owner string) error {
				id, err := ownerID("medic", owner)
				if err != nil {
					return err
				}
				_, err = notFound("medic with tokens", owner)("", s.db.RevokeMedicTokens(ctx, id))
				return err
			},
		},
		{
			Name: "institution-key",
			List: s.db.InstitutionKeys,
			Rotate: func(ctx context.Context, owner string) (string, error) {
				id, err := ownerID("institution", owner)
				if err != nil {
					return "", err
				}
				return notFound("institution", owner)(s.db.RotateInstitutionKey(ctx, id))
			},
			Revoke: func(ctx context.Context, owner string) error {
				id, err := ownerID("institution", owner)
				if err != nil {
					return err
				}
				_, err = notFound("institution", owner)("", s.db.RevokeInstitutionKey(ctx, id, s.timestamp()))
				return err
			},
		},
		{
			Name: "doctor-key",
			List: s.db.DoctorKeys,
			Rotate: func(ctx context.Context, owner string) (string, error) {
				return notFound("account", owner)(s.db.RotateDoctorKey(ctx, owner))
			},
			Revoke: func(ctx context.Context, owner string) error {
				_, err := notFound("account", owner)("", s.db.RevokeDoctorKey(ctx, owner, s.timestamp()))
				return err
			},
		},
	}
}

// ownerID reads a numeric owner id.
func ownerID(what, owner string) (int64, error) {
	id, err := strconv.ParseInt(owner, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%s id %q: want a positive number", what, owner)
	}
	return id, nil
}

// notFound passes a result through, turning db.ErrNotFound into an error an operator understands.
func notFound(what, owner string) func(string, error) (string, error) {
	return func(secret string, err error) (string, error) {
		if errors.Is(err, db.ErrNotFound) {
			return "", fmt.Errorf("no %s %s", what, owner)
		}
		return secret, err
	}
}

// RevokePatientTokens refuses, from now on, every token signed so far for a patient (by id:
// pat_…) or, when organization is set instead, for every patient of that organization.
func (s *Server) RevokePatientTokens(ctx context.Context, patientID, organization string) error {
	var err error
	switch {
	case (patientID == "") == (organization == ""):
		return errors.New("name either a patient or an organization")
	case patientID != "":
		_, err = notFound("patient", patientID)("", s.db.RevokePatientTokens(ctx, patientID))
	default:
		_, err = notFound("organization", organization)("", s.db.RevokeOrganizationTokens(ctx, organization))
	}
	return err
}
