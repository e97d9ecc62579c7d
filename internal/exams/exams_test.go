package exams_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/exam"
	"dibao/internal/exams"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var bg = context.Background()

type fixture struct {
	db      *store.DB
	s       *exams.Service
	now     atomic.Int64 // unix ms
	admin   authz.Principal
	pupil   authz.Principal
	other   authz.Principal
	planID  int64
	qs      []int64
	submits atomic.Int64
}

func (f *fixture) at(t time.Time) { f.now.Store(t.UnixMilli()) }

var opens = time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)

// setup makes a bank of four questions (one of each type), a trainee
// enrolled in the plan and one who is not.
func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	testenv.SeedRegions(t, db)
	f := &fixture{db: db}
	f.at(opens)
	f.s = &exams.Service{DB: db, Now: func() time.Time { return time.UnixMilli(f.now.Load()) }}
	f.s.OnSubmit = func(ctx context.Context, tx *store.Tx, a store.Attempt) error {
		f.submits.Add(1)
		return nil
	}
	f.admin = testenv.User(t, db, "tadmin", testenv.County, authz.TrainingAdmin)
	f.pupil = testenv.User(t, db, "pupil", testenv.VillageA, authz.VillageClerk)
	f.other = testenv.User(t, db, "other", testenv.VillageB, authz.VillageClerk)
	f.planID = testenv.Plan(t, db, testenv.County, f.pupil.UserID)
	for _, q := range []exam.Question{
		{Kind: exam.Single, Category: enroll.PolicyLaw, Difficulty: 1, Stem: "低保申请审核确认后的公示期为几天？",
			Options: []string{"3天", "7天", "15天"}, Correct: []int{1}},
		{Kind: exam.Multiple, Category: enroll.BusinessSkills, Difficulty: 2, Stem: "入户调查应当如何进行？",
			Options: []string{"调查人员不少于2人", "一人即可", "如实记录并签字"}, Correct: []int{0, 2}},
		{Kind: exam.TrueFalse, Category: enroll.Ethics, Difficulty: 1, Stem: "经办人员近亲属申请低保应当备案。", Correct: []int{0}},
		{Kind: exam.Fill, Category: enroll.PolicyLaw, Difficulty: 1, Stem: "渐退期最长不超过____个月。", Accepted: []string{"6", "六"}},
	} {
		id, err := f.s.CreateQuestion(bg, f.admin, q)
		if err != nil {
			t.Fatal(err)
		}
		f.qs = append(f.qs, id)
	}
	return f
}

func (f *fixture) exam(t *testing.T, minutes int) int64 {
	t.Helper()
	var picks []exam.Pick
	for _, id := range f.qs {
		picks = append(picks, exam.Pick{QuestionID: id, Points: 25})
	}
	id, err := f.s.CreateExam(bg, f.admin, exams.ExamInput{Title: "第四季度理论考试", PlanID: f.planID, OpensAt: opens,
		ClosesAt: opens.Add(24 * time.Hour), Minutes: minutes, ClosedBook: true, Review: exam.ReviewAnswers,
		Paper: exam.Paper{Fixed: picks}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// answerFor finds the attempt position of bank question qid.
func answerFor(a store.Attempt, qid int64) exam.Item {
	for _, it := range a.Items {
		if it.Question.ID == qid {
			return it
		}
	}
	return exam.Item{}
}

// TestTakeGradeAndVersioning: a trainee answers three of four questions
// right (75 ≥ 60, passed); an edit of a question after the start leaves the
// attempt's snapshot as it was.
func TestTakeGradeAndVersioning(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id := f.exam(t, 30)
		a, err := f.s.Start(bg, f.pupil, id, "")
		if err != nil {
			t.Fatal(err)
		}
		if a.Kind != store.AttemptFirst || !a.Deadline.Equal(opens.Add(30*time.Minute)) || len(a.Items) != 4 || a.PassMark != 60 {
			t.Fatalf("attempt %+v", a)
		}
		// Edit question 1 (the 公示期) after the start: a new version.
		q1 := answerFor(a, f.qs[0]).Question
		edited := q1
		edited.Stem, edited.Options, edited.Correct = "改过的题干", []string{"甲", "乙"}, []int{0}
		v, err := f.s.ReviseQuestion(bg, f.admin, f.qs[0], edited)
		if err != nil || v != 2 {
			t.Fatalf("revise %d %v", v, err)
		}
		save := func(qid int64, vals ...string) {
			t.Helper()
			if err := f.s.Save(bg, f.pupil, a.ID, answerFor(a, qid).N, vals); err != nil {
				t.Fatal(err)
			}
		}
		save(f.qs[0], "1")    // right under version 1 (7天)
		save(f.qs[1], "0")    // multiple, half right: wrong
		save(f.qs[2], "true") // right
		save(f.qs[3], " ６ ")  // full-width: right
		got, err := f.s.Submit(bg, f.pupil, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.AttemptSubmitted || got.Score != 75 || !got.Passed || got.AutoSubmitted {
			t.Fatalf("submitted %+v", got)
		}
		if q := answerFor(got, f.qs[0]).Question; q.Version != 1 || q.Stem != q1.Stem {
			t.Fatalf("snapshot changed by the edit: %+v", q)
		}
		cur, _ := f.s.Question(bg, f.admin, f.qs[0], 0)
		old, _ := f.s.Question(bg, f.admin, f.qs[0], 1)
		if cur.Version != 2 || cur.Stem != "改过的题干" || old.Stem != q1.Stem {
			t.Fatalf("versions %+v %+v", cur, old)
		}
		if f.submits.Load() != 1 {
			t.Fatalf("OnSubmit ran %d times", f.submits.Load())
		}
		// Submitting again answers the same attempt, hook not run again.
		if again, err := f.s.Submit(bg, f.pupil, a.ID); err != nil || again.Score != 75 || f.submits.Load() != 1 {
			t.Fatalf("second submit %+v %v", again, err)
		}
		// The first attempt is taken: another "first" start is refused.
		if _, err := f.s.Start(bg, f.pupil, id, store.AttemptFirst); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("second first attempt: %v", err)
		}
		// Passed: no make-up (without a BeforeStart hook).
		if _, err := f.s.Start(bg, f.pupil, id, store.AttemptMakeup); errs.As(err).Message != exams.MsgNoMakeup {
			t.Fatalf("makeup after a pass: %v", err)
		}
	})
}

// TestAutosaveAppendOnly: every save is a new record, the latest counts,
// saves after the deadline are refused in Chinese, another person's
// attempt is not found.
func TestAutosaveAppendOnly(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id := f.exam(t, 10)
		a, err := f.s.Start(bg, f.pupil, id, "")
		if err != nil {
			t.Fatal(err)
		}
		n := answerFor(a, f.qs[0]).N
		for _, v := range []string{"0", "2", "1"} {
			if err := f.s.Save(bg, f.pupil, a.ID, n, []string{v}); err != nil {
				t.Fatal(err)
			}
		}
		if c, _ := db.AnswerCount(bg, a.ID); c != 3 {
			t.Fatalf("records %d, want 3", c)
		}
		if ans, _ := db.LatestAnswers(bg, a.ID); ans[n] != "1" {
			t.Fatalf("latest %q", ans[n])
		}
		if err := f.s.Save(bg, f.pupil, a.ID, n, []string{"7"}); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("bad option: %v", err)
		}
		if err := f.s.Save(bg, f.pupil, a.ID, 99, []string{"1"}); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("bad question: %v", err)
		}
		if err := f.s.Save(bg, f.other, a.ID, n, []string{"1"}); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("other's save: %v", err)
		}
		if err := f.s.Leave(bg, f.pupil, a.ID); err != nil {
			t.Fatal(err)
		}
		f.at(opens.Add(10 * time.Minute))
		err = f.s.Save(bg, f.pupil, a.ID, n, []string{"0"})
		if errs.CodeOf(err) != errs.Conflict || errs.As(err).Message != store.MsgAttemptLate {
			t.Fatalf("late save: %v", err)
		}
		if c, _ := db.AnswerCount(bg, a.ID); c != 3 {
			t.Fatalf("late save written: %d", c)
		}
		// Reading the attempt after the deadline submits it with the saved answer.
		v, err := f.s.Attempt(bg, f.pupil, a.ID)
		if err != nil || v.Attempt.Status != store.AttemptSubmitted || !v.Attempt.AutoSubmitted || v.Attempt.Score != 25 {
			t.Fatalf("view %+v %v", v.Attempt, err)
		}
		mv, err := f.s.Attempt(bg, f.admin, a.ID)
		if err != nil || len(mv.Events) != 1 || mv.Events[0].Kind != "leave" {
			t.Fatalf("examiner view events %+v %v", mv.Events, err)
		}
		if err := f.s.Save(bg, f.pupil, a.ID, n, []string{"0"}); errs.As(err).Message != store.MsgAttemptClosed {
			t.Fatalf("save after submit: %v", err)
		}
		// Failed (25 < 60): one make-up, a new attempt with its own snapshot;
		// a second one is refused by the unique (exam, person, kind).
		mk, err := f.s.Start(bg, f.pupil, id, store.AttemptMakeup)
		if err != nil || mk.ID == a.ID || mk.Kind != store.AttemptMakeup || mk.Status != store.AttemptOpen {
			t.Fatalf("makeup %+v %v", mk, err)
		}
		if _, err := f.s.Submit(bg, f.pupil, mk.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Start(bg, f.pupil, id, store.AttemptMakeup); errs.As(err).Message != exams.MsgTaken {
			t.Fatalf("second makeup: %v", err)
		}
	})
}

// TestSweepExactlyOnce: attempts left open past their deadline are
// submitted once by two concurrent sweeps; a sweep before the deadline
// submits nothing.
func TestSweepExactlyOnce(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id := f.exam(t, 20)
		var ids []int64
		for i := 0; i < 5; i++ {
			u := testenv.User(t, db, "cand"+string(rune('a'+i)), testenv.VillageA, authz.VillageClerk)
			err := db.InTx(bg, testenv.Admin(), func(tx *store.Tx) error {
				if err := tx.InsertEnrollment(bg, &store.Enrollment{PersonID: u.UserID, PlanID: f.planID, Due: "2026-12-31"}); err != nil {
					return err
				}
				return tx.Audit(bg, store.Entry{Action: "test.enroll", Object: "e"})
			})
			if err != nil {
				t.Fatal(err)
			}
			a, err := f.s.Start(bg, u, id, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := f.s.Save(bg, u, a.ID, answerFor(a, f.qs[2]).N, []string{"true"}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
		}
		if n, err := f.s.SweepExpired(bg, opens.Add(19*time.Minute)); err != nil || n != 0 {
			t.Fatalf("early sweep %d %v", n, err)
		}
		late := opens.Add(21 * time.Minute)
		f.at(late)
		var wg sync.WaitGroup
		var total atomic.Int64
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := f.s.SweepExpired(bg, late)
				if err != nil {
					t.Error(err)
				}
				total.Add(int64(n))
			}()
		}
		wg.Wait()
		if total.Load() != 5 || f.submits.Load() != 5 {
			t.Fatalf("sweeps submitted %d, hook ran %d, want 5", total.Load(), f.submits.Load())
		}
		for _, aid := range ids {
			a, _ := db.Attempt(bg, aid)
			if a.Status != store.AttemptSubmitted || !a.AutoSubmitted || a.Score != 25 {
				t.Fatalf("attempt %+v", a)
			}
		}
		if n, _ := f.s.SweepExpired(bg, late); n != 0 {
			t.Fatalf("third sweep submitted %d", n)
		}
	})
}

// TestStartRules: a person not enrolled cannot start; two concurrent starts
// return the same attempt; before the window opens is refused; the
// deadline never passes the window's close.
func TestStartRules(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id := f.exam(t, 30)
		if _, err := f.s.Start(bg, f.other, id, ""); errs.CodeOf(err) != errs.Forbidden || errs.As(err).Message != exams.MsgNotEnrolled {
			t.Fatalf("not enrolled: %v", err)
		}
		f.at(opens.Add(-time.Minute))
		if _, err := f.s.Start(bg, f.pupil, id, ""); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("before window: %v", err)
		}
		f.at(opens.Add(24*time.Hour - 10*time.Minute))
		var wg sync.WaitGroup
		got := make([]store.Attempt, 2)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := f.s.Start(bg, f.pupil, id, "")
				if err != nil {
					t.Error(err)
				}
				got[i] = a
			}()
		}
		wg.Wait()
		if got[0].ID == 0 || got[0].ID != got[1].ID {
			t.Fatalf("concurrent starts: %d and %d", got[0].ID, got[1].ID)
		}
		if !got[0].Deadline.Equal(opens.Add(24 * time.Hour)) {
			t.Fatalf("deadline %v, want the window close", got[0].Deadline)
		}
		// The unique index itself refuses a second open attempt.
		err := db.InTx(bg, f.pupil, func(tx *store.Tx) error {
			_, inserted, err := tx.InsertAttempt(bg, store.Attempt{ExamID: id, PersonID: f.pupil.UserID, Kind: store.AttemptMakeup,
				Seed: 1, StartedAt: opens, Deadline: opens, PassMark: 60})
			if err == nil && inserted {
				t.Error("a second open attempt was inserted")
			}
			return tx.Audit(bg, store.Entry{Action: "test", Object: "x"})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestCreateExamChecks: bad input is refused field by field; a rule paper
// the bank cannot fill is refused.
func TestCreateExamChecks(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		_, err := f.s.CreateExam(bg, f.admin, exams.ExamInput{Title: "", Minutes: 0, OpensAt: opens, ClosesAt: opens,
			Review: "x"})
		fields := errs.Fields(err)
		for _, k := range []string{"title", "plan_id", "closes_at", "minutes", "review", "paper"} {
			if fields[k] == "" {
				t.Errorf("no message for %s: %v", k, fields)
			}
		}
		_, err = f.s.CreateExam(bg, f.admin, exams.ExamInput{Title: "抽题", PlanID: f.planID, OpensAt: opens,
			ClosesAt: opens.Add(time.Hour), Minutes: 30, Review: exam.ReviewScore,
			Paper: exam.Paper{Rules: []exam.Rule{{Category: enroll.PolicyLaw, Difficulty: 1, Count: 3, Points: 10}}}})
		if err == nil || !strings.Contains(errs.As(err).Message, "不足") {
			t.Fatalf("short bank: %v", err)
		}
		id, err := f.s.CreateExam(bg, f.admin, exams.ExamInput{Title: "抽题", PlanID: f.planID, OpensAt: opens,
			ClosesAt: opens.Add(time.Hour), Minutes: 30, Review: exam.ReviewScore,
			Paper: exam.Paper{Rules: []exam.Rule{{Category: enroll.PolicyLaw, Difficulty: 1, Count: 2, Points: 10}}}})
		if err != nil {
			t.Fatal(err)
		}
		e, _ := db.Exam(bg, id)
		if len(e.Paper) != 2 || e.PassMark != 60 {
			t.Fatalf("exam %+v", e)
		}
		if _, err := f.s.CreateQuestion(bg, f.pupil, exam.Question{}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("trainee writes the bank: %v", err)
		}
	})
}

func workbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := sheet.Write(&buf, "题库", sheet.Cols(exams.SheetColumns...), sheet.Rows(rows, func(r []any) []any { return r })); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportExport: a sheet with bad rows writes nothing and lists each
// problem by row and column; a good sheet creates and revises; the export
// reads back.
func TestImportExport(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		good := []any{"", "单选题", "政策法规", "易", "低保标准由哪级政府制定公布？", "县级以上地方人民政府", "村委会", "", "", "", "", "A"}
		bad := [][]any{
			good,
			{"", "问答题", "政策法规", "易", "题干", "", "", "", "", "", "", "x"},
			{"", "多选题", "财务", "5", "题干", "甲", "乙", "", "", "", "", "A"},
			{"999", "判断题", "职业道德与廉政", "中", "题干", "", "", "", "", "", "", "不知道"},
		}
		res, err := f.s.ImportBank(bg, f.admin, workbook(t, bad))
		if err != nil {
			t.Fatal(err)
		}
		want := map[int][]string{3: {"题型"}, 4: {"内容类别", "难度", "答案"}, 5: {"答案"}}
		got := map[int][]string{}
		for _, e := range res.Errors {
			got[e.Row] = append(got[e.Row], e.Column)
		}
		for row, cols := range want {
			if strings.Join(got[row], ",") != strings.Join(cols, ",") {
				t.Errorf("row %d errors %v, want %v (all %+v)", row, got[row], cols, res.Errors)
			}
		}
		if res.Created != 0 {
			t.Fatalf("created %d with bad rows", res.Created)
		}
		if qs, _ := db.Questions(bg, true); len(qs) != 4 {
			t.Fatalf("bank has %d questions after a refused import", len(qs))
		}
		// A good sheet: one new, one revision of question 1, one unchanged.
		var buf bytes.Buffer
		if err := f.s.ExportBank(bg, f.admin, &buf); err != nil {
			t.Fatal(err)
		}
		rows, err := sheet.Read(&buf)
		if err != nil || len(rows) != 5 {
			t.Fatalf("export rows %d %v", len(rows), err)
		}
		r1 := make([]any, len(exams.SheetColumns))
		for i, c := range rows[1] {
			r1[i] = c
		}
		r1[4] = "修订后的题干"
		r2 := make([]any, len(exams.SheetColumns))
		for i, c := range rows[4] {
			r2[i] = c
		}
		res, err = f.s.ImportBank(bg, f.admin, workbook(t, [][]any{good, r1, r2}))
		if err != nil || len(res.Errors) != 0 || res.Created != 1 || res.Revised != 1 || res.Unchanged != 1 {
			t.Fatalf("import %+v %v", res, err)
		}
		if q, _ := db.Question(bg, f.qs[0], 0); q.Version != 2 || q.Stem != "修订后的题干" {
			t.Fatalf("revised %+v", q)
		}
		if _, err := f.s.ImportBank(bg, f.admin, []byte("not a workbook")); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("junk file: %v", err)
		}
	})
}

// TestSaveClosedBeforeInvalid: a save to a submitted attempt is refused as
// submitted whatever the answer (the slots are memoised; whether the
// attempt is open is not), and an invalid answer to an open one as invalid.
func TestSaveClosedBeforeInvalid(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id := f.exam(t, 30)
		a, err := f.s.Start(bg, f.pupil, id, "")
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n <= len(a.Items)+1; n++ {
			if n >= 1 && n <= len(a.Items) && a.Items[n-1].Question.Kind == exam.Fill {
				continue // any text is a fill-in answer
			}
			if err := f.s.Save(bg, f.pupil, a.ID, n, []string{"bogus", "9"}); errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("open attempt, question %d: %v", n, err)
			}
		}
		if err := f.s.Save(bg, f.other, a.ID, 1, []string{"bogus"}); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("another's attempt: %v", err)
		}
		if _, err := f.s.Submit(bg, f.pupil, a.ID); err != nil {
			t.Fatal(err)
		}
		for n := 0; n <= len(a.Items)+1; n++ {
			err := f.s.Save(bg, f.pupil, a.ID, n, []string{"bogus", "9"})
			if errs.CodeOf(err) != errs.Conflict || errs.As(err).Message != store.MsgAttemptClosed {
				t.Fatalf("submitted attempt, question %d: %v", n, err)
			}
		}
		if n, err := db.AnswerCount(bg, a.ID); err != nil || n != 0 {
			t.Fatalf("answers %d %v", n, err)
		}
	})
}
