-- +goose Up
-- The register list pages by status, region and household (LIMIT/OFFSET in
-- that order), and the dashboard sums roster rows of a region's scope.
CREATE INDEX recipients_status_region ON recipients(status, region_code, household_id);
CREATE INDEX roster_rows_region ON roster_rows(region_code, roster_id);

-- +goose Down
DROP INDEX roster_rows_region;
DROP INDEX recipients_status_region;
