package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/exams"
	"dibao/internal/region"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func init() {
	renderTestedElsewhere = append(renderTestedElsewhere, "exam_index", "exam_bank", "exam_question", "exam_form",
		"exam_detail", "exam_take")
}

func (e *env) userID(username string) int64 {
	e.t.Helper()
	us, err := e.a.DB.Users(bg, region.All())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, u := range us {
		if u.Username == username {
			return u.ID
		}
	}
	e.t.Fatalf("no user %s", username)
	return 0
}

func (c *client) postJSON(path string, v any) (int, map[string]any) {
	c.e.t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	r := c.do(req)
	var out map[string]any
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		c.e.t.Fatalf("%s answered %d %q", path, r.StatusCode, r.body)
	}
	return r.StatusCode, out
}

func (c *client) uploadXLSX(path, name string, data []byte) resp {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var attemptAction = regexp.MustCompile(`/exams/attempts/(\d+)/submit`)

// TestExamPagesEndToEnd: a trainer builds a bank and a closed-book exam by
// the forms (bad input first), an enrolled clerk takes it — autosave,
// leaving the page, submit without JavaScript — and sees the score; a
// person not enrolled is refused; the trainer sees the leave event.
func TestExamPagesEndToEnd(t *testing.T) {
	e := setup(t)
	e.addTrainer()
	testenv.Plan(t, e.a.DB, county, e.userID("clerk"))
	trainer := e.login("trainer")

	// Bad question: single choice with no answer.
	r := trainer.post("/exams/bank/new", url.Values{"kind": {"single"}, "category": {"policy_law"}, "difficulty": {"1"},
		"stem": {"低保审核确认后公示期为几天？"}, "opt0": {"3天"}, "opt1": {"7天"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "单选题应有且只有一个正确答案") ||
		!strings.Contains(r.body, "低保审核确认后公示期为几天？") {
		t.Fatalf("bad question: %d %s", r.StatusCode, r.body)
	}
	for _, v := range []url.Values{
		{"kind": {"single"}, "category": {"policy_law"}, "difficulty": {"1"}, "stem": {"低保审核确认后公示期为几天？"},
			"opt0": {"3天"}, "opt1": {"7天"}, "correct": {"1"}},
		{"kind": {"truefalse"}, "category": {"business_skills"}, "difficulty": {"1"}, "stem": {"入户调查人员不少于2人。"}, "tf": {"0"}},
		{"kind": {"fill"}, "category": {"policy_law"}, "difficulty": {"2"}, "stem": {"渐退期最长不超过____个月。"}, "accepted": {"6\n六"}},
		{"kind": {"multiple"}, "category": {"ethics"}, "difficulty": {"2"}, "stem": {"哪些人员的近亲属申请低保应当备案？"},
			"opt0": {"村（居）委会干部"}, "opt1": {"经办人员"}, "opt2": {"无关群众"}, "correct": {"0", "1"}},
	} {
		if r := trainer.post("/exams/bank/new", v); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("question: %d %s", r.StatusCode, r.body)
		}
	}
	r = trainer.get("/exams/bank")
	if !strings.Contains(r.body, `<strong id="exam-bank-total">4</strong>`) {
		t.Fatalf("bank page: %s", r.body)
	}
	// Editing makes version 2.
	if r := trainer.get("/exams/bank/q/1"); !strings.Contains(r.body, "当前第 1 版") {
		t.Fatalf("edit form: %s", r.body)
	}
	if r := trainer.post("/exams/bank/q/1", url.Values{"kind": {"single"}, "category": {"policy_law"}, "difficulty": {"1"},
		"stem": {"低保审核确认后应公示几天？"}, "opt0": {"3天"}, "opt1": {"7天"}, "correct": {"1"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revise: %d %s", r.StatusCode, r.body)
	}
	// Export, and an import with a bad row writes nothing.
	r = trainer.get("/exams/bank.xlsx")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("export: %d %v", r.StatusCode, r.Header)
	}
	r = trainer.uploadXLSX("/exams/bank/import", "bank.xlsx", []byte("not a workbook"))
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请上传 Excel 工作簿") {
		t.Fatalf("junk import: %d %s", r.StatusCode, r.body)
	}

	// Exam form: bad input, then good.
	now := time.Now()
	local := func(t time.Time) string { return t.In(cst).Format("2006-01-02T15:04") }
	r = trainer.post("/exams/new", url.Values{"title": {""}, "minutes": {"abc"}, "points": {"5"}, "review": {"score"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请填写考试名称") ||
		!strings.Contains(r.body, "考试时长应为整数分钟") {
		t.Fatalf("bad exam: %d %s", r.StatusCode, r.body)
	}
	r = trainer.post("/exams/new", url.Values{"title": {"第四季度理论考试"}, "plan_id": {"1"}, "opens_at": {local(now.Add(-time.Hour))},
		"closes_at": {local(now.Add(time.Hour))}, "minutes": {"30"}, "closed_book": {"1"}, "review": {"answers"},
		"points": {"25"}, "mode": {"fixed"}, "q": {"1", "2", "3", "4"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("exam: %d %s", r.StatusCode, r.body)
	}
	examURL := r.Header.Get("Location")
	examID := strings.TrimPrefix(examURL, "/exams/")

	// A person not enrolled cannot start.
	townb := e.login("townb")
	if r := townb.post("/exams/"+examID+"/start", nil); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "未参加") {
		t.Fatalf("not enrolled start: %d", r.StatusCode)
	}

	clerk := e.login("clerk")
	r = clerk.get("/exams")
	if !strings.Contains(r.body, `id="exam-mine-`+examID+`"`) || !strings.Contains(r.body, `id="nav-exams"`) {
		t.Fatalf("my exams: %s", r.body)
	}
	r = clerk.get("/exams/" + examID + "/take")
	if !strings.Contains(r.body, `id="exam-start"`) {
		t.Fatalf("take before start: %s", r.body)
	}
	if r := clerk.post("/exams/"+examID+"/start", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d %s", r.StatusCode, r.body)
	}
	r = clerk.get("/exams/" + examID + "/take")
	for _, want := range []string{`id="q-1"`, `name="q-4"`, `id="exam-submit"`, `id="exam-deadline" data-deadline="`,
		`src="/static/exam.js?v=`, `data-closed-book="true"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("exam page lacks %q", want)
		}
	}
	if strings.Contains(r.body, `id="nav-`) || strings.Contains(r.body, "家庭档案") {
		t.Error("closed-book exam page shows the navigation")
	}
	m := attemptAction.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no submit action")
	}
	attempt, _ := strconv.ParseInt(m[1], 10, 64)
	a, err := e.a.DB.Attempt(bg, attempt)
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{} // stem prefix → position
	for _, it := range a.Items {
		pos[string([]rune(it.Question.Stem)[:2])] = it.N
	}
	base := "/exams/attempts/" + m[1]
	// Autosave: good, bad JSON, bad option.
	if st, out := clerk.postJSON(base+"/answers/"+strconv.Itoa(pos["低保"]), map[string]any{"values": []string{"1"}}); st != 200 || out["saved"] != true {
		t.Fatalf("autosave: %d %v", st, out)
	}
	if st, out := clerk.postJSON(base+"/answers/"+strconv.Itoa(pos["低保"]), map[string]any{"values": []string{"9"}}); st != 400 || out["error"] == nil {
		t.Fatalf("bad option: %d %v", st, out)
	}
	if st, _ := clerk.postJSON(base+"/answers/0", map[string]any{"values": []string{"1"}}); st != 400 {
		t.Fatalf("bad question: %d", st)
	}
	if st, _ := townb.postJSON(base+"/answers/1", map[string]any{"values": []string{"1"}}); st != 404 {
		t.Fatalf("someone else's attempt: %d", st)
	}
	if st, _ := clerk.postJSON(base+"/leave", nil); st != 200 {
		t.Fatalf("leave: %d", st)
	}
	if r := trainer.get(examURL); !strings.Contains(r.body, `id="attempt-`+m[1]+`-leaves"><span class="tag tag-amber">1 次`) {
		t.Fatalf("examiner page: %s", r.body)
	} else if !regexp.MustCompile(`1 次</span><div class="small muted">\d\d:\d\d:\d\d</div>`).MatchString(r.body) {
		t.Fatalf("examiner page lacks the leave time: %s", r.body)
	}
	// Submit without JavaScript: the form carries every answer.
	form := url.Values{"shown": {"1", "2", "3", "4"}}
	form.Set("q-"+strconv.Itoa(pos["低保"]), "1")
	form.Set("q-"+strconv.Itoa(pos["入户"]), "true")
	form.Set("q-"+strconv.Itoa(pos["渐退"]), "６")
	form["q-"+strconv.Itoa(pos["哪些"])] = []string{"0"} // one of two: wrong
	if r := clerk.post(base+"/submit", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", r.StatusCode, r.body)
	}
	r = clerk.get("/exams/" + examID + "/take")
	if !strings.Contains(r.body, `id="exam-result" data-score="75" data-passed="true"`) || !strings.Contains(r.body, "正确答案") {
		t.Fatalf("result: %s", r.body)
	}
	if st, out := clerk.postJSON(base+"/answers/1", map[string]any{"values": []string{"0"}}); st != 409 || out["error"] != store.MsgAttemptClosed {
		t.Fatalf("save after submit: %d %v", st, out)
	}
	if r := clerk.get("/exams/bank"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("clerk bank: %d", r.StatusCode)
	}
}

// TestExamAutoSubmittedPage: after the deadline the exam page shows the
// attempt auto-submitted, and autosave is refused.
func TestExamAutoSubmittedPage(t *testing.T) {
	e := setup(t)
	e.addTrainer()
	testenv.Plan(t, e.a.DB, county, e.userID("clerk"))
	trainer := e.login("trainer")
	if r := trainer.post("/exams/bank/new", url.Values{"kind": {"truefalse"}, "category": {"ethics"}, "difficulty": {"1"},
		"stem": {"经办人员近亲属申请低保应当备案。"}, "tf": {"0"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("question: %d", r.StatusCode)
	}
	now := time.Now()
	local := func(t time.Time) string { return t.In(cst).Format("2006-01-02T15:04") }
	r := trainer.post("/exams/new", url.Values{"title": {"限时测验"}, "plan_id": {"1"}, "opens_at": {local(now.Add(-time.Hour))},
		"closes_at": {local(now.Add(time.Hour))}, "minutes": {"10"}, "review": {"score"}, "points": {"10"}, "mode": {"fixed"}, "q": {"1"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("exam: %d %s", r.StatusCode, r.body)
	}
	examID := strings.TrimPrefix(r.Header.Get("Location"), "/exams/")
	clerk := e.login("clerk")
	clerk.post("/exams/"+examID+"/start", nil)
	r = clerk.get("/exams/" + examID + "/take")
	m := attemptAction.FindStringSubmatch(r.body)
	if m == nil || !strings.Contains(r.body, `id="nav-exams"`) {
		t.Fatalf("open-book exam page: %s", r.body)
	}
	later := now.Add(11 * time.Minute)
	e.a.Exams.Now = func() time.Time { return later }
	if st, out := clerk.postJSON("/exams/attempts/"+m[1]+"/answers/1", map[string]any{"values": []string{"true"}}); st != 409 ||
		out["error"] != store.MsgAttemptLate {
		t.Fatalf("late save: %d %v", st, out)
	}
	r = clerk.get("/exams/" + examID + "/take")
	if !strings.Contains(r.body, "已自动交卷") || !strings.Contains(r.body, `id="exam-result" data-score="0" data-passed="false"`) {
		t.Fatalf("after deadline: %s", r.body)
	}
}

// TestExamBankImportPage: a workbook with a bad row shows every problem by
// row and column and imports nothing; the corrected workbook imports.
func TestExamBankImportPage(t *testing.T) {
	e := setup(t)
	e.addTrainer()
	trainer := e.login("trainer")
	book := func(rows [][]any) []byte {
		var buf bytes.Buffer
		if _, err := sheet.Write(&buf, "题库", sheet.Cols(exams.SheetColumns...), sheet.Rows(rows, func(r []any) []any { return r })); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	good := []any{"", "判断题", "职业道德与廉政", "易", "经办人员近亲属申请低保应当备案。", "", "", "", "", "", "", "正确"}
	bad := []any{"", "单选题", "政策法规", "特别难", "公示期几天？", "3天", "7天", "", "", "", "", "Z"}
	r := trainer.uploadXLSX("/exams/bank/import", "bank.xlsx", book([][]any{good, bad}))
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="exam-import-errors"`) ||
		!strings.Contains(r.body, "<td class=\"num\">3</td><td>难度</td>") || !strings.Contains(r.body, "<td>答案</td>") {
		t.Fatalf("bad rows: %d %s", r.StatusCode, r.body)
	}
	if qs, _ := e.a.DB.Questions(bg, true); len(qs) != 0 {
		t.Fatalf("%d questions written from a bad workbook", len(qs))
	}
	bad[3], bad[11] = "中", "B"
	r = trainer.uploadXLSX("/exams/bank/import", "bank.xlsx", book([][]any{good, bad}))
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="exam-import-result"`) || !strings.Contains(r.body, "新增 2 题") {
		t.Fatalf("good rows: %d %s", r.StatusCode, r.body)
	}
}
