package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Recipients over time (issue 4): the register's dynamic fields, the
// append-only history, review and spot-check tasks and the monthly payment
// rosters. Every function takes the region scope explicitly, so that batch
// commands run by the system principal (which has no region) can use them;
// the services check who may act.

// RegisterEntry is a recipient with the fields dynamic management needs.
type RegisterEntry struct {
	Recipient
	Urban          bool
	EndMonth       string // last month paid after a stop, "" = open
	PhaseOutFrom   string // first phase-out month, "" = none
	PhaseOutMonths int
	PhaseOutTaper  bool
	LastReview     string // YYYY-MM-DD of the last decided review, "" = none
	Complaints     int
	RelativeFlag   bool   // from the approving case (近亲属备案)
	Benefit        string // JSON of the benefit result in force, "" = the case's
	CaseBenefit    string // JSON of the approving case's benefit result
	Version        int64
	ReviewDue      string // earliest due date of an undecided review task, "" = none
}

// RegisterFilter narrows the register list.
type RegisterFilter struct {
	Category    string    // "" = any
	Status      string    // "" = active only, "all" = any status
	Urban       string    // "urban", "rural" or "" = both
	MinAmount   money.Fen // 0 = no lower bound
	MaxAmount   money.Fen // 0 = no upper bound
	ReviewDueBy string    // YYYY-MM-DD: only households with an undecided review task due on or before it

	// Paging and region (issue 4 register pages).
	Region region.Code // township or village; "" = the whole scope (intersected with it)
	Limit  int         // rows per page; 0 = every row
	Offset int         // rows skipped before the page
}

const registerCols = `r.household_id, r.case_id, r.region_code, r.category, r.amount_fen, r.members, r.start_month, r.status,
	h.head_name, h.urban, r.end_month, r.phaseout_from, r.phaseout_months, r.phaseout_taper, r.last_review, r.complaints,
	COALESCE(c.relative_flag, 0), r.benefit, COALESCE(c.benefit, ''), r.version,
	COALESCE((SELECT MIN(t.due) FROM review_tasks t WHERE t.household_id = r.household_id AND t.status <> 'decided'), '')`

const registerFrom = ` FROM recipients r JOIN households h ON h.id = r.household_id LEFT JOIN cases c ON c.id = r.case_id`

func scanRegister(s scanner) (RegisterEntry, error) {
	var e RegisterEntry
	var rc string
	var amt, urban, taper, rel int64
	err := s.Scan(&e.HouseholdID, &e.CaseID, &rc, &e.Category, &amt, &e.Members, &e.StartMonth, &e.Status, &e.HeadName,
		&urban, &e.EndMonth, &e.PhaseOutFrom, &e.PhaseOutMonths, &taper, &e.LastReview, &e.Complaints, &rel, &e.Benefit,
		&e.CaseBenefit, &e.Version, &e.ReviewDue)
	e.Region, e.Amount, e.Urban, e.PhaseOutTaper, e.RelativeFlag = region.Code(rc), money.Fen(amt), urban == 1, taper == 1, rel == 1
	return e, err
}

// Register lists the recipients within scope matching f, by region then
// household id.
func (db *DB) Register(ctx context.Context, scope region.Scope, f RegisterFilter) ([]RegisterEntry, error) {
	return register(ctx, db, db.r, scope, f)
}

// Register lists recipients inside the transaction.
func (tx *Tx) Register(ctx context.Context, scope region.Scope, f RegisterFilter) ([]RegisterEntry, error) {
	return register(ctx, tx.db, tx.tx, scope, f)
}

func register(ctx context.Context, db *DB, q querier, scope region.Scope, f RegisterFilter) ([]RegisterEntry, error) {
	query, args := registerQuery(scope, f)
	return collect(ctx, db, q, "读取保障对象失败", query, args, scanRegister)
}

func notFoundRecipient() error {
	return errs.New(errs.NotFound, "", "保障对象不存在或不在您的管辖范围内")
}

// RecipientForUpdate reads one recipient within scope inside the
// transaction, locking its row on PostgreSQL.
func (tx *Tx) RecipientForUpdate(ctx context.Context, scope region.Scope, householdID int64) (RegisterEntry, error) {
	q := "SELECT " + registerCols + registerFrom + " WHERE r.household_id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE OF r"
	}
	e, err := scanRegister(tx.queryRow(ctx, q, householdID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(e.Region)) {
		return RegisterEntry{}, notFoundRecipient()
	}
	return e, mapErr(err, "读取保障对象失败")
}

// UpdateRecipient writes the recipient's mutable fields if its version is
// still e.Version (optimistic concurrency) and bumps the version.
func (tx *Tx) UpdateRecipient(ctx context.Context, e *RegisterEntry) error {
	res, err := tx.exec(ctx, `UPDATE recipients SET category = ?, amount_fen = ?, members = ?, status = ?, end_month = ?,
		phaseout_from = ?, phaseout_months = ?, phaseout_taper = ?, last_review = ?, complaints = ?, benefit = ?,
		version = version + 1 WHERE household_id = ? AND version = ?`,
		e.Category, int64(e.Amount), e.Members, e.Status, e.EndMonth, e.PhaseOutFrom, e.PhaseOutMonths,
		boolInt(e.PhaseOutTaper), e.LastReview, e.Complaints, e.Benefit, e.HouseholdID, e.Version)
	if err != nil {
		return mapErr(err, "保存保障对象失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "version", "该保障对象已被他人修改，请刷新后再操作")
	}
	e.Version++
	return nil
}

// HistoryEntry is one change of a recipient; the history is append-only.
type HistoryEntry struct {
	ID             int64
	HouseholdID    int64
	At             time.Time
	Kind           string // enrolled, review, increase, decrease, category_change, phase_out, stop
	OldAmount      money.Fen
	NewAmount      money.Fen
	EffectiveMonth string // YYYY-MM
	Reason         string // Chinese
	CaseID         int64  // 0 = none
	TaskID         int64  // 0 = none
	Actor          string // username; the transaction's principal when empty
}

// AppendHistory appends h to the recipient history.
func (tx *Tx) AppendHistory(ctx context.Context, h *HistoryEntry) error {
	h.At = tx.db.now()
	if h.Actor == "" {
		h.Actor = tx.p.Username
	}
	var err error
	h.ID, err = tx.insertID(ctx, `INSERT INTO recipient_history (household_id, at, kind, old_amount, new_amount, effective_month,
		reason, case_id, task_id, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, h.HouseholdID, ms(h.At), h.Kind,
		int64(h.OldAmount), int64(h.NewAmount), h.EffectiveMonth, h.Reason, nullID(h.CaseID), nullID(h.TaskID), h.Actor)
	return mapErr(err, "保存变更记录失败")
}

const historyCols = `x.id, x.household_id, x.at, x.kind, x.old_amount, x.new_amount, x.effective_month, x.reason,
	COALESCE(x.case_id, 0), COALESCE(x.task_id, 0), x.actor`

func scanHistory(s scanner) (HistoryEntry, error) {
	var h HistoryEntry
	var at, o, n int64
	err := s.Scan(&h.ID, &h.HouseholdID, &at, &h.Kind, &o, &n, &h.EffectiveMonth, &h.Reason, &h.CaseID, &h.TaskID, &h.Actor)
	h.At, h.OldAmount, h.NewAmount = fromMS(at), money.Fen(o), money.Fen(n)
	return h, err
}

// History returns a recipient's changes in order, if its household is
// within scope.
func (db *DB) History(ctx context.Context, scope region.Scope, householdID int64) ([]HistoryEntry, error) {
	return collect(ctx, db, db.r, "读取变更记录失败", "SELECT "+historyCols+` FROM recipient_history x
		JOIN recipients r ON r.household_id = x.household_id
		WHERE x.household_id = ? AND r.region_code >= ? AND r.region_code < ? ORDER BY x.id`,
		[]any{householdID, string(scope.Lo), string(scope.Hi)}, scanHistory)
}

// HistoryIn returns the history of every recipient within scope, by
// household id, each in order.
func (tx *Tx) HistoryIn(ctx context.Context, scope region.Scope) (map[int64][]HistoryEntry, error) {
	hs, err := collect(ctx, tx.db, tx.tx, "读取变更记录失败", "SELECT "+historyCols+` FROM recipient_history x
		JOIN recipients r ON r.household_id = x.household_id
		WHERE r.region_code >= ? AND r.region_code < ? ORDER BY x.household_id, x.id`,
		[]any{string(scope.Lo), string(scope.Hi)}, scanHistory)
	out := make(map[int64][]HistoryEntry)
	for _, h := range hs {
		out[h.HouseholdID] = append(out[h.HouseholdID], h)
	}
	return out, err
}

// ReviewTask is a periodic review or spot check of a recipient household.
type ReviewTask struct {
	ID          int64
	HouseholdID int64
	Region      region.Code
	Kind        string // periodic, spot_check
	Due         string // YYYY-MM-DD
	Reason      string
	Status      string // open, proposed, decided
	Proposal    string // JSON of the proposed outcome
	ProposedBy  string
	DecidedBy   string
	DecidedAt   time.Time
	Decision    string // approved, rejected
	Seed        string // spot checks: the recorded seed
	SpotCheckID int64
	CreatedAt   time.Time
	Version     int64 // optimistic version, bumped by every change
}

const taskCols = `id, household_id, region_code, kind, due, reason, status, proposal, proposed_by, decided_by, decided_at,
	decision, seed, COALESCE(spot_check_id, 0), created_at, version`

func scanTask(s scanner) (ReviewTask, error) {
	var t ReviewTask
	var rc string
	var dec, created int64
	err := s.Scan(&t.ID, &t.HouseholdID, &rc, &t.Kind, &t.Due, &t.Reason, &t.Status, &t.Proposal, &t.ProposedBy,
		&t.DecidedBy, &dec, &t.Decision, &t.Seed, &t.SpotCheckID, &created, &t.Version)
	t.Region, t.DecidedAt, t.CreatedAt = region.Code(rc), fromMS(dec), fromMS(created)
	return t, err
}

// CreateReviewTask inserts an open task unless the household already has an
// undecided task of the same kind (the partial unique index
// review_tasks_one_open); created reports which. It never fails on that
// duplicate, so a PostgreSQL transaction stays usable.
func (tx *Tx) CreateReviewTask(ctx context.Context, t *ReviewTask) (created bool, err error) {
	t.Status, t.CreatedAt, t.Version = "open", tx.db.now(), 1
	err = tx.queryRow(ctx, `INSERT INTO review_tasks (household_id, region_code, kind, due, reason, status, seed, spot_check_id,
		created_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)
		ON CONFLICT (household_id, kind) WHERE status <> 'decided' DO NOTHING RETURNING id`,
		t.HouseholdID, string(t.Region), t.Kind, t.Due, t.Reason, t.Seed, nullID(t.SpotCheckID), ms(t.CreatedAt)).Scan(&t.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, mapErr(err, "保存复核任务失败")
}

// OpenReviewTasks maps household id → due date of its undecided task of
// kind, for households within scope.
func (tx *Tx) OpenReviewTasks(ctx context.Context, scope region.Scope, kind string) (map[int64]time.Time, error) {
	ts, err := reviewTasks(ctx, tx.db, tx.tx, scope, kind, "undecided")
	out := make(map[int64]time.Time, len(ts))
	for _, t := range ts {
		d, _ := time.Parse(time.DateOnly, t.Due)
		out[t.HouseholdID] = d
	}
	return out, err
}

// ReviewTasks lists tasks within scope; kind "" = any, status "" = any,
// "undecided" = open or proposed.
func (db *DB) ReviewTasks(ctx context.Context, scope region.Scope, kind, status string) ([]ReviewTask, error) {
	return reviewTasks(ctx, db, db.r, scope, kind, status)
}

func reviewTasks(ctx context.Context, db *DB, q querier, scope region.Scope, kind, status string) ([]ReviewTask, error) {
	where := " WHERE region_code >= ? AND region_code < ?"
	args := []any{string(scope.Lo), string(scope.Hi)}
	if kind != "" {
		where += " AND kind = ?"
		args = append(args, kind)
	}
	switch status {
	case "":
	case "undecided":
		where += " AND status <> 'decided'"
	default:
		where += " AND status = ?"
		args = append(args, status)
	}
	return collect(ctx, db, q, "读取复核任务失败", "SELECT "+taskCols+" FROM review_tasks"+where+" ORDER BY due, household_id, id",
		args, scanTask)
}

// ReviewTaskForUpdate reads a task within scope, locking it on PostgreSQL.
func (tx *Tx) ReviewTaskForUpdate(ctx context.Context, scope region.Scope, id int64) (ReviewTask, error) {
	q := "SELECT " + taskCols + " FROM review_tasks WHERE id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	t, err := scanTask(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(t.Region)) {
		return ReviewTask{}, errs.New(errs.NotFound, "", "复核任务不存在或不在您的管辖范围内")
	}
	return t, mapErr(err, "读取复核任务失败")
}

// SaveReviewTask writes the task's status, proposal and decision if its
// status is still fromStatus, so two people cannot both act on it.
func (tx *Tx) SaveReviewTask(ctx context.Context, t *ReviewTask, fromStatus string) error {
	res, err := tx.exec(ctx, `UPDATE review_tasks SET status = ?, proposal = ?, proposed_by = ?, decided_by = ?, decided_at = ?,
		decision = ?, version = version + 1 WHERE id = ? AND status = ?`, t.Status, t.Proposal, t.ProposedBy, t.DecidedBy, ms(t.DecidedAt),
		t.Decision, t.ID, fromStatus)
	if err != nil {
		return mapErr(err, "保存复核任务失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "status", "该复核任务已被他人处理，请刷新后再操作")
	}
	return nil
}

// SpotCheck is one county spot-check draw with its recorded seed.
type SpotCheck struct {
	ID        int64
	Region    region.Code // the county
	Month     string      // YYYY-MM of the draw
	Seed      uint64
	Rate      string // e.g. "30/100"
	Chosen    int
	CreatedBy string
	CreatedAt time.Time
}

// AddSpotCheck records a spot-check draw.
func (tx *Tx) AddSpotCheck(ctx context.Context, s *SpotCheck) error {
	s.CreatedAt = tx.db.now()
	if s.CreatedBy == "" {
		s.CreatedBy = tx.p.Username
	}
	var err error
	s.ID, err = tx.insertID(ctx, `INSERT INTO spot_checks (region_code, month, seed, rate, chosen, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, string(s.Region), s.Month, strconv.FormatUint(s.Seed, 10), s.Rate, s.Chosen,
		s.CreatedBy, ms(s.CreatedAt))
	return mapErr(err, "保存抽查记录失败")
}

// SpotChecks lists the draws of a county, newest first.
func (db *DB) SpotChecks(ctx context.Context, county region.Code) ([]SpotCheck, error) {
	return collect(ctx, db, db.r, "读取抽查记录失败", `SELECT id, region_code, month, seed, rate, chosen, created_by, created_at
		FROM spot_checks WHERE region_code = ? ORDER BY id DESC`, []any{string(county)}, func(r scanner) (SpotCheck, error) {
		var s SpotCheck
		var rc, seed string
		var at int64
		err := r.Scan(&s.ID, &rc, &s.Month, &seed, &s.Rate, &s.Chosen, &s.CreatedBy, &at)
		s.Region, s.CreatedAt = region.Code(rc), fromMS(at)
		s.Seed, _ = strconv.ParseUint(seed, 10, 64)
		return s, err
	})
}

// Roster is a county's payment roster for a month.
type Roster struct {
	ID         int64
	County     region.Code
	Month      string // YYYY-MM
	Status     string // draft, approved
	CreatedAt  time.Time
	BuiltAt    time.Time
	ApprovedBy string
	ApprovedAt time.Time
	Total      money.Fen
	Rows       int
}

// RosterRow is one household paid in a roster.
type RosterRow struct {
	HouseholdID int64
	Region      region.Code
	Amount      money.Fen
	Note        string
}

const rosterCols = "id, county, month, status, created_at, built_at, approved_by, approved_at, total_fen, row_count"

func scanRoster(s scanner) (Roster, error) {
	var r Roster
	var c string
	var created, built, approved, total int64
	err := s.Scan(&r.ID, &c, &r.Month, &r.Status, &created, &built, &r.ApprovedBy, &approved, &total, &r.Rows)
	r.County, r.CreatedAt, r.BuiltAt, r.ApprovedAt, r.Total = region.Code(c), fromMS(created), fromMS(built), fromMS(approved), money.Fen(total)
	return r, err
}

// RosterForMonth reads the county's roster of month inside the
// transaction, locking it on PostgreSQL; found is false if there is none.
func (tx *Tx) RosterForMonth(ctx context.Context, county region.Code, month string) (r Roster, found bool, err error) {
	q := "SELECT " + rosterCols + " FROM rosters WHERE county = ? AND month = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	r, err = scanRoster(tx.queryRow(ctx, q, string(county), month))
	if errors.Is(err, sql.ErrNoRows) {
		return Roster{}, false, nil
	}
	return r, err == nil, mapErr(err, "读取发放名册失败")
}

// RosterByID reads a roster inside the transaction, locking it on
// PostgreSQL, if its county is within scope.
func (tx *Tx) RosterByID(ctx context.Context, scope region.Scope, id int64) (Roster, error) {
	q := "SELECT " + rosterCols + " FROM rosters WHERE id = ?"
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	r, err := scanRoster(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(r.County)) {
		return Roster{}, errs.New(errs.NotFound, "", "发放名册不存在或不在您的管辖范围内")
	}
	return r, mapErr(err, "读取发放名册失败")
}

// CreateRoster inserts a draft roster; UNIQUE(county, month) makes a
// concurrent second one fail.
func (tx *Tx) CreateRoster(ctx context.Context, r *Roster) error {
	now := tx.db.now()
	r.Status, r.CreatedAt, r.BuiltAt = "draft", now, now
	var err error
	r.ID, err = tx.insertID(ctx, `INSERT INTO rosters (county, month, status, created_at, built_at) VALUES (?, ?, 'draft', ?, ?)`,
		string(r.County), r.Month, ms(now), ms(now))
	if isUnique(err, "") {
		return errs.New(errs.Conflict, "month", "该月发放名册正在由他人生成，请稍后刷新")
	}
	return mapErr(err, "保存发放名册失败")
}

// ReplaceRosterRows replaces every row of a draft roster and its totals.
// An approved roster is never touched: it fails with errs.Conflict.
func (tx *Tx) ReplaceRosterRows(ctx context.Context, r *Roster, rows []RosterRow) error {
	var total money.Fen
	for _, x := range rows {
		total += x.Amount
	}
	now := tx.db.now()
	res, err := tx.exec(ctx, `UPDATE rosters SET total_fen = ?, row_count = ?, built_at = ? WHERE id = ? AND status = 'draft'`,
		int64(total), len(rows), ms(now), r.ID)
	if err != nil {
		return mapErr(err, "保存发放名册失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "month", "该月发放名册已审批，不能重新生成")
	}
	if _, err := tx.exec(ctx, "DELETE FROM roster_rows WHERE roster_id = ?", r.ID); err != nil {
		return mapErr(err, "保存发放名册失败")
	}
	// One multi-row INSERT per chunk: a county roster has tens of thousands
	// of rows. A duplicate is named before anything is written.
	seen := make(map[int64]bool, len(rows))
	vals := make([][]any, len(rows))
	for i, x := range rows {
		if seen[x.HouseholdID] {
			return errs.New(errs.Conflict, "household_id", "户 "+itoa(x.HouseholdID)+" 在名册中重复")
		}
		seen[x.HouseholdID] = true
		vals[i] = []any{r.ID, x.HouseholdID, string(x.Region), int64(x.Amount), x.Note}
	}
	if err := tx.insertMany(ctx, "保存发放名册失败", "roster_rows (roster_id, household_id, region_code, amount_fen, note)",
		vals, "", nil); err != nil {
		return err
	}
	r.Total, r.Rows, r.BuiltAt = total, len(rows), now
	return nil
}

// ApproveRoster locks a draft roster as approved.
func (tx *Tx) ApproveRoster(ctx context.Context, r *Roster) error {
	now := tx.db.now()
	res, err := tx.exec(ctx, "UPDATE rosters SET status = 'approved', approved_by = ?, approved_at = ? WHERE id = ? AND status = 'draft'",
		tx.p.Username, ms(now), r.ID)
	if err != nil {
		return mapErr(err, "审批发放名册失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "status", "该发放名册已审批")
	}
	r.Status, r.ApprovedBy, r.ApprovedAt = "approved", tx.p.Username, now
	return nil
}

// RosterRows returns a roster's rows by region then household id.
func (tx *Tx) RosterRows(ctx context.Context, rosterID int64) ([]RosterRow, error) {
	return collect(ctx, tx.db, tx.tx, "读取发放名册失败", `SELECT household_id, region_code, amount_fen, note FROM roster_rows
		WHERE roster_id = ? ORDER BY region_code, household_id`, []any{rosterID}, func(s scanner) (RosterRow, error) {
		var x RosterRow
		var rc string
		var amt int64
		err := s.Scan(&x.HouseholdID, &rc, &amt, &x.Note)
		x.Region, x.Amount = region.Code(rc), money.Fen(amt)
		return x, err
	})
}

// PayeeAccount is where a household is paid, decrypted.
type PayeeAccount struct {
	Name    string // head of household
	Bank    string
	Account string // clear text: only for the audited bank export
}

// RosterAccounts returns the decrypted bank accounts of every household in
// a roster. The caller must audit the export.
func (tx *Tx) RosterAccounts(ctx context.Context, rosterID int64) (map[int64]PayeeAccount, error) {
	type row struct {
		id int64
		PayeeAccount
	}
	rs, err := collect(ctx, tx.db, tx.tx, "读取银行账户失败", `SELECT h.id, h.head_name, h.bank_name, h.bank_enc FROM households h
		JOIN roster_rows x ON x.household_id = h.id WHERE x.roster_id = ?`, []any{rosterID}, func(s scanner) (row, error) {
		var r row
		return r, s.Scan(&r.id, &r.Name, &r.Bank, &r.Account)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]PayeeAccount, len(rs))
	for _, r := range rs {
		if r.Account, err = tx.db.open(KindBank, r.Account); err != nil {
			return nil, err
		}
		out[r.id] = r.PayeeAccount
	}
	return out, nil
}
