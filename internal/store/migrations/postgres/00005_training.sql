-- +goose Up
-- Training operations (issue 5): plans, automatic enrollments, sessions,
-- attendance and feedback. Dates are 'YYYY-MM-DD' text, times unix ms.

CREATE TABLE training_plans (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             TEXT NOT NULL,
    title            TEXT NOT NULL,
    -- The audience never reaches beyond this region (the creator's scope).
    region_code      TEXT NOT NULL REFERENCES regions(code),
    period_start     TEXT NOT NULL,
    period_end       TEXT NOT NULL,
    audience         TEXT NOT NULL DEFAULT '{}', -- JSON of enroll.Rule
    required_minutes BIGINT NOT NULL CHECK (required_minutes > 0),
    categories       TEXT NOT NULL,              -- comma list of enroll.Category
    special_start    TEXT NOT NULL DEFAULT '',
    created_by       BIGINT REFERENCES users(id),
    created_at       BIGINT NOT NULL
);
CREATE INDEX training_plans_kind ON training_plans(kind, period_start);

-- Enrollments are never deleted: an item a person no longer owes is
-- marked dropped, so the history of who owed what stays.
CREATE TABLE enrollments (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id        BIGINT NOT NULL REFERENCES users(id),
    plan_id          BIGINT NOT NULL REFERENCES training_plans(id),
    due              TEXT NOT NULL,
    reason           TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    minutes_credited BIGINT NOT NULL DEFAULT 0,
    completed_at     BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (person_id, plan_id)
);
CREATE INDEX enrollments_plan ON enrollments(plan_id);

CREATE TABLE training_sessions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id         BIGINT NOT NULL REFERENCES training_plans(id),
    kind            TEXT NOT NULL CHECK (kind IN ('classroom', 'practice', 'seminar')),
    title           TEXT NOT NULL,
    starts_at       BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    place           TEXT NOT NULL DEFAULT '',
    trainer_user_id BIGINT REFERENCES users(id),
    expert_name     TEXT NOT NULL DEFAULT '',
    -- Hex of the HMAC-SM3 key of the check-in codes. Not personal data,
    -- so not sealed; it is never shown, only used to make codes.
    checkin_secret  TEXT NOT NULL,
    minutes         BIGINT NOT NULL CHECK (minutes > 0),
    created_by      BIGINT REFERENCES users(id),
    created_at      BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX training_sessions_plan ON training_sessions(plan_id, starts_at);
CREATE INDEX training_sessions_trainer ON training_sessions(trainer_user_id, starts_at);

CREATE TABLE attendance (
    session_id    BIGINT NOT NULL REFERENCES training_sessions(id),
    person_id     BIGINT NOT NULL REFERENCES users(id),
    checked_in_at BIGINT NOT NULL,
    method        TEXT NOT NULL CHECK (method IN ('code', 'manual')),
    minutes       BIGINT NOT NULL,
    recorded_by   BIGINT REFERENCES users(id),
    reason        TEXT NOT NULL DEFAULT '',
    UNIQUE (session_id, person_id)
);
CREATE INDEX attendance_person ON attendance(person_id, checked_in_at);

-- Wrong check-in codes per person and session (checkin.Attempts), kept in
-- the database so that a restart or a second server does not reset them.
CREATE TABLE checkin_attempts (
    session_id BIGINT NOT NULL REFERENCES training_sessions(id),
    person_id  BIGINT NOT NULL REFERENCES users(id),
    failures   TEXT NOT NULL DEFAULT '', -- comma list of unix ms
    PRIMARY KEY (session_id, person_id)
);

CREATE TABLE feedback (
    session_id BIGINT NOT NULL REFERENCES training_sessions(id),
    person_id  BIGINT NOT NULL REFERENCES users(id),
    content    BIGINT NOT NULL CHECK (content BETWEEN 1 AND 5),
    method     BIGINT NOT NULL CHECK (method BETWEEN 1 AND 5),
    trainer    BIGINT NOT NULL CHECK (trainer BETWEEN 1 AND 5),
    comment    TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (session_id, person_id)
);

-- +goose Down
DROP TABLE feedback;
DROP TABLE checkin_attempts;
DROP TABLE attendance;
DROP TABLE training_sessions;
DROP TABLE enrollments;
DROP TABLE training_plans;
