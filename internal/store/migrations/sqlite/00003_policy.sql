-- +goose Up
-- Policy parameter versions (SPEC §4). Append-only: a change is a new row;
-- for the same region, name and effective date the highest id wins, so a
-- correction is a new row too and the version a decision recorded
-- ("<region>@<date>#<id>") keeps meaning what it meant.

CREATE TABLE policy_values (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code     TEXT NOT NULL REFERENCES regions(code),
    name            TEXT NOT NULL CHECK (name <> ''),
    value           TEXT NOT NULL CHECK (value <> ''),
    effective_from  TEXT NOT NULL CHECK (length(effective_from) = 10),
    corrects        INTEGER REFERENCES policy_values(id),
    note            TEXT NOT NULL DEFAULT '',
    created_by      INTEGER REFERENCES users(id),
    created_by_name TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX policy_values_key ON policy_values(region_code, name, effective_from, id);

CREATE TRIGGER policy_values_no_update BEFORE UPDATE ON policy_values
BEGIN SELECT RAISE(ABORT, 'policy_values is append-only'); END;
CREATE TRIGGER policy_values_no_delete BEFORE DELETE ON policy_values
BEGIN SELECT RAISE(ABORT, 'policy_values is append-only'); END;

-- +goose Down
DROP TABLE policy_values;
