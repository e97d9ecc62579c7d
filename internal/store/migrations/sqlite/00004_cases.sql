-- +goose Up
-- Case handling (issue 3): applications moving through a declarative
-- workflow. The case row holds the current state and its optimistic
-- version; everything that happened is in case_events (the timeline).

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          TEXT NOT NULL UNIQUE,
    household_id    INTEGER NOT NULL REFERENCES households(id),
    region_code     TEXT NOT NULL REFERENCES regions(code),
    profile         TEXT NOT NULL,
    state           TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    relative_flag   INTEGER NOT NULL DEFAULT 0,
    relative_note   TEXT NOT NULL DEFAULT '',
    state_since     INTEGER NOT NULL,
    due_date        TEXT NOT NULL DEFAULT '',
    started_on      TEXT NOT NULL DEFAULT '',
    total_due       TEXT NOT NULL DEFAULT '',
    extended        INTEGER NOT NULL DEFAULT 0,
    extension_note  TEXT NOT NULL DEFAULT '',
    publicity_start TEXT NOT NULL DEFAULT '',
    publicity_end   TEXT NOT NULL DEFAULT '',
    policy          TEXT NOT NULL DEFAULT '{}',
    benefit         TEXT NOT NULL DEFAULT '',
    amount_fen      INTEGER NOT NULL DEFAULT 0,
    category        TEXT NOT NULL DEFAULT '',
    start_month     TEXT NOT NULL DEFAULT '',
    closed          INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX cases_region_state ON cases(region_code, state, id);
CREATE INDEX cases_household ON cases(household_id);
-- One open application per household, whatever races the service loses.
CREATE UNIQUE INDEX cases_one_open ON cases(household_id) WHERE closed = 0;

CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    seq         INTEGER NOT NULL,
    transition  TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor_id    INTEGER,
    actor       TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}',
    documents   TEXT NOT NULL DEFAULT '',
    UNIQUE (case_id, seq)
);

CREATE TABLE case_materials (
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    code     TEXT NOT NULL,
    status   TEXT NOT NULL CHECK (status IN ('ok', 'missing', 'wrong')),
    note     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, code)
);

CREATE TABLE case_files (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    token         TEXT NOT NULL UNIQUE,
    material      TEXT NOT NULL,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    checksum      TEXT NOT NULL,
    data          BLOB NOT NULL,
    uploaded_by   INTEGER REFERENCES users(id),
    uploaded_at   INTEGER NOT NULL
);
CREATE INDEX case_files_case ON case_files(case_id);

CREATE TABLE case_visits (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    kind          TEXT NOT NULL CHECK (kind IN ('home', 'county_home', 'neighbour')),
    visit_date    TEXT NOT NULL,
    investigators TEXT NOT NULL DEFAULT '',
    data          TEXT NOT NULL DEFAULT '{}',
    recorded_by   INTEGER REFERENCES users(id),
    recorded_at   INTEGER NOT NULL
);
CREATE INDEX case_visits_case ON case_visits(case_id);

CREATE TABLE case_checks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    request_id    TEXT NOT NULL UNIQUE,
    adapter       TEXT NOT NULL,
    ticket        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    report        TEXT NOT NULL DEFAULT '',
    requested_at  INTEGER NOT NULL,
    received_at   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE case_objections (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    received_on  TEXT NOT NULL,
    objector     TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'upheld', 'dismissed')),
    resolution   TEXT NOT NULL DEFAULT '',
    recorded_by  INTEGER REFERENCES users(id),
    resolved_by  INTEGER REFERENCES users(id),
    resolved_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX case_objections_case ON case_objections(case_id);

CREATE TABLE documents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    kind        TEXT NOT NULL,
    number      TEXT NOT NULL UNIQUE,
    issued_at   INTEGER NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX documents_case ON documents(case_id);

-- Per-county, per-kind, per-year counters for case and document numbers.
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);

-- Village cadres, for the close-relative check at intake (staff are in
-- users; both carry the blind index of their ID number).
CREATE TABLE cadres (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code  TEXT NOT NULL REFERENCES regions(code),
    name         TEXT NOT NULL,
    post         TEXT NOT NULL DEFAULT '',
    id_enc       TEXT NOT NULL,
    id_index     TEXT NOT NULL UNIQUE
);

CREATE TABLE case_relatives (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    member_name  TEXT NOT NULL,
    relative     TEXT NOT NULL,
    relation     TEXT NOT NULL,
    user_id      INTEGER REFERENCES users(id),
    cadre_id     INTEGER REFERENCES cadres(id),
    source       TEXT NOT NULL CHECK (source IN ('declared', 'matched'))
);
CREATE INDEX case_relatives_case ON case_relatives(case_id);

-- Approved households: the recipient register starts here (issue 4 grows it).
CREATE TABLE recipients (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id  INTEGER NOT NULL UNIQUE REFERENCES households(id),
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    category      TEXT NOT NULL,
    amount_fen    INTEGER NOT NULL CHECK (amount_fen >= 0),
    members       INTEGER NOT NULL,
    start_month   TEXT NOT NULL,
    status        TEXT NOT NULL,
    approved_at   INTEGER NOT NULL
);
CREATE INDEX recipients_region ON recipients(region_code, status);

-- Replays of mutating API calls return the first answer.
CREATE TABLE idempotency (
    user_id     INTEGER NOT NULL,
    key         TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- +goose Down
DROP TABLE idempotency;
DROP TABLE recipients;
DROP TABLE case_relatives;
DROP TABLE cadres;
DROP TABLE counters;
DROP TABLE documents;
DROP TABLE case_objections;
DROP TABLE case_checks;
DROP TABLE case_visits;
DROP TABLE case_files;
DROP TABLE case_materials;
DROP TABLE case_events;
DROP TABLE cases;
