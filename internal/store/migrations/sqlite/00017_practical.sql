-- +goose Up
-- Practical assessment runs (issue 6 item 4). The scenarios themselves are
-- data in internal/practical; a run is one trainee performing one scenario
-- on a synthetic case in the SANDBOX store (sandbox_case_id is an id in that
-- store, never in this one). The final score is complete once the examiner
-- has scored the rubric. Times are unix ms; amounts are fen.

CREATE TABLE practical_runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario         TEXT NOT NULL,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    username         TEXT NOT NULL,
    attempt          TEXT NOT NULL CHECK (attempt IN ('first', 'makeup')),
    sandbox_case_id  INTEGER NOT NULL,
    sandbox_household_id INTEGER NOT NULL,
    clock_days       INTEGER NOT NULL DEFAULT 0,    -- sandbox clock moved forward (simulated working days)
    expected_amount  INTEGER NOT NULL DEFAULT 0,
    declared_amount  INTEGER NOT NULL DEFAULT -1,   -- the amount the trainee determined; -1 none
    status           TEXT NOT NULL CHECK (status IN ('running', 'finished', 'scored')),
    started_at       INTEGER NOT NULL,
    finished_at      INTEGER NOT NULL DEFAULT 0,
    auto_points      INTEGER NOT NULL DEFAULT 0,
    rubric_points    INTEGER NOT NULL DEFAULT 0,
    score            INTEGER NOT NULL DEFAULT 0,
    passed           INTEGER NOT NULL DEFAULT 0,
    scored_by        TEXT NOT NULL DEFAULT '',
    scored_at        INTEGER NOT NULL DEFAULT 0,
    version          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX practical_runs_user ON practical_runs(user_id, id);

-- One row per scored item of a run: automatic items when it finishes,
-- rubric items when the examiner scores them.
CREATE TABLE practical_scores (
    run_id     INTEGER NOT NULL REFERENCES practical_runs(id),
    item       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('auto', 'rubric')),
    label      TEXT NOT NULL,
    expected   TEXT NOT NULL DEFAULT '',
    done       TEXT NOT NULL DEFAULT '',
    points     INTEGER NOT NULL,
    max_points INTEGER NOT NULL,
    PRIMARY KEY (run_id, item)
);

-- +goose Down
DROP TABLE practical_scores;
DROP TABLE practical_runs;
