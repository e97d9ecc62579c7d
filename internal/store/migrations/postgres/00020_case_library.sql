-- +goose Up
-- The case library (issue 7 item 3): closed cases turned into de-identified
-- library cases. content is the de-identified JSON only (internal/deid); the
-- source case id is kept for bookkeeping (one library case per source case)
-- and never shown. Times are unix ms.

CREATE TABLE library_cases (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_case_id BIGINT NOT NULL UNIQUE REFERENCES cases(id),
    title          TEXT NOT NULL,
    content        TEXT NOT NULL,
    topics         TEXT NOT NULL DEFAULT '',      -- comma-separated topics
    status         TEXT NOT NULL CHECK (status IN ('draft', 'published', 'rejected')),
    review_note    TEXT NOT NULL DEFAULT '',
    reviewed_by    TEXT NOT NULL DEFAULT '',
    reviewed_at    BIGINT NOT NULL DEFAULT 0,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX library_cases_status ON library_cases(status, id);

CREATE TABLE library_seminars (
    session_id      BIGINT NOT NULL REFERENCES training_sessions(id),
    library_case_id BIGINT NOT NULL REFERENCES library_cases(id),
    linked_by       TEXT NOT NULL,
    linked_at       BIGINT NOT NULL,
    PRIMARY KEY (session_id, library_case_id)
);

-- +goose Down
DROP TABLE library_seminars;
DROP TABLE library_cases;
