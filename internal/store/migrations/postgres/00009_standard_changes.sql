-- +goose Up
-- Standard changes (issue 4 item 7): a new urban/rural standard for a
-- county is previewed as a persisted job with one item per recomputed
-- recipient, confirmed by the county approver, then applied in chunks, each
-- item claimed once (applied 0 → 1), so a crashed or doubled run never
-- adjusts a household twice. Months are 'YYYY-MM', times unix ms.

CREATE TABLE standard_changes (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county          TEXT NOT NULL REFERENCES regions(code),
    urban_fen       BIGINT NOT NULL CHECK (urban_fen > 0),
    rural_fen       BIGINT NOT NULL CHECK (rural_fen > 0),
    effective_month TEXT NOT NULL,
    policy_from     TEXT NOT NULL DEFAULT '',   -- date the standards were recorded in the policy registry
    status          TEXT NOT NULL CHECK (status IN ('preview', 'applying', 'applied', 'cancelled')),
    recipients      BIGINT NOT NULL DEFAULT 0,      -- recipients recomputed
    changed         BIGINT NOT NULL DEFAULT 0,      -- paying households whose amount changes
    increased       BIGINT NOT NULL DEFAULT 0,
    decreased       BIGINT NOT NULL DEFAULT 0,
    crossing        BIGINT NOT NULL DEFAULT 0,      -- no longer eligible: listed for review, not stopped
    old_total_fen   BIGINT NOT NULL DEFAULT 0,      -- monthly amounts of the recomputed recipients before
    delta_fen       BIGINT NOT NULL DEFAULT 0,      -- monthly cost change of the paying households
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    confirmed_by    TEXT NOT NULL DEFAULT '',
    confirmed_at    BIGINT NOT NULL DEFAULT 0,
    finished_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX standard_changes_county ON standard_changes(county, id);
-- At most one change being applied per county.
CREATE UNIQUE INDEX standard_changes_one_applying ON standard_changes(county) WHERE status = 'applying';

CREATE TABLE standard_change_items (
    change_id    BIGINT NOT NULL REFERENCES standard_changes(id),
    household_id BIGINT NOT NULL REFERENCES households(id),
    region_code  TEXT NOT NULL,
    old_amount   BIGINT NOT NULL,
    new_amount   BIGINT NOT NULL,
    members      BIGINT NOT NULL DEFAULT 0,
    benefit      TEXT NOT NULL DEFAULT '',    -- JSON of the recomputed benefit result
    version      BIGINT NOT NULL,                 -- the recipient's version the preview saw
    paying       BIGINT NOT NULL,                 -- 1 = still eligible under the new standards
    applied      BIGINT NOT NULL DEFAULT 0,
    outcome      TEXT NOT NULL DEFAULT '',    -- once applied: increase, decrease, unchanged, crossing, skipped
    UNIQUE (change_id, household_id)
);
CREATE INDEX standard_change_items_todo ON standard_change_items(change_id, applied, household_id);

ALTER TABLE recipient_history ADD COLUMN change_id BIGINT REFERENCES standard_changes(id);
-- A change adjusts a household at most once, whatever the runners do.
CREATE UNIQUE INDEX recipient_history_one_per_change ON recipient_history(change_id, household_id) WHERE change_id IS NOT NULL;

-- +goose Down
DROP INDEX recipient_history_one_per_change;
ALTER TABLE recipient_history DROP COLUMN change_id;
DROP TABLE standard_change_items;
DROP TABLE standard_changes;
