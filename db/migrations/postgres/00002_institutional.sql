-- Institutional accounts: institutions (each with its API key) and the doctor accounts they create.
-- A key is stored as its key id and the SHA-256 of its secret (see db/tokens.go).

-- +goose Up
CREATE TABLE institutions (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT institutions_name_key UNIQUE (name),
    CONSTRAINT institutions_key_id_key UNIQUE (key_id)
);

CREATE TABLE institutional_accounts (
    id                        BIGSERIAL PRIMARY KEY,
    public_id                 TEXT NOT NULL, -- acc_…, the id clients see
    institution_id            BIGINT NOT NULL REFERENCES institutions (id),
    email                     TEXT NOT NULL, -- as given
    email_lower               TEXT NOT NULL, -- lowercased in Go: the key of case-insensitive uniqueness
    doctor_specialties        JSONB NOT NULL, -- a JSON array of strings
    account_role              TEXT,
    country                   TEXT,
    language                  TEXT,
    time_zone                 TEXT,
    name_full                 TEXT,
    institutional_branch_name TEXT,
    internal_code             TEXT,
    enabled                   BOOLEAN NOT NULL DEFAULT TRUE,
    key_id                    TEXT NOT NULL,
    secret_hash               TEXT NOT NULL,
    created_at                TIMESTAMPTZ NOT NULL,
    CONSTRAINT institutional_accounts_public_id_key UNIQUE (public_id),
    CONSTRAINT institutional_accounts_key_id_key UNIQUE (key_id),
    CONSTRAINT institutional_accounts_institution_id_internal_code_key UNIQUE (institution_id, internal_code),
    CONSTRAINT institutional_accounts_institution_id_email_lower_key UNIQUE (institution_id, email_lower)
);

-- +goose Down
DROP TABLE institutional_accounts;
DROP TABLE institutions;
