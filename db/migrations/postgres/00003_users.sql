-- Users (telemedicine staff and users), their login sessions, and the failed logins that the login
-- throttles of every family count.

-- +goose Up
CREATE TABLE users (
    id              BIGSERIAL PRIMARY KEY,
    username        TEXT NOT NULL,
    password_hash   TEXT NOT NULL,             -- argon2id
    pin_hash        TEXT,                      -- argon2id of the 4-digit numeric_password; NULL when none
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',  -- '' when none
    birth_date      DATE,
    is_staff        BOOLEAN NOT NULL,
    is_active       BOOLEAN NOT NULL,
    is_admin        BOOLEAN NOT NULL,
    user_type       TEXT NOT NULL CHECK (user_type IN ('AD', 'TE', 'CL', 'ST')),
    gender          TEXT NOT NULL CHECK (gender IN ('M', 'F', 'U')),
    phone           TEXT NOT NULL DEFAULT '',
    mobile          TEXT NOT NULL DEFAULT '',
    certified_email TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username)
);
-- Emails are unique regardless of case; users without one ('') do not collide.
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email <> '';

CREATE TABLE user_sessions (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_hash   TEXT NOT NULL, -- hex SHA-256 of the sessionid cookie's value
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT user_sessions_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX user_sessions_user_id_idx ON user_sessions (user_id);
CREATE INDEX user_sessions_expires_at_idx ON user_sessions (expires_at);

-- Failed logins, for the login throttles of every family (Users, Patients): one row per failed
-- login and per subject it counts against, such as "users:username:ada" and
-- "users:address:192.0.2.1". A login is recorded before its password is checked, and its rows are
-- deleted again if it succeeds.
CREATE TABLE login_failures (
    id         BIGSERIAL PRIMARY KEY,
    subject    TEXT NOT NULL,        -- "<family>:<kind>:<value>"
    expires_at TIMESTAMPTZ NOT NULL  -- when it stops counting: the login's time plus the throttle's window
);
CREATE INDEX login_failures_subject_idx ON login_failures (subject, expires_at);
CREATE INDEX login_failures_expires_at_idx ON login_failures (expires_at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE user_sessions;
DROP TABLE users;
