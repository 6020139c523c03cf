-- Patients: organizations, the patients registered in them, failed sign-ins (for rate limiting),
-- and server secrets such as the patient token signing key (shared by every server process).

-- +goose Up
CREATE TABLE organizations (
    id         TEXT PRIMARY KEY, -- chosen by the operator, e.g. "northclinic"
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
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
    roles                      TEXT NOT NULL,
    meta                       TEXT NOT NULL,
    unread_notifications_count INTEGER NOT NULL DEFAULT 0,
    emr_id                     INTEGER,
    referrer                   TEXT,
    hc_card                    TEXT NOT NULL,
    accepts_marketing          BOOLEAN NOT NULL DEFAULT FALSE,
    has_insurance              BOOLEAN NOT NULL DEFAULT FALSE,
    providers                  TEXT NOT NULL,
    verifications              TEXT NOT NULL,
    province                   TEXT,
    group_ids                  TEXT NOT NULL,
    created_at                 TIMESTAMP NOT NULL,
    CONSTRAINT patients_uname_key UNIQUE (uname)
);
CREATE INDEX patients_organization_id_idx ON patients (organization_id);

CREATE TABLE patient_login_failures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    uname     TEXT NOT NULL, -- as typed, lower-cased; not necessarily an existing patient
    client    TEXT NOT NULL, -- the client's IP address
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX patient_login_failures_uname_idx ON patient_login_failures (uname, failed_at);
CREATE INDEX patient_login_failures_client_idx ON patient_login_failures (client, failed_at);
CREATE INDEX patient_login_failures_failed_at_idx ON patient_login_failures (failed_at);

CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL, -- base64
    created_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE server_secrets;
DROP TABLE patient_login_failures;
DROP TABLE patients;
DROP TABLE organizations;
