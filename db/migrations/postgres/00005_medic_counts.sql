-- How many medics each medic created, kept by triggers, so that a page of a token's medics counts
-- them in constant time (COUNT(*) over the owner's rows takes time in proportion to them).
-- The triggers run once per statement, on its transition tables, so that a bulk insert updates each
-- owner's row once (a row trigger would update it once per medic).

-- +goose Up
CREATE TABLE medic_owned_counts (
    owner_id BIGINT PRIMARY KEY REFERENCES medics (id) ON DELETE CASCADE,
    medics   BIGINT NOT NULL CHECK (medics >= 0)
);
INSERT INTO medic_owned_counts (owner_id, medics)
SELECT m.id, COALESCE(o.n, 0)
FROM medics m LEFT JOIN (SELECT owner_id, count(*) AS n FROM medics GROUP BY owner_id) o ON o.owner_id = m.id;

-- +goose StatementBegin
CREATE FUNCTION medics_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO medic_owned_counts (owner_id, medics) SELECT id, 0 FROM new_medics;
    UPDATE medic_owned_counts c SET medics = c.medics + d.n
    FROM (SELECT owner_id, count(*) AS n FROM new_medics GROUP BY owner_id) d
    WHERE c.owner_id = d.owner_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION medics_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE medic_owned_counts c SET medics = c.medics - d.n
    FROM (SELECT owner_id, count(*) AS n FROM old_medics GROUP BY owner_id) d
    WHERE c.owner_id = d.owner_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION medics_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only owners whose count changes are written: most updates keep the owner.
    UPDATE medic_owned_counts c SET medics = c.medics + d.n
    FROM (SELECT owner_id, sum(n) AS n
          FROM (SELECT owner_id, 1 AS n FROM new_medics UNION ALL SELECT owner_id, -1 FROM old_medics) moved
          GROUP BY owner_id HAVING sum(n) <> 0) d
    WHERE c.owner_id = d.owner_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER medics_count_inserted AFTER INSERT ON medics REFERENCING NEW TABLE AS new_medics
    FOR EACH STATEMENT EXECUTE FUNCTION medics_count_inserted();
CREATE TRIGGER medics_count_deleted AFTER DELETE ON medics REFERENCING OLD TABLE AS old_medics
    FOR EACH STATEMENT EXECUTE FUNCTION medics_count_deleted();
CREATE TRIGGER medics_count_updated AFTER UPDATE ON medics REFERENCING OLD TABLE AS old_medics NEW TABLE AS new_medics
    FOR EACH STATEMENT EXECUTE FUNCTION medics_count_updated();

-- +goose Down
DROP TRIGGER medics_count_updated ON medics;
DROP TRIGGER medics_count_deleted ON medics;
DROP TRIGGER medics_count_inserted ON medics;
DROP FUNCTION medics_count_updated();
DROP FUNCTION medics_count_deleted();
DROP FUNCTION medics_count_inserted();
DROP TABLE medic_owned_counts;
