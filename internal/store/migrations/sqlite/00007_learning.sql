-- +goose Up
-- Online learning (issue 5 item 5): uploaded documents and videos, and each
-- person's progress through them as watched intervals (package progress).
-- Times are unix ms.

CREATE TABLE learning_items (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    title            TEXT NOT NULL,
    category         TEXT NOT NULL,              -- enroll.Category
    kind             TEXT NOT NULL CHECK (kind IN ('document', 'video')),
    content_type     TEXT NOT NULL,
    size             INTEGER NOT NULL,
    checksum         TEXT NOT NULL,              -- hex SM3 of data
    data             BLOB NOT NULL,
    duration_seconds INTEGER NOT NULL DEFAULT 0, -- videos: entered by the uploader
    minutes          INTEGER NOT NULL DEFAULT 0 CHECK (minutes >= 0),
    plan_id          INTEGER REFERENCES training_plans(id),
    created_by       INTEGER REFERENCES users(id),
    created_at       INTEGER NOT NULL
);
CREATE INDEX learning_items_category ON learning_items(category, id);

-- One row per person and item: the union of watched intervals and whether
-- the item's minutes were credited (once).
CREATE TABLE learning_progress (
    item_id      INTEGER NOT NULL REFERENCES learning_items(id),
    person_id    INTEGER NOT NULL REFERENCES users(id),
    intervals    TEXT NOT NULL DEFAULT '',   -- progress.Intervals.Encode
    position     INTEGER NOT NULL DEFAULT 0, -- last position reported by any playback
    last_at      INTEGER NOT NULL DEFAULT 0, -- server time of the last report
    completed_at INTEGER NOT NULL DEFAULT 0,
    credited     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, person_id)
);

-- The server's state per playback (one player in one tab, progress.Playback):
-- two tabs keep separate positions and sequences, so neither rejects the
-- other's reports, while the watched intervals they add are merged above.
CREATE TABLE learning_playbacks (
    item_id   INTEGER NOT NULL REFERENCES learning_items(id),
    person_id INTEGER NOT NULL REFERENCES users(id),
    playback  TEXT NOT NULL,
    position  INTEGER NOT NULL DEFAULT 0,
    seq       INTEGER NOT NULL DEFAULT 0,
    last_at   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, person_id, playback)
);

-- +goose Down
DROP TABLE learning_playbacks;
DROP TABLE learning_progress;
DROP TABLE learning_items;
