-- +goose Up
-- Periodic review as a workflow (issue 4 items 3 and 5): review tasks move
-- through workflow.RecipientReview with an optimistic version, every
-- transition is kept in review_task_events (the task's history), and the
-- notice of a decrease, phase-out or stop is kept as the JSON snapshot of
-- what was issued. Times are unix ms.

-- SQLite cannot alter a CHECK constraint: rebuild review_tasks (before any
-- table refers to it) with the optimistic version and the kind
-- 'change_report' (village change reports forwarded to review, 00012),
-- keeping every row and id.
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
    created_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
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

CREATE TABLE review_task_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id    INTEGER NOT NULL REFERENCES review_tasks(id),
    seq        INTEGER NOT NULL,
    transition TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         INTEGER NOT NULL,
    record     TEXT NOT NULL DEFAULT '{}',  -- JSON of the recorded fields
    reason     TEXT NOT NULL DEFAULT '',
    UNIQUE (task_id, seq)
);

CREATE TABLE review_notices (
    task_id   INTEGER PRIMARY KEY REFERENCES review_tasks(id),
    kind      TEXT NOT NULL,
    number    TEXT NOT NULL UNIQUE,
    issued_at INTEGER NOT NULL,
    data      TEXT NOT NULL
);

-- +goose Down
DROP TABLE review_notices;
DROP TABLE review_task_events;
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
