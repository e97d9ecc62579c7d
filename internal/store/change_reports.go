package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"dibao/internal/errs"
	"dibao/internal/region"
)

// Change reports from the village (workflow.ChangeReport) with their
// history, and the per-household sample and results of county spot checks.
// Every read takes the region scope explicitly; the services check who may
// act.

// ChangeReport is a change of a recipient household reported by its village.
type ChangeReport struct {
	ID          int64
	HouseholdID int64
	Region      region.Code // the household's village
	Kind        string      // income_up, member_added, member_died, member_moved, other
	Detail      string
	ChangedOn   string // YYYY-MM-DD the change happened
	State       string // a workflow.ChangeReport state
	Version     int64
	Finding     string // "", confirmed, not_confirmed: the latest verification
	TaskID      int64  // the review task it was forwarded to, 0 = none
	Closed      bool
	ReportedBy  string // username
	ReportedAt  time.Time
	UpdatedAt   time.Time
	HeadName    string // the household's head, from the household (clear text: mask before showing)
}

// ChangeReportFilter narrows the report list.
type ChangeReportFilter struct {
	State       string // "" = any, "open" = not closed, or a state id
	Kind        string // "" = any
	HouseholdID int64  // 0 = any
	Limit       int    // 0 = 500
}

const reportCols = `r.id, r.household_id, r.region_code, r.kind, r.detail, r.changed_on, r.state, r.version, r.finding,
	COALESCE(r.task_id, 0), r.closed, r.reported_by, r.reported_at, r.updated_at, h.head_name`

const reportFrom = ` FROM change_reports r JOIN households h ON h.id = r.household_id`

func scanReport(s scanner) (ChangeReport, error) {
	var c ChangeReport
	var rc string
	var closed, rep, upd int64
	err := s.Scan(&c.ID, &c.HouseholdID, &rc, &c.Kind, &c.Detail, &c.ChangedOn, &c.State, &c.Version, &c.Finding,
		&c.TaskID, &closed, &c.ReportedBy, &rep, &upd, &c.HeadName)
	c.Region, c.Closed, c.ReportedAt, c.UpdatedAt = region.Code(rc), closed == 1, fromMS(rep), fromMS(upd)
	return c, err
}

func notFoundReport() error {
	return errs.New(errs.NotFound, "", "变化情况报告不存在或不在您的管辖范围内")
}

// CreateChangeReport inserts a report in its initial state with version 1.
func (tx *Tx) CreateChangeReport(ctx context.Context, c *ChangeReport) error {
	now := tx.db.now()
	c.Version, c.ReportedAt, c.UpdatedAt = 1, now, now
	if c.ReportedBy == "" {
		c.ReportedBy = tx.p.Username
	}
	var err error
	c.ID, err = tx.insertID(ctx, `INSERT INTO change_reports (household_id, region_code, kind, detail, changed_on, state, version,
		finding, closed, reported_by, reported_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, '', 0, ?, ?, ?)`,
		c.HouseholdID, string(c.Region), c.Kind, c.Detail, c.ChangedOn, c.State, c.ReportedBy, ms(now), ms(now))
	return mapErr(err, "保存变化情况报告失败")
}

// ChangeReportForUpdate reads a report within scope inside the transaction,
// locking its row on PostgreSQL.
func (tx *Tx) ChangeReportForUpdate(ctx context.Context, scope region.Scope, id int64) (ChangeReport, error) {
	q := "SELECT " + reportCols + reportFrom + " WHERE r.id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE OF r"
	}
	c, err := scanReport(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(c.Region)) {
		return ChangeReport{}, notFoundReport()
	}
	return c, mapErr(err, "读取变化情况报告失败")
}

// ChangeReport reads a report within scope.
func (db *DB) ChangeReport(ctx context.Context, scope region.Scope, id int64) (ChangeReport, error) {
	c, err := scanReport(db.queryRow(ctx, "SELECT "+reportCols+reportFrom+" WHERE r.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(c.Region)) {
		return ChangeReport{}, notFoundReport()
	}
	return c, mapErr(err, "读取变化情况报告失败")
}

// SaveChangeReport writes the report's state, finding, task and closed flag
// if its version is still readVersion (optimistic concurrency), bumping it.
func (tx *Tx) SaveChangeReport(ctx context.Context, c *ChangeReport, readVersion int64) error {
	now := tx.db.now()
	res, err := tx.exec(ctx, `UPDATE change_reports SET state = ?, finding = ?, task_id = ?, closed = ?, version = version + 1,
		updated_at = ? WHERE id = ? AND version = ?`, c.State, c.Finding, nullID(c.TaskID), boolInt(c.Closed), ms(now), c.ID,
		readVersion)
	if err != nil {
		return mapErr(err, "保存变化情况报告失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "version", "该报告已被他人处理，请刷新页面查看最新状态后再操作")
	}
	c.Version, c.UpdatedAt = readVersion+1, now
	return nil
}

// ChangeReports lists reports within scope, open ones first, newest first.
func (db *DB) ChangeReports(ctx context.Context, scope region.Scope, f ChangeReportFilter) ([]ChangeReport, error) {
	where := " WHERE r.region_code >= ? AND r.region_code < ?"
	args := []any{string(scope.Lo), string(scope.Hi)}
	switch f.State {
	case "":
	case "open":
		where += " AND r.closed = 0"
	default:
		where += " AND r.state = ?"
		args = append(args, f.State)
	}
	if f.Kind != "" {
		where += " AND r.kind = ?"
		args = append(args, f.Kind)
	}
	if f.HouseholdID != 0 {
		where += " AND r.household_id = ?"
		args = append(args, f.HouseholdID)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 500
	}
	return collect(ctx, db, db.r, "读取变化情况报告失败", "SELECT "+reportCols+reportFrom+where+
		" ORDER BY r.closed, r.id DESC LIMIT ?", append(args, f.Limit), scanReport)
}

// ReportEvent is one entry of a change report's history.
type ReportEvent struct {
	ID         int64
	ReportID   int64
	Seq        int
	Transition string // "report" for the creation, else a workflow transition
	From, To   string
	ActorID    int64
	Actor      string
	ActorName  string
	At         time.Time
	Reason     string
	Data       string // JSON of the recorded fields
}

// AppendReportEvent adds the next history entry of a report, as the
// transaction's principal.
func (tx *Tx) AppendReportEvent(ctx context.Context, e *ReportEvent) error {
	var n int
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM change_report_events WHERE report_id = ?", e.ReportID).Scan(&n); err != nil {
		return mapErr(err, "保存办理记录失败")
	}
	e.Seq, e.At = n+1, tx.db.now()
	e.ActorID, e.Actor, e.ActorName = tx.p.UserID, tx.p.Username, tx.p.DisplayName
	if e.Data == "" {
		e.Data = "{}"
	}
	var err error
	e.ID, err = tx.insertID(ctx, `INSERT INTO change_report_events (report_id, seq, transition, from_state, to_state, actor_id,
		actor, actor_name, at, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ReportID, e.Seq, e.Transition, e.From,
		e.To, nullID(e.ActorID), e.Actor, e.ActorName, ms(e.At), e.Reason, e.Data)
	return mapErr(err, "保存办理记录失败")
}

// ReportEvents returns a report's history in order.
func (db *DB) ReportEvents(ctx context.Context, reportID int64) ([]ReportEvent, error) {
	return collect(ctx, db, db.r, "读取办理记录失败", `SELECT id, report_id, seq, transition, from_state, to_state,
		COALESCE(actor_id, 0), actor, actor_name, at, reason, data FROM change_report_events WHERE report_id = ? ORDER BY seq`,
		[]any{reportID}, func(r scanner) (ReportEvent, error) {
			var e ReportEvent
			var at int64
			err := r.Scan(&e.ID, &e.ReportID, &e.Seq, &e.Transition, &e.From, &e.To, &e.ActorID, &e.Actor, &e.ActorName,
				&at, &e.Reason, &e.Data)
			e.At = fromMS(at)
			return e, err
		})
}

// HouseholdRelativeStaff returns the staff accounts registered as close
// relatives of a household (近亲属备案) on any of its cases, declared at
// intake or matched against the staff register.
func (tx *Tx) HouseholdRelativeStaff(ctx context.Context, householdID int64) ([]int64, error) {
	return collect(ctx, tx.db, tx.tx, "核查近亲属失败", `SELECT DISTINCT x.user_id FROM case_relatives x
		JOIN cases c ON c.id = x.case_id WHERE c.household_id = ? AND x.user_id IS NOT NULL ORDER BY x.user_id`,
		[]any{householdID}, func(r scanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
}

// OpenReviewTaskID returns the id of the household's undecided review task
// of kind, 0 if there is none.
func (tx *Tx) OpenReviewTaskID(ctx context.Context, householdID int64, kind string) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, "SELECT id FROM review_tasks WHERE household_id = ? AND kind = ? AND status <> 'decided'",
		householdID, kind).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, mapErr(err, "读取复核任务失败")
}

// SpotCheckSample is one household of a spot check's sample with its result.
type SpotCheckSample struct {
	SpotCheckID int64
	HouseholdID int64
	Region      region.Code
	Reason      string // why chosen: 随机抽取, 近亲属备案, 有投诉举报 (joined by "、")
	Finding     string // "", confirmed, not_confirmed, unverifiable
	Note        string
	RecordedBy  string
	RecordedAt  time.Time
	HeadName    string // clear text: mask before showing
}

// AddSpotCheckSample records one household of a spot check's sample.
func (tx *Tx) AddSpotCheckSample(ctx context.Context, s SpotCheckSample) error {
	_, err := tx.exec(ctx, `INSERT INTO spot_check_results (spot_check_id, household_id, region_code, reason) VALUES (?, ?, ?, ?)`,
		s.SpotCheckID, s.HouseholdID, string(s.Region), s.Reason)
	if isUnique(err, "") {
		return errs.New(errs.Conflict, "household_id", "该户已在本次抽查样本中")
	}
	return mapErr(err, "保存抽查样本失败")
}

const sampleCols = `x.spot_check_id, x.household_id, x.region_code, x.reason, x.finding, x.note, x.recorded_by, x.recorded_at,
	h.head_name`

func scanSample(r scanner) (SpotCheckSample, error) {
	var s SpotCheckSample
	var rc string
	var at int64
	err := r.Scan(&s.SpotCheckID, &s.HouseholdID, &rc, &s.Reason, &s.Finding, &s.Note, &s.RecordedBy, &at, &s.HeadName)
	s.Region, s.RecordedAt = region.Code(rc), fromMS(at)
	return s, err
}

// SpotCheckSamples returns a spot check's sample within scope, by region
// then household id.
func (db *DB) SpotCheckSamples(ctx context.Context, scope region.Scope, spotCheckID int64) ([]SpotCheckSample, error) {
	return collect(ctx, db, db.r, "读取抽查样本失败", "SELECT "+sampleCols+` FROM spot_check_results x
		JOIN households h ON h.id = x.household_id
		WHERE x.spot_check_id = ? AND x.region_code >= ? AND x.region_code < ? ORDER BY x.region_code, x.household_id`,
		[]any{spotCheckID, string(scope.Lo), string(scope.Hi)}, scanSample)
}

// SpotCheckSampleForUpdate reads one sampled household within scope inside
// the transaction, locking it on PostgreSQL.
func (tx *Tx) SpotCheckSampleForUpdate(ctx context.Context, scope region.Scope, spotCheckID, householdID int64) (SpotCheckSample, error) {
	q := "SELECT " + sampleCols + ` FROM spot_check_results x JOIN households h ON h.id = x.household_id
		WHERE x.spot_check_id = ? AND x.household_id = ?`
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE OF x"
	}
	s, err := scanSample(tx.queryRow(ctx, q, spotCheckID, householdID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(s.Region)) {
		return SpotCheckSample{}, errs.New(errs.NotFound, "household_id", "该户不在本次抽查样本中或不在您的管辖范围内")
	}
	return s, mapErr(err, "读取抽查样本失败")
}

// SetSpotCheckResult records the result of one sampled household as the
// transaction's principal.
func (tx *Tx) SetSpotCheckResult(ctx context.Context, s *SpotCheckSample) error {
	s.RecordedBy, s.RecordedAt = tx.p.Username, tx.db.now()
	_, err := tx.exec(ctx, `UPDATE spot_check_results SET finding = ?, note = ?, recorded_by = ?, recorded_at = ?
		WHERE spot_check_id = ? AND household_id = ?`, s.Finding, s.Note, s.RecordedBy, ms(s.RecordedAt), s.SpotCheckID,
		s.HouseholdID)
	return mapErr(err, "保存抽查结果失败")
}

// SpotCheckProgress counts a spot check's sample and recorded results.
type SpotCheckProgress struct {
	Sampled      int
	Recorded     int
	Confirmed    int
	NotConfirmed int
	Unverifiable int
}

// SpotCheckProgressOf returns the progress of every spot check of a county
// by spot check id.
func (db *DB) SpotCheckProgressOf(ctx context.Context, county region.Code) (map[int64]SpotCheckProgress, error) {
	type row struct {
		id      int64
		finding string
		n       int
	}
	rows, err := collect(ctx, db, db.r, "读取抽查结果失败", `SELECT x.spot_check_id, x.finding, COUNT(*) FROM spot_check_results x
		JOIN spot_checks s ON s.id = x.spot_check_id WHERE s.region_code = ? GROUP BY x.spot_check_id, x.finding`,
		[]any{string(county)}, func(r scanner) (row, error) {
			var x row
			return x, r.Scan(&x.id, &x.finding, &x.n)
		})
	out := map[int64]SpotCheckProgress{}
	for _, x := range rows {
		p := out[x.id]
		p.Sampled += x.n
		switch x.finding {
		case "confirmed":
			p.Confirmed += x.n
		case "not_confirmed":
			p.NotConfirmed += x.n
		case "unverifiable":
			p.Unverifiable += x.n
		}
		if x.finding != "" {
			p.Recorded += x.n
		}
		out[x.id] = p
	}
	return out, err
}

// SpotCheckByID reads one spot-check draw whose county is within scope.
func (db *DB) SpotCheckByID(ctx context.Context, scope region.Scope, id int64) (SpotCheck, error) {
	var s SpotCheck
	var rc, seed string
	var at int64
	err := db.queryRow(ctx, `SELECT id, region_code, month, seed, rate, chosen, created_by, created_at FROM spot_checks
		WHERE id = ?`, id).Scan(&s.ID, &rc, &s.Month, &seed, &s.Rate, &s.Chosen, &s.CreatedBy, &at)
	s.Region, s.CreatedAt = region.Code(rc), fromMS(at)
	s.Seed, _ = strconv.ParseUint(seed, 10, 64)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(s.Region)) {
		return SpotCheck{}, errs.New(errs.NotFound, "", "抽查记录不存在或不在您的管辖范围内")
	}
	return s, mapErr(err, "读取抽查记录失败")
}
