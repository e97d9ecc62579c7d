-- +goose Up
-- Ledger (台账) imports (issue 4 item 8): each uploaded workbook is checked
-- and kept as a batch until a county user confirms or cancels it. The file
-- holds ID numbers, so it is stored sealed (field kind ledger_file); the
-- report's errors hold row, column and message only. Times are unix ms.

CREATE TABLE ledger_imports (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county       TEXT NOT NULL REFERENCES regions(code),
    filename     TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    content      TEXT NOT NULL,                 -- the workbook, sealed
    uploaded_by  TEXT NOT NULL,
    uploaded_at  BIGINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('checked', 'imported', 'cancelled')),
    row_count    BIGINT NOT NULL,
    valid_count  BIGINT NOT NULL,
    errors       TEXT NOT NULL DEFAULT '[]',    -- JSON [{row, column, message}]
    imported     BIGINT NOT NULL DEFAULT 0,    -- households written on confirm
    skipped      BIGINT NOT NULL DEFAULT 0,    -- valid at check, refused at confirm
    households   TEXT NOT NULL DEFAULT '[]',    -- JSON ids of the imported households
    finished_by  TEXT NOT NULL DEFAULT '',
    finished_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX ledger_imports_county ON ledger_imports(county, id);

-- +goose Down
DROP TABLE ledger_imports;
