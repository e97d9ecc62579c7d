-- +goose Up
-- Trainers and experts (issue 5 items 1 and 7, SPEC §3.1, §3.7): internal
-- trainers are staff accounts with a selection record and their own
-- development training; external experts with every invitation; and the
-- policy-update plans already created for a change, so that a repeated
-- notification creates no second plan. Dates are YYYY-MM-DD, times unix ms.

CREATE TABLE trainers (
    user_id          INTEGER PRIMARY KEY REFERENCES users(id),
    experience_years INTEGER NOT NULL CHECK (experience_years >= 0),
    criteria         TEXT NOT NULL,              -- comma list of training.Criteria codes
    approved_by      TEXT NOT NULL,              -- who approved the selection (name and office)
    approved_on      TEXT NOT NULL,
    created_by       INTEGER REFERENCES users(id),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE trainer_development (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES trainers(user_id),
    on_date    TEXT NOT NULL,
    title      TEXT NOT NULL,
    minutes    INTEGER NOT NULL CHECK (minutes > 0),
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX trainer_development_user ON trainer_development(user_id, on_date);

CREATE TABLE experts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    organisation TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    field        TEXT NOT NULL DEFAULT '',
    created_by   INTEGER REFERENCES users(id),
    created_at   INTEGER NOT NULL
);

CREATE TABLE expert_invitations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    expert_id  INTEGER NOT NULL REFERENCES experts(id),
    on_date    TEXT NOT NULL,
    topic      TEXT NOT NULL,
    session_id INTEGER REFERENCES training_sessions(id),
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX expert_invitations_date ON expert_invitations(on_date);

CREATE TABLE policy_update_plans (
    change_name TEXT NOT NULL,
    label       TEXT NOT NULL,
    on_date     TEXT NOT NULL,
    scope       TEXT NOT NULL,  -- region code, '' for the whole county
    plan_id     INTEGER NOT NULL REFERENCES training_plans(id),
    PRIMARY KEY (change_name, label, on_date, scope)
);

-- +goose Down
DROP TABLE policy_update_plans;
DROP TABLE expert_invitations;
DROP TABLE experts;
DROP TABLE trainer_development;
DROP TABLE trainers;
