-- +goose Up
-- Practical assessment runs (issue 6 item 4). The scenarios themselves are
-- data in internal/practical; a run is one trainee performing one scenario
-- on a synthetic case in the SANDBOX store (sandbox_case_id is an id in that
-- store, never in this one). The final score is complete once the examiner
-- has scored the rubric. Times are unix ms; amounts are fen.

CREATE TABLE practical_runs (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scenario         TEXT NOT NULL,
    user_id          BIGINT NOT NULL REFERENCES users(id),
    username         TEXT NOT NULL,
    attempt          TEXT NOT NULL CHECK (attempt IN ('first', 'makeup')),
    sandbox_case_id  BIGINT NOT NULL,
    sandbox_household_id BIGINT NOT NULL,
    clock_days       BIGINT NOT NULL DEFAULT 0,    -- sandbox clock moved forward (simulated working days)
    expected_amount  BIGINT NOT NULL DEFAULT 0,
    declared_amount  BIGINT NOT NULL DEFAULT -1,   -- the amount the trainee determined; -1 none
    status           TEXT NOT NULL CHECK (status IN ('running', 'finished', 'scored')),
    started_at       BIGINT NOT NULL,
    finished_at      BIGINT NOT NULL DEFAULT 0,
    auto_points      BIGINT NOT NULL DEFAULT 0,
    rubric_points    BIGINT NOT NULL DEFAULT 0,
    score            BIGINT NOT NULL DEFAULT 0,
    passed           BIGINT NOT NULL DEFAULT 0,
    scored_by        TEXT NOT NULL DEFAULT '',
    scored_at        BIGINT NOT NULL DEFAULT 0,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX practical_runs_user ON practical_runs(user_id, id);

-- One row per scored item of a run: automatic items when it finishes,
-- rubric items when the examiner scores them.
CREATE TABLE practical_scores (
    run_id     BIGINT NOT NULL REFERENCES practical_runs(id),
    item       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('auto', 'rubric')),
    label      TEXT NOT NULL,
    expected   TEXT NOT NULL DEFAULT '',
    done       TEXT NOT NULL DEFAULT '',
    points     BIGINT NOT NULL,
    max_points BIGINT NOT NULL,
    PRIMARY KEY (run_id, item)
);

-- +goose Down
DROP TABLE practical_scores;
DROP TABLE practical_runs;
