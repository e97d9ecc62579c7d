package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"dibao/internal/errs"
	"dibao/internal/region"
)

// LibraryCase is a de-identified case of the case library (issue 7 item 3).
// Content is the de-identified JSON (internal/deid); SourceCaseID is never
// shown.
type LibraryCase struct {
	ID           int64
	SourceCaseID int64
	Title        string
	Content      string
	Topics       []string
	Status       string // draft, published, rejected
	ReviewNote   string
	ReviewedBy   string
	ReviewedAt   time.Time
	CreatedBy    string
	CreatedAt    time.Time
	Version      int64
}

const libraryCols = `id, source_case_id, title, content, topics, status, review_note, reviewed_by, reviewed_at,
	created_by, created_at, version`

func scanLibraryCase(s scanner) (LibraryCase, error) {
	var c LibraryCase
	var topics string
	var reviewed, created int64
	err := s.Scan(&c.ID, &c.SourceCaseID, &c.Title, &c.Content, &topics, &c.Status, &c.ReviewNote, &c.ReviewedBy,
		&reviewed, &c.CreatedBy, &created, &c.Version)
	c.Topics = SplitTopics(topics)
	if reviewed != 0 {
		c.ReviewedAt = fromMS(reviewed)
	}
	c.CreatedAt = fromMS(created)
	return c, err
}

// SplitTopics splits a comma-separated topic list, trimming blanks.
func SplitTopics(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func notFoundLibrary() error { return errs.New(errs.NotFound, "", "案例不存在") }

// InsertLibraryCase stores a new draft; one library case per source case.
func (tx *Tx) InsertLibraryCase(ctx context.Context, c *LibraryCase) error {
	now := tx.db.now()
	var err error
	c.ID, err = tx.insertID(ctx, `INSERT INTO library_cases (source_case_id, title, content, topics, status, created_by,
		created_at) VALUES (?, ?, ?, ?, 'draft', ?, ?)`, c.SourceCaseID, c.Title, c.Content, strings.Join(c.Topics, ","),
		tx.p.Username, ms(now))
	if isUnique(err, "source_case_id") || isUnique(err, "library_cases") {
		return errs.New(errs.Conflict, "case", "该案件已加入案例库")
	}
	if err != nil {
		return mapErr(err, "保存案例失败")
	}
	c.Status, c.CreatedBy, c.CreatedAt, c.Version = "draft", tx.p.Username, now, 1
	return nil
}

// LibraryCaseTx reads a library case inside a transaction.
func (tx *Tx) LibraryCase(ctx context.Context, scope region.Scope, id int64) (LibraryCase, error) {
	c, err := scanLibraryCase(tx.queryRow(ctx, "SELECT "+libraryCols+" FROM library_cases WHERE id = ?"+libraryScope,
		id, string(scope.Lo), string(scope.Hi)))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFoundLibrary()
	}
	return c, mapErr(err, "读取案例失败")
}

// libraryScope limits library cases to those whose source case lies within
// a scope: the library is its county's, never another county's.
const libraryScope = " AND source_case_id IN (SELECT c.id FROM cases c WHERE c.region_code >= ? AND c.region_code < ?)"

// LibraryCase reads a library case whose source case lies within scope.
func (db *DB) LibraryCase(ctx context.Context, scope region.Scope, id int64) (LibraryCase, error) {
	c, err := scanLibraryCase(db.queryRow(ctx, "SELECT "+libraryCols+" FROM library_cases WHERE id = ?"+libraryScope,
		id, string(scope.Lo), string(scope.Hi)))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFoundLibrary()
	}
	return c, mapErr(err, "读取案例失败")
}

// LibraryFilter narrows the library list.
type LibraryFilter struct {
	Scope   region.Scope // the source cases' region; the zero Scope matches nothing
	Status  string       // "" = all
	Topic   string       // exact topic; "" = all
	Session int64        // linked to this seminar session; 0 = any
	Limit   int
}

// LibraryCases lists library cases, newest first.
func (db *DB) LibraryCases(ctx context.Context, f LibraryFilter) ([]LibraryCase, error) {
	where, args := []string{"1 = 1" + libraryScope}, []any{string(f.Scope.Lo), string(f.Scope.Hi)}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Topic != "" {
		where, args = append(where, "(',' || topics || ',') LIKE ?"), append(args, "%,"+escapeLike(strings.ReplaceAll(f.Topic, ",", ""))+",%")
	}
	if f.Session != 0 {
		where = append(where, "id IN (SELECT library_case_id FROM library_seminars WHERE session_id = ?)")
		args = append(args, f.Session)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	return collect(ctx, db, db.r, "读取案例库失败", "SELECT "+libraryCols+" FROM library_cases WHERE "+
		strings.Join(where, " AND ")+" ORDER BY id DESC LIMIT ?", append(args, f.Limit), scanLibraryCase)
}

// SetLibraryReview records the reviewer's decision on a draft.
func (tx *Tx) SetLibraryReview(ctx context.Context, id, version int64, status, note string) error {
	res, err := tx.exec(ctx, `UPDATE library_cases SET status = ?, review_note = ?, reviewed_by = ?, reviewed_at = ?,
		version = version + 1 WHERE id = ? AND version = ? AND status = 'draft'`, status, note, tx.p.Username,
		ms(tx.db.now()), id, version)
	if err != nil {
		return mapErr(err, "保存审核结果失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "", "该案例已被他人审核或已修改，请刷新后再操作")
	}
	return nil
}

// SetLibraryTopics replaces a library case's topics.
func (tx *Tx) SetLibraryTopics(ctx context.Context, id int64, topics []string) error {
	res, err := tx.exec(ctx, `UPDATE library_cases SET topics = ?, version = version + 1 WHERE id = ?`,
		strings.Join(topics, ","), id)
	if err != nil {
		return mapErr(err, "保存主题失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFoundLibrary()
	}
	return nil
}

// LinkSeminar links a library case to a seminar session (idempotent).
func (tx *Tx) LinkSeminar(ctx context.Context, sessionID, libraryID int64) error {
	_, err := tx.exec(ctx, `INSERT INTO library_seminars (session_id, library_case_id, linked_by, linked_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (session_id, library_case_id) DO NOTHING`, sessionID, libraryID, tx.p.Username,
		ms(tx.db.now()))
	return mapErr(err, "关联研讨场次失败")
}

// CaseIDByNumber finds a case by its number within scope.
func (db *DB) CaseIDByNumber(ctx context.Context, scope region.Scope, number string) (int64, error) {
	var id int64
	var rc string
	err := db.queryRow(ctx, "SELECT id, region_code FROM cases WHERE number = ?", strings.TrimSpace(number)).Scan(&id, &rc)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.Contains(region.Code(rc))) {
		return 0, errs.New(errs.NotFound, "case", "案件编号不存在或不在您的管辖范围内")
	}
	return id, mapErr(err, "读取案件失败")
}

// LibrarySeminar is a seminar session a library case is used in.
type LibrarySeminar struct {
	SessionID int64
	Title     string
	StartsAt  time.Time
}

// LibrarySeminars lists the seminar sessions a library case is linked to.
func (db *DB) LibrarySeminars(ctx context.Context, id int64) ([]LibrarySeminar, error) {
	return collect(ctx, db, db.r, "读取研讨场次失败", `SELECT s.id, s.title, s.starts_at FROM library_seminars l
		JOIN training_sessions s ON s.id = l.session_id WHERE l.library_case_id = ? ORDER BY s.starts_at, s.id`,
		[]any{id}, func(r scanner) (LibrarySeminar, error) {
			var x LibrarySeminar
			var at int64
			err := r.Scan(&x.SessionID, &x.Title, &at)
			x.StartsAt = fromMS(at)
			return x, err
		})
}
