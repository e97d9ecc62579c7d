-- +goose Up
-- Issue 9, authentication: the TOTP second factor. The secret (and one
-- being enrolled) is sealed like every other sensitive field; the last
-- step used is kept so that a code cannot be replayed.
ALTER TABLE users ADD COLUMN totp_secret_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_pending_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- A login between the password and the second factor (purpose 'totp'),
-- or of an admin who must enrol first (purpose 'enrol'). It grants
-- nothing but the next step; stored by the hash of its token, short-lived.
CREATE TABLE login_challenges (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('totp', 'enrol')),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX login_challenges_user ON login_challenges(user_id);

-- +goose Down
DROP TABLE login_challenges;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_pending_enc;
ALTER TABLE users DROP COLUMN totp_secret_enc;
