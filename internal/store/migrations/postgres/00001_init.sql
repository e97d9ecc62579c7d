-- +goose Up
-- Times are unix milliseconds (BIGINT) and dates are 'YYYY-MM-DD' text in
-- both dialects so that the store needs almost no dialect shim.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE regions (
    code        TEXT PRIMARY KEY CHECK (char_length(code) = 12),
    name        TEXT NOT NULL,
    level       BIGINT NOT NULL CHECK (level BETWEEN 1 AND 3),
    parent_code TEXT REFERENCES regions(code),
    urban       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE users (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username         TEXT NOT NULL UNIQUE,
    display_name     TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    region_code      TEXT NOT NULL REFERENCES regions(code),
    roles            TEXT NOT NULL DEFAULT '',
    posts            TEXT NOT NULL DEFAULT '',
    hire_date        TEXT NOT NULL DEFAULT '',
    id_enc           TEXT NOT NULL DEFAULT '',
    id_index         TEXT,
    phone_enc        TEXT NOT NULL DEFAULT '',
    active           BIGINT NOT NULL DEFAULT 1,
    failed_logins    BIGINT NOT NULL DEFAULT 0,
    first_failed_at  BIGINT NOT NULL DEFAULT 0,
    locked_until     BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_id_index ON users(id_index);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    kind         TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE households (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_code  TEXT NOT NULL REFERENCES regions(code),
    head_name    TEXT NOT NULL,
    address      TEXT NOT NULL,
    urban        BIGINT NOT NULL,
    phone_enc    TEXT NOT NULL DEFAULT '',
    bank_name    TEXT NOT NULL DEFAULT '',
    bank_enc     TEXT NOT NULL DEFAULT '',
    notes        TEXT NOT NULL DEFAULT '',
    created_by   BIGINT REFERENCES users(id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX households_region ON households(region_code, id);
CREATE INDEX households_head ON households(head_name);

CREATE TABLE members (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id     BIGINT NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    position         BIGINT NOT NULL,
    name             TEXT NOT NULL,
    relation         TEXT NOT NULL,
    id_enc           TEXT NOT NULL,
    id_index         TEXT NOT NULL,
    sex              TEXT NOT NULL,
    birth_date       TEXT NOT NULL,
    disability_grade BIGINT NOT NULL DEFAULT 0,
    disability_enc   TEXT NOT NULL DEFAULT '',
    labour           TEXT NOT NULL,
    health           TEXT NOT NULL,
    health_enc       TEXT NOT NULL DEFAULT '',
    co_resident      BIGINT NOT NULL DEFAULT 1,
    UNIQUE (household_id, position)
);
CREATE UNIQUE INDEX members_id_index ON members(id_index);

CREATE TABLE income_items (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id  BIGINT NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    member_id     BIGINT REFERENCES members(id) ON DELETE SET NULL,
    kind          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    amount_fen    BIGINT NOT NULL CHECK (amount_fen >= 0),
    cost_fen      BIGINT NOT NULL DEFAULT 0 CHECK (cost_fen >= 0),
    months        BIGINT NOT NULL CHECK (months BETWEEN 1 AND 12)
);
CREATE INDEX income_household ON income_items(household_id);

CREATE TABLE property_items (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id  BIGINT NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    value_fen     BIGINT NOT NULL CHECK (value_fen >= 0),
    quantity      BIGINT NOT NULL DEFAULT 1 CHECK (quantity >= 1),
    exempt        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX property_household ON property_items(household_id);

CREATE TABLE calendar_overrides (
    day      TEXT PRIMARY KEY,
    working  BIGINT NOT NULL,
    name     TEXT NOT NULL DEFAULT ''
);

-- Append-only audit chain. audit_head serialises appends so that the chain
-- stays linear under concurrent writers.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    role       TEXT NOT NULL,
    region     TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    result     TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_actor ON audit_log(actor, seq);
CREATE INDEX audit_object ON audit_log(object, seq);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_head;
DROP TRIGGER audit_log_no_update ON audit_log;
DROP FUNCTION audit_log_append_only;
DROP TABLE audit_log;
DROP TABLE calendar_overrides;
DROP TABLE property_items;
DROP TABLE income_items;
DROP TABLE members;
DROP TABLE households;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE regions;
DROP TABLE meta;
