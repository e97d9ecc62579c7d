package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/exam"
)

// Theory exams (issue 6 items 1, 2, 8): the versioned question bank, exams
// with their frozen paper, attempts with their own snapshot of the
// questions as given, the append-only answer log and leave-page events.

// Attempt kinds and statuses.
const (
	AttemptFirst     = "first"
	AttemptMakeup    = "makeup"
	AttemptOpen      = "open"
	AttemptSubmitted = "submitted"
)

// BankQuestion is the current version of a bank question.
type BankQuestion struct {
	exam.Question
	Retired   bool
	UpdatedAt time.Time // when this version was made
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return string(b)
}

const questionCols = `q.id, v.version, v.kind, v.category, v.difficulty, v.stem, v.options, v.correct, v.accepted,
	q.retired, v.created_at`

const questionFrom = ` FROM exam_questions q JOIN exam_question_versions v ON v.question_id = q.id`

func scanQuestion(s scanner) (BankQuestion, error) {
	var q BankQuestion
	var kind, cat, opts, corr, acc string
	var retired, at int64
	err := s.Scan(&q.ID, &q.Version, &kind, &cat, &q.Difficulty, &q.Stem, &opts, &corr, &acc, &retired, &at)
	if err != nil {
		return q, err
	}
	q.Kind, q.Category, q.Retired, q.UpdatedAt = exam.Kind(kind), enroll.Category(cat), retired != 0, fromMS(at)
	if err := errors.Join(json.Unmarshal([]byte(opts), &q.Options), json.Unmarshal([]byte(corr), &q.Correct),
		json.Unmarshal([]byte(acc), &q.Accepted)); err != nil {
		return q, err
	}
	return q, nil
}

func notFoundQuestion() error { return errs.New(errs.NotFound, "", "试题不存在") }

func (tx *Tx) insertVersion(ctx context.Context, q *exam.Question) error {
	_, err := tx.exec(ctx, `INSERT INTO exam_question_versions (question_id, version, kind, category, difficulty, stem,
		options, correct, accepted, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.ID, q.Version, string(q.Kind), string(q.Category), q.Difficulty, q.Stem, jsonText(nonNil(q.Options)),
		jsonText(nonNilInt(q.Correct)), jsonText(nonNil(q.Accepted)), nullID(tx.p.UserID), ms(tx.db.now()))
	return mapErr(err, "保存试题失败")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilInt(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// CreateQuestion adds a question as version 1 and sets q.ID and q.Version.
func (tx *Tx) CreateQuestion(ctx context.Context, q *exam.Question) error {
	id, err := tx.insertID(ctx, `INSERT INTO exam_questions (current_version, created_by, created_at) VALUES (1, ?, ?)`,
		nullID(tx.p.UserID), ms(tx.db.now()))
	if err != nil {
		return mapErr(err, "保存试题失败")
	}
	q.ID, q.Version = id, 1
	return tx.insertVersion(ctx, q)
}

// ReviseQuestion stores q as a new version of question q.ID and sets
// q.Version; earlier versions, and every attempt that used them, stay.
func (tx *Tx) ReviseQuestion(ctx context.Context, q *exam.Question) error {
	err := tx.queryRow(ctx, `UPDATE exam_questions SET current_version = current_version + 1 WHERE id = ?
		RETURNING current_version`, q.ID).Scan(&q.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return notFoundQuestion()
	}
	if err != nil {
		return mapErr(err, "保存试题失败")
	}
	return tx.insertVersion(ctx, q)
}

// SetQuestionRetired retires (or restores) a question: retired questions
// are not offered for new papers.
func (tx *Tx) SetQuestionRetired(ctx context.Context, id int64, retired bool) error {
	res, err := tx.exec(ctx, `UPDATE exam_questions SET retired = ? WHERE id = ?`, boolInt(retired), id)
	if err != nil {
		return mapErr(err, "保存试题失败")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFoundQuestion()
	}
	return nil
}

// Questions lists the current version of every question, by id;
// withRetired includes retired ones.
func (db *DB) Questions(ctx context.Context, withRetired bool) ([]BankQuestion, error) {
	return questions(ctx, db, db.r, withRetired)
}

// Questions lists the current versions inside the transaction.
func (tx *Tx) Questions(ctx context.Context, withRetired bool) ([]BankQuestion, error) {
	return questions(ctx, tx.db, tx.tx, withRetired)
}

func questions(ctx context.Context, db *DB, q querier, withRetired bool) ([]BankQuestion, error) {
	where := " WHERE v.version = q.current_version"
	if !withRetired {
		where += " AND q.retired = 0"
	}
	return collect(ctx, db, q, "读取题库失败", "SELECT "+questionCols+questionFrom+where+" ORDER BY q.id", nil, scanQuestion)
}

// Question reads one question at a version (0: the current one).
func (db *DB) Question(ctx context.Context, id int64, version int) (BankQuestion, error) {
	q := "SELECT " + questionCols + questionFrom + " WHERE q.id = ? AND v.version = "
	args := []any{id}
	if version == 0 {
		q += "q.current_version"
	} else {
		q += "?"
		args = append(args, version)
	}
	bq, err := scanQuestion(db.queryRow(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return bq, notFoundQuestion()
	}
	return bq, mapErr(err, "读取试题失败")
}

// Exam is a stored exam with its frozen paper.
type Exam struct {
	ID          int64
	Title       string
	PlanID      int64
	PlanTitle   string // joined
	OpensAt     time.Time
	ClosesAt    time.Time
	Minutes     int
	ClosedBook  bool
	Review      exam.Review
	PassMark    int
	PassVersion string
	PaperDef    exam.Paper
	Seed        int64
	Paper       []exam.Item
	CreatedBy   int64
	CreatedAt   time.Time
}

const examCols = `e.id, e.title, e.plan_id, p.title, e.opens_at, e.closes_at, e.minutes, e.closed_book, e.review,
	e.pass_mark, e.pass_version, e.paper_def, e.seed, e.paper, e.created_by, e.created_at`

const examFrom = ` FROM exams e JOIN training_plans p ON p.id = e.plan_id`

func scanExam(s scanner) (Exam, error) {
	var e Exam
	var opens, closes, created, closed int64
	var review, def, paper string
	var by sql.NullInt64
	err := s.Scan(&e.ID, &e.Title, &e.PlanID, &e.PlanTitle, &opens, &closes, &e.Minutes, &closed, &review,
		&e.PassMark, &e.PassVersion, &def, &e.Seed, &paper, &by, &created)
	if err != nil {
		return e, err
	}
	e.OpensAt, e.ClosesAt, e.CreatedAt, e.ClosedBook = fromMS(opens), fromMS(closes), fromMS(created), closed != 0
	e.Review, e.CreatedBy = exam.Review(review), by.Int64
	return e, errors.Join(json.Unmarshal([]byte(def), &e.PaperDef), json.Unmarshal([]byte(paper), &e.Paper))
}

func notFoundExam() error { return errs.New(errs.NotFound, "", "考试不存在") }

// CreateExam stores an exam and sets e.ID.
func (tx *Tx) CreateExam(ctx context.Context, e *Exam) error {
	now := tx.db.now()
	var err error
	e.ID, err = tx.insertID(ctx, `INSERT INTO exams (title, plan_id, opens_at, closes_at, minutes, closed_book, review,
		pass_mark, pass_version, paper_def, seed, paper, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Title, e.PlanID, ms(e.OpensAt), ms(e.ClosesAt), e.Minutes, boolInt(e.ClosedBook), string(e.Review),
		e.PassMark, e.PassVersion, jsonText(e.PaperDef), e.Seed, jsonText(e.Paper), nullID(tx.p.UserID), ms(now))
	e.CreatedBy, e.CreatedAt = tx.p.UserID, now
	return mapErr(err, "保存考试失败")
}

// Exam reads one exam.
func (db *DB) Exam(ctx context.Context, id int64) (Exam, error) {
	return examBy(ctx, db.queryRow(ctx, "SELECT "+examCols+examFrom+" WHERE e.id = ?", id))
}

// Exam reads one exam inside the transaction.
func (tx *Tx) Exam(ctx context.Context, id int64) (Exam, error) {
	return examBy(ctx, tx.queryRow(ctx, "SELECT "+examCols+examFrom+" WHERE e.id = ?", id))
}

// ExamPlan reads the training plan of an exam (without its paper).
func (tx *Tx) ExamPlan(ctx context.Context, id int64) (int64, error) {
	var plan int64
	err := tx.queryRow(ctx, "SELECT plan_id FROM exams WHERE id = ?", id).Scan(&plan)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFoundExam()
	}
	return plan, mapErr(err, "读取考试失败")
}

func examBy(_ context.Context, row *sql.Row) (Exam, error) {
	e, err := scanExam(row)
	if errors.Is(err, sql.ErrNoRows) {
		return e, notFoundExam()
	}
	return e, mapErr(err, "读取考试失败")
}

// Exams lists every exam, newest window first.
func (db *DB) Exams(ctx context.Context) ([]Exam, error) {
	return collect(ctx, db, db.r, "读取考试失败", "SELECT "+examCols+examFrom+" ORDER BY e.opens_at DESC, e.id DESC", nil, scanExam)
}

// PersonExams lists the exams of the plans a person is enrolled in (not
// dropped), newest window first.
func (db *DB) PersonExams(ctx context.Context, personID int64) ([]Exam, error) {
	return collect(ctx, db, db.r, "读取考试失败", "SELECT "+examCols+examFrom+
		` JOIN enrollments n ON n.plan_id = e.plan_id AND n.person_id = ? AND n.status <> 'dropped'
		ORDER BY e.opens_at DESC, e.id DESC`, []any{personID}, scanExam)
}

// Attempt is one candidate's sitting of an exam.
type Attempt struct {
	ID            int64
	ExamID        int64
	PersonID      int64
	PersonName    string // joined
	Kind          string // AttemptFirst or AttemptMakeup
	Status        string
	Seed          int64
	Items         []exam.Item // as given: questions, versions, order
	StartedAt     time.Time
	Deadline      time.Time
	SubmittedAt   time.Time
	AutoSubmitted bool
	Score         int
	Passed        bool
	PassMark      int
	Events        int // leave-page events; filled by ExamAttempts
}

const attemptCols = `a.id, a.exam_id, a.person_id, u.display_name, a.kind, a.status, a.seed, a.items, a.started_at,
	a.deadline, a.submitted_at, a.auto_submitted, a.score, a.passed, a.pass_mark`

const attemptFrom = ` FROM exam_attempts a JOIN users u ON u.id = a.person_id`

func scanAttempt(s scanner) (Attempt, error) {
	var a Attempt
	var items string
	var started, deadline, submitted, auto, passed int64
	err := s.Scan(&a.ID, &a.ExamID, &a.PersonID, &a.PersonName, &a.Kind, &a.Status, &a.Seed, &items, &started,
		&deadline, &submitted, &auto, &a.Score, &passed, &a.PassMark)
	if err != nil {
		return a, err
	}
	a.StartedAt, a.Deadline, a.SubmittedAt = fromMS(started), fromMS(deadline), fromMS(submitted)
	a.AutoSubmitted, a.Passed = auto != 0, passed != 0
	return a, json.Unmarshal([]byte(items), &a.Items)
}

func notFoundAttempt() error { return errs.New(errs.NotFound, "", "考试记录不存在") }

func attemptBy(row *sql.Row) (Attempt, error) {
	a, err := scanAttempt(row)
	if errors.Is(err, sql.ErrNoRows) {
		return a, notFoundAttempt()
	}
	return a, mapErr(err, "读取考试记录失败")
}

// Attempt reads one attempt by id.
func (db *DB) Attempt(ctx context.Context, id int64) (Attempt, error) {
	return attemptBy(db.queryRow(ctx, "SELECT "+attemptCols+attemptFrom+" WHERE a.id = ?", id))
}

// Attempt reads one attempt inside the transaction.
func (tx *Tx) Attempt(ctx context.Context, id int64) (Attempt, error) {
	return attemptBy(tx.queryRow(ctx, "SELECT "+attemptCols+attemptFrom+" WHERE a.id = ?", id))
}

// InsertAttempt adds an open attempt unless the person already has an open
// one in the exam, or one of the same kind (the unique indexes decide, so
// two concurrent starts cannot both insert). It reports whether it
// inserted; either way it returns the person's open attempt, or NotFound
// when there is none (the kind was taken and is closed).
func (tx *Tx) InsertAttempt(ctx context.Context, a Attempt) (Attempt, bool, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO exam_attempts (exam_id, person_id, kind, status, seed, items, started_at,
		deadline, pass_mark) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		a.ExamID, a.PersonID, a.Kind, a.Seed, jsonText(a.Items), ms(a.StartedAt), ms(a.Deadline), a.PassMark).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) { // a unique index refused it
		open, err := tx.OpenAttempt(ctx, a.ExamID, a.PersonID)
		return open, false, err
	}
	if err != nil {
		return a, false, mapErr(err, "开始考试失败")
	}
	// Inserted: the row is a as given (no need to read back and decode
	// the snapshot just written), with its id and the candidate's name.
	a.ID, a.Status = id, AttemptOpen
	a.StartedAt, a.Deadline = fromMS(ms(a.StartedAt)), fromMS(ms(a.Deadline)) // as stored
	err = tx.queryRow(ctx, "SELECT display_name FROM users WHERE id = ?", a.PersonID).Scan(&a.PersonName)
	return a, true, mapErr(err, "开始考试失败")
}

// LatestAttempt reads the person's latest attempt of an exam (the
// exam_attempts_person index); NotFound if none.
func (db *DB) LatestAttempt(ctx context.Context, examID, personID int64) (Attempt, error) {
	return attemptBy(db.queryRow(ctx, "SELECT "+attemptCols+attemptFrom+
		" WHERE a.person_id = ? AND a.exam_id = ? ORDER BY a.id DESC LIMIT 1", personID, examID))
}

// InExam reports whether the person is a candidate of the exam: enrolled
// (not dropped) in its plan.
func (db *DB) InExam(ctx context.Context, examID, personID int64) (bool, error) {
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM exams e JOIN enrollments n ON n.plan_id = e.plan_id
		WHERE e.id = ? AND n.person_id = ? AND n.status <> 'dropped'`, examID, personID).Scan(&n)
	return n > 0, mapErr(err, "读取考试失败")
}

// OpenAttempt reads the person's open attempt in an exam; NotFound if none.
func (tx *Tx) OpenAttempt(ctx context.Context, examID, personID int64) (Attempt, error) {
	return attemptBy(tx.queryRow(ctx, "SELECT "+attemptCols+attemptFrom+
		" WHERE a.exam_id = ? AND a.person_id = ? AND a.status = 'open'", examID, personID))
}

// ClaimSubmit closes an open attempt for grading and reports whether this
// call closed it: UPDATE … WHERE status = 'open' lets exactly one of any
// number of concurrent submits or sweeps win. With dueBefore set, only an
// attempt whose deadline has passed by then is claimed (the sweep).
func (tx *Tx) ClaimSubmit(ctx context.Context, id int64, now time.Time, auto bool, dueBefore time.Time) (bool, error) {
	q := `UPDATE exam_attempts SET status = 'submitted', submitted_at = ?, auto_submitted = ? WHERE id = ? AND status = 'open'`
	args := []any{ms(now), boolInt(auto), id}
	if !dueBefore.IsZero() {
		q += " AND deadline < ?"
		args = append(args, ms(dueBefore))
	}
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return false, mapErr(err, "交卷失败")
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr(err, "交卷失败")
}

// SetAttemptResult records the grade of a submitted attempt.
func (tx *Tx) SetAttemptResult(ctx context.Context, id int64, score int, passed bool) error {
	_, err := tx.exec(ctx, `UPDATE exam_attempts SET score = ?, passed = ? WHERE id = ?`, score, boolInt(passed), id)
	return mapErr(err, "保存成绩失败")
}

// LatestAnswers reads the answers of an attempt: for each question the
// latest saved (highest seq) counts.
func (tx *Tx) LatestAnswers(ctx context.Context, attemptID int64) (map[int]string, error) {
	return latestAnswers(ctx, tx.db, tx.tx, attemptID)
}

// LatestAnswers reads the answers of an attempt outside a transaction.
func (db *DB) LatestAnswers(ctx context.Context, attemptID int64) (map[int]string, error) {
	return latestAnswers(ctx, db, db.r, attemptID)
}

func latestAnswers(ctx context.Context, db *DB, q querier, attemptID int64) (map[int]string, error) {
	type row struct {
		n int
		a string
	}
	rows, err := collect(ctx, db, q, "读取答案失败", `SELECT question, answer FROM attempt_answers WHERE attempt_id = ?
		ORDER BY question, seq`, []any{attemptID}, func(s scanner) (row, error) {
		var r row
		return r, s.Scan(&r.n, &r.a)
	})
	out := map[int]string{}
	for _, r := range rows {
		out[r.n] = r.a // ordered by seq: the last one wins
	}
	return out, err
}

// AnswerCount counts the saved answer records of an attempt (all of them:
// the log is append-only).
func (db *DB) AnswerCount(ctx context.Context, attemptID int64) (int, error) {
	var n int
	err := db.queryRow(ctx, "SELECT COUNT(*) FROM attempt_answers WHERE attempt_id = ?", attemptID).Scan(&n)
	return n, mapErr(err, "读取答案失败")
}

// Messages of refused saves.
const (
	MsgAttemptClosed = "本场考试已交卷，答案不能再修改"
	MsgAttemptLate   = "考试时间已到，答案未保存，系统已自动交卷"
)

// AppendAttempt appends one record to the answer log or the event log of
// an open attempt of personID, before its deadline, in one statement:
// into is "INSERT INTO table (attempt_id, c1, …)" and cols the select list
// for c1… with a placeholder for each of vals (typed with CAST: PostgreSQL
// cannot infer a select list's parameter types). The statement reads the
// attempt row and, on PostgreSQL, locks it (shared) so that a submit
// either sees the record or the record is refused; SQLite has one writer.
// Like the learning heartbeat it writes no audit record: the append-only
// log is itself the record, and the submit that grades it is audited.
func (db *DB) AppendAttempt(ctx context.Context, attemptID, personID int64, now time.Time, into, cols string, vals ...any) error {
	q := into + " SELECT a.id, " + cols + ` FROM exam_attempts a
		WHERE a.id = ? AND a.person_id = ? AND a.status = 'open' AND a.deadline > ?`
	if db.dialect == Postgres {
		q += " FOR SHARE OF a"
	}
	res, err := db.execFenced(ctx, q, append(vals, attemptID, personID, ms(now))...)
	if err != nil {
		return mapErr(err, "保存失败")
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return mapErr(err, "保存失败")
	}
	// Refused: say why.
	if err := db.AttemptWritable(ctx, attemptID, personID, now); err != nil {
		return err
	}
	return errs.New(errs.Conflict, "", MsgAttemptClosed) // closed just now
}

// AttemptWritable tells why nothing can be appended to an attempt at now:
// NotFound if it is not personID's, Conflict if it is submitted or past its
// deadline; nil if it is open.
func (db *DB) AttemptWritable(ctx context.Context, attemptID, personID int64, now time.Time) error {
	var person, deadline int64
	var status string
	err := db.queryRow(ctx, `SELECT person_id, status, deadline FROM exam_attempts WHERE id = ?`, attemptID).
		Scan(&person, &status, &deadline)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && person != personID):
		return notFoundAttempt()
	case err != nil:
		return mapErr(err, "保存失败")
	case status != AttemptOpen:
		return errs.New(errs.Conflict, "", MsgAttemptClosed)
	case ms(now) >= deadline:
		return errs.New(errs.Conflict, "", MsgAttemptLate)
	}
	return nil
}

// SaveAnswer appends an answer of question n to an open attempt.
func (db *DB) SaveAnswer(ctx context.Context, attemptID, personID int64, n int, answer string, now time.Time) error {
	return db.AppendAttempt(ctx, attemptID, personID, now, `INSERT INTO attempt_answers (attempt_id, question, answer, saved_at)`,
		`CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT)`, n, answer, ms(now))
}

// AttemptEvent is one recorded event of an attempt.
type AttemptEvent struct {
	Kind string
	At   time.Time
}

// RecordAttemptEvent appends an event (e.g. "leave") to an open attempt.
func (db *DB) RecordAttemptEvent(ctx context.Context, attemptID, personID int64, kind string, now time.Time) error {
	return db.AppendAttempt(ctx, attemptID, personID, now, `INSERT INTO attempt_events (attempt_id, kind, at)`,
		`CAST(? AS TEXT), CAST(? AS BIGINT)`, kind, ms(now))
}

// AttemptEvents lists the events of an attempt in order.
func (db *DB) AttemptEvents(ctx context.Context, attemptID int64) ([]AttemptEvent, error) {
	return collect(ctx, db, db.r, "读取考试记录失败", `SELECT kind, at FROM attempt_events WHERE attempt_id = ? ORDER BY id`,
		[]any{attemptID}, func(s scanner) (AttemptEvent, error) {
			var e AttemptEvent
			var at int64
			err := s.Scan(&e.Kind, &at)
			e.At = fromMS(at)
			return e, err
		})
}

// ExamAttempts lists the attempts of an exam with their event counts, for
// the examiner.
func (db *DB) ExamAttempts(ctx context.Context, examID int64) ([]Attempt, error) {
	return collect(ctx, db, db.r, "读取考试记录失败", "SELECT "+attemptCols+
		", (SELECT COUNT(*) FROM attempt_events v WHERE v.attempt_id = a.id)"+attemptFrom+
		" WHERE a.exam_id = ? ORDER BY a.id", []any{examID}, func(s scanner) (Attempt, error) {
		var a Attempt
		var items string
		var started, deadline, submitted, auto, passed int64
		err := s.Scan(&a.ID, &a.ExamID, &a.PersonID, &a.PersonName, &a.Kind, &a.Status, &a.Seed, &items, &started,
			&deadline, &submitted, &auto, &a.Score, &passed, &a.PassMark, &a.Events)
		a.StartedAt, a.Deadline, a.SubmittedAt = fromMS(started), fromMS(deadline), fromMS(submitted)
		a.AutoSubmitted, a.Passed = auto != 0, passed != 0
		return a, err
	})
}

// PersonAttempts lists one person's attempts, newest first.
func (db *DB) PersonAttempts(ctx context.Context, personID int64) ([]Attempt, error) {
	return collect(ctx, db, db.r, "读取考试记录失败", "SELECT "+attemptCols+attemptFrom+
		" WHERE a.person_id = ? ORDER BY a.id DESC", []any{personID}, scanAttempt)
}

// ExpiredAttempts lists up to limit open attempts whose deadline is before
// now, earliest first (the exam_attempts_due partial index serves it).
func (db *DB) ExpiredAttempts(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	return collect(ctx, db, db.w, "读取考试记录失败", `SELECT id FROM exam_attempts WHERE status = 'open' AND deadline < ?
		ORDER BY deadline, id LIMIT ?`, []any{ms(now), limit}, func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}

// AttemptOfKind reads the person's attempt of a kind in an exam; NotFound
// if none.
func (tx *Tx) AttemptOfKind(ctx context.Context, examID, personID int64, kind string) (Attempt, error) {
	return attemptBy(tx.queryRow(ctx, "SELECT "+attemptCols+attemptFrom+
		" WHERE a.exam_id = ? AND a.person_id = ? AND a.kind = ?", examID, personID, kind))
}

// ExamEvents lists the events of every attempt of an exam, by attempt, for
// the examiner's list.
func (db *DB) ExamEvents(ctx context.Context, examID int64) (map[int64][]AttemptEvent, error) {
	type row struct {
		id int64
		e  AttemptEvent
	}
	rows, err := collect(ctx, db, db.r, "读取考试记录失败", `SELECT v.attempt_id, v.kind, v.at FROM attempt_events v
		JOIN exam_attempts a ON a.id = v.attempt_id WHERE a.exam_id = ? ORDER BY v.attempt_id, v.id`, []any{examID},
		func(s scanner) (row, error) {
			var r row
			var at int64
			err := s.Scan(&r.id, &r.e.Kind, &at)
			r.e.At = fromMS(at)
			return r, err
		})
	out := map[int64][]AttemptEvent{}
	for _, r := range rows {
		out[r.id] = append(out[r.id], r.e)
	}
	return out, err
}
