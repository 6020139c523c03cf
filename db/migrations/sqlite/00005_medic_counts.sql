-- How many medics each medic created, kept by triggers, so that a page of a token's medics counts
-- them in constant time (COUNT(*) over the owner's rows grows with them).

-- +goose Up
CREATE TABLE medic_owned_counts (
    owner_id INTEGER PRIMARY KEY REFERENCES medics (id) ON DELETE CASCADE,
    medics   INTEGER NOT NULL CHECK (medics >= 0)
);
INSERT INTO medic_owned_counts (owner_id, medics)
SELECT m.id, COALESCE(o.n, 0)
FROM medics m LEFT JOIN (SELECT owner_id, count(*) AS n FROM medics GROUP BY owner_id) o ON o.owner_id = m.id;

-- +goose StatementBegin
CREATE TRIGGER medics_count_insert AFTER INSERT ON medics BEGIN
    INSERT INTO medic_owned_counts (owner_id, medics) VALUES (NEW.id, 0);
    UPDATE medic_owned_counts SET medics = medics + 1 WHERE owner_id = NEW.owner_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER medics_count_delete AFTER DELETE ON medics BEGIN
    UPDATE medic_owned_counts SET medics = medics - 1 WHERE owner_id = OLD.owner_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER medics_count_owner AFTER UPDATE OF owner_id ON medics BEGIN
    UPDATE medic_owned_counts SET medics = medics - 1 WHERE owner_id = OLD.owner_id;
    UPDATE medic_owned_counts SET medics = medics + 1 WHERE owner_id = NEW.owner_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER medics_count_owner;
DROP TRIGGER medics_count_delete;
DROP TRIGGER medics_count_insert;
DROP TABLE medic_owned_counts;
