-- +goose Up
-- Issue 9: the API's generic Idempotency-Key layer (internal/api/idempotency.go).
-- One row per (user, key): claimed 'pending' before the handler runs, 'done'
-- with the captured answer after. owner fences the effect: every write
-- transaction of the request checks it still holds the claim and sets
-- applied in the same commit, so after a crash a stale claim tells whether
-- the effect committed (applied > 0: the result is unknown, never re-run;
-- 2: the service also recorded its own reply in that commit) or not (0:
-- safe to run again). The service-level table idempotency (00004) stays:
-- its replies are written atomically with the effect by the services.
CREATE TABLE api_idempotency (
    user_id      INTEGER NOT NULL,
    key          TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    state        TEXT NOT NULL,
    owner        TEXT NOT NULL,
    applied      INTEGER NOT NULL DEFAULT 0,
    status       INTEGER NOT NULL DEFAULT 0,
    headers      TEXT NOT NULL DEFAULT '',
    body         BLOB,
    created_at   INTEGER NOT NULL,
    claimed_at   INTEGER NOT NULL,
    done_at      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX api_idempotency_created ON api_idempotency(created_at);
CREATE INDEX idempotency_created ON idempotency(created_at);

-- +goose Down
DROP INDEX idempotency_created;
DROP INDEX api_idempotency_created;
DROP TABLE api_idempotency;
