-- +goose Up
-- Change reports from the village (issue 4): a recipient household's change
-- reported by the village clerk, verified by the township and forwarded to a
-- review or closed (workflow.ChangeReport), with its history; spot-check
-- results per sampled household; review tasks of kind 'change_report'.

CREATE TABLE change_reports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id INTEGER NOT NULL REFERENCES households(id),
    region_code  TEXT NOT NULL REFERENCES regions(code),
    kind         TEXT NOT NULL CHECK (kind IN ('income_up', 'member_added', 'member_died', 'member_moved', 'other')),
    detail       TEXT NOT NULL,
    changed_on   TEXT NOT NULL,
    state        TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    finding      TEXT NOT NULL DEFAULT '' CHECK (finding IN ('', 'confirmed', 'not_confirmed')),
    task_id      INTEGER,
    closed       INTEGER NOT NULL DEFAULT 0,
    reported_by  TEXT NOT NULL,
    reported_at  INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX change_reports_region ON change_reports(region_code, closed, id);
CREATE INDEX change_reports_household ON change_reports(household_id);

-- Everything that happened to a report, never updated or deleted.
CREATE TABLE change_report_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id   INTEGER NOT NULL REFERENCES change_reports(id),
    seq         INTEGER NOT NULL,
    transition  TEXT NOT NULL,
    from_state  TEXT NOT NULL DEFAULT '',
    to_state    TEXT NOT NULL,
    actor_id    INTEGER REFERENCES users(id),
    actor       TEXT NOT NULL,
    actor_name  TEXT NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}',
    UNIQUE (report_id, seq)
);

-- The sample of a spot check as drawn (with why each household was chosen)
-- and the county's result per household.
CREATE TABLE spot_check_results (
    spot_check_id INTEGER NOT NULL REFERENCES spot_checks(id),
    household_id  INTEGER NOT NULL REFERENCES households(id),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    reason        TEXT NOT NULL,
    finding       TEXT NOT NULL DEFAULT '' CHECK (finding IN ('', 'confirmed', 'not_confirmed', 'unverifiable')),
    note          TEXT NOT NULL DEFAULT '',
    recorded_by   TEXT NOT NULL DEFAULT '',
    recorded_at   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (spot_check_id, household_id)
);

-- SQLite cannot alter a CHECK constraint: rebuild review_tasks with
-- 'change_report' allowed, keeping every row and id.
CREATE TABLE review_tasks_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id  INTEGER NOT NULL REFERENCES households(id),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    kind          TEXT NOT NULL CHECK (kind IN ('periodic', 'spot_check', 'change_report')),
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
INSERT INTO review_tasks_new (id, household_id, region_code, kind, due, reason, status, proposal, proposed_by, decided_by,
    decided_at, decision, seed, spot_check_id, created_at)
    SELECT id, household_id, region_code, kind, due, reason, status, proposal, proposed_by, decided_by,
    decided_at, decision, seed, spot_check_id, created_at FROM review_tasks;
DROP TABLE review_tasks;
ALTER TABLE review_tasks_new RENAME TO review_tasks;
CREATE INDEX review_tasks_region ON review_tasks(region_code, status, due);
-- One undecided task per household and kind, whatever races the service loses.
CREATE UNIQUE INDEX review_tasks_one_open ON review_tasks(household_id, kind) WHERE status <> 'decided';

-- +goose Down
DELETE FROM review_tasks WHERE kind = 'change_report';
CREATE TABLE review_tasks_old (
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
INSERT INTO review_tasks_old SELECT id, household_id, region_code, kind, due, reason, status, proposal, proposed_by, decided_by,
    decided_at, decision, seed, spot_check_id, created_at FROM review_tasks;
DROP TABLE review_tasks;
ALTER TABLE review_tasks_old RENAME TO review_tasks;
CREATE INDEX review_tasks_region ON review_tasks(region_code, status, due);
CREATE UNIQUE INDEX review_tasks_one_open ON review_tasks(household_id, kind) WHERE status <> 'decided';
DROP TABLE spot_check_results;
DROP TABLE change_report_events;
DROP TABLE change_reports;
