-- Patients: organizations, the patients registered in them, and server secrets such as the patient
-- token signing key (shared by every server process). Failed sign-ins go to login_failures (00003).

-- +goose Up
CREATE TABLE organizations (
    id         TEXT PRIMARY KEY, -- chosen by the operator, e.g. "northclinic"
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE patients (
    id                         TEXT PRIMARY KEY, -- pat_ + 16 hex characters
    organization_id            TEXT NOT NULL REFERENCES organizations (id),
    uname                      TEXT NOT NULL,    -- lower-cased email#organization: one account per email and organization
    email                      TEXT NOT NULL,
    password_hash              TEXT,             -- argon2id; NULL when registered without a password
    first_name                 TEXT NOT NULL,
    last_name                  TEXT NOT NULL,
    gender                     TEXT NOT NULL,
    phone                      TEXT NOT NULL,    -- E.164
    dob                        DATE NOT NULL,
    roles                      JSONB NOT NULL,
    meta                       JSONB NOT NULL,
    unread_notifications_count INTEGER NOT NULL DEFAULT 0,
    emr_id                     BIGINT,
    referrer                   TEXT,
    hc_card                    JSONB NOT NULL,
    accepts_marketing          BOOLEAN NOT NULL DEFAULT FALSE,
    has_insurance              BOOLEAN NOT NULL DEFAULT FALSE,
    providers                  JSONB NOT NULL,
    verifications              JSONB NOT NULL,
    province                   TEXT,
    group_ids                  JSONB NOT NULL,
    created_at                 TIMESTAMPTZ NOT NULL,
    CONSTRAINT patients_uname_key UNIQUE (uname)
);
CREATE INDEX patients_organization_id_idx ON patients (organization_id);

CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL, -- base64
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE server_secrets;
DROP TABLE patients;
DROP TABLE organizations;
