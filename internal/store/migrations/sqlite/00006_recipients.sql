-- +goose Up
-- Recipients over time (issue 4): the register's dynamic fields, the
-- append-only change history, review and spot-check tasks, and the monthly
-- payment rosters. Months are 'YYYY-MM' text, dates 'YYYY-MM-DD', times unix ms.

ALTER TABLE recipients ADD COLUMN end_month TEXT NOT NULL DEFAULT '';
ALTER TABLE recipients ADD COLUMN phaseout_from TEXT NOT NULL DEFAULT '';
ALTER TABLE recipients ADD COLUMN phaseout_months INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recipients ADD COLUMN phaseout_taper INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recipients ADD COLUMN last_review TEXT NOT NULL DEFAULT '';
ALTER TABLE recipients ADD COLUMN complaints INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recipients ADD COLUMN benefit TEXT NOT NULL DEFAULT '';
ALTER TABLE recipients ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- Every change of a recipient, never updated or deleted.
CREATE TABLE recipient_history (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id    INTEGER NOT NULL REFERENCES households(id),
    at              INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('enrolled', 'review', 'increase', 'decrease', 'category_change', 'phase_out', 'stop')),
    old_amount      INTEGER NOT NULL DEFAULT 0,
    new_amount      INTEGER NOT NULL DEFAULT 0,
    effective_month TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    case_id         INTEGER REFERENCES cases(id),
    task_id         INTEGER,
    actor           TEXT NOT NULL
);
CREATE INDEX recipient_history_household ON recipient_history(household_id, id);

CREATE TABLE review_tasks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id  INTEGER NOT NULL REFERENCES households(id),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    kind          TEXT NOT NULL CHECK (kind IN ('periodic', 'spot_check')),
    due           TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('open', 'proposed', 'decided')),
    proposal      TEXT NOT NULL DEFAULT '',
    proposed_by   TEXT NOT NULL DEFAULT '',
    decided_by    TEXT NOT NULL DEFAULT '',
    decided_at    INTEGER NOT NULL DEFAULT 0,
    decision      TEXT NOT NULL DEFAULT '',
    seed          TEXT NOT NULL DEFAULT '',
    spot_check_id INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX review_tasks_region ON review_tasks(region_code, status, due);
-- One undecided task per household and kind, whatever races the service loses.
CREATE UNIQUE INDEX review_tasks_one_open ON review_tasks(household_id, kind) WHERE status <> 'decided';

CREATE TABLE spot_checks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code TEXT NOT NULL REFERENCES regions(code),
    month       TEXT NOT NULL,
    seed        TEXT NOT NULL,
    rate        TEXT NOT NULL,
    chosen      INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE rosters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    county      TEXT NOT NULL REFERENCES regions(code),
    month       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'approved')),
    created_at  INTEGER NOT NULL,
    built_at    INTEGER NOT NULL,
    approved_by TEXT NOT NULL DEFAULT '',
    approved_at INTEGER NOT NULL DEFAULT 0,
    total_fen   INTEGER NOT NULL DEFAULT 0,
    row_count   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (county, month)
);

CREATE TABLE roster_rows (
    roster_id    INTEGER NOT NULL REFERENCES rosters(id),
    household_id INTEGER NOT NULL REFERENCES households(id),
    region_code  TEXT NOT NULL,
    amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
    note         TEXT NOT NULL DEFAULT '',
    UNIQUE (roster_id, household_id)
);

-- +goose Down
DROP TABLE roster_rows;
DROP TABLE rosters;
DROP TABLE spot_checks;
DROP TABLE review_tasks;
DROP TABLE recipient_history;
ALTER TABLE recipients DROP COLUMN version;
ALTER TABLE recipients DROP COLUMN benefit;
ALTER TABLE recipients DROP COLUMN complaints;
ALTER TABLE recipients DROP COLUMN last_review;
ALTER TABLE recipients DROP COLUMN phaseout_taper;
ALTER TABLE recipients DROP COLUMN phaseout_months;
ALTER TABLE recipients DROP COLUMN phaseout_from;
ALTER TABLE recipients DROP COLUMN end_month;
