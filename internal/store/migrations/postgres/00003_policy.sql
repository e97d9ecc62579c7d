-- +goose Up
-- Policy parameter versions (SPEC §4). Append-only: a change is a new row;
-- for the same region, name and effective date the highest id wins, so a
-- correction is a new row too and the version a decision recorded
-- ("<region>@<date>#<id>") keeps meaning what it meant.

CREATE TABLE policy_values (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_code     TEXT NOT NULL REFERENCES regions(code),
    name            TEXT NOT NULL CHECK (name <> ''),
    value           TEXT NOT NULL CHECK (value <> ''),
    effective_from  TEXT NOT NULL CHECK (char_length(effective_from) = 10),
    corrects        BIGINT REFERENCES policy_values(id),
    note            TEXT NOT NULL DEFAULT '',
    created_by      BIGINT REFERENCES users(id),
    created_by_name TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX policy_values_key ON policy_values(region_code, name, effective_from, id);

-- +goose StatementBegin
CREATE FUNCTION policy_values_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'policy_values is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER policy_values_no_update BEFORE UPDATE OR DELETE ON policy_values
    FOR EACH ROW EXECUTE FUNCTION policy_values_append_only();

-- +goose Down
DROP TRIGGER policy_values_no_update ON policy_values;
DROP FUNCTION policy_values_append_only;
DROP TABLE policy_values;
