-- The audit trail: one row per operation on a medic, hospital, membership, institutional account,
-- user or patient (who, what, which object, from where, with which outcome). Rows are only ever
-- inserted, and deleted by the retention sweep once older than the retention period: the trigger
-- refuses any UPDATE, so that no code path (or hand-written statement) can rewrite history.

-- +goose Up
CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TIMESTAMP NOT NULL,
    request_id     TEXT NOT NULL,
    family         TEXT NOT NULL,        -- prescrypto, institutional, users or patients
    principal      TEXT NOT NULL,        -- "medic:12", "institution:3", "user:5", "patient:<id>", or '' (none)
    operation      TEXT NOT NULL,        -- the contract's operationId
    object_id      TEXT NOT NULL,        -- the id of the record read or written, or '' (a list)
    client_address TEXT NOT NULL,
    outcome        INTEGER NOT NULL      -- the HTTP status answered
);
CREATE INDEX audit_events_at_idx ON audit_events (at);
CREATE INDEX audit_events_object_idx ON audit_events (object_id, at);
CREATE INDEX audit_events_principal_idx ON audit_events (principal, at);

-- +goose StatementBegin
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_events_append_only;
DROP TABLE audit_events;
