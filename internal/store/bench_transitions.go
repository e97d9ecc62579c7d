package store

import (
	"context"
	"fmt"
)

// RawStep is the raw baseline of one workflow transition as issue 8 states
// it: in one transaction, one INSERT of the case event (seq known to the
// caller) and one UPDATE of the case state and version guarded by the
// version read before — no guards, facts, deadlines, documents or audit.
// It fails when the version no longer matches.
func (db *DB) RawStep(ctx context.Context, caseID, version int64, seq int, transition, from, to string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO case_events (case_id, seq, transition, from_state, to_state, actor,
		actor_name, at) VALUES (?, ?, ?, ?, ?, 'raw', 'raw', 0)`), caseID, seq, transition, from, to); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, db.rebind("UPDATE cases SET state = ?, version = version + 1, updated_at = 0 WHERE id = ? AND version = ?"),
		to, caseID, version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("raw step case %d: version %d is stale", caseID, version)
	}
	return tx.Commit()
}
