-- +goose Up
-- Change reports from the village (issue 4): a recipient household's change
-- reported by the village clerk, verified by the township and forwarded to a
-- review or closed (workflow.ChangeReport), with its history; spot-check
-- results per sampled household; review tasks of kind 'change_report'.

CREATE TABLE change_reports (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES households(id),
    region_code  TEXT NOT NULL REFERENCES regions(code),
    kind         TEXT NOT NULL CHECK (kind IN ('income_up', 'member_added', 'member_died', 'member_moved', 'other')),
    detail       TEXT NOT NULL,
    changed_on   TEXT NOT NULL,
    state        TEXT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    finding      TEXT NOT NULL DEFAULT '' CHECK (finding IN ('', 'confirmed', 'not_confirmed')),
    task_id      BIGINT,
    closed       INTEGER NOT NULL DEFAULT 0,
    reported_by  TEXT NOT NULL,
    reported_at  BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX change_reports_region ON change_reports(region_code, closed, id);
CREATE INDEX change_reports_household ON change_reports(household_id);

-- Everything that happened to a report, never updated or deleted.
CREATE TABLE change_report_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id   BIGINT NOT NULL REFERENCES change_reports(id),
    seq         INTEGER NOT NULL,
    transition  TEXT NOT NULL,
    from_state  TEXT NOT NULL DEFAULT '',
    to_state    TEXT NOT NULL,
    actor_id    BIGINT REFERENCES users(id),
    actor       TEXT NOT NULL,
    actor_name  TEXT NOT NULL DEFAULT '',
    at          BIGINT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}',
    UNIQUE (report_id, seq)
);

-- The sample of a spot check as drawn (with why each household was chosen)
-- and the county's result per household.
CREATE TABLE spot_check_results (
    spot_check_id BIGINT NOT NULL REFERENCES spot_checks(id),
    household_id  BIGINT NOT NULL REFERENCES households(id),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    reason        TEXT NOT NULL,
    finding       TEXT NOT NULL DEFAULT '' CHECK (finding IN ('', 'confirmed', 'not_confirmed', 'unverifiable')),
    note          TEXT NOT NULL DEFAULT '',
    recorded_by   TEXT NOT NULL DEFAULT '',
    recorded_at   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (spot_check_id, household_id)
);

ALTER TABLE review_tasks DROP CONSTRAINT IF EXISTS review_tasks_kind_check;
ALTER TABLE review_tasks ADD CONSTRAINT review_tasks_kind_check CHECK (kind IN ('periodic', 'spot_check', 'change_report'));

-- +goose Down
DELETE FROM review_tasks WHERE kind = 'change_report';
ALTER TABLE review_tasks DROP CONSTRAINT IF EXISTS review_tasks_kind_check;
ALTER TABLE review_tasks ADD CONSTRAINT review_tasks_kind_check CHECK (kind IN ('periodic', 'spot_check'));
DROP TABLE spot_check_results;
DROP TABLE change_report_events;
DROP TABLE change_reports;
