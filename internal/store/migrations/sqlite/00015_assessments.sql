-- +goose Up
-- Assessment results and certifications (issue 6): every result of a
-- theory exam, practical scenario or daily-performance score per person and
-- plan, with the one-make-up rule (assess) — the unique key admits one first
-- attempt and one make-up per kind and training cycle; a failed make-up
-- starts a new cycle (retraining). Certifications granted by passing a
-- plan's assessments, with validity and revocation. Times are unix ms,
-- dates 'YYYY-MM-DD'.

CREATE TABLE assessment_results (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   INTEGER NOT NULL REFERENCES users(id),
    plan_id     INTEGER NOT NULL REFERENCES training_plans(id),
    kind        TEXT NOT NULL CHECK (kind IN ('theory', 'practical', 'daily')),
    cycle       INTEGER NOT NULL DEFAULT 1 CHECK (cycle >= 1),
    attempt     TEXT NOT NULL CHECK (attempt IN ('first', 'makeup')),
    score       INTEGER CHECK (score IS NULL OR score BETWEEN 0 AND 100), -- NULL for a make-up (pass/fail only)
    passed      INTEGER NOT NULL CHECK (passed IN (0, 1)),
    source      TEXT NOT NULL DEFAULT '', -- e.g. exam_attempt:12, practical_run:3, trainer
    recorded_by TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (person_id, plan_id, kind, cycle, attempt)
);
CREATE INDEX assessment_results_plan ON assessment_results(plan_id, person_id);

CREATE TABLE certifications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id     INTEGER NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,            -- workflow.Certifications key, or case_work
    plan_id       INTEGER REFERENCES training_plans(id),
    granted_at    INTEGER NOT NULL,
    valid_until   TEXT NOT NULL DEFAULT '', -- last valid day; '' = no expiry
    revoked_at    INTEGER NOT NULL DEFAULT 0,
    revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX certifications_person ON certifications(person_id, name);

-- What a plan assesses and what passing it certifies.
ALTER TABLE training_plans ADD COLUMN assessments TEXT NOT NULL DEFAULT '';     -- comma list of assess.Kind
ALTER TABLE training_plans ADD COLUMN certifies TEXT NOT NULL DEFAULT '';       -- comma list of certification names
ALTER TABLE training_plans ADD COLUMN validity_months INTEGER NOT NULL DEFAULT 0; -- 0 = no expiry
-- The training cycle an enrollment is in (1 + failed make-ups).
ALTER TABLE enrollments ADD COLUMN cycle INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE enrollments DROP COLUMN cycle;
ALTER TABLE training_plans DROP COLUMN validity_months;
ALTER TABLE training_plans DROP COLUMN certifies;
ALTER TABLE training_plans DROP COLUMN assessments;
DROP TABLE certifications;
DROP TABLE assessment_results;
