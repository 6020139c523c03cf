-- Usernames that differ only in case are one account (a unique index on lower(username): usernames
-- are ASCII, which lower() folds alike on both databases), and a patient's emr_id is unique within
-- its organization. Existing rows that break either rule stop the migration with a message naming
-- them, rather than being renamed or dropped: which one to rename is the operator's decision.
-- SQLite has no procedural block to raise from, so a temporary trigger raises each refusal.

-- +goose Up
CREATE TEMP TABLE migration_00008_refusals (message TEXT NOT NULL);
-- +goose StatementBegin
CREATE TEMP TRIGGER migration_00008_refuse BEFORE INSERT ON migration_00008_refusals
BEGIN
    SELECT RAISE(ABORT, NEW.message);
END;
-- +goose StatementEnd
INSERT INTO migration_00008_refusals
SELECT 'migration 00008: rename users whose usernames differ only in case, then migrate again: ' || group_concat(colliding, '; ')
FROM (SELECT group_concat(username || ' (id ' || id || ')', ', ' ORDER BY id) AS colliding
      FROM users GROUP BY lower(username) HAVING count(*) > 1)
HAVING count(*) > 0;
INSERT INTO migration_00008_refusals
SELECT 'migration 00008: give patients sharing an emrId in an organization distinct ones, then migrate again: ' || group_concat(colliding, '; ')
FROM (SELECT organization_id || ' emrId ' || emr_id || ': ' || group_concat(id, ', ' ORDER BY id) AS colliding
      FROM patients WHERE emr_id IS NOT NULL GROUP BY organization_id, emr_id HAVING count(*) > 1)
HAVING count(*) > 0;
DROP TABLE migration_00008_refusals;
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX patients_emr_id_key ON patients (organization_id, emr_id) WHERE emr_id IS NOT NULL;

-- +goose Down
DROP INDEX patients_emr_id_key;
DROP INDEX users_username_lower_key;
