-- +goose Up
-- Periodic review as a workflow (issue 4 items 3 and 5): review tasks move
-- through workflow.RecipientReview with an optimistic version, every
-- transition is kept in review_task_events (the task's history), and the
-- notice of a decrease, phase-out or stop is kept as the JSON snapshot of
-- what was issued. Times are unix ms.

ALTER TABLE review_tasks ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE review_task_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id    BIGINT NOT NULL REFERENCES review_tasks(id),
    seq        BIGINT NOT NULL,
    transition TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         BIGINT NOT NULL,
    record     TEXT NOT NULL DEFAULT '{}',  -- JSON of the recorded fields
    reason     TEXT NOT NULL DEFAULT '',
    UNIQUE (task_id, seq)
);

CREATE TABLE review_notices (
    task_id   BIGINT PRIMARY KEY REFERENCES review_tasks(id),
    kind      TEXT NOT NULL,
    number    TEXT NOT NULL UNIQUE,
    issued_at BIGINT NOT NULL,
    data      TEXT NOT NULL
);

-- +goose Down
DROP TABLE review_notices;
DROP TABLE review_task_events;
ALTER TABLE review_tasks DROP COLUMN version;
