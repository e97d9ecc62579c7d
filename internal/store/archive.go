package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/region"
)

// Training archive (issue 7 items 1, 2, 4): the catalogue, its corrections,
// access requests and the read log. The rules (who may do what, grants,
// retention) live in package archive; this file is the SQL.

// Archive record types.
const (
	ArchivePlan     = "plan"
	ArchiveMaterial = "material"
	ArchiveSession  = "session"
	ArchiveScore    = "score"
	ArchiveFeedback = "feedback"
)

// ArchiveTypes lists the record types in display order.
var ArchiveTypes = []string{ArchivePlan, ArchiveMaterial, ArchiveSession, ArchiveScore, ArchiveFeedback}

// ArchiveRecord is one catalogue entry.
type ArchiveRecord struct {
	ID        int64
	Type      string
	Ref       string
	Title     string
	Period    string // YYYY-Qn
	Category  string
	SourceAt  time.Time
	Version   int
	CreatedAt time.Time
	Region    region.Code // the source's region (the plan's); the store scopes by it
}

// ArchiveContent is a record's content: labelled fields and a table. It is
// also the JSON of a correction.
type ArchiveContent struct {
	Fields []ArchiveField `json:"fields"`
	Header []string       `json:"header,omitempty"`
	Rows   [][]string     `json:"rows,omitempty"`
}

// ArchiveField is one labelled value.
type ArchiveField struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// ArchiveVersion is one correction of a record.
type ArchiveVersion struct {
	RecordID  int64
	Version   int
	Content   string // JSON of ArchiveContent
	Note      string
	CreatedBy string
	CreatedAt time.Time
}

// ArchiveRequest is an access request and its decision.
type ArchiveRequest struct {
	ID        int64
	UserID    int64
	Username  string
	Purpose   string
	RecordID  int64 // 0: scope is Period + Type (+ Category)
	Period    string
	Type      string
	Category  string
	Days      int
	Status    string // pending, approved, refused
	DecidedBy string
	DecidedAt time.Time
	Reason    string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// ArchiveRead is one logged read of a record's content.
type ArchiveRead struct {
	ID        int64
	RecordID  int64
	Title     string
	RequestID int64
	UserID    int64
	Username  string
	ReadAt    time.Time
}

// PeriodOf is the archive period (YYYY-Qn) of t in the office's time zone.
func PeriodOf(t time.Time) string {
	t = t.In(calendar.Location())
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

func dayMS(day string) int64 {
	t, err := time.ParseInLocation(time.DateOnly, day, calendar.Location())
	if err != nil {
		return 0
	}
	return ms(t)
}

const archiveCols = "id, rtype, ref, title, period, category, source_at, version, created_at, region_code"

func scanArchiveRecord(s scanner) (ArchiveRecord, error) {
	var r ArchiveRecord
	var src, created int64
	err := s.Scan(&r.ID, &r.Type, &r.Ref, &r.Title, &r.Period, &r.Category, &src, &r.Version, &created, &r.Region)
	r.SourceAt, r.CreatedAt = fromMS(src), fromMS(created)
	return r, err
}

// ArchiveSources lists what the catalogue should hold: one entry per plan,
// material, session, assessment result set (plan and kind) and feedback
// set (session), as found in the source tables now.
func (tx *Tx) ArchiveSources(ctx context.Context) ([]ArchiveRecord, error) {
	var out []ArchiveRecord
	add := func(q string, scan func(*sql.Rows) (ArchiveRecord, error)) error {
		rows, err := tx.query(ctx, q)
		if err != nil {
			return mapErr(err, "读取档案来源失败")
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scan(rows)
			if err != nil {
				return mapErr(err, "读取档案来源失败")
			}
			r.Period = PeriodOf(r.SourceAt)
			out = append(out, r)
		}
		return mapErr(rows.Err(), "读取档案来源失败")
	}
	steps := []struct {
		q    string
		scan func(*sql.Rows) (ArchiveRecord, error)
	}{
		{"SELECT id, kind, title, period_start, region_code FROM training_plans ORDER BY id", func(rs *sql.Rows) (ArchiveRecord, error) {
			var id int64
			var kind, title, start string
			var reg region.Code
			err := rs.Scan(&id, &kind, &title, &start, &reg)
			return ArchiveRecord{Type: ArchivePlan, Ref: itoa(id), Title: "培训计划：" + title, Category: kind, SourceAt: fromMS(dayMS(start)), Region: reg}, err
		}},
		{`SELECT li.id, li.category, li.title, li.created_at, COALESCE(p.region_code, u.region_code, '') FROM learning_items li
			LEFT JOIN training_plans p ON p.id = li.plan_id LEFT JOIN users u ON u.id = li.created_by ORDER BY li.id`, func(rs *sql.Rows) (ArchiveRecord, error) {
			var id, at int64
			var cat, title string
			var reg region.Code
			err := rs.Scan(&id, &cat, &title, &at, &reg)
			return ArchiveRecord{Type: ArchiveMaterial, Ref: itoa(id), Title: "培训资料：" + title, Category: cat, SourceAt: fromMS(at), Region: reg}, err
		}},
		{`SELECT s.id, s.kind, s.title, s.starts_at, p.region_code FROM training_sessions s JOIN training_plans p ON p.id = s.plan_id ORDER BY s.id`, func(rs *sql.Rows) (ArchiveRecord, error) {
			var id, at int64
			var kind, title string
			var reg region.Code
			err := rs.Scan(&id, &kind, &title, &at, &reg)
			return ArchiveRecord{Type: ArchiveSession, Ref: itoa(id), Title: "培训记录：" + title, Category: kind, SourceAt: fromMS(at), Region: reg}, err
		}},
		{`SELECT r.plan_id, r.kind, p.title, MIN(r.recorded_at), p.region_code FROM assessment_results r
			JOIN training_plans p ON p.id = r.plan_id GROUP BY r.plan_id, r.kind, p.title, p.region_code ORDER BY r.plan_id, r.kind`,
			func(rs *sql.Rows) (ArchiveRecord, error) {
				var id, at int64
				var kind, title string
				var reg region.Code
				err := rs.Scan(&id, &kind, &title, &at, &reg)
				return ArchiveRecord{Type: ArchiveScore, Ref: itoa(id) + ":" + kind, Title: "考核成绩：" + title, Category: kind, SourceAt: fromMS(at), Region: reg}, err
			}},
		{`SELECT s.id, s.kind, s.title, s.starts_at, p.region_code FROM training_sessions s JOIN training_plans p ON p.id = s.plan_id
			WHERE EXISTS (SELECT 1 FROM feedback f WHERE f.session_id = s.id) ORDER BY s.id`,
			func(rs *sql.Rows) (ArchiveRecord, error) {
				var id, at int64
				var kind, title string
				var reg region.Code
				err := rs.Scan(&id, &kind, &title, &at, &reg)
				return ArchiveRecord{Type: ArchiveFeedback, Ref: itoa(id), Title: "培训反馈：" + title, Category: kind, SourceAt: fromMS(at), Region: reg}, err
			}},
	}
	for _, s := range steps {
		if err := add(s.q, s.scan); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AddArchiveRecord adds r to the catalogue unless an entry of the same type
// and source is there already; it reports whether it added one.
func (tx *Tx) AddArchiveRecord(ctx context.Context, r ArchiveRecord, now time.Time) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO archive_records (rtype, ref, title, period, category, source_at, version, created_at, region_code)
		VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (rtype, ref) DO NOTHING`,
		r.Type, r.Ref, r.Title, r.Period, r.Category, ms(r.SourceAt), ms(now), string(r.Region))
	if err != nil {
		return false, mapErr(err, "写入档案目录失败")
	}
	n, err := res.RowsAffected()
	return n > 0, mapErr(err, "写入档案目录失败")
}

// ArchiveFilter narrows the catalogue; empty fields match everything.
// Scope is the caller's region scope: the zero Scope matches nothing.
type ArchiveFilter struct {
	Scope                  region.Scope
	Period, Type, Category string
}

// ArchiveRecords lists the catalogue within f.Scope, newest period first.
func (db *DB) ArchiveRecords(ctx context.Context, f ArchiveFilter) ([]ArchiveRecord, error) {
	where := []string{"region_code >= ? AND region_code < ?"}
	args := []any{string(f.Scope.Lo), string(f.Scope.Hi)}
	for _, c := range []struct{ col, v string }{{"period", f.Period}, {"rtype", f.Type}, {"category", f.Category}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	q := "SELECT " + archiveCols + " FROM archive_records WHERE " + strings.Join(where, " AND ")
	q += " ORDER BY period DESC, rtype, id"
	return collect(ctx, db, db.r, "读取档案目录失败", q, args, scanArchiveRecord)
}

// ArchiveRecord reads one catalogue entry within scope; outside it the
// entry does not exist.
func (tx *Tx) ArchiveRecord(ctx context.Context, scope region.Scope, id int64) (ArchiveRecord, error) {
	r, err := scanArchiveRecord(tx.queryRow(ctx, "SELECT "+archiveCols+" FROM archive_records WHERE id = ? AND region_code >= ? AND region_code < ?",
		id, string(scope.Lo), string(scope.Hi)))
	if errors.Is(err, sql.ErrNoRows) {
		return r, errs.New(errs.NotFound, "", "档案记录不存在")
	}
	return r, mapErr(err, "读取档案记录失败")
}

// AddArchiveVersion records a correction as the record's next version.
func (tx *Tx) AddArchiveVersion(ctx context.Context, id int64, content, note string, now time.Time) (int, error) {
	var v int
	if err := tx.queryRow(ctx, "SELECT version FROM archive_records WHERE id = ?", id).Scan(&v); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, errs.New(errs.NotFound, "", "档案记录不存在")
		}
		return 0, mapErr(err, "读取档案记录失败")
	}
	v++
	if _, err := tx.exec(ctx, `INSERT INTO archive_record_versions (record_id, version, content, note, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, id, v, content, note, tx.p.Username, ms(now)); err != nil {
		return 0, mapErr(err, "保存更正失败")
	}
	if _, err := tx.exec(ctx, "UPDATE archive_records SET version = ? WHERE id = ? AND version = ?", v, id, v-1); err != nil {
		return 0, mapErr(err, "保存更正失败")
	}
	return v, nil
}

// ArchiveVersions lists a record's corrections, oldest first.
func (tx *Tx) ArchiveVersions(ctx context.Context, id int64) ([]ArchiveVersion, error) {
	rows, err := tx.query(ctx, `SELECT record_id, version, content, note, created_by, created_at
		FROM archive_record_versions WHERE record_id = ? ORDER BY version`, id)
	if err != nil {
		return nil, mapErr(err, "读取档案更正失败")
	}
	defer rows.Close()
	var out []ArchiveVersion
	for rows.Next() {
		var v ArchiveVersion
		var at int64
		if err := rows.Scan(&v.RecordID, &v.Version, &v.Content, &v.Note, &v.CreatedBy, &at); err != nil {
			return nil, mapErr(err, "读取档案更正失败")
		}
		v.CreatedAt = fromMS(at)
		out = append(out, v)
	}
	return out, mapErr(rows.Err(), "读取档案更正失败")
}

// DeleteArchiveRecord removes a catalogue entry and its versions (the
// retention sweep; the read log stays).
func (tx *Tx) DeleteArchiveRecord(ctx context.Context, id int64) error {
	if _, err := tx.exec(ctx, "DELETE FROM archive_record_versions WHERE record_id = ?", id); err != nil {
		return mapErr(err, "删除档案失败")
	}
	_, err := tx.exec(ctx, "DELETE FROM archive_records WHERE id = ?", id)
	return mapErr(err, "删除档案失败")
}

const archiveReqCols = `id, user_id, username, purpose, record_id, period, rtype, category, days, status,
	decided_by, decided_at, reason, expires_at, created_at`

func scanArchiveRequest(s scanner) (ArchiveRequest, error) {
	var r ArchiveRequest
	var dec, exp, created int64
	err := s.Scan(&r.ID, &r.UserID, &r.Username, &r.Purpose, &r.RecordID, &r.Period, &r.Type, &r.Category, &r.Days,
		&r.Status, &r.DecidedBy, &dec, &r.Reason, &exp, &created)
	r.DecidedAt, r.ExpiresAt, r.CreatedAt = fromMS(dec), fromMS(exp), fromMS(created)
	return r, err
}

// AddArchiveRequest stores a pending request.
func (tx *Tx) AddArchiveRequest(ctx context.Context, r ArchiveRequest) (int64, error) {
	id, err := tx.insertID(ctx, `INSERT INTO archive_requests (user_id, username, purpose, record_id, period, rtype, category, days, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
		r.UserID, r.Username, r.Purpose, r.RecordID, r.Period, r.Type, r.Category, r.Days, ms(r.CreatedAt))
	return id, mapErr(err, "保存查阅申请失败")
}

// archiveReqScope limits requests to those filed by users within a scope.
const archiveReqScope = " AND user_id IN (SELECT u.id FROM users u WHERE u.region_code >= ? AND u.region_code < ?)"

// ArchiveRequest reads one request filed by a user within scope.
func (tx *Tx) ArchiveRequest(ctx context.Context, scope region.Scope, id int64) (ArchiveRequest, error) {
	r, err := scanArchiveRequest(tx.queryRow(ctx, "SELECT "+archiveReqCols+" FROM archive_requests WHERE id = ?"+archiveReqScope,
		id, string(scope.Lo), string(scope.Hi)))
	if errors.Is(err, sql.ErrNoRows) {
		return r, errs.New(errs.NotFound, "", "查阅申请不存在")
	}
	return r, mapErr(err, "读取查阅申请失败")
}

// DecideArchiveRequest records the decision of a pending request; it fails
// with a conflict when the request was decided meanwhile.
func (tx *Tx) DecideArchiveRequest(ctx context.Context, r ArchiveRequest) error {
	res, err := tx.exec(ctx, `UPDATE archive_requests SET status = ?, days = ?, decided_by = ?, decided_at = ?, reason = ?, expires_at = ?
		WHERE id = ? AND status = 'pending'`,
		r.Status, r.Days, r.DecidedBy, ms(r.DecidedAt), r.Reason, ms(r.ExpiresAt), r.ID)
	if err != nil {
		return mapErr(err, "保存审批结果失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "", "该申请已处理")
	}
	return nil
}

// ArchiveRequests lists requests filed by users within scope, newest
// first: a user's own (userID > 0) or all of them with the given status
// ("" = any).
func (db *DB) ArchiveRequests(ctx context.Context, scope region.Scope, userID int64, status string) ([]ArchiveRequest, error) {
	q := "SELECT " + archiveReqCols + " FROM archive_requests WHERE 1 = 1" + archiveReqScope
	args := []any{string(scope.Lo), string(scope.Hi)}
	if userID > 0 {
		q += " AND user_id = ?"
		args = append(args, userID)
	}
	if status != "" {
		q += " AND status = ?"
		args = append(args, status)
	}
	return collect(ctx, db, db.r, "读取查阅申请失败", q+" ORDER BY id DESC LIMIT 500", args, scanArchiveRequest)
}

// ArchiveGrant finds an approved request of userID, not expired at now,
// whose scope covers rec; 0 when there is none.
func (tx *Tx) ArchiveGrant(ctx context.Context, userID int64, rec ArchiveRecord, now time.Time) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `SELECT id FROM archive_requests WHERE user_id = ? AND status = 'approved' AND expires_at > ?
		AND (record_id = ? OR (record_id = 0 AND period = ? AND rtype = ? AND (category = '' OR category = ?)))
		ORDER BY id DESC LIMIT 1`, userID, ms(now), rec.ID, rec.Period, rec.Type, rec.Category).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, mapErr(err, "读取查阅授权失败")
}

// AddArchiveRead logs a read.
func (tx *Tx) AddArchiveRead(ctx context.Context, r ArchiveRead) error {
	_, err := tx.exec(ctx, `INSERT INTO archive_reads (record_id, title, request_id, user_id, username, read_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.RecordID, r.Title, r.RequestID, r.UserID, r.Username, ms(r.ReadAt))
	return mapErr(err, "记录查阅日志失败")
}

// ArchiveReads lists the reads by users within scope, newest first.
func (db *DB) ArchiveReads(ctx context.Context, scope region.Scope, limit int) ([]ArchiveRead, error) {
	return collect(ctx, db, db.r, "读取查阅日志失败",
		"SELECT id, record_id, title, request_id, user_id, username, read_at FROM archive_reads WHERE 1 = 1"+archiveReqScope+
			" ORDER BY id DESC LIMIT "+strconv.Itoa(limit),
		[]any{string(scope.Lo), string(scope.Hi)}, func(s scanner) (ArchiveRead, error) {
			var r ArchiveRead
			var at int64
			err := s.Scan(&r.ID, &r.RecordID, &r.Title, &r.RequestID, &r.UserID, &r.Username, &at)
			r.ReadAt = fromMS(at)
			return r, err
		})
}

func fmtTime(v int64) string {
	if v == 0 {
		return ""
	}
	return fromMS(v).In(calendar.Location()).Format("2006-01-02 15:04")
}

// ArchiveLiveContent reads a record's content from its source tables now.
func (tx *Tx) ArchiveLiveContent(ctx context.Context, rec ArchiveRecord) (ArchiveContent, error) {
	var c ArchiveContent
	f := func(l, v string) { c.Fields = append(c.Fields, ArchiveField{l, v}) }
	table := func(q string, args []any, header ...string) error {
		c.Header = header
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return mapErr(err, "读取档案内容失败")
		}
		defer rows.Close()
		for rows.Next() {
			vals := make([]sql.NullString, len(header))
			ptrs := make([]any, len(header))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return mapErr(err, "读取档案内容失败")
			}
			row := make([]string, len(header))
			for i, v := range vals {
				row[i] = v.String
			}
			c.Rows = append(c.Rows, row)
		}
		return mapErr(rows.Err(), "读取档案内容失败")
	}
	gone := errs.New(errs.NotFound, "", "档案来源记录已不存在")
	noRows := func(err error) error {
		if errors.Is(err, sql.ErrNoRows) {
			return gone
		}
		return mapErr(err, "读取档案内容失败")
	}
	ref, _ := strconv.ParseInt(rec.Ref, 10, 64)
	switch rec.Type {
	case ArchivePlan:
		var kind, title, start, end, cats string
		var minutes int64
		err := tx.queryRow(ctx, "SELECT kind, title, period_start, period_end, required_minutes, categories FROM training_plans WHERE id = ?",
			ref).Scan(&kind, &title, &start, &end, &minutes, &cats)
		if err != nil {
			return c, noRows(err)
		}
		f("计划名称", title)
		f("计划类型", kind)
		f("起止日期", start+" 至 "+end)
		f("应修学时（分钟）", itoa(minutes))
		f("培训类别", cats)
		return c, table(`SELECT title, kind, starts_at, place FROM training_sessions WHERE plan_id = ? ORDER BY starts_at`,
			[]any{ref}, "场次", "形式", "开始时间", "地点")
	case ArchiveMaterial:
		var title, cat, kind, ctype, sum string
		var size, minutes, at int64
		err := tx.queryRow(ctx, "SELECT title, category, kind, content_type, size, checksum, minutes, created_at FROM learning_items WHERE id = ?",
			ref).Scan(&title, &cat, &kind, &ctype, &size, &sum, &minutes, &at)
		if err != nil {
			return c, noRows(err)
		}
		f("资料名称", title)
		f("类别", cat)
		f("形式", kind)
		f("文件类型", ctype)
		f("大小（字节）", itoa(size))
		f("SM3校验值", sum)
		f("学时（分钟）", itoa(minutes))
		f("上传时间", fmtTime(at))
		return c, nil
	case ArchiveSession, ArchiveFeedback:
		var title, kind, place, expert string
		var trainer sql.NullString
		var start, end, minutes int64
		err := tx.queryRow(ctx, `SELECT s.title, s.kind, s.place, s.expert_name, u.display_name, s.starts_at, s.ends_at, s.minutes
			FROM training_sessions s LEFT JOIN users u ON u.id = s.trainer_user_id WHERE s.id = ?`, ref).
			Scan(&title, &kind, &place, &expert, &trainer, &start, &end, &minutes)
		if err != nil {
			return c, noRows(err)
		}
		f("培训内容", title)
		f("形式", kind)
		f("时间", fmtTime(start)+" 至 "+fmtTime(end))
		f("地点", place)
		t := trainer.String
		if expert != "" {
			t = strings.TrimSpace(t + " " + expert)
		}
		f("讲师", t)
		if rec.Type == ArchiveFeedback {
			return c, table(`SELECT CAST(content AS TEXT), CAST(method AS TEXT), CAST(trainer AS TEXT), comment
				FROM feedback WHERE session_id = ? ORDER BY created_at`, []any{ref}, "内容评分", "方式评分", "讲师评分", "意见")
		}
		f("学时（分钟）", itoa(minutes))
		if err := table(`SELECT u.display_name, u.username, a.method, CAST(a.minutes AS TEXT), a.checked_in_at FROM attendance a
			JOIN users u ON u.id = a.person_id WHERE a.session_id = ? ORDER BY a.checked_in_at`, []any{ref},
			"参训人员", "账号", "签到方式", "学时（分钟）", "签到时间"); err != nil {
			return c, err
		}
		for _, r := range c.Rows {
			if v, err := strconv.ParseInt(r[4], 10, 64); err == nil {
				r[4] = fmtTime(v)
			}
		}
		return c, nil
	case ArchiveScore:
		p, kind, ok := strings.Cut(rec.Ref, ":")
		plan, err := strconv.ParseInt(p, 10, 64)
		if !ok || err != nil {
			return c, gone
		}
		var title string
		if err := tx.queryRow(ctx, "SELECT title FROM training_plans WHERE id = ?", plan).Scan(&title); err != nil {
			return c, noRows(err)
		}
		f("培训计划", title)
		f("考核类型", kind)
		if err := table(`SELECT u.display_name, u.username, CAST(r.cycle AS TEXT), r.attempt, CAST(r.score AS TEXT),
			CASE WHEN r.passed = 1 THEN '合格' ELSE '不合格' END, r.recorded_by, r.recorded_at
			FROM assessment_results r JOIN users u ON u.id = r.person_id WHERE r.plan_id = ? AND r.kind = ? ORDER BY u.username, r.cycle, r.attempt`,
			[]any{plan, kind}, "姓名", "账号", "轮次", "次别", "分数", "结果", "记录人", "记录时间"); err != nil {
			return c, err
		}
		for _, r := range c.Rows {
			if v, err := strconv.ParseInt(r[7], 10, 64); err == nil {
				r[7] = fmtTime(v)
			}
		}
		return c, nil
	}
	return c, gone
}
