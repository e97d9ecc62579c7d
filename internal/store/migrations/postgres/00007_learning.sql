-- +goose Up
-- Online learning (issue 5 item 5): uploaded documents and videos, and each
-- person's progress through them as watched intervals (package progress).
-- Times are unix ms.

CREATE TABLE learning_items (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title            TEXT NOT NULL,
    category         TEXT NOT NULL,              -- enroll.Category
    kind             TEXT NOT NULL CHECK (kind IN ('document', 'video')),
    content_type     TEXT NOT NULL,
    size             BIGINT NOT NULL,
    checksum         TEXT NOT NULL,              -- hex SM3 of data
    data             BYTEA NOT NULL,
    duration_seconds BIGINT NOT NULL DEFAULT 0, -- videos: entered by the uploader
    minutes          BIGINT NOT NULL DEFAULT 0 CHECK (minutes >= 0),
    plan_id          BIGINT REFERENCES training_plans(id),
    created_by       BIGINT REFERENCES users(id),
    created_at       BIGINT NOT NULL
);
CREATE INDEX learning_items_category ON learning_items(category, id);

-- One row per person and item: the union of watched intervals and whether
-- the item's minutes were credited (once).
CREATE TABLE learning_progress (
    item_id      BIGINT NOT NULL REFERENCES learning_items(id),
    person_id    BIGINT NOT NULL REFERENCES users(id),
    intervals    TEXT NOT NULL DEFAULT '',   -- progress.Intervals.Encode
    position     BIGINT NOT NULL DEFAULT 0, -- last position reported by any playback
    last_at      BIGINT NOT NULL DEFAULT 0, -- server time of the last report
    completed_at BIGINT NOT NULL DEFAULT 0,
    credited     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, person_id)
);

-- The server's state per playback (one player in one tab, progress.Playback):
-- two tabs keep separate positions and sequences, so neither rejects the
-- other's reports, while the watched intervals they add are merged above.
CREATE TABLE learning_playbacks (
    item_id   BIGINT NOT NULL REFERENCES learning_items(id),
    person_id BIGINT NOT NULL REFERENCES users(id),
    playback  TEXT NOT NULL,
    position  BIGINT NOT NULL DEFAULT 0,
    seq       BIGINT NOT NULL DEFAULT 0,
    last_at   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, person_id, playback)
);

-- +goose Down
DROP TABLE learning_playbacks;
DROP TABLE learning_progress;
DROP TABLE learning_items;
