-- +goose Up
-- Issue 9 (access matrix): the training archive had no region scope — a
-- custodian, trainer or leader of one county listed, requested and read the
-- records of every county. Each catalogue entry now carries the region of
-- its source (the plan's; a material's plan, else its uploader's), and the
-- store filters by the caller's scope like every other table.
ALTER TABLE archive_records ADD COLUMN region_code TEXT NOT NULL DEFAULT '';
UPDATE archive_records SET region_code = COALESCE((SELECT p.region_code FROM training_plans p
    WHERE CAST(p.id AS TEXT) = archive_records.ref), '') WHERE rtype = 'plan';
UPDATE archive_records SET region_code = COALESCE((SELECT p.region_code FROM training_plans p
    WHERE CAST(p.id AS TEXT) = substr(archive_records.ref, 1, instr(archive_records.ref, ':') - 1)), '') WHERE rtype = 'score';
UPDATE archive_records SET region_code = COALESCE((SELECT p.region_code FROM training_sessions s
    JOIN training_plans p ON p.id = s.plan_id WHERE CAST(s.id AS TEXT) = archive_records.ref), '') WHERE rtype IN ('session', 'feedback');
UPDATE archive_records SET region_code = COALESCE((SELECT COALESCE(p.region_code, u.region_code) FROM learning_items li
    LEFT JOIN training_plans p ON p.id = li.plan_id LEFT JOIN users u ON u.id = li.created_by
    WHERE CAST(li.id AS TEXT) = archive_records.ref), '') WHERE rtype = 'material';
CREATE INDEX archive_records_region ON archive_records(region_code, period);

-- +goose Down
DROP INDEX archive_records_region;
ALTER TABLE archive_records DROP COLUMN region_code;
