package db

import (
	"context"
	"fmt"
	"time"
)

// Operators' handling of credentials: patient token generations, and listing, rotating and revoking
// medic tokens, institution keys and doctor-account keys. New secrets are returned once and only
// their hashes stored, as when they were first issued.

// TokenGenerations are what a patient token must carry to be valid: the token generations of its
// patient and of the patient's organization when it was signed.
type TokenGenerations struct {
	Patient      int64 `db:"patient"`
	Organization int64 `db:"organization"`
}

// PatientTokenGenerations returns the current token generations of a patient, or ErrNotFound.
func (s *Store) PatientTokenGenerations(ctx context.Context, patientID string) (TokenGenerations, error) {
	var g TokenGenerations
	err := s.get(ctx, &g, `SELECT patients.token_generation AS patient, organizations.token_generation AS organization
		FROM patients JOIN organizations ON organizations.id = patients.organization_id WHERE patients.id = ?`, patientID)
	if err != nil {
		return g, fmt.Errorf("db: token generations of patient %s: %w", patientID, err)
	}
	return g, nil
}

// RevokePatientTokens raises a patient's token generation, so every token signed before is refused;
// ErrNotFound when there is no such patient.
func (s *Store) RevokePatientTokens(ctx context.Context, patientID string) error {
	return s.raiseTokenGeneration(ctx, "patients", patientID)
}

// RevokeOrganizationTokens raises an organization's token generation, so every token signed before
// for any of its patients is refused; ErrNotFound when there is no such organization.
func (s *Store) RevokeOrganizationTokens(ctx context.Context, organizationID string) error {
	return s.raiseTokenGeneration(ctx, "organizations", organizationID)
}

func (s *Store) raiseTokenGeneration(ctx context.Context, table, id string) error {
	return s.updateOne(ctx, "revoke the tokens of "+id, `UPDATE `+table+` SET token_generation = token_generation + 1 WHERE id = ?`, id)
}

// updateOne runs an UPDATE or DELETE meant to touch rows (what names it in errors); ErrNotFound
// when it touched none.
func (s *Store) updateOne(ctx context.Context, what, query string, args ...any) error {
	n, err := s.exec(ctx, query, args...)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return nil
}

// CredentialInfo describes a credential without its secret: whose it is, the key id (the public
// first part of the token, which tells keys apart), and when it was issued or revoked.
type CredentialInfo struct {
	OwnerID   string     `db:"owner_id" json:"owner"`
	OwnerName string     `db:"owner_name" json:"name"`
	KeyID     string     `db:"key_id" json:"key_id"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	RevokedAt *time.Time `db:"revoked_at" json:"revoked_at,omitempty"`
}

// MedicTokens lists every medic token, by medic and then by issue.
func (s *Store) MedicTokens(ctx context.Context) ([]CredentialInfo, error) {
	var infos []CredentialInfo
	err := s.selectAll(ctx, &infos, `SELECT CAST(medics.id AS TEXT) AS owner_id, medics.email AS owner_name,
		medic_tokens.key_id, medic_tokens.created_at, NULL AS revoked_at
		FROM medic_tokens JOIN medics ON medics.id = medic_tokens.medic_id ORDER BY medics.id, medic_tokens.id`)
	if err != nil {
		return nil, fmt.Errorf("db: list medic tokens: %w", err)
	}
	return infos, nil
}

// RotateMedicToken replaces every token of a medic with a new one, which it returns; ErrNotFound
// when there is no such medic.
func (d *DB) RotateMedicToken(ctx context.Context, medicID int64, now time.Time) (string, error) {
	var token string
	err := d.InTx(ctx, func(tx *Store) error {
		var id int64
		if err := tx.get(ctx, &id, `SELECT id FROM medics WHERE id = ?`, medicID); err != nil {
			return fmt.Errorf("db: medic %d: %w", medicID, err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM medic_tokens WHERE medic_id = ?`, medicID); err != nil {
			return fmt.Errorf("db: revoke tokens of medic %d: %w", medicID, err)
		}
		var err error
		token, err = tx.IssueMedicToken(ctx, medicID, now)
		return err
	})
	return token, err
}

// RevokeMedicTokens deletes every token of a medic; ErrNotFound when it has none.
func (s *Store) RevokeMedicTokens(ctx context.Context, medicID int64) error {
	return s.updateOne(ctx, fmt.Sprintf("revoke the tokens of medic %d", medicID), `DELETE FROM medic_tokens WHERE medic_id = ?`, medicID)
}

// InstitutionKeys lists the key of every institution.
func (s *Store) InstitutionKeys(ctx context.Context) ([]CredentialInfo, error) {
	var infos []CredentialInfo
	err := s.selectAll(ctx, &infos, `SELECT CAST(id AS TEXT) AS owner_id, name AS owner_name, key_id, created_at,
		key_revoked_at AS revoked_at FROM institutions ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("db: list institution keys: %w", err)
	}
	return infos, nil
}

// DoctorKeys lists the key of every doctor (institutional) account, by institution.
func (s *Store) DoctorKeys(ctx context.Context) ([]CredentialInfo, error) {
	var infos []CredentialInfo
	err := s.selectAll(ctx, &infos, `SELECT public_id AS owner_id, email AS owner_name, key_id, created_at,
		key_revoked_at AS revoked_at FROM institutional_accounts ORDER BY institution_id, id`)
	if err != nil {
		return nil, fmt.Errorf("db: list doctor keys: %w", err)
	}
	return infos, nil
}

// RotateInstitutionKey gives an institution a new API key, which it returns, in place of the old
// one (revoked or not); ErrNotFound when there is no such institution.
func (s *Store) RotateInstitutionKey(ctx context.Context, institutionID int64) (string, error) {
	token, keyID, secretHash := s.newToken()
	err := s.updateOne(ctx, fmt.Sprintf("rotate the key of institution %d", institutionID), `UPDATE institutions SET key_id = ?, secret_hash = ?, key_revoked_at = NULL WHERE id = ?`,
		keyID, secretHash, institutionID)
	if err != nil {
		return "", err
	}
	return institutionKeyPrefix + token, nil
}

// RotateDoctorKey gives a doctor account (by public id) a new API key, which it returns, in place of
// the old one; ErrNotFound when there is no such account.
func (s *Store) RotateDoctorKey(ctx context.Context, publicID string) (string, error) {
	token, keyID, secretHash := s.newToken()
	err := s.updateOne(ctx, "rotate the key of account "+publicID, `UPDATE institutional_accounts SET key_id = ?, secret_hash = ?, key_revoked_at = NULL WHERE public_id = ?`,
		keyID, secretHash, publicID)
	if err != nil {
		return "", err
	}
	return accountKeyPrefix + token, nil
}

// RevokeInstitutionKey makes an institution's key stop authenticating until it is rotated;
// ErrNotFound when there is no such institution.
func (s *Store) RevokeInstitutionKey(ctx context.Context, institutionID int64, now time.Time) error {
	return s.updateOne(ctx, fmt.Sprintf("revoke the key of institution %d", institutionID), `UPDATE institutions SET key_revoked_at = ? WHERE id = ?`, now, institutionID)
}

// RevokeDoctorKey makes a doctor account's key stop authenticating until it is rotated; ErrNotFound
// when there is no such account.
func (s *Store) RevokeDoctorKey(ctx context.Context, publicID string, now time.Time) error {
	return s.updateOne(ctx, "revoke the key of account "+publicID, `UPDATE institutional_accounts SET key_revoked_at = ? WHERE public_id = ?`, now, publicID)
}
