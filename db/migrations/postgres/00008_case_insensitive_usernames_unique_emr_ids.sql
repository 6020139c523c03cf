-- Usernames that differ only in case are one account (a unique index on lower(username): usernames
-- are ASCII, which lower() folds alike on both databases), and a patient's emr_id is unique within
-- its organization. Existing rows that break either rule stop the migration with a message naming
-- them, rather than being renamed or dropped: which one to rename is the operator's decision.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    colliding text;
BEGIN
    SELECT string_agg(names, '; ') INTO colliding
    FROM (SELECT string_agg(username || ' (id ' || id || ')', ', ' ORDER BY id) AS names
          FROM users GROUP BY lower(username) HAVING count(*) > 1) c;
    IF colliding IS NOT NULL THEN
        RAISE EXCEPTION 'migration 00008: rename users whose usernames differ only in case, then migrate again: %', colliding;
    END IF;
    SELECT string_agg(ids, '; ') INTO colliding
    FROM (SELECT organization_id || ' emrId ' || emr_id || ': ' || string_agg(id, ', ' ORDER BY id) AS ids
          FROM patients WHERE emr_id IS NOT NULL GROUP BY organization_id, emr_id HAVING count(*) > 1) c;
    IF colliding IS NOT NULL THEN
        RAISE EXCEPTION 'migration 00008: give patients sharing an emrId in an organization distinct ones, then migrate again: %', colliding;
    END IF;
END $$;
-- +goose StatementEnd
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX patients_emr_id_key ON patients (organization_id, emr_id) WHERE emr_id IS NOT NULL;

-- +goose Down
DROP INDEX patients_emr_id_key;
DROP INDEX users_username_lower_key;
