-- Three upgrades of issue 10.
--
-- Medics' emails are unique regardless of case, with the email lower-cased in Go (email_lower), as
-- users (00006) and institutional accounts do. Existing rows are lower-cased by the database once,
-- here; when two of them then collide, the migration stops and names them instead of dropping
-- either: change all but one of each group, then migrate again.
--
-- Users' privileges (create, edit others, (de)activate, read everyone) now follow is_admin, as
-- users.txt documents, instead of is_staff. is_admin takes is_staff's value so that nobody gains or
-- loses a privilege in the upgrade; the old is_admin flag granted nothing and is not kept.
--
-- Organizations get the country their patients' national phone numbers are read in (CA, as in the
-- platform's examples, for those that exist), and portal domains: a request to one of them needs no
-- organization header.

-- +goose Up
ALTER TABLE medics ADD COLUMN email_lower TEXT NOT NULL DEFAULT '';
UPDATE medics SET email_lower = lower(email);
-- +goose StatementBegin
DO $$
DECLARE
    clashes TEXT;
BEGIN
    SELECT string_agg(emails, '; ') INTO clashes FROM (
        SELECT string_agg(email || ' (id ' || id || ')', ', ' ORDER BY id) AS emails
        FROM medics GROUP BY email_lower HAVING count(*) > 1) AS groups;
    IF clashes IS NOT NULL THEN
        RAISE EXCEPTION 'medic emails that differ only in letter case: %; change all but one of each, then migrate again', clashes;
    END IF;
END
$$;
-- +goose StatementEnd
CREATE UNIQUE INDEX medics_email_lower_key ON medics (email_lower);
UPDATE users SET is_admin = is_staff;
ALTER TABLE organizations ADD COLUMN country TEXT NOT NULL DEFAULT 'CA';
CREATE TABLE organization_domains (
    domain          TEXT PRIMARY KEY, -- lower case, without port or trailing dot
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE organization_domains;
ALTER TABLE organizations DROP COLUMN country;
DROP INDEX medics_email_lower_key;
ALTER TABLE medics DROP COLUMN email_lower;
