package store

import (
	"context"
	"database/sql"
	"dibao/internal/region"
	"errors"
	"time"

	"dibao/internal/errs"
)

// LearningItem is an uploaded document or video of the online learning
// platform (issue 5 item 5). Data is loaded only by LearningContent.
type LearningItem struct {
	ID          int64
	Title       string
	Category    string // enroll.Category
	Kind        string // LearningDocument or LearningVideo
	ContentType string
	Size        int64
	Checksum    string // hex SM3 of Data
	Data        []byte
	Duration    int   // seconds; videos only
	Minutes     int   // credited on completion
	PlanID      int64 // 0: no plan, nothing to credit
	CreatedBy   int64
	CreatedAt   time.Time
}

// Learning item kinds.
const (
	LearningDocument = "document"
	LearningVideo    = "video"
)

const learningCols = `id, title, category, kind, content_type, size, checksum, duration_seconds, minutes, plan_id,
	created_by, created_at`

func scanLearningItem(s scanner) (LearningItem, error) {
	var it LearningItem
	var plan, by sql.NullInt64
	var created int64
	err := s.Scan(&it.ID, &it.Title, &it.Category, &it.Kind, &it.ContentType, &it.Size, &it.Checksum, &it.Duration,
		&it.Minutes, &plan, &by, &created)
	it.PlanID, it.CreatedBy, it.CreatedAt = plan.Int64, by.Int64, fromMS(created)
	return it, err
}

func notFoundLearning() error { return errs.New(errs.NotFound, "", "学习资料不存在") }

// CreateLearningItem stores a new item with its content and sets it.ID.
func (tx *Tx) CreateLearningItem(ctx context.Context, it *LearningItem) error {
	now := tx.db.now()
	var err error
	it.ID, err = tx.insertID(ctx, `INSERT INTO learning_items (title, category, kind, content_type, size, checksum, data,
		duration_seconds, minutes, plan_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		it.Title, it.Category, it.Kind, it.ContentType, it.Size, it.Checksum, it.Data, it.Duration, it.Minutes,
		nullID(it.PlanID), nullID(it.CreatedBy), ms(now))
	it.CreatedAt = now
	return mapErr(err, "保存学习资料失败")
}

// learningVisibility is the SQL condition of the learning items a caller at
// r may use: a plan's items as the plan is visible (PlanVisibility); an
// item of no plan is its uploader's county's (or everyone's, when the
// system put it there). Another county's material is not there.
func learningVisibility(r region.Code) (string, []any) {
	cond, args := PlanVisibility("region_code", r)
	c := region.ScopeOf(r.County())
	return "((plan_id IS NOT NULL AND plan_id IN (SELECT id FROM training_plans WHERE " + cond + ")) OR " +
			"(plan_id IS NULL AND (created_by IS NULL OR created_by IN (SELECT id FROM users WHERE region_code >= ? AND region_code < ?))))",
		append(args, string(c.Lo), string(c.Hi))
}

// LearningItemsFor lists the items a caller at r may use (learningVisibility).
func (db *DB) LearningItemsFor(ctx context.Context, r region.Code, category string) ([]LearningItem, error) {
	cond, args := learningVisibility(r)
	q := "SELECT " + learningCols + " FROM learning_items WHERE " + cond
	if category != "" {
		q += " AND category = ?"
		args = append(args, category)
	}
	return collect(ctx, db, db.r, "读取学习资料失败", q+" ORDER BY category, id DESC", args, scanLearningItem)
}

// LearningItemFor reads one item a caller at r may use; any other is not found.
func (db *DB) LearningItemFor(ctx context.Context, r region.Code, id int64) (LearningItem, error) {
	cond, args := learningVisibility(r)
	it, err := scanLearningItem(db.queryRow(ctx, "SELECT "+learningCols+" FROM learning_items WHERE id = ? AND "+cond, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return it, notFoundLearning()
	}
	return it, mapErr(err, "读取学习资料失败")
}

// LearningItems lists the items, without content, newest first; category
// "" lists every category.
func (db *DB) LearningItems(ctx context.Context, category string) ([]LearningItem, error) {
	q := "SELECT " + learningCols + " FROM learning_items"
	var args []any
	if category != "" {
		q += " WHERE category = ?"
		args = append(args, category)
	}
	return collect(ctx, db, db.r, "读取学习资料失败", q+" ORDER BY category, id DESC", args, scanLearningItem)
}

// LearningItem reads one item without its content.
func (db *DB) LearningItem(ctx context.Context, id int64) (LearningItem, error) {
	it, err := scanLearningItem(db.queryRow(ctx, "SELECT "+learningCols+" FROM learning_items WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return it, notFoundLearning()
	}
	return it, mapErr(err, "读取学习资料失败")
}

// LearningContent reads one item with its content.
func (db *DB) LearningContent(ctx context.Context, id int64) (LearningItem, error) {
	var it LearningItem
	var plan, by sql.NullInt64
	var created int64
	err := db.queryRow(ctx, "SELECT "+learningCols+", data FROM learning_items WHERE id = ?", id).Scan(
		&it.ID, &it.Title, &it.Category, &it.Kind, &it.ContentType, &it.Size, &it.Checksum, &it.Duration,
		&it.Minutes, &plan, &by, &created, &it.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return it, notFoundLearning()
	}
	it.PlanID, it.CreatedBy, it.CreatedAt = plan.Int64, by.Int64, fromMS(created)
	return it, mapErr(err, "读取学习资料失败")
}

// LearningProgress is one person's progress through one item.
type LearningProgress struct {
	ItemID      int64
	PersonID    int64
	Intervals   string // progress.Intervals.Encode
	Position    int    // last reported position, seconds
	LastAt      time.Time
	CompletedAt time.Time // zero until complete
	Credited    bool      // the completion was recorded (and minutes credited, if any)
}

// LearningPlayback is the server's state of one playback (one player in one
// tab), as progress.Playback keeps it.
type LearningPlayback struct {
	Position int
	Seq      int64
	LastAt   time.Time
	Started  bool // a report was applied before
}

// PersonLearning lists the progress rows of one person, for the catalogue.
func (db *DB) PersonLearning(ctx context.Context, personID int64) ([]LearningProgress, error) {
	return collect(ctx, db, db.r, "读取学习进度失败", `SELECT item_id, person_id, intervals, position, last_at,
		completed_at, credited FROM learning_progress WHERE person_id = ? ORDER BY item_id`, []any{personID}, scanProgress)
}

// LearningProgressOf reads the progress of one person in one item; the zero
// row (with the ids set) if there is none yet.
func (db *DB) LearningProgressOf(ctx context.Context, itemID, personID int64) (LearningProgress, error) {
	pr, err := scanProgress(db.queryRow(ctx, `SELECT item_id, person_id, intervals, position, last_at, completed_at,
		credited FROM learning_progress WHERE item_id = ? AND person_id = ?`, itemID, personID))
	if errors.Is(err, sql.ErrNoRows) {
		return LearningProgress{ItemID: itemID, PersonID: personID}, nil
	}
	return pr, mapErr(err, "读取学习进度失败")
}

func scanProgress(s scanner) (LearningProgress, error) {
	var pr LearningProgress
	var last, done int64
	var credited int64
	err := s.Scan(&pr.ItemID, &pr.PersonID, &pr.Intervals, &pr.Position, &last, &done, &credited)
	pr.LastAt, pr.CompletedAt, pr.Credited = fromMS(last), fromMS(done), credited != 0
	return pr, err
}

// UpdateLearningProgress applies one player report: in one transaction it
// locks the person's progress row and the playback's row (creating them
// empty), lets fn change both, and writes them back. It is telemetry, like
// a session's last-seen time, so it writes no audit record: the business
// event, completion and credit, goes through CompleteLearning in an
// audited transaction.
func (db *DB) UpdateLearningProgress(ctx context.Context, itemID, personID int64, playback string,
	fn func(pr *LearningProgress, pb *LearningPlayback) error) (LearningProgress, error) {
	var pr LearningProgress
	sqlTx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return pr, errs.Wrap(err, "数据库暂时不可用，请稍后再试")
	}
	defer func() { _ = sqlTx.Rollback() }()
	exec := func(q string, args ...any) error {
		_, err := sqlTx.ExecContext(ctx, db.rebind(q), args...)
		return err
	}
	lock := ""
	if db.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	if err := exec(`INSERT INTO learning_progress (item_id, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		itemID, personID); err != nil {
		return pr, mapErr(err, "保存学习进度失败")
	}
	if err := exec(`INSERT INTO learning_playbacks (item_id, person_id, playback) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		itemID, personID, playback); err != nil {
		return pr, mapErr(err, "保存学习进度失败")
	}
	pr, err = scanProgress(sqlTx.QueryRowContext(ctx, db.rebind(`SELECT item_id, person_id, intervals, position, last_at,
		completed_at, credited FROM learning_progress WHERE item_id = ? AND person_id = ?`+lock), itemID, personID))
	if err != nil {
		return pr, mapErr(err, "读取学习进度失败")
	}
	var pb LearningPlayback
	var last int64
	if err := sqlTx.QueryRowContext(ctx, db.rebind(`SELECT position, seq, last_at FROM learning_playbacks
		WHERE item_id = ? AND person_id = ? AND playback = ?`+lock), itemID, personID, playback).Scan(
		&pb.Position, &pb.Seq, &last); err != nil {
		return pr, mapErr(err, "读取学习进度失败")
	}
	pb.Started, pb.LastAt = last != 0, fromMS(last)
	if err := fn(&pr, &pb); err != nil {
		return pr, err
	}
	if err := exec(`UPDATE learning_progress SET intervals = ?, position = ?, last_at = ? WHERE item_id = ? AND person_id = ?`,
		pr.Intervals, pr.Position, ms(pr.LastAt), itemID, personID); err != nil {
		return pr, mapErr(err, "保存学习进度失败")
	}
	if err := exec(`UPDATE learning_playbacks SET position = ?, seq = ?, last_at = ? WHERE item_id = ? AND person_id = ? AND playback = ?`,
		pb.Position, pb.Seq, ms(pb.LastAt), itemID, personID, playback); err != nil {
		return pr, mapErr(err, "保存学习进度失败")
	}
	if err := sqlTx.Commit(); err != nil {
		return pr, mapErr(err, "保存学习进度失败")
	}
	return pr, nil
}

// CompleteLearning marks the person's progress in the item complete and
// credited, creating the row if needed (a document has no heartbeats). It
// reports false when it was already credited, so that the caller credits
// minutes exactly once even when two reports race.
func (tx *Tx) CompleteLearning(ctx context.Context, itemID, personID int64) (bool, error) {
	now := ms(tx.db.now())
	if _, err := tx.exec(ctx, `INSERT INTO learning_progress (item_id, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		itemID, personID); err != nil {
		return false, mapErr(err, "保存学习进度失败")
	}
	res, err := tx.exec(ctx, `UPDATE learning_progress SET credited = ?, completed_at = ?
		WHERE item_id = ? AND person_id = ? AND credited = 0`, 1, now, itemID, personID)
	if err != nil {
		return false, mapErr(err, "保存学习进度失败")
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr(err, "保存学习进度失败")
}

// LearningPlansFor lists, newest first, the plans a caller at r may
// address (PlanVisibility): the choices of the upload and exam forms.
func (db *DB) LearningPlansFor(ctx context.Context, r region.Code) ([]TrainingPlan, error) {
	cond, args := PlanVisibility("region_code", r)
	return collect(ctx, db, db.r, "读取培训计划失败", "SELECT "+planCols+" FROM training_plans WHERE "+cond+" ORDER BY id DESC", args, scanPlan)
}

// LearningPlans lists every training plan, newest first, for the plan
// choice of the upload form.
func (db *DB) LearningPlans(ctx context.Context) ([]TrainingPlan, error) {
	return collect(ctx, db, db.r, "读取培训计划失败", "SELECT "+planCols+" FROM training_plans ORDER BY id DESC", nil, scanPlan)
}
