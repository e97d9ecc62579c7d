-- +goose Up
-- Issue 8, the api scenario at province scale:
-- the work queue reads the open cases of a scope (a handful among the
-- closed cases of every recipient);
CREATE INDEX cases_open ON cases(region_code, due_date, id) WHERE closed = 0;
-- the household list counts and pages a scope filtered urban/rural from
-- the index alone;
CREATE INDEX households_region_urban ON households(region_code, urban, id);
-- the register filtered by category counts and pages from the index alone,
-- in list order (region, household).
CREATE INDEX recipients_status_category ON recipients(status, category, region_code, household_id);

-- +goose Down
DROP INDEX recipients_status_category;
DROP INDEX households_region_urban;
DROP INDEX cases_open;
