package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dibao/internal/assess"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/exam"
	"dibao/internal/exams"
	"dibao/internal/store"
	"dibao/internal/training"
)

// A trainee starts a timed theory exam of a plan that requires the theory
// assessment, answers one question wrongly (autosaved) and leaves the
// page. At the deadline the sweep auto-submits and grades the attempt: on
// their return the page says it was auto-submitted, with the failing
// score. They take the one make-up, answer correctly and pass — shown as
// pass/fail only and recorded without a score; a second make-up is
// refused with the reason, and no third attempt exists.
func TestExamAutoSubmitMakeUpAndRefusal(t *testing.T) {
	w := newCaseWorld(t) // the store, the exams and the training service all run on w.now
	ctx := context.Background()
	admin := w.users["trainadmin"].Principal()
	trainee := w.users["village"]
	const minutes = 10

	// A plan that requires the theory assessment; village clerks are its audience.
	today := calendar.DayOf(w.now)
	planID, err := w.a.Training.CreatePlanAssessed(ctx, admin, enroll.Plan{Kind: enroll.Special, Title: "低保政策理论专项培训",
		Period:       enroll.Period{Start: today, End: today.AddDate(0, 3, 0)},
		SpecialStart: today.AddDate(0, 2, 0), RequiredMinutes: 60,
		Audience:   enroll.Rule{Roles: []authz.Role{authz.VillageClerk}},
		Categories: []enroll.Category{enroll.PolicyLaw}}, "", training.PlanAssessment{Assessments: []assess.Kind{assess.Theory}})
	if err != nil {
		t.Fatal(err)
	}
	err = w.db.ReadTx(ctx, authz.System("test"), func(tx *store.Tx) error {
		_, err := tx.EnrollmentFor(ctx, trainee.ID, planID)
		return err
	})
	if err != nil {
		t.Fatalf("the trainee is not enrolled in the plan: %v", err)
	}

	// A small fixed paper whose right answers the test knows: a single
	// choice (right: option 1, 40 points), a true/false (right: true, 30)
	// and a fill-in (right: 6, 30). The pass mark is the county's 60.
	const (
		stemSingle = "低保审核确认结果应在申请人所在村（社区）公示，公示期为几天？"
		stemJudge  = "最低生活保障以家庭为单位申请。"
		stemFill   = "家庭人均收入好转超过低保标准后，可给予不超过____个月的渐退期。"
	)
	qs := []exam.Question{
		{Kind: exam.Single, Category: enroll.PolicyLaw, Difficulty: 1, Stem: stemSingle,
			Options: []string{"3天", "7天", "15天", "30天"}, Correct: []int{1}},
		{Kind: exam.TrueFalse, Category: enroll.PolicyLaw, Difficulty: 1, Stem: stemJudge, Correct: []int{0}},
		{Kind: exam.Fill, Category: enroll.PolicyLaw, Difficulty: 1, Stem: stemFill, Accepted: []string{"6", "六"}},
	}
	points := []int{40, 30, 30}
	var picks []exam.Pick
	for i, q := range qs {
		id, err := w.a.Exams.CreateQuestion(ctx, admin, q)
		if err != nil {
			t.Fatal(err)
		}
		picks = append(picks, exam.Pick{QuestionID: id, Points: points[i]})
	}
	examID, err := w.a.Exams.CreateExam(ctx, admin, exams.ExamInput{Title: "低保政策理论考试", PlanID: planID,
		OpensAt: w.now.Add(-time.Minute), ClosesAt: w.now.Add(24 * time.Hour), Minutes: minutes, ClosedBook: true,
		Review: exam.ReviewScore, Paper: exam.Paper{Fixed: picks}})
	if err != nil {
		t.Fatal(err)
	}
	takeURL := w.base + "/exams/" + strconv.FormatInt(examID, 10) + "/take"

	// positions maps each stem to its question number on the page (the
	// attempt shuffles the paper).
	positions := func() map[string]string {
		t.Helper()
		got, err := chromedp.Run(w.ctx, chromedp.Evaluate[map[string]string](`(() => {
			const out = {};
			for (const f of document.querySelectorAll("#exam-form fieldset[data-n]")) out[f.querySelector("p").innerText.trim()] = f.dataset.n;
			return out })()`))
		if err != nil || len(got) != len(qs) {
			t.Fatalf("questions on the page: %v %v", got, err)
		}
		return got
	}
	// choose scrolls an option to the middle of the window (clear of the
	// sticky 交卷 bar) and clicks it, as a trainee scrolls down the paper.
	choose := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(sel)+
				`).scrollIntoView({block: "center"}) === undefined`)(ctx, t); err != nil {
				return err
			}
			_, err := chromedp.Click(chromedp.CSS(sel))(ctx, t)
			return err
		})
	}
	// attempts reads the exam's attempts, newest first as the store gives them.
	attempts := func() []store.Attempt {
		t.Helper()
		as, err := w.db.ExamAttempts(ctx, examID)
		if err != nil {
			t.Fatal(err)
		}
		return as
	}

	// The trainee starts, answers the single choice wrongly and the
	// true/false rightly; each choice is autosaved as it is made.
	w.as("village")
	w.do("open the exam", chromedp.Navigate(takeURL), chromedp.WaitVisible(chromedp.CSS("#exam-start")))
	w.submitTo("start", "#exam-start", "#exam-form")
	if as := attempts(); len(as) != 1 || as[0].Kind != store.AttemptFirst || as[0].Status != store.AttemptOpen ||
		!as[0].Deadline.Equal(as[0].StartedAt.Add(minutes*time.Minute)) {
		t.Fatalf("after start: %+v", as)
	}
	first := attempts()[0]
	n := positions()
	w.do("answer",
		choose(`input[name="q-`+n[stemSingle]+`"][value="3"]`), // 30天: wrong
		choose(`input[name="q-`+n[stemJudge]+`"][value="true"]`))
	var saved map[int]string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if saved, err = w.db.LatestAnswers(ctx, first.ID); err == nil && len(saved) == 2 {
			break
		}
	}
	ns, _ := strconv.Atoi(n[stemSingle])
	nj, _ := strconv.Atoi(n[stemJudge])
	if saved[ns] != "3" || saved[nj] != "true" {
		t.Fatalf("autosaved answers %v (%v), want q-%d=3 and q-%d=true", saved, err, ns, nj)
	}

	// They leave the page without submitting. Time runs out; the sweep
	// (what serve runs every few seconds) auto-submits and grades.
	w.do("leave", chromedp.Navigate(w.base+"/exams"), chromedp.WaitVisible(chromedp.CSS("#logout")))
	w.now = w.now.Add((minutes + 1) * time.Minute)
	if got, err := w.a.Exams.SweepExpired(ctx, w.now); err != nil || got != 1 {
		t.Fatalf("sweep submitted %d attempts (%v), want 1", got, err)
	}
	if a, err := w.db.Attempt(ctx, first.ID); err != nil || a.Status != store.AttemptSubmitted || !a.AutoSubmitted ||
		a.Score != 30 || a.Passed {
		t.Fatalf("after the sweep: %+v %v", a, err)
	}

	// Back on the exam page: auto-submitted, 30 points, failed; the make-up is offered.
	w.do("return", chromedp.Navigate(takeURL), chromedp.WaitVisible(chromedp.CSS("#exam-result")))
	if res := w.text("#exam-result"); !strings.Contains(res, "已自动交卷") || !strings.Contains(res, "首次考试") {
		t.Fatalf("result after the deadline: %q", res)
	}
	if score, passed := w.text("#exam-score"), w.text("#exam-passed"); score != "30" || passed != "不合格" {
		t.Fatalf("score %q, result %q; want 30 and 不合格", score, passed)
	}
	if html := w.html("#exam-result"); !strings.Contains(html, `data-score="30" data-passed="false"`) {
		t.Fatalf("result block: %s", html)
	}

	// The one make-up: every answer right, submitted with the 交卷 button.
	w.submitTo("take the make-up", "#exam-makeup", "#exam-form")
	n = positions()
	w.do("answer the make-up",
		choose(`input[name="q-`+n[stemSingle]+`"][value="1"]`),
		choose(`input[name="q-`+n[stemJudge]+`"][value="true"]`),
		chromedp.SendKeys(chromedp.CSS(`input[name="q-`+n[stemFill]+`"]`), "6"))
	w.submitTo("submit the make-up", "#exam-submit", "#exam-result")
	if res := w.text("#exam-result"); !strings.Contains(res, "补考") || strings.Contains(res, "自动交卷") {
		t.Fatalf("make-up result: %q", res)
	}
	if passed := w.text("#exam-passed"); passed != "合格" {
		t.Fatalf("make-up result %q, want 合格", passed)
	}
	html := w.html("#exam-result")
	if !strings.Contains(html, `data-score="" data-passed=""`) || !strings.Contains(html, `id="exam-passed" data-makeup="true"`) ||
		strings.Contains(html, "exam-score") || strings.Contains(html, "成绩 ") || strings.Contains(html, "exam-makeup") {
		t.Fatalf("a make-up shows pass/fail only, with no score and no further make-up: %s", html)
	}
	as := attempts()
	if len(as) != 2 {
		t.Fatalf("%d attempts after the make-up, want 2", len(as))
	}
	for _, a := range as {
		if a.Kind == store.AttemptMakeup && (a.Status != store.AttemptSubmitted || a.AutoSubmitted || !a.Passed || a.Score != 100) {
			t.Fatalf("the make-up attempt: %+v", a)
		}
	}

	// The plan's theory results: the first attempt with its score, the
	// make-up pass/fail only (score -1), both from their exam attempts.
	results, err := w.db.PlanResults(ctx, planID)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("plan results: %+v", results)
	}
	r1, r2 := results[0], results[1]
	if r1.PersonID != trainee.ID || r1.Kind != string(assess.Theory) || r1.Attempt != string(assess.First) ||
		r1.Score != 30 || r1.Passed || r1.Source != "exam_attempt:"+strconv.FormatInt(first.ID, 10) {
		t.Fatalf("first result: %+v", r1)
	}
	if r2.PersonID != trainee.ID || r2.Kind != string(assess.Theory) || r2.Attempt != string(assess.MakeUp) ||
		r2.Score != -1 || !r2.Passed || r2.Cycle != r1.Cycle {
		t.Fatalf("make-up result: %+v", r2)
	}

	// A second make-up, posted as the make-up form would post it, is refused
	// on the exam page with the reason; no third attempt is made.
	w.do("post a second make-up", w.mark())
	_, err = chromedp.Run(w.ctx, chromedp.Evaluate[bool](`(() => {
		const f = document.createElement("form");
		f.method = "post";
		f.action = "/exams/`+strconv.FormatInt(examID, 10)+`/start";
		const k = document.createElement("input");
		k.type = "hidden"; k.name = "kind"; k.value = "makeup";
		f.appendChild(k);
		document.body.appendChild(f);
		f.submit();
		return true })()`))
	if err != nil {
		t.Fatalf("post the second make-up: %v", err)
	}
	w.waitFor("second make-up", "#exam-refused")
	if msg := w.text("#exam-refused"); msg != assess.MsgPassed {
		t.Fatalf("refusal %q, want %q", msg, assess.MsgPassed)
	}
	if as := attempts(); len(as) != 2 {
		t.Fatalf("%d attempts after the refused make-up, want 2", len(as))
	}
	if results, err := w.db.PlanResults(ctx, planID); err != nil || len(results) != 2 {
		t.Fatalf("plan results after the refusal: %d %v", len(results), err)
	}
	if _, err := w.db.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}
