-- Prescrypto v2: medics, their API tokens, hospitals and memberships.

-- +goose Up
CREATE TABLE medics (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id           INTEGER REFERENCES medics (id), -- the medic whose token created this one; NULL for integrators
    name               TEXT NOT NULL,
    email              TEXT NOT NULL,
    password_hash      TEXT NOT NULL,
    date_of_birth      DATE,
    cedula_prof        TEXT NOT NULL DEFAULT '',
    specialty_no       TEXT NOT NULL DEFAULT '',
    specialty          TEXT NOT NULL DEFAULT '',
    alma_mater         TEXT NOT NULL DEFAULT '',
    female             BOOLEAN NOT NULL DEFAULT FALSE,
    is_active          BOOLEAN NOT NULL DEFAULT TRUE,
    specialty_verified BOOLEAN NOT NULL DEFAULT FALSE,
    campaign           TEXT,
    created_at         TIMESTAMP NOT NULL,
    CONSTRAINT medics_email_key UNIQUE (email)
);
CREATE INDEX medics_owner_id_idx ON medics (owner_id, id);

CREATE TABLE medic_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    medic_id    INTEGER NOT NULL REFERENCES medics (id) ON DELETE CASCADE,
    key_id      TEXT NOT NULL,
    secret_hash TEXT NOT NULL, -- hex SHA-256 of the token's secret part
    created_at  TIMESTAMP NOT NULL,
    CONSTRAINT medic_tokens_key_id_key UNIQUE (key_id)
);
CREATE INDEX medic_tokens_medic_id_idx ON medic_tokens (medic_id);

CREATE TABLE hospitals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_by      INTEGER NOT NULL REFERENCES medics (id),
    created_at      TIMESTAMP NOT NULL,
    name            TEXT NOT NULL,
    patron          TEXT NOT NULL,
    location        TEXT NOT NULL,
    contact         TEXT NOT NULL,
    headline        TEXT NOT NULL DEFAULT '',
    page_size       BOOLEAN NOT NULL DEFAULT FALSE,
    page_template   TEXT NOT NULL DEFAULT 'classic',
    picture         TEXT,
    university_logo TEXT,
    info            BOOLEAN NOT NULL DEFAULT FALSE,
    is_active       BOOLEAN NOT NULL DEFAULT TRUE,
    send_emails     BOOLEAN NOT NULL DEFAULT TRUE,
    zip_code        TEXT NOT NULL DEFAULT '',
    location_lat    TEXT NOT NULL DEFAULT '',
    location_lon    TEXT NOT NULL DEFAULT '',
    google_place_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX hospitals_created_by_idx ON hospitals (created_by);

CREATE TABLE memberships (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    medic_id        INTEGER NOT NULL REFERENCES medics (id),
    hospital_id     INTEGER NOT NULL REFERENCES hospitals (id),
    type_membership TEXT NOT NULL CHECK (type_membership IN ('ADMIN', 'MEMBER')),
    is_active       BOOLEAN NOT NULL DEFAULT FALSE,
    is_deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    date_joined     TIMESTAMP NOT NULL,
    CONSTRAINT memberships_medic_id_hospital_id_key UNIQUE (medic_id, hospital_id)
);
-- A medic has at most one active hospital.
CREATE UNIQUE INDEX memberships_active_medic_id_key ON memberships (medic_id) WHERE is_active;
CREATE INDEX memberships_hospital_id_idx ON memberships (hospital_id, id);

-- +goose Down
DROP TABLE memberships;
DROP TABLE hospitals;
DROP TABLE medic_tokens;
DROP TABLE medics;
