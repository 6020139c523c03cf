-- Revocable credentials. Patient tokens carry the token generations of their patient and their
-- organization when signed; raising either (galeno admin patient-tokens revoke) refuses every token
-- signed before. Institution and doctor-account keys can be revoked (key_revoked_at set, the key no
-- longer authenticates) and rotated (a new key replaces the old one and clears key_revoked_at).

-- +goose Up
ALTER TABLE patients ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE institutions ADD COLUMN key_revoked_at TIMESTAMP;
ALTER TABLE institutional_accounts ADD COLUMN key_revoked_at TIMESTAMP;

-- +goose Down
ALTER TABLE institutional_accounts DROP COLUMN key_revoked_at;
ALTER TABLE institutions DROP COLUMN key_revoked_at;
ALTER TABLE organizations DROP COLUMN token_generation;
ALTER TABLE patients DROP COLUMN token_generation;
