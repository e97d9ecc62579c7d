// Package exams runs theory exams (issue 6 items 1, 2, 8; SPEC §3.4): the
// versioned question bank with its Excel import and export, exams over a
// training plan's enrolled people, and attempts — start with a
// server-authoritative deadline, append-only autosave, submit with
// automatic grading, and the sweep that submits every attempt left open
// past its deadline. The rules themselves are in package exam.
//
// Exam day at scale (issue 8, `dibao bench exam-day`): an exam never
// changes once created and an attempt's items are a snapshot, so both are
// memoised (memo.go). Start reads the exam from the memo, one enrollment
// by (person, plan) and inserts one attempt whose unique indexes decide
// concurrent starts; autosave is one INSERT … SELECT that appends the
// answer only while the attempt row (locked shared) is the candidate's,
// open and before its deadline; submit claims the attempt by id, reads its
// answers by attempt id and grades the snapshot it read. None of them
// reads or locks other candidates' rows.
package exams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/exam"
	"dibao/internal/policy"
	"dibao/internal/store"
)

// Service is the theory exam use case.
type Service struct {
	DB *store.DB
	// Now is the clock; nil means the store's clock.
	Now func() time.Time
	// OnSubmit, when set, runs inside the submit transaction after the
	// attempt is graded (score, pass flag, kind set on a): the assessment
	// results hook. Its error rolls the submit back.
	OnSubmit func(ctx context.Context, tx *store.Tx, a store.Attempt) error
	// BeforeStart, when set, runs inside the start transaction before a new
	// attempt is inserted: the make-up rule decides whether kind is allowed.
	BeforeStart func(ctx context.Context, tx *store.Tx, e store.Exam, personID int64, kind string) error

	memo memo // exams and attempt slots, which never change (memo.go)
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return s.DB.Now()
	}
	return s.Now()
}

// CanManage reports whether p manages the bank and exams: training admins
// and trainers.
func CanManage(p authz.Principal) bool { return p.Has(authz.TrainingAdmin) || p.Has(authz.Trainer) }

func mustManage(p authz.Principal) error {
	if !CanManage(p) {
		return errs.New(errs.Forbidden, "", "只有培训管理员和培训讲师可以管理题库和考试")
	}
	return nil
}

func signedIn(p authz.Principal) error {
	if p.UserID == 0 {
		return errs.New(errs.Forbidden, "", "请先登录")
	}
	return nil
}

func questionObj(id int64) string { return "exam_question:" + strconv.FormatInt(id, 10) }
func examObj(id int64) string     { return "exam:" + strconv.FormatInt(id, 10) }
func attemptObj(id int64) string  { return "exam_attempt:" + strconv.FormatInt(id, 10) }

// ---- question bank ----

// Questions lists the bank (current versions).
func (s *Service) Questions(ctx context.Context, p authz.Principal, withRetired bool) ([]store.BankQuestion, error) {
	if err := mustManage(p); err != nil {
		return nil, err
	}
	return s.DB.Questions(ctx, withRetired)
}

// Question reads one question at a version (0: current).
func (s *Service) Question(ctx context.Context, p authz.Principal, id int64, version int) (store.BankQuestion, error) {
	if err := mustManage(p); err != nil {
		return store.BankQuestion{}, err
	}
	return s.DB.Question(ctx, id, version)
}

// CreateQuestion checks and adds a question; it returns its id.
func (s *Service) CreateQuestion(ctx context.Context, p authz.Principal, q exam.Question) (int64, error) {
	if err := mustManage(p); err != nil {
		return 0, err
	}
	q.Clean()
	if err := q.Check(); err != nil {
		return 0, err
	}
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.CreateQuestion(ctx, &q); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "exam.question.create", Object: questionObj(q.ID),
			Detail: fmt.Sprintf("kind=%s category=%s difficulty=%d", q.Kind, q.Category, q.Difficulty)})
	})
	return q.ID, err
}

// ReviseQuestion stores an edit as a new version of question id and returns
// the version; attempts already given the earlier version keep it.
func (s *Service) ReviseQuestion(ctx context.Context, p authz.Principal, id int64, q exam.Question) (int, error) {
	if err := mustManage(p); err != nil {
		return 0, err
	}
	q.ID = id
	q.Clean()
	if err := q.Check(); err != nil {
		return 0, err
	}
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.ReviseQuestion(ctx, &q); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "exam.question.revise", Object: questionObj(id),
			Detail: fmt.Sprintf("version=%d kind=%s", q.Version, q.Kind)})
	})
	return q.Version, err
}

// RetireQuestion takes a question out of (or back into) new papers.
func (s *Service) RetireQuestion(ctx context.Context, p authz.Principal, id int64, retired bool) error {
	if err := mustManage(p); err != nil {
		return err
	}
	return s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.SetQuestionRetired(ctx, id, retired); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "exam.question.retire", Object: questionObj(id),
			Detail: fmt.Sprintf("retired=%v", retired)})
	})
}

// ---- exams ----

// ExamInput is what the examiner fills in.
type ExamInput struct {
	Title      string
	PlanID     int64
	OpensAt    time.Time
	ClosesAt   time.Time
	Minutes    int
	ClosedBook bool
	Review     exam.Review
	Paper      exam.Paper
	Seed       int64 // draws a rule paper; 0 picks one
}

// Check validates the input field by field.
func (in ExamInput) Check() errs.List {
	var l errs.List
	if strings.TrimSpace(in.Title) == "" || utf8.RuneCountInString(in.Title) > 100 {
		l.Add("title", "请填写考试名称（不超过100字）")
	}
	if in.PlanID == 0 {
		l.Add("plan_id", "请选择培训计划（参加该计划的人员为考生）")
	}
	if in.OpensAt.IsZero() {
		l.Add("opens_at", "请填写开考时间")
	}
	if in.ClosesAt.IsZero() {
		l.Add("closes_at", "请填写截止时间")
	} else if !in.OpensAt.IsZero() && !in.ClosesAt.After(in.OpensAt) {
		l.Add("closes_at", "截止时间应晚于开考时间")
	}
	if in.Minutes < 1 || in.Minutes > MaxMinutes {
		l.Add("minutes", "考试时长应为 1 至 %d 分钟", MaxMinutes)
	}
	if !in.Review.Valid() {
		l.Add("review", "请选择考后可查看的内容")
	}
	if err := in.Paper.Check(); err != nil {
		var pl errs.List
		if errors.As(err, &pl) {
			l = append(l, pl...)
		} else {
			l = append(l, errs.As(err))
		}
	}
	return l
}

// MaxMinutes bounds an exam's time limit.
const MaxMinutes = 600

// CreateExam checks the input, draws the paper from the current bank,
// freezes it with the theory_pass in force in the plan's region on the
// opening day, and returns the exam id.
func (s *Service) CreateExam(ctx context.Context, p authz.Principal, in ExamInput) (int64, error) {
	if err := mustManage(p); err != nil {
		return 0, err
	}
	in.Title = strings.TrimSpace(in.Title)
	if err := in.Check().Err(); err != nil {
		return 0, err
	}
	if in.Seed == 0 {
		in.Seed = rand.Int64N(1<<53) + 1
	}
	e := store.Exam{Title: in.Title, PlanID: in.PlanID, OpensAt: in.OpensAt, ClosesAt: in.ClosesAt, Minutes: in.Minutes,
		ClosedBook: in.ClosedBook, Review: in.Review, PaperDef: in.Paper, Seed: in.Seed}
	plan, err := s.DB.TrainingPlanFor(ctx, p.Region, in.PlanID)
	if err != nil {
		return 0, errs.Invalidf("plan_id", "培训计划不存在")
	}
	set, err := policy.Resolve(ctx, s.DB, plan.Region, in.OpensAt)
	if err != nil {
		return 0, err
	}
	e.PassMark, e.PassVersion = set.Int(policy.TheoryPass), set.Version(policy.TheoryPass)
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		bank, err := tx.Questions(ctx, false)
		if err != nil {
			return err
		}
		qs := make([]exam.Question, len(bank))
		for i, b := range bank {
			qs[i] = b.Question
		}
		if e.Paper, err = exam.Draw(qs, in.Paper, in.Seed); err != nil {
			return err
		}
		if err := tx.CreateExam(ctx, &e); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "exam.create", Object: examObj(e.ID),
			Detail: fmt.Sprintf("plan=%d questions=%d minutes=%d closed_book=%v review=%s pass=%d", e.PlanID,
				len(e.Paper), e.Minutes, e.ClosedBook, e.Review, e.PassMark)})
	})
	return e.ID, err
}

// Exams lists the exams p may see: every exam for a manager, the exams of
// p's plans otherwise.
func (s *Service) Exams(ctx context.Context, p authz.Principal) ([]store.Exam, error) {
	if CanManage(p) {
		return s.DB.ExamsFor(ctx, p.Region)
	}
	if err := signedIn(p); err != nil {
		return nil, err
	}
	return s.DB.PersonExams(ctx, p.UserID)
}

// MyExams lists the exams of p's own plans (a manager may be a candidate too).
func (s *Service) MyExams(ctx context.Context, p authz.Principal) ([]store.Exam, error) {
	if err := signedIn(p); err != nil {
		return nil, err
	}
	return s.DB.PersonExams(ctx, p.UserID)
}

// Exam reads one exam for a manager.
func (s *Service) Exam(ctx context.Context, p authz.Principal, id int64) (store.Exam, error) {
	if err := mustManage(p); err != nil {
		return store.Exam{}, err
	}
	if err := s.DB.ExamVisible(ctx, p.Region, id); err != nil {
		return store.Exam{}, err
	}
	return s.exam(ctx, id)
}

// ExamEvents lists the leave-page events of an exam's attempts.
func (s *Service) ExamEvents(ctx context.Context, p authz.Principal, examID int64) (map[int64][]store.AttemptEvent, error) {
	if err := mustManage(p); err != nil {
		return nil, err
	}
	if err := s.DB.ExamVisible(ctx, p.Region, examID); err != nil {
		return nil, err
	}
	return s.DB.ExamEvents(ctx, examID)
}

// ExamAttempts lists the attempts of an exam with leave-page counts.
func (s *Service) ExamAttempts(ctx context.Context, p authz.Principal, examID int64) ([]store.Attempt, error) {
	if err := mustManage(p); err != nil {
		return nil, err
	}
	if err := s.DB.ExamVisible(ctx, p.Region, examID); err != nil {
		return nil, err
	}
	return s.DB.ExamAttemptsIn(ctx, p.Scope(), examID)
}

// MyAttempts lists p's own attempts.
func (s *Service) MyAttempts(ctx context.Context, p authz.Principal) ([]store.Attempt, error) {
	if err := signedIn(p); err != nil {
		return nil, err
	}
	return s.DB.PersonAttempts(ctx, p.UserID)
}

// ---- attempts ----

// Messages shown to candidates.
const (
	MsgNotEnrolled = "您未参加本场考试所属的培训计划，不能参加考试"
	MsgNotOpen     = "考试尚未开始，开考时间为 %s"
	MsgClosed      = "考试已结束，不能再开始作答"
	MsgTaken       = "您已参加过本场考试，不能再次开始"
	MsgNoMakeup    = "只有首次考试不合格的人员可以参加补考"
)

var cst = time.FixedZone("CST", 8*3600)

// CheckMakeup is the exam's own make-up rule, for an exam whose result is
// not an assessment of its plan (practice): a make-up only after a failed
// first attempt of this exam.
func CheckMakeup(ctx context.Context, tx *store.Tx, examID, personID int64, kind string) error {
	if kind != store.AttemptMakeup {
		return nil
	}
	first, err := tx.AttemptOfKind(ctx, examID, personID, store.AttemptFirst)
	if errs.CodeOf(err) == errs.NotFound || (err == nil && (first.Status != store.AttemptSubmitted || first.Passed)) {
		return errs.New(errs.Conflict, "", MsgNoMakeup)
	}
	return err
}

// Deadline is the server-authoritative end of an attempt started at start:
// the time limit, but never past the window's close.
func Deadline(e store.Exam, start time.Time) time.Time {
	d := start.Add(time.Duration(e.Minutes) * time.Minute)
	if e.ClosesAt.Before(d) {
		d = e.ClosesAt
	}
	return d
}

// Start opens p's attempt of the given kind (store.AttemptFirst or
// store.AttemptMakeup) or returns the open one they have: two concurrent
// starts return the same attempt.
func (s *Service) Start(ctx context.Context, p authz.Principal, examID int64, kind string) (store.Attempt, error) {
	var a store.Attempt
	if err := signedIn(p); err != nil {
		return a, err
	}
	if kind == "" {
		kind = store.AttemptFirst
	}
	if kind != store.AttemptFirst && kind != store.AttemptMakeup {
		return a, errs.Invalidf("kind", "考试类型应为首次考试或补考")
	}
	now := s.now()
	e, err := s.exam(ctx, examID) // an exam never changes: read before the transaction
	if err != nil {
		return a, err
	}
	errExisting := errors.New("existing")
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if open, err := tx.OpenAttempt(ctx, examID, p.UserID); err == nil {
			a = open
			return errExisting
		} else if errs.CodeOf(err) != errs.NotFound {
			return err
		}
		en, err := tx.EnrollmentFor(ctx, p.UserID, e.PlanID)
		if errs.CodeOf(err) == errs.NotFound || (err == nil && en.Status == store.EnrollDropped) {
			return errs.New(errs.Forbidden, "", MsgNotEnrolled)
		} else if err != nil {
			return err
		}
		if now.Before(e.OpensAt) {
			return errs.New(errs.Conflict, "", fmt.Sprintf(MsgNotOpen, e.OpensAt.In(cst).Format("2006-01-02 15:04")))
		}
		if !now.Before(e.ClosesAt) {
			return errs.New(errs.Conflict, "", MsgClosed)
		}
		if s.BeforeStart != nil {
			if err := s.BeforeStart(ctx, tx, e, p.UserID, kind); err != nil {
				return err
			}
		} else if err := CheckMakeup(ctx, tx, examID, p.UserID, kind); err != nil {
			return err
		}
		seed := rand.Int64N(1<<53) + 1
		got, inserted, err := tx.InsertAttempt(ctx, store.Attempt{ExamID: examID, PersonID: p.UserID, Kind: kind,
			Seed: seed, Items: exam.Shuffle(e.Paper, seed), StartedAt: now, Deadline: Deadline(e, now), PassMark: e.PassMark})
		if errs.CodeOf(err) == errs.NotFound {
			return errs.New(errs.Conflict, "", MsgTaken)
		}
		if err != nil {
			return err
		}
		a = got
		if !inserted {
			return errExisting // a concurrent start won; answer its attempt
		}
		return tx.Audit(ctx, store.Entry{Action: "exam.start", Object: attemptObj(a.ID),
			Detail: fmt.Sprintf("exam=%d kind=%s deadline=%s", examID, kind, a.Deadline.UTC().Format(time.RFC3339))})
	})
	if errors.Is(err, errExisting) {
		err = nil
	}
	if err == nil {
		s.memo.putSheet(a) // the autosaves to come need its slots
	}
	return a, err
}

// View is an attempt with its latest answers, for the candidate or the
// examiner.
type View struct {
	Attempt store.Attempt
	Exam    store.Exam
	Answers map[int]string
	Events  []store.AttemptEvent
}

// Attempt reads an attempt for its candidate or a manager. An open attempt
// past its deadline is submitted first (the sweep would do it within
// seconds; the candidate's page should not wait for it).
func (s *Service) Attempt(ctx context.Context, p authz.Principal, id int64) (View, error) {
	if err := signedIn(p); err != nil {
		return View{}, err
	}
	a, err := s.DB.Attempt(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, a)
}

// MyView is p's latest attempt of an exam as Attempt reads it (ok false if
// p has none).
func (s *Service) MyView(ctx context.Context, p authz.Principal, examID int64) (View, bool, error) {
	if err := signedIn(p); err != nil {
		return View{}, false, err
	}
	a, err := s.DB.LatestAttempt(ctx, examID, p.UserID)
	if errs.CodeOf(err) == errs.NotFound {
		return View{}, false, nil
	}
	if err != nil {
		return View{}, false, err
	}
	v, err := s.view(ctx, p, a)
	return v, err == nil, err
}

func (s *Service) view(ctx context.Context, p authz.Principal, a store.Attempt) (View, error) {
	var v View
	if a.PersonID != p.UserID {
		// A manager reads the attempts of candidates within their scope,
		// of exams they may address — not another county's.
		if !CanManage(p) || s.DB.ExamVisible(ctx, p.Region, a.ExamID) != nil {
			return v, errs.New(errs.NotFound, "", "考试记录不存在")
		}
		if _, err := s.DB.UserInScope(ctx, p.Scope(), a.PersonID); err != nil {
			return v, errs.New(errs.NotFound, "", "考试记录不存在")
		}
	}
	var err error
	if a.Status == store.AttemptOpen && !s.now().Before(a.Deadline) {
		ok, graded, err := s.submit(ctx, authz.System("exam-sweep"), a.ID, true, s.now(), &a)
		if err != nil {
			return v, err
		}
		if ok {
			a = graded
		} else if a, err = s.DB.Attempt(ctx, a.ID); err != nil { // the sweep won
			return v, err
		}
	}
	v.Attempt = a
	if v.Exam, err = s.exam(ctx, a.ExamID); err != nil {
		return v, err
	}
	if v.Answers, err = s.DB.LatestAnswers(ctx, a.ID); err != nil {
		return v, err
	}
	if CanManage(p) {
		v.Events, err = s.DB.AttemptEvents(ctx, a.ID)
	}
	return v, err
}

func item(a store.Attempt, n int) (exam.Item, bool) {
	if n < 1 || n > len(a.Items) {
		return exam.Item{}, false
	}
	return a.Items[n-1], true
}

// Save autosaves the answer of question n (its submitted values) as a new
// record; the latest record per question counts. Refused once the attempt
// is submitted or its deadline has passed.
func (s *Service) Save(ctx context.Context, p authz.Principal, attemptID int64, n int, values []string) error {
	if err := signedIn(p); err != nil {
		return err
	}
	// The candidate and the slots never change; whether the attempt is
	// still open and before its deadline, and the candidate's again, is
	// checked under the row lock in SaveAnswer.
	sh, err := s.sheet(ctx, attemptID)
	if err != nil {
		return err
	}
	if sh.person != p.UserID {
		return errs.New(errs.NotFound, "", "考试记录不存在")
	}
	var ans string
	if n < 1 || n > len(sh.slots) {
		err = errs.Invalidf("question", "第%d题不存在", n)
	} else {
		ans, err = sh.slots[n-1].Canon(values)
	}
	if err != nil {
		// A submitted or late attempt says so before what is wrong
		// with the answer.
		if werr := s.DB.AttemptWritable(ctx, attemptID, p.UserID, s.now()); werr != nil {
			return werr
		}
		return err
	}
	return s.DB.SaveAnswer(ctx, attemptID, p.UserID, n, ans, s.now())
}

// Leave records that the candidate left the exam page (closed-book).
func (s *Service) Leave(ctx context.Context, p authz.Principal, attemptID int64) error {
	if err := signedIn(p); err != nil {
		return err
	}
	return s.DB.RecordAttemptEvent(ctx, attemptID, p.UserID, "leave", s.now())
}

// SubmitForm saves the answers a page posted without JavaScript (those that
// differ from the latest saved), then submits. After the deadline nothing
// more is saved; the attempt is submitted with what was saved in time.
func (s *Service) SubmitForm(ctx context.Context, p authz.Principal, attemptID int64, form map[int][]string) (store.Attempt, error) {
	if err := signedIn(p); err != nil {
		return store.Attempt{}, err
	}
	a, err := s.DB.Attempt(ctx, attemptID)
	if err != nil {
		return a, err
	}
	if a.PersonID != p.UserID {
		return a, errs.New(errs.NotFound, "", "考试记录不存在")
	}
	if a.Status == store.AttemptOpen && s.now().Before(a.Deadline) && len(form) > 0 {
		saved, err := s.DB.LatestAnswers(ctx, attemptID)
		if err != nil {
			return a, err
		}
		for _, it := range a.Items {
			vals, ok := form[it.N]
			if !ok {
				continue
			}
			ans, err := exam.Canon(it, vals)
			if err != nil {
				return a, err
			}
			if ans == saved[it.N] {
				continue
			}
			if err := s.DB.SaveAnswer(ctx, attemptID, p.UserID, it.N, ans, s.now()); err != nil {
				if errs.CodeOf(err) == errs.Conflict {
					break // closed meanwhile: submit with what was saved
				}
				return a, err
			}
		}
	}
	return s.submitOwn(ctx, p, a)
}

// Submit grades and closes p's attempt. Submitting a submitted attempt
// answers it as it is.
func (s *Service) Submit(ctx context.Context, p authz.Principal, attemptID int64) (store.Attempt, error) {
	if err := signedIn(p); err != nil {
		return store.Attempt{}, err
	}
	a, err := s.DB.Attempt(ctx, attemptID)
	if err != nil {
		return a, err
	}
	if a.PersonID != p.UserID {
		return a, errs.New(errs.NotFound, "", "考试记录不存在")
	}
	return s.submitOwn(ctx, p, a)
}

// submitOwn submits p's attempt a as read: the graded attempt, or as it
// is when it was submitted already.
func (s *Service) submitOwn(ctx context.Context, p authz.Principal, a store.Attempt) (store.Attempt, error) {
	if a.Status != store.AttemptOpen {
		return a, nil
	}
	ok, graded, err := s.submit(ctx, p, a.ID, !s.now().Before(a.Deadline), s.now(), &a)
	if err != nil || ok {
		return graded, err
	}
	return s.DB.Attempt(ctx, a.ID) // another submit or the sweep won
}

var errNotClaimed = errors.New("exams: attempt already submitted")

// submit claims, grades and records one attempt in one transaction; it
// reports false when another submit or sweep had claimed it, and returns
// the graded attempt. auto submits only an attempt past its deadline. read
// is the attempt as read before (nil: read it in the transaction): what
// grading needs of it — items, pass mark, exam, candidate, kind — never
// changes, and the claim decides the rest.
func (s *Service) submit(ctx context.Context, p authz.Principal, id int64, auto bool, now time.Time, read *store.Attempt) (bool, store.Attempt, error) {
	var due time.Time
	if auto {
		due = now.Add(time.Millisecond) // deadline ≤ now
	}
	var a store.Attempt
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		ok, err := tx.ClaimSubmit(ctx, id, now, auto, due)
		if err != nil {
			return err
		}
		if !ok {
			return errNotClaimed
		}
		if read != nil && read.ID == id {
			a = *read
		} else if a, err = tx.Attempt(ctx, id); err != nil {
			return err
		}
		a.Status, a.SubmittedAt, a.AutoSubmitted = store.AttemptSubmitted, time.UnixMilli(now.UnixMilli()), auto
		answers, err := tx.LatestAnswers(ctx, id)
		if err != nil {
			return err
		}
		res := exam.Grade(a.Items, answers, a.PassMark)
		if err := tx.SetAttemptResult(ctx, id, res.Score, res.Passed); err != nil {
			return err
		}
		a.Score, a.Passed = res.Score, res.Passed
		if s.OnSubmit != nil {
			if err := s.OnSubmit(ctx, tx, a); err != nil {
				return err
			}
		}
		action := "exam.submit"
		if auto {
			action = "exam.autosubmit"
		}
		return tx.Audit(ctx, store.Entry{Action: action, Object: attemptObj(id),
			Detail: fmt.Sprintf("exam=%d person=%d kind=%s score=%d passed=%v answered=%d", a.ExamID, a.PersonID,
				a.Kind, res.Score, res.Passed, len(answers))})
	})
	if errors.Is(err, errNotClaimed) {
		return false, a, nil
	}
	return err == nil, a, err
}

// SweepBatch bounds the attempts one sweep submits; the next sweep goes on.
const SweepBatch = 500

// SweepExpired submits every open attempt whose deadline has passed by
// now, exactly once even when sweeps run concurrently (each submit claims
// its attempt with UPDATE … WHERE status = 'open'). It returns how many
// this call submitted.
func (s *Service) SweepExpired(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.DB.ExpiredAttempts(ctx, now, SweepBatch)
	if err != nil {
		return 0, err
	}
	p := authz.System("exam-sweep")
	n := 0
	for _, id := range ids {
		ok, _, err := s.submit(ctx, p, id, true, now, nil)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// SweepEvery runs SweepExpired every interval until ctx ends (serve starts
// it); a full batch is followed by the next at once.
func SweepEvery(ctx context.Context, s *Service, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.SweepExpired(ctx, s.now())
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("exam sweep: auto-submitting expired attempts", "err", err)
		case n > 0:
			log.Info("exam sweep: attempts auto-submitted", "count", n)
		}
		if err == nil && n == SweepBatch {
			continue // a backlog (an exam's deadline, a restart after a crash): drain it without waiting a tick per batch
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Plans lists the training plans an exam can be for.
func (s *Service) Plans(ctx context.Context, p authz.Principal) ([]store.TrainingPlan, error) {
	if err := mustManage(p); err != nil {
		return nil, err
	}
	return s.DB.LearningPlansFor(ctx, p.Region)
}

// MyAttempt finds p's latest attempt of an exam (ok false if none).
func (s *Service) MyAttempt(ctx context.Context, p authz.Principal, examID int64) (store.Attempt, bool, error) {
	if err := signedIn(p); err != nil {
		return store.Attempt{}, false, err
	}
	a, err := s.DB.LatestAttempt(ctx, examID, p.UserID)
	if errs.CodeOf(err) == errs.NotFound {
		return a, false, nil
	}
	return a, err == nil, err
}

// ForCandidate reads an exam for one of its candidates (or a manager).
func (s *Service) ForCandidate(ctx context.Context, p authz.Principal, examID int64) (store.Exam, error) {
	if err := signedIn(p); err != nil {
		return store.Exam{}, err
	}
	e, err := s.exam(ctx, examID)
	if err != nil {
		return e, err
	}
	if CanManage(p) {
		if err := s.DB.ExamVisible(ctx, p.Region, examID); err == nil {
			return e, nil
		}
	}
	ok, err := s.DB.InExam(ctx, examID, p.UserID)
	if err != nil {
		return store.Exam{}, err
	}
	if !ok {
		return store.Exam{}, errs.New(errs.NotFound, "", "考试不存在")
	}
	return e, nil
}
