package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Standard changes (issue 4 item 7): a persisted batch job with one item per
// recomputed recipient. The service previews, confirms and runs it; the
// store guarantees that an item is applied at most once (ClaimStandardItem)
// and that a change adjusts a household's history at most once (unique
// index recipient_history_one_per_change).

// Standard change statuses.
const (
	StandardPreview   = "preview"
	StandardApplying  = "applying"
	StandardApplied   = "applied"
	StandardCancelled = "cancelled"
)

// StandardChange is one standard-change job of a county.
type StandardChange struct {
	ID             int64
	County         region.Code
	Urban, Rural   money.Fen // the new standards
	EffectiveMonth string    // YYYY-MM
	PolicyFrom     string    // YYYY-MM-DD the standards were recorded in the policy registry, "" before confirm
	Status         string    // preview, applying, applied, cancelled
	Recipients     int       // recipients recomputed (= items)
	Changed        int       // paying households whose amount changes
	Increased      int
	Decreased      int
	Crossing       int       // households no longer eligible (listed for review)
	OldTotal       money.Fen // monthly amounts of the recomputed recipients before the change
	Delta          money.Fen // monthly cost change of the paying households
	CreatedBy      string
	CreatedAt      time.Time
	ConfirmedBy    string
	ConfirmedAt    time.Time
	FinishedAt     time.Time
	Applied        int // items applied so far (progress = Applied / Recipients)
}

// StandardItem is one recipient of a standard change.
type StandardItem struct {
	ChangeID    int64
	HouseholdID int64
	Region      region.Code
	OldAmount   money.Fen
	NewAmount   money.Fen
	Members     int
	Benefit     string // JSON of the recomputed benefit result
	Version     int64  // the recipient's version the preview saw
	Paying      bool   // still eligible under the new standards
	Applied     bool
	Outcome     string // once applied: increase, decrease, unchanged, crossing, skipped
	HeadName    string // for lists (not sealed; pages mask it)
}

const standardCols = `s.id, s.county, s.urban_fen, s.rural_fen, s.effective_month, s.policy_from, s.status, s.recipients,
	s.changed, s.increased, s.decreased, s.crossing, s.old_total_fen, s.delta_fen, s.created_by, s.created_at,
	s.confirmed_by, s.confirmed_at, s.finished_at,
	(SELECT COUNT(*) FROM standard_change_items i WHERE i.change_id = s.id AND i.applied = 1)`

func scanStandard(r scanner) (StandardChange, error) {
	var c StandardChange
	var county string
	var urban, rural, old, delta, created, confirmed, finished int64
	err := r.Scan(&c.ID, &county, &urban, &rural, &c.EffectiveMonth, &c.PolicyFrom, &c.Status, &c.Recipients, &c.Changed,
		&c.Increased, &c.Decreased, &c.Crossing, &old, &delta, &c.CreatedBy, &created, &c.ConfirmedBy, &confirmed, &finished,
		&c.Applied)
	c.County, c.Urban, c.Rural, c.OldTotal, c.Delta = region.Code(county), money.Fen(urban), money.Fen(rural), money.Fen(old), money.Fen(delta)
	c.CreatedAt, c.ConfirmedAt, c.FinishedAt = fromMS(created), fromMS(confirmed), fromMS(finished)
	return c, err
}

func notFoundStandard() error {
	return errs.New(errs.NotFound, "", "标准调整不存在或不在您的管辖范围内")
}

// CreateStandardChange inserts a job in status preview with its items
// (c.Recipients is set to their number).
func (tx *Tx) CreateStandardChange(ctx context.Context, c *StandardChange, items []StandardItem) error {
	c.Status, c.CreatedAt, c.Recipients = StandardPreview, tx.db.now(), len(items)
	if c.CreatedBy == "" {
		c.CreatedBy = tx.p.Username
	}
	var err error
	c.ID, err = tx.insertID(ctx, `INSERT INTO standard_changes (county, urban_fen, rural_fen, effective_month, status,
		recipients, changed, increased, decreased, crossing, old_total_fen, delta_fen, created_by, created_at)
		VALUES (?, ?, ?, ?, 'preview', ?, ?, ?, ?, ?, ?, ?, ?, ?)`, string(c.County), int64(c.Urban), int64(c.Rural),
		c.EffectiveMonth, c.Recipients, c.Changed, c.Increased, c.Decreased, c.Crossing, int64(c.OldTotal), int64(c.Delta),
		c.CreatedBy, ms(c.CreatedAt))
	if err != nil {
		return mapErr(err, "保存标准调整失败")
	}
	if tx.db.dialect != Postgres {
		// One prepared single-row INSERT stepped per item: on SQLite it
		// costs less than multi-row statements parsed anew (issue 8).
		err := tx.execEach(ctx, `INSERT INTO standard_change_items (change_id, household_id, region_code, old_amount, new_amount,
			members, benefit, version, paying) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(items), func(i int) []any {
			it := items[i]
			return []any{c.ID, it.HouseholdID, string(it.Region), int64(it.OldAmount), int64(it.NewAmount), it.Members, it.Benefit,
				it.Version, boolInt(it.Paying)}
		}, nil)
		return mapErr(err, "保存标准调整明细失败")
	}
	// Multi-row inserts: a county has tens of thousands of recipients.
	const per = 200
	for start := 0; start < len(items); start += per {
		batch := items[start:min(start+per, len(items))]
		var b strings.Builder
		b.WriteString(`INSERT INTO standard_change_items (change_id, household_id, region_code, old_amount, new_amount,
			members, benefit, version, paying) VALUES `)
		args := make([]any, 0, len(batch)*9)
		for i, it := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, c.ID, it.HouseholdID, string(it.Region), int64(it.OldAmount), int64(it.NewAmount),
				it.Members, it.Benefit, it.Version, boolInt(it.Paying))
		}
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return mapErr(err, "保存标准调整明细失败")
		}
	}
	return nil
}

// StandardChange reads a job whose county is within scope.
func (db *DB) StandardChange(ctx context.Context, scope region.Scope, id int64) (StandardChange, error) {
	c, err := scanStandard(db.queryRow(ctx, "SELECT "+standardCols+" FROM standard_changes s WHERE s.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(c.County)) {
		return StandardChange{}, notFoundStandard()
	}
	return c, mapErr(err, "读取标准调整失败")
}

// StandardChangeForUpdate reads a job within scope inside the transaction,
// locking its row on PostgreSQL.
func (tx *Tx) StandardChangeForUpdate(ctx context.Context, scope region.Scope, id int64) (StandardChange, error) {
	q := "SELECT " + standardCols + " FROM standard_changes s WHERE s.id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE OF s"
	}
	c, err := scanStandard(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(c.County)) {
		return StandardChange{}, notFoundStandard()
	}
	return c, mapErr(err, "读取标准调整失败")
}

// StandardChanges lists the jobs of counties within scope, newest first;
// status "" = any.
func (db *DB) StandardChanges(ctx context.Context, scope region.Scope, status string) ([]StandardChange, error) {
	q := "SELECT " + standardCols + " FROM standard_changes s WHERE s.county >= ? AND s.county < ?"
	args := []any{string(scope.Lo), string(scope.Hi)}
	if status != "" {
		q += " AND s.status = ?"
		args = append(args, status)
	}
	return collect(ctx, db, db.r, "读取标准调整失败", q+" ORDER BY s.id DESC", args, scanStandard)
}

// StandardItems lists a job's items by region then household id.
func (db *DB) StandardItems(ctx context.Context, changeID int64) ([]StandardItem, error) {
	return collect(ctx, db, db.r, "读取标准调整明细失败", `SELECT i.change_id, i.household_id, i.region_code, i.old_amount,
		i.new_amount, i.members, '', i.version, i.paying, i.applied, i.outcome, h.head_name
		FROM standard_change_items i JOIN households h ON h.id = i.household_id
		WHERE i.change_id = ? ORDER BY i.region_code, i.household_id`, []any{changeID}, scanStandardItem)
}

func scanStandardItem(s scanner) (StandardItem, error) {
	var it StandardItem
	var rc string
	var o, n, paying, applied int64
	err := s.Scan(&it.ChangeID, &it.HouseholdID, &rc, &o, &n, &it.Members, &it.Benefit, &it.Version, &paying, &applied,
		&it.Outcome, &it.HeadName)
	it.Region, it.OldAmount, it.NewAmount, it.Paying, it.Applied = region.Code(rc), money.Fen(o), money.Fen(n), paying == 1, applied == 1
	return it, err
}

// UnappliedStandardItems returns up to limit items not yet applied, by
// household id (every runner takes them in the same order, so concurrent
// runners wait on each other instead of deadlocking).
func (tx *Tx) UnappliedStandardItems(ctx context.Context, changeID int64, limit int) ([]StandardItem, error) {
	return collect(ctx, tx.db, tx.tx, "读取标准调整明细失败", `SELECT i.change_id, i.household_id, i.region_code, i.old_amount,
		i.new_amount, i.members, i.benefit, i.version, i.paying, i.applied, i.outcome, ''
		FROM standard_change_items i WHERE i.change_id = ? AND i.applied = 0 ORDER BY i.household_id LIMIT ?`,
		[]any{changeID, limit}, scanStandardItem)
}

// ClaimStandardItem marks an item applied if it was not yet: claimed is
// false when another runner got there first. The claim commits with the
// adjustment it guards, so an item is applied exactly once.
func (tx *Tx) ClaimStandardItem(ctx context.Context, changeID, householdID int64) (claimed bool, err error) {
	res, err := tx.exec(ctx, `UPDATE standard_change_items SET applied = 1 WHERE change_id = ? AND household_id = ? AND applied = 0`,
		changeID, householdID)
	if err != nil {
		return false, mapErr(err, "保存标准调整明细失败")
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr(err, "保存标准调整明细失败")
}

// SetStandardItemOutcome records what applying an item did, with the
// amount actually set (recomputed if the recipient changed after the
// preview).
func (tx *Tx) SetStandardItemOutcome(ctx context.Context, it StandardItem) error {
	_, err := tx.exec(ctx, `UPDATE standard_change_items SET outcome = ?, new_amount = ?, paying = ?, benefit = ?
		WHERE change_id = ? AND household_id = ?`, it.Outcome, int64(it.NewAmount), boolInt(it.Paying), it.Benefit,
		it.ChangeID, it.HouseholdID)
	return mapErr(err, "保存标准调整明细失败")
}

// StaleStandardItems counts the recipients of the county that changed since
// the job's preview: items whose recipient's version moved or that are no
// longer active and outside phase-out, plus active recipients outside
// phase-out that the preview did not see.
func (tx *Tx) StaleStandardItems(ctx context.Context, changeID int64, county region.Code) (int, error) {
	scope := region.ScopeOf(county)
	var changed, added int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM standard_change_items i JOIN recipients r ON r.household_id = i.household_id
		WHERE i.change_id = ? AND (r.version <> i.version OR r.status <> 'active' OR r.phaseout_from <> '')`, changeID).Scan(&changed)
	if err != nil {
		return 0, mapErr(err, "读取标准调整明细失败")
	}
	err = tx.queryRow(ctx, `SELECT COUNT(*) FROM recipients r WHERE r.region_code >= ? AND r.region_code < ?
		AND r.status = 'active' AND r.phaseout_from = ''
		AND NOT EXISTS (SELECT 1 FROM standard_change_items i WHERE i.change_id = ? AND i.household_id = r.household_id)`,
		string(scope.Lo), string(scope.Hi), changeID).Scan(&added)
	return changed + added, mapErr(err, "读取标准调整明细失败")
}

// ConfirmStandardChange moves a previewed job to applying. A second
// applying job of the same county fails with errs.Conflict.
func (tx *Tx) ConfirmStandardChange(ctx context.Context, c *StandardChange, policyFrom string) error {
	now := tx.db.now()
	res, err := tx.exec(ctx, `UPDATE standard_changes SET status = 'applying', confirmed_by = ?, confirmed_at = ?, policy_from = ?
		WHERE id = ? AND status = 'preview'`, tx.p.Username, ms(now), policyFrom, c.ID)
	if isUnique(err, "") {
		return errs.New(errs.Conflict, "", "本县已有一项标准调整正在执行，请待其完成后再确认")
	}
	if err != nil {
		return mapErr(err, "确认标准调整失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "status", "该标准调整已被确认或取消，请刷新")
	}
	c.Status, c.ConfirmedBy, c.ConfirmedAt, c.PolicyFrom = StandardApplying, tx.p.Username, now, policyFrom
	return nil
}

// FinishStandardChange moves an applying job whose items are all applied
// to applied and stores the final counts; done is false if another runner
// already finished it.
func (tx *Tx) FinishStandardChange(ctx context.Context, c *StandardChange) (done bool, err error) {
	// The final counts in one pass over the items (issue 8: five passes
	// cost a second at 100,000 households). Applied items never change
	// again, so counts read with none left unapplied are final.
	type tally struct {
		outcome string
		applied bool
		n       int
		delta   int64
	}
	ts, err := collect(ctx, tx.db, tx.tx, "完成标准调整失败", `SELECT outcome, applied, COUNT(*), COALESCE(SUM(new_amount - old_amount), 0)
		FROM standard_change_items WHERE change_id = ? GROUP BY outcome, applied`, []any{c.ID}, func(s scanner) (tally, error) {
		var t tally
		var applied int64
		err := s.Scan(&t.outcome, &applied, &t.n, &t.delta)
		t.applied = applied == 1
		return t, err
	})
	if err != nil {
		return false, err
	}
	var increased, decreased, crossing int
	var delta int64
	for _, t := range ts {
		if !t.applied {
			return false, nil // another runner still holds items
		}
		switch t.outcome {
		case "increase":
			increased, delta = increased+t.n, delta+t.delta
		case "decrease":
			decreased, delta = decreased+t.n, delta+t.delta
		case "crossing":
			crossing += t.n
		}
	}
	now := tx.db.now()
	res, err := tx.exec(ctx, `UPDATE standard_changes SET status = 'applied', finished_at = ?, changed = ?, increased = ?,
		decreased = ?, crossing = ?, delta_fen = ?
		WHERE id = ? AND status = 'applying'
		AND NOT EXISTS (SELECT 1 FROM standard_change_items i WHERE i.change_id = standard_changes.id AND i.applied = 0)`,
		ms(now), increased+decreased, increased, decreased, crossing, delta, c.ID)
	if err != nil {
		return false, mapErr(err, "完成标准调整失败")
	}
	n, _ := res.RowsAffected()
	if n == 1 {
		c.Status, c.FinishedAt = StandardApplied, now
		c.Changed, c.Increased, c.Decreased, c.Crossing, c.Delta = increased+decreased, increased, decreased, crossing, money.Fen(delta)
	}
	return n == 1, nil
}

// CancelStandardChange cancels a job still in preview.
func (tx *Tx) CancelStandardChange(ctx context.Context, c *StandardChange) error {
	res, err := tx.exec(ctx, `UPDATE standard_changes SET status = 'cancelled', finished_at = ? WHERE id = ? AND status = 'preview'`,
		ms(tx.db.now()), c.ID)
	if err != nil {
		return mapErr(err, "取消标准调整失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "status", "只能取消尚未确认的标准调整")
	}
	c.Status = StandardCancelled
	return nil
}

// AppendChangeHistory appends h to the recipient history as part of the
// standard change changeID. A second entry of the same change for the same
// household fails with errs.Conflict (unique index).
func (tx *Tx) AppendChangeHistory(ctx context.Context, h *HistoryEntry, changeID int64) error {
	h.At = tx.db.now()
	if h.Actor == "" {
		h.Actor = tx.p.Username
	}
	var err error
	h.ID, err = tx.insertID(ctx, `INSERT INTO recipient_history (household_id, at, kind, old_amount, new_amount, effective_month,
		reason, case_id, task_id, actor, change_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, h.HouseholdID, ms(h.At), h.Kind,
		int64(h.OldAmount), int64(h.NewAmount), h.EffectiveMonth, h.Reason, nullID(h.CaseID), nullID(h.TaskID), h.Actor, changeID)
	if isUnique(err, "") {
		return errs.New(errs.Conflict, "", "户 "+itoa(h.HouseholdID)+" 已按本次标准调整调整过")
	}
	return mapErr(err, "保存变更记录失败")
}
