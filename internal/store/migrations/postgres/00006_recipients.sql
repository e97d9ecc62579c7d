-- +goose Up
-- Recipients over time (issue 4): the register's dynamic fields, the
-- append-only change history, review and spot-check tasks, and the monthly
-- payment rosters. Months are 'YYYY-MM' text, dates 'YYYY-MM-DD', times unix ms.

ALTER TABLE recipients ADD COLUMN end_month TEXT NOT NULL DEFAULT '';
ALTER TABLE recipients ADD COLUMN phaseout_from TEXT NOT NULL DEFAULT '';
ALTER TABLE recipients ADD COLUMN phaseout_months BIGINT NOT NULL DEFAULT 0;
ALTER TABLE recipients ADD COLUMN phaseout_taper BIGINT NOT NULL DEFAULT 0;
ALTER TABLE recipients ADD COLUMN last_review TEXT NOT NULL DEFAULT '';
ALTER TABLE recipients ADD COLUMN complaints BIGINT NOT NULL DEFAULT 0;
ALTER TABLE recipients ADD COLUMN benefit TEXT NOT NULL DEFAULT '';
ALTER TABLE recipients ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- Every change of a recipient, never updated or deleted.
CREATE TABLE recipient_history (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id    BIGINT NOT NULL REFERENCES households(id),
    at              BIGINT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('enrolled', 'review', 'increase', 'decrease', 'category_change', 'phase_out', 'stop')),
    old_amount      BIGINT NOT NULL DEFAULT 0,
    new_amount      BIGINT NOT NULL DEFAULT 0,
    effective_month TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    case_id         BIGINT REFERENCES cases(id),
    task_id         BIGINT,
    actor           TEXT NOT NULL
);
CREATE INDEX recipient_history_household ON recipient_history(household_id, id);

CREATE TABLE review_tasks (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id  BIGINT NOT NULL REFERENCES households(id),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    kind          TEXT NOT NULL CHECK (kind IN ('periodic', 'spot_check')),
    due           TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('open', 'proposed', 'decided')),
    proposal      TEXT NOT NULL DEFAULT '',
    proposed_by   TEXT NOT NULL DEFAULT '',
    decided_by    TEXT NOT NULL DEFAULT '',
    decided_at    BIGINT NOT NULL DEFAULT 0,
    decision      TEXT NOT NULL DEFAULT '',
    seed          TEXT NOT NULL DEFAULT '',
    spot_check_id BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX review_tasks_region ON review_tasks(region_code, status, due);
-- One undecided task per household and kind, whatever races the service loses.
CREATE UNIQUE INDEX review_tasks_one_open ON review_tasks(household_id, kind) WHERE status <> 'decided';

CREATE TABLE spot_checks (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    month       TEXT NOT NULL,
    seed        TEXT NOT NULL,
    rate        TEXT NOT NULL,
    chosen      BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE rosters (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county      TEXT NOT NULL REFERENCES regions(code),
    month       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'approved')),
    created_at  BIGINT NOT NULL,
    built_at    BIGINT NOT NULL,
    approved_by TEXT NOT NULL DEFAULT '',
    approved_at BIGINT NOT NULL DEFAULT 0,
    total_fen   BIGINT NOT NULL DEFAULT 0,
    row_count   BIGINT NOT NULL DEFAULT 0,
    UNIQUE (county, month)
);

CREATE TABLE roster_rows (
    roster_id    BIGINT NOT NULL REFERENCES rosters(id),
    household_id BIGINT NOT NULL REFERENCES households(id),
    region_code  TEXT NOT NULL,
    amount_fen   BIGINT NOT NULL CHECK (amount_fen > 0),
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
