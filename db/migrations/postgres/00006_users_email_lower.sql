-- Users' emails are unique regardless of case, with the email lower-cased in Go (email_lower), as
-- institutional accounts do: lower() in the database folds only ASCII on SQLite, and on PostgreSQL
-- depends on the cluster's locale, so 'ÉLODIE@…' and 'élodie@…' could both be taken. Existing rows
-- are lower-cased by the database once, here.

-- +goose Up
ALTER TABLE users ADD COLUMN email_lower TEXT NOT NULL DEFAULT '';
UPDATE users SET email_lower = lower(email);
DROP INDEX users_email_key;
CREATE UNIQUE INDEX users_email_key ON users (email_lower) WHERE email_lower <> '';

-- +goose Down
DROP INDEX users_email_key;
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email <> '';
ALTER TABLE users DROP COLUMN email_lower;
