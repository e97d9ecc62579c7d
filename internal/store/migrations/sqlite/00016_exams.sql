-- +goose Up
-- Theory exams (issue 6 items 1, 2, 8): a versioned question bank, exams
-- with their paper frozen at creation, attempts with their own snapshot of
-- the questions as given (shuffled), answers as an append-only log and
-- leave-page events. Times are unix ms.

CREATE TABLE exam_questions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    current_version INTEGER NOT NULL DEFAULT 1,
    retired         INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER REFERENCES users(id),
    created_at      INTEGER NOT NULL
);

-- Every edit adds a version; versions are never changed.
CREATE TABLE exam_question_versions (
    question_id INTEGER NOT NULL REFERENCES exam_questions(id),
    version     INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'truefalse', 'fill')),
    category    TEXT NOT NULL,                  -- enroll.Category
    difficulty  INTEGER NOT NULL CHECK (difficulty BETWEEN 1 AND 3),
    stem        TEXT NOT NULL,
    options     TEXT NOT NULL DEFAULT '[]',     -- JSON list of option texts
    correct     TEXT NOT NULL DEFAULT '[]',     -- JSON list of correct option indices
    accepted    TEXT NOT NULL DEFAULT '[]',     -- JSON list of accepted fill-in answers
    created_by  INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (question_id, version)
);

CREATE TABLE exams (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    title        TEXT NOT NULL,
    plan_id      INTEGER NOT NULL REFERENCES training_plans(id),
    opens_at     INTEGER NOT NULL,
    closes_at    INTEGER NOT NULL,
    minutes      INTEGER NOT NULL CHECK (minutes > 0),
    closed_book  INTEGER NOT NULL DEFAULT 1,
    review       TEXT NOT NULL CHECK (review IN ('none', 'score', 'answers')),
    pass_mark    INTEGER NOT NULL,              -- theory_pass in force when created
    pass_version TEXT NOT NULL DEFAULT '',      -- its policy version
    paper_def    TEXT NOT NULL,                 -- JSON exam.Paper (fixed or rules)
    seed         INTEGER NOT NULL,              -- draws the rule paper
    paper        TEXT NOT NULL,                 -- JSON []exam.Item: the drawn paper, frozen
    created_by   INTEGER REFERENCES users(id),
    created_at   INTEGER NOT NULL,
    CHECK (closes_at > opens_at)
);
CREATE INDEX exams_plan ON exams(plan_id);

CREATE TABLE exam_attempts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    exam_id        INTEGER NOT NULL REFERENCES exams(id),
    person_id      INTEGER NOT NULL REFERENCES users(id),
    kind           TEXT NOT NULL CHECK (kind IN ('first', 'makeup')),
    status         TEXT NOT NULL CHECK (status IN ('open', 'submitted')),
    seed           INTEGER NOT NULL,            -- shuffles questions and options
    items          TEXT NOT NULL,               -- JSON []exam.Item as given to this candidate
    started_at     INTEGER NOT NULL,
    deadline       INTEGER NOT NULL,            -- min(start + limit, window close)
    submitted_at   INTEGER NOT NULL DEFAULT 0,
    auto_submitted INTEGER NOT NULL DEFAULT 0,
    score          INTEGER NOT NULL DEFAULT 0,
    passed         INTEGER NOT NULL DEFAULT 0,
    pass_mark      INTEGER NOT NULL,
    UNIQUE (exam_id, person_id, kind)
);
CREATE UNIQUE INDEX exam_attempts_one_open ON exam_attempts(exam_id, person_id) WHERE status = 'open';
CREATE INDEX exam_attempts_due ON exam_attempts(deadline) WHERE status = 'open';
CREATE INDEX exam_attempts_person ON exam_attempts(person_id, id);

-- Append-only: the latest seq per attempt and question counts.
CREATE TABLE attempt_answers (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER NOT NULL REFERENCES exam_attempts(id),
    question   INTEGER NOT NULL,                -- position n in the attempt
    answer     TEXT NOT NULL,
    saved_at   INTEGER NOT NULL
);
CREATE INDEX attempt_answers_latest ON attempt_answers(attempt_id, question, seq);

-- Append-only: leaving the page during a closed-book exam, and the like.
CREATE TABLE attempt_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER NOT NULL REFERENCES exam_attempts(id),
    kind       TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX attempt_events_attempt ON attempt_events(attempt_id, id);

-- +goose Down
DROP TABLE attempt_events;
DROP TABLE attempt_answers;
DROP TABLE exam_attempts;
DROP TABLE exams;
DROP TABLE exam_question_versions;
DROP TABLE exam_questions;
