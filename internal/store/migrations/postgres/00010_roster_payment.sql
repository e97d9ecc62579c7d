-- +goose Up
-- Payment results of a roster (issue 4 item 6): the bank returns the payment
-- file with 处理结果/失败原因; each row is marked paid or failed. Every
-- imported result file is recorded with its SHA-256 hash, so importing the
-- same file again changes nothing.

ALTER TABLE roster_rows ADD COLUMN pay_status TEXT NOT NULL DEFAULT 'pending' CHECK (pay_status IN ('pending', 'paid', 'failed'));
ALTER TABLE roster_rows ADD COLUMN pay_note TEXT NOT NULL DEFAULT '';
ALTER TABLE roster_rows ADD COLUMN paid_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE roster_bank_imports (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    roster_id   BIGINT NOT NULL REFERENCES rosters(id),
    sha256      TEXT NOT NULL,
    file_name   TEXT NOT NULL DEFAULT '',
    rows_paid   BIGINT NOT NULL DEFAULT 0,
    rows_failed BIGINT NOT NULL DEFAULT 0,
    imported_by TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    UNIQUE (roster_id, sha256)
);

-- +goose Down
DROP TABLE roster_bank_imports;
ALTER TABLE roster_rows DROP COLUMN paid_at;
ALTER TABLE roster_rows DROP COLUMN pay_note;
ALTER TABLE roster_rows DROP COLUMN pay_status;
