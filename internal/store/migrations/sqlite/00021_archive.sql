-- +goose Up
-- Training archive (issue 7 items 1, 2, 4). The catalogue lists every plan,
-- material, session record, assessment result set and feedback set as an
-- archive record classified by period (YYYY-Qn) and category; the content
-- is read live from the source tables, corrections are new versions.
-- Access to content is by approved, time-limited request; every read is
-- logged. Times are unix ms.

CREATE TABLE archive_records (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    rtype      TEXT NOT NULL CHECK (rtype IN ('plan', 'material', 'session', 'score', 'feedback')),
    ref        TEXT NOT NULL,              -- source key: plan id, item id, session id, plan:kind
    title      TEXT NOT NULL,
    period     TEXT NOT NULL,              -- YYYY-Qn
    category   TEXT NOT NULL,
    source_at  INTEGER NOT NULL,           -- when the source happened: retention counts from here
    version    INTEGER NOT NULL DEFAULT 1, -- 1 = the source as it is; n > 1 = the (n-1)th correction
    created_at INTEGER NOT NULL,
    UNIQUE (rtype, ref)
);
CREATE INDEX archive_records_period ON archive_records(period, rtype, category);

CREATE TABLE archive_record_versions (
    record_id  INTEGER NOT NULL REFERENCES archive_records(id),
    version    INTEGER NOT NULL,
    content    TEXT NOT NULL,              -- JSON of the corrected content
    note       TEXT NOT NULL,              -- why
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (record_id, version)
);

CREATE TABLE archive_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    username     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    record_id    INTEGER NOT NULL DEFAULT 0, -- 0: scope is period + type (+ category)
    period       TEXT NOT NULL DEFAULT '',
    rtype        TEXT NOT NULL DEFAULT '',
    category     TEXT NOT NULL DEFAULT '',   -- '' = every category
    days         INTEGER NOT NULL CHECK (days > 0),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    decided_by   TEXT NOT NULL DEFAULT '',
    decided_at   INTEGER NOT NULL DEFAULT 0,
    reason       TEXT NOT NULL DEFAULT '',
    expires_at   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX archive_requests_user ON archive_requests(user_id, id);

-- The read log; kept after retention removes a record.
CREATE TABLE archive_reads (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id  INTEGER NOT NULL,
    title      TEXT NOT NULL,
    request_id INTEGER NOT NULL DEFAULT 0,   -- 0: the custodian's own read
    user_id    INTEGER NOT NULL,
    username   TEXT NOT NULL,
    read_at    INTEGER NOT NULL
);
CREATE INDEX archive_reads_at ON archive_reads(read_at);

-- +goose Down
DROP TABLE archive_reads;
DROP TABLE archive_requests;
DROP TABLE archive_record_versions;
DROP TABLE archive_records;
