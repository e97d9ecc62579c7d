package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"dibao/internal/assess"
	"dibao/internal/attach"
	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/exam"
	"dibao/internal/exams"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

// The theory exam pages (issue 6 items 1, 2, 8): my exams, the question
// bank with Excel import/export, exams and their attempts, and the exam
// page itself (closed-book: no navigation, static/exam.js autosaves, counts
// down from the server's deadline and records leaving the page).

func (s *server) examRoutes(mux *http.ServeMux) {
	mux.Handle("GET /exams", s.auth(s.examIndex))
	mux.Handle("GET /exams/bank", s.auth(s.examBank))
	mux.Handle("GET /exams/bank.xlsx", s.auth(s.examBankExport))
	mux.Handle("POST /exams/bank/import", s.auth(s.examBankImport))
	mux.Handle("GET /exams/bank/new", s.auth(s.examQuestionNew))
	mux.Handle("POST /exams/bank/new", s.auth(s.examQuestionCreate))
	mux.Handle("GET /exams/bank/q/{id}", s.auth(s.examQuestionEdit))
	mux.Handle("POST /exams/bank/q/{id}", s.auth(s.examQuestionUpdate))
	mux.Handle("GET /exams/new", s.auth(s.examNew))
	mux.Handle("POST /exams/new", s.auth(s.examCreate))
	mux.Handle("GET /exams/{id}", s.auth(s.examDetail))
	mux.Handle("POST /exams/{id}/start", s.auth(s.examStart))
	mux.Handle("GET /exams/{id}/take", s.auth(s.examTake))
	mux.Handle("POST /exams/attempts/{id}/answers/{n}", s.auth(s.examSave))
	mux.Handle("POST /exams/attempts/{id}/leave", s.auth(s.examLeave))
	mux.Handle("POST /exams/attempts/{id}/submit", s.auth(s.examSubmit))
}

var examFlash = map[string]string{
	"exam_question_saved": "试题已保存（修改试题会生成新版本，已作答的试卷不受影响）",
	"exam_created":        "考试已创建，试卷已固定",
	"exam_submitted":      "已交卷",
}

func init() {
	for k, v := range examFlash {
		flashMessages[k] = v
	}
}

type examRow struct {
	ID         int64
	Title      string
	Plan       string
	Window     string
	Minutes    int
	ClosedBook bool
	Review     string
	Questions  int
	PassMark   int
	State      string // 未开始 / 进行中 / 已结束
	Open       bool
	// For the candidate: their latest attempt.
	Attempt *attemptRow
}

type attemptRow struct {
	ID        int64
	Person    string
	Kind      string
	Status    string
	Started   string
	Deadline  string
	Submitted string
	Auto      bool
	Open      bool
	ShowScore bool
	Score     int
	Passed    bool
	Events    int
	Leaves    []string // times the candidate left the page (examiner)
}

func kindLabelOf(k string) string {
	if k == store.AttemptMakeup {
		return "补考"
	}
	return "首次考试"
}

func (s *server) examRowOf(e store.Exam, now time.Time) examRow {
	r := examRow{ID: e.ID, Title: e.Title, Plan: e.PlanTitle, Window: localTime(e.OpensAt) + " 至 " + localTime(e.ClosesAt),
		Minutes: e.Minutes, ClosedBook: e.ClosedBook, Review: e.Review.Label(), Questions: len(e.Paper), PassMark: e.PassMark}
	switch {
	case now.Before(e.OpensAt):
		r.State = "未开始"
	case now.Before(e.ClosesAt):
		r.State, r.Open = "进行中", true
	default:
		r.State = "已结束"
	}
	return r
}

func attemptRowOf(a store.Attempt, review exam.Review, examiner bool) *attemptRow {
	r := &attemptRow{ID: a.ID, Person: a.PersonName, Kind: kindLabelOf(a.Kind), Started: localTime(a.StartedAt),
		Deadline: localTime(a.Deadline), Submitted: localTime(a.SubmittedAt), Auto: a.AutoSubmitted,
		Open: a.Status == store.AttemptOpen, Score: a.Score, Passed: a.Passed, Events: a.Events}
	r.Status = "作答中"
	if !r.Open {
		r.Status = "已交卷"
		if a.AutoSubmitted {
			r.Status = "已自动交卷"
		}
	}
	r.ShowScore = !r.Open && (examiner || review != exam.ReviewNone)
	return r
}

type examIndexPage struct {
	Mine    []examRow
	Manage  bool
	All     []examRow
	Bank    int
	Message string
}

// examIndex is GET /exams: my exams; for trainers and training admins also
// every exam and the way to the bank.
func (s *server) examIndex(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	ctx := r.Context()
	now := s.a.DB.Now()
	mine, err := s.a.Exams.MyExams(ctx, p)
	if err != nil {
		return err
	}
	attempts, err := s.a.Exams.MyAttempts(ctx, p)
	if err != nil {
		return err
	}
	page := examIndexPage{Manage: exams.CanManage(p)}
	for _, e := range mine {
		row := s.examRowOf(e, now)
		for _, a := range attempts { // newest first
			if a.ExamID == e.ID {
				row.Attempt = attemptRowOf(a, e.Review, false)
				break
			}
		}
		page.Mine = append(page.Mine, row)
	}
	if page.Manage {
		all, err := s.a.Exams.Exams(ctx, p)
		if err != nil {
			return err
		}
		for _, e := range all {
			page.All = append(page.All, s.examRowOf(e, now))
		}
		qs, err := s.a.Exams.Questions(ctx, p, false)
		if err != nil {
			return err
		}
		page.Bank = len(qs)
	}
	s.render(w, r, p, http.StatusOK, "exam_index", "考试", []crumb{{"考试", ""}}, page)
	return nil
}

// ---- question bank ----

type bankRow struct {
	ID         int64
	Version    int
	Kind       string
	Category   string
	Difficulty string
	Stem       string
	Answer     string
}

type examBankPage struct {
	Rows     []bankRow
	Import   *exams.ImportResult
	ImportOK bool
	Error    string
}

func (s *server) renderBank(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, imp *exams.ImportResult, ierr error) error {
	qs, err := s.a.Exams.Questions(r.Context(), p, false)
	if err != nil {
		return err
	}
	page := examBankPage{Import: imp}
	if ierr != nil {
		page.Error = errs.As(ierr).Message
	}
	page.ImportOK = imp != nil && len(imp.Errors) == 0 && ierr == nil
	for _, q := range qs {
		page.Rows = append(page.Rows, bankRow{ID: q.ID, Version: q.Version, Kind: q.Kind.Label(), Category: q.Category.Label(),
			Difficulty: exam.DifficultyLabel(q.Difficulty), Stem: q.Stem, Answer: exam.CorrectText(q.Question)})
	}
	s.render(w, r, p, status, "exam_bank", "题库", []crumb{{"考试", "/exams"}, {"题库", ""}}, page)
	return nil
}

// examBank is GET /exams/bank.
func (s *server) examBank(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.renderBank(w, r, p, http.StatusOK, nil, nil)
}

// examBankExport is GET /exams/bank.xlsx.
func (s *server) examBankExport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var buf bytes.Buffer
	if err := s.a.Exams.ExportBank(r.Context(), p, &buf); err != nil {
		return err
	}
	return attach.Send(w, sheet.ContentType, exams.SheetName, "exam-bank.xlsx", buf.Bytes())
}

// examBankImport is POST /exams/bank/import: all rows or none.
func (s *server) examBankImport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !exams.CanManage(p) {
		return errs.New(errs.Forbidden, "", "只有培训管理员和培训讲师可以管理题库和考试")
	}
	r.Body = http.MaxBytesReader(w, r.Body, sheet.MaxUpload+1<<20)
	var data []byte
	err := r.ParseMultipartForm(1 << 20)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = errs.Invalidf("file", "文件过大：不能超过 %d MB", sheet.MaxUpload>>20)
		} else {
			err = errs.Invalidf("file", "请选择要导入的题库文件（.xlsx）")
		}
	} else {
		file, _, ferr := r.FormFile("file")
		if ferr != nil {
			err = errs.Invalidf("file", "请选择要导入的题库文件（.xlsx）")
		} else {
			defer file.Close()
			data, err = io.ReadAll(io.LimitReader(file, sheet.MaxUpload+1))
		}
	}
	var res exams.ImportResult
	if err == nil {
		res, err = s.a.Exams.ImportBank(r.Context(), p, data)
	}
	if err != nil && errs.CodeOf(err) != errs.Invalid {
		return err
	}
	status := http.StatusOK
	if err != nil || len(res.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.renderBank(w, r, p, status, &res, err)
}

type examQuestionPage struct {
	ID         int64
	Version    int
	Values     url.Values
	Kinds      []categoryOption
	Categories []categoryOption
	Options    []optionField
	Err        map[string]string
	Summary    []string
}

type optionField struct {
	Index   int
	Letter  string
	Text    string
	Correct bool
}

func questionValues(q exam.Question) url.Values {
	v := url.Values{"kind": {string(q.Kind)}, "category": {string(q.Category)}, "difficulty": {strconv.Itoa(q.Difficulty)},
		"stem": {q.Stem}, "accepted": {strings.Join(q.Accepted, "\n")}}
	for i, o := range q.Options {
		v.Set("opt"+strconv.Itoa(i), o)
	}
	for _, c := range q.Correct {
		v.Add("correct", strconv.Itoa(c))
	}
	if q.Kind == exam.TrueFalse && len(q.Correct) == 1 {
		v.Set("tf", strconv.Itoa(q.Correct[0]))
	}
	return v
}

func questionFromForm(v url.Values) exam.Question {
	q := exam.Question{Kind: exam.Kind(v.Get("kind")), Category: enroll.Category(v.Get("category")), Stem: v.Get("stem")}
	q.Difficulty, _ = strconv.Atoi(v.Get("difficulty"))
	switch q.Kind {
	case exam.Single, exam.Multiple:
		idx := map[int]int{} // form index → option index (blank options dropped)
		for i := 0; i < exams.SheetOptions; i++ {
			if o := strings.TrimSpace(v.Get("opt" + strconv.Itoa(i))); o != "" {
				idx[i] = len(q.Options)
				q.Options = append(q.Options, o)
			}
		}
		for _, c := range v["correct"] {
			if n, err := strconv.Atoi(c); err == nil {
				if j, ok := idx[n]; ok {
					q.Correct = append(q.Correct, j)
				}
			}
		}
	case exam.TrueFalse:
		if n, err := strconv.Atoi(v.Get("tf")); err == nil {
			q.Correct = []int{n}
		}
	case exam.Fill:
		q.Accepted = strings.Split(v.Get("accepted"), "\n")
	}
	return q
}

func (s *server) renderQuestion(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, id int64, version int,
	v url.Values, ferr error) {
	page := examQuestionPage{ID: id, Version: version, Values: v, Categories: categoryOptions(v.Get("category"))}
	for _, k := range exam.Kinds {
		page.Kinds = append(page.Kinds, categoryOption{Value: string(k), Label: k.Label(), Selected: v.Get("kind") == string(k)})
	}
	correct := map[string]bool{}
	for _, c := range v["correct"] {
		correct[c] = true
	}
	for i := 0; i < exams.SheetOptions; i++ {
		n := strconv.Itoa(i)
		page.Options = append(page.Options, optionField{Index: i, Letter: exam.Letter(i), Text: v.Get("opt" + n), Correct: correct[n]})
	}
	if ferr != nil {
		page.Err, page.Summary = fieldErrors(ferr)
	}
	title := "新增试题"
	if id != 0 {
		title = fmt.Sprintf("试题 %d", id)
	}
	s.render(w, r, p, status, "exam_question", title, []crumb{{"考试", "/exams"}, {"题库", "/exams/bank"}, {title, ""}}, page)
}

func (s *server) examQuestionNew(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !exams.CanManage(p) {
		return errs.New(errs.Forbidden, "", "只有培训管理员和培训讲师可以管理题库和考试")
	}
	s.renderQuestion(w, r, p, http.StatusOK, 0, 0, url.Values{"kind": {"single"}, "difficulty": {"1"}}, nil)
	return nil
}

func (s *server) examQuestionCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, err := s.a.Exams.CreateQuestion(r.Context(), p, questionFromForm(r.PostForm))
	if errs.CodeOf(err) == errs.Invalid {
		s.renderQuestion(w, r, p, statusOf(err, true), 0, 0, r.PostForm, err)
		return nil
	}
	if err != nil {
		return err
	}
	s.redirect(w, r, "/exams/bank", "exam_question_saved")
	return nil
}

func (s *server) examQuestionEdit(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q, err := s.a.Exams.Question(r.Context(), p, id, 0)
	if err != nil {
		return err
	}
	s.renderQuestion(w, r, p, http.StatusOK, id, q.Version, questionValues(q.Question), nil)
	return nil
}

func (s *server) examQuestionUpdate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, err = s.a.Exams.ReviseQuestion(r.Context(), p, id, questionFromForm(r.PostForm))
	if errs.CodeOf(err) == errs.Invalid {
		v, _ := strconv.Atoi(r.PostFormValue("version"))
		s.renderQuestion(w, r, p, statusOf(err, true), id, v, r.PostForm, err)
		return nil
	}
	if err != nil {
		return err
	}
	s.redirect(w, r, "/exams/bank", "exam_question_saved")
	return nil
}

// ---- exams ----

type ruleField struct {
	Name       string // form field n_<category>_<difficulty>
	Category   string
	Difficulty string
	Available  int
	Value      string
}

type examFormPage struct {
	Values  url.Values
	Plans   []planOption
	Reviews []categoryOption
	Bank    []bankRow
	Picked  map[string]bool
	Rules   []ruleField
	Err     map[string]string
	Summary []string
}

func (s *server) renderExamForm(w http.ResponseWriter, r *http.Request, p authz.Principal, status int, v url.Values, ferr error) error {
	ctx := r.Context()
	plans, err := s.a.Exams.Plans(ctx, p)
	if err != nil {
		return err
	}
	qs, err := s.a.Exams.Questions(ctx, p, false)
	if err != nil {
		return err
	}
	page := examFormPage{Values: v, Picked: map[string]bool{}}
	for _, pl := range plans {
		page.Plans = append(page.Plans, planOption{ID: pl.ID, Title: pl.Title, Selected: v.Get("plan_id") == strconv.FormatInt(pl.ID, 10)})
	}
	for _, rv := range exam.Reviews {
		page.Reviews = append(page.Reviews, categoryOption{Value: string(rv), Label: rv.Label(), Selected: v.Get("review") == string(rv)})
	}
	for _, id := range v["q"] {
		page.Picked[id] = true
	}
	avail := map[string]int{}
	for _, q := range qs {
		page.Bank = append(page.Bank, bankRow{ID: q.ID, Kind: q.Kind.Label(), Category: q.Category.Label(),
			Difficulty: exam.DifficultyLabel(q.Difficulty), Stem: q.Stem})
		avail[fmt.Sprintf("n_%s_%d", q.Category, q.Difficulty)]++
	}
	for _, c := range enroll.Categories {
		for d := 1; d <= 3; d++ {
			name := fmt.Sprintf("n_%s_%d", c, d)
			page.Rules = append(page.Rules, ruleField{Name: name, Category: c.Label(), Difficulty: exam.DifficultyLabel(d),
				Available: avail[name], Value: v.Get(name)})
		}
	}
	if ferr != nil {
		page.Err, page.Summary = fieldErrors(ferr)
	}
	s.render(w, r, p, status, "exam_form", "新建考试", []crumb{{"考试", "/exams"}, {"新建考试", ""}}, page)
	return nil
}

func (s *server) examNew(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !exams.CanManage(p) {
		return errs.New(errs.Forbidden, "", "只有培训管理员和培训讲师可以管理题库和考试")
	}
	return s.renderExamForm(w, r, p, http.StatusOK, url.Values{"minutes": {"60"}, "closed_book": {"1"},
		"review": {string(exam.ReviewScore)}, "mode": {"fixed"}, "points": {"5"}}, nil)
}

// parseLocal reads a datetime-local value in China time.
func parseLocal(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", v, cst)
	return t, err == nil
}

func examInput(v url.Values) (exams.ExamInput, error) {
	var l errs.List
	in := exams.ExamInput{Title: v.Get("title"), ClosedBook: v.Get("closed_book") != "", Review: exam.Review(v.Get("review"))}
	if id := v.Get("plan_id"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			l.Add("plan_id", "请选择培训计划")
		}
		in.PlanID = n
	}
	var ok bool
	if in.OpensAt, ok = parseLocal(v.Get("opens_at")); !ok {
		l.Add("opens_at", "开考时间格式不正确")
	}
	if in.ClosesAt, ok = parseLocal(v.Get("closes_at")); !ok {
		l.Add("closes_at", "截止时间格式不正确")
	}
	m, err := strconv.Atoi(strings.TrimSpace(v.Get("minutes")))
	if err != nil {
		l.Add("minutes", "考试时长应为整数分钟")
	}
	in.Minutes = m
	points, err := strconv.Atoi(strings.TrimSpace(v.Get("points")))
	if err != nil || points < 1 {
		l.Add("points", "每题分值应为正整数")
	}
	if v.Get("mode") == "rule" {
		for _, c := range enroll.Categories {
			for d := 1; d <= 3; d++ {
				raw := strings.TrimSpace(v.Get(fmt.Sprintf("n_%s_%d", c, d)))
				if raw == "" || raw == "0" {
					continue
				}
				n, err := strconv.Atoi(raw)
				if err != nil || n < 0 {
					l.Add("paper", "抽题数量应为整数：%s · 难度%s", c.Label(), exam.DifficultyLabel(d))
					continue
				}
				in.Paper.Rules = append(in.Paper.Rules, exam.Rule{Category: c, Difficulty: d, Count: n, Points: points})
			}
		}
	} else {
		for _, id := range v["q"] {
			n, err := strconv.ParseInt(id, 10, 64)
			if err == nil {
				in.Paper.Fixed = append(in.Paper.Fixed, exam.Pick{QuestionID: n, Points: points})
			}
		}
	}
	// The service's own checks for the fields that parsed.
	seen := map[string]bool{}
	for _, e := range l {
		seen[e.Field] = true
	}
	for _, e := range in.Check() {
		if !seen[e.Field] {
			l = append(l, e)
		}
	}
	return in, l.Err()
}

func (s *server) examCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in, err := examInput(r.PostForm)
	var id int64
	if err == nil {
		id, err = s.a.Exams.CreateExam(r.Context(), p, in)
	}
	if errs.CodeOf(err) == errs.Invalid {
		return s.renderExamForm(w, r, p, statusOf(err, true), r.PostForm, err)
	}
	if err != nil {
		return err
	}
	s.redirect(w, r, "/exams/"+strconv.FormatInt(id, 10), "exam_created")
	return nil
}

type examDetailPage struct {
	Exam     examRow
	Attempts []*attemptRow
	Items    []takeItem
}

// examDetail is GET /exams/{id} for the examiner: the exam, its paper and
// every attempt with its leave-page events. A candidate goes to the exam
// page.
func (s *server) examDetail(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if !exams.CanManage(p) {
		http.Redirect(w, r, "/exams/"+strconv.FormatInt(id, 10)+"/take", http.StatusSeeOther)
		return nil
	}
	e, err := s.a.Exams.Exam(r.Context(), p, id)
	if err != nil {
		return err
	}
	as, err := s.a.Exams.ExamAttempts(r.Context(), p, id)
	if err != nil {
		return err
	}
	evs, err := s.a.Exams.ExamEvents(r.Context(), p, id)
	if err != nil {
		return err
	}
	page := examDetailPage{Exam: s.examRowOf(e, s.a.DB.Now())}
	for _, a := range as {
		row := attemptRowOf(a, e.Review, true)
		for _, ev := range evs[a.ID] {
			row.Leaves = append(row.Leaves, ev.At.In(cst).Format("15:04:05"))
		}
		page.Attempts = append(page.Attempts, row)
	}
	for i, it := range e.Paper {
		it.N = i + 1
		page.Items = append(page.Items, takeItemOf(it, "", true))
	}
	s.render(w, r, p, http.StatusOK, "exam_detail", e.Title, []crumb{{"考试", "/exams"}, {e.Title, ""}}, page)
	return nil
}

// ---- taking an exam ----

type takeOption struct {
	Value   string
	Letter  string
	Text    string
	Checked bool
	Correct bool
}

type takeItem struct {
	N        int
	Kind     string
	Multi    bool
	Fill     bool
	Stem     string
	Points   int
	Options  []takeOption
	Answer   string // fill-in
	Given    string // shown in review
	Right    bool
	Solution string
}

func takeItemOf(it exam.Item, answer string, reveal bool) takeItem {
	q := it.Question
	ti := takeItem{N: it.N, Kind: q.Kind.Label(), Multi: q.Kind == exam.Multiple, Fill: q.Kind == exam.Fill, Stem: q.Stem,
		Points: it.Points}
	chosen := map[string]bool{}
	for _, c := range strings.Split(answer, ",") {
		chosen[c] = true
	}
	switch q.Kind {
	case exam.Single, exam.Multiple:
		order := it.Order
		if order == nil {
			for i := range q.Options {
				order = append(order, i)
			}
		}
		var given []string
		for pos, orig := range order {
			v := strconv.Itoa(orig)
			o := takeOption{Value: v, Letter: exam.Letter(pos), Text: q.Options[orig], Checked: chosen[v]}
			if o.Checked {
				given = append(given, o.Letter)
			}
			for _, c := range q.Correct {
				if c == orig {
					o.Correct = true
				}
			}
			ti.Options = append(ti.Options, o)
		}
		ti.Given = strings.Join(given, "")
		var sol []string
		for _, o := range ti.Options {
			if o.Correct {
				sol = append(sol, o.Letter)
			}
		}
		ti.Solution = strings.Join(sol, "")
	case exam.TrueFalse:
		ti.Options = []takeOption{{Value: "true", Letter: "", Text: "正确", Checked: answer == "true"},
			{Value: "false", Letter: "", Text: "错误", Checked: answer == "false"}}
		ti.Options[0].Correct = len(q.Correct) == 1 && q.Correct[0] == 0
		ti.Options[1].Correct = !ti.Options[0].Correct
		switch answer {
		case "true":
			ti.Given = "正确"
		case "false":
			ti.Given = "错误"
		}
		ti.Solution = exam.CorrectText(q)
	case exam.Fill:
		ti.Answer, ti.Given, ti.Solution = answer, answer, exam.CorrectText(q)
	}
	if reveal {
		ti.Right = exam.Right(q, answer)
	} else {
		ti.Solution = ""
		for i := range ti.Options {
			ti.Options[i].Correct = false
		}
	}
	return ti
}

type examTakePage struct {
	Exam       examRow
	ExamID     int64
	CanStart   bool
	StartError string
	Attempt    *attemptRow
	AttemptID  int64
	Deadline   string // RFC3339
	Items      []takeItem
	ClosedBook bool
	Result     bool // submitted: show the result block
	ShowScore  bool
	ShowAnswer bool
	Score      int
	Passed     bool
	// The make-up (SPEC §3.4): offered after a failed first attempt; a
	// make-up's result is shown as pass/fail only; MakeupRefused says in
	// Chinese why no further attempt is possible.
	MakeUp        bool // the result shown is a make-up's
	CanMakeup     bool
	MakeupRefused string
}

// examTake is GET /exams/{id}/take: the start button, the open attempt, or
// the result as the exam's review setting allows.
func (s *server) examTake(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	e, err := s.a.Exams.ForCandidate(ctx, p, id)
	if err != nil {
		return err
	}
	now := s.a.DB.Now()
	page := examTakePage{Exam: s.examRowOf(e, now), ExamID: id, ClosedBook: e.ClosedBook}
	v, ok, err := s.a.Exams.MyView(ctx, p, id) // submits it if past its deadline
	if err != nil {
		return err
	}
	a := v.Attempt
	if ok {
		page.Attempt, page.AttemptID = attemptRowOf(a, e.Review, false), a.ID
		page.Deadline = a.Deadline.UTC().Format(time.RFC3339)
		if a.Status == store.AttemptOpen {
			for _, it := range a.Items {
				page.Items = append(page.Items, takeItemOf(it, v.Answers[it.N], false))
			}
		} else {
			page.Result = true
			page.ShowScore = e.Review != exam.ReviewNone
			page.ShowAnswer = e.Review == exam.ReviewAnswers
			page.Score, page.Passed = a.Score, a.Passed
			if page.ShowAnswer {
				for _, it := range a.Items {
					page.Items = append(page.Items, takeItemOf(it, v.Answers[it.N], true))
				}
			}
		}
	} else {
		page.CanStart = page.Exam.Open
	}
	if page.Result {
		s.makeupOffer(ctx, p, e, a, &page)
	}
	if se := r.URL.Query().Get("refused"); se != "" && page.MakeupRefused == "" {
		page.MakeupRefused = se
	}
	title := e.Title
	pp := p
	if e.ClosedBook && page.Attempt != nil && page.Attempt.Open {
		pp = authz.Principal{} // closed-book: the minimal layout, no navigation
	}
	s.render(w, r, pp, http.StatusOK, "exam_take", title, []crumb{{"考试", "/exams"}, {title, ""}}, page)
	return nil
}

// makeupOffer fills the make-up part of a submitted attempt's page: a
// make-up shows pass or fail only; after a failed first attempt the one
// make-up is offered if the rules allow it (for an exam that is its plan's
// theory assessment, training.NextAttempt decides — passed, make-up used,
// retraining first), otherwise the reason is shown.
func (s *server) makeupOffer(ctx context.Context, p authz.Principal, e store.Exam, a store.Attempt, page *examTakePage) {
	if a.Kind == store.AttemptMakeup {
		page.MakeUp, page.ShowScore = true, false
		if !a.Passed {
			page.MakeupRefused = assess.MsgMakeUpUsed
		}
		return
	}
	if a.Passed {
		return
	}
	// For a practice exam no result is recorded, so NextAttempt answers
	// "first" and the exam's own rule applies: a make-up after a failed
	// first attempt.
	if _, _, err := s.a.Training.NextAttempt(ctx, p.UserID, e.PlanID, assess.Theory); err != nil {
		page.MakeupRefused = errs.As(err).Message
		return
	}
	page.CanMakeup = page.Exam.Open
	if !page.Exam.Open {
		page.MakeupRefused = "考试已结束，补考请等候培训管理员安排"
	}
}

// examStart is POST /exams/{id}/start (kind=makeup for the make-up). A
// refusal of the make-up comes back to the exam page with its reason.
func (s *server) examStart(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	kind := store.AttemptFirst
	if r.PostFormValue("kind") == store.AttemptMakeup {
		kind = store.AttemptMakeup
	}
	if _, err := s.a.Exams.Start(r.Context(), p, id, kind); err != nil {
		if c := errs.CodeOf(err); c == errs.Conflict || c == errs.Invalid {
			http.Redirect(w, r, "/exams/"+strconv.FormatInt(id, 10)+"/take?refused="+url.QueryEscape(errs.As(err).Message),
				http.StatusSeeOther)
			return nil
		}
		return err
	}
	http.Redirect(w, r, "/exams/"+strconv.FormatInt(id, 10)+"/take", http.StatusSeeOther)
	return nil
}

type saveBody struct {
	Values []string `json:"values"`
}

func (s *server) examJSON(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		writeJSON(w, http.StatusOK, map[string]any{"saved": true})
		return
	}
	if statusOf(err, false) == http.StatusInternalServerError {
		s.a.Log.Error("web: exam autosave", "request_id", reqIDOf(r), "err", err)
	}
	writeJSON(w, statusOf(err, false), map[string]string{"error": errs.As(err).Message})
}

// examSave is POST /exams/attempts/{id}/answers/{n}: JSON {values: [...]}
// in, {saved: true} or {error} out.
func (s *server) examSave(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err == nil {
		var n int
		if n, err = strconv.Atoi(r.PathValue("n")); err != nil {
			err = errs.Invalidf("question", "题号无效")
		} else {
			var b saveBody
			if derr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<10)).Decode(&b); derr != nil {
				err = errs.Invalidf("answer", "答案格式错误")
			} else {
				err = s.a.Exams.Save(r.Context(), p, id, n, b.Values)
			}
		}
	}
	s.examJSON(w, r, err)
	return nil
}

// examLeave is POST /exams/attempts/{id}/leave: the page was left.
func (s *server) examLeave(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.a.Exams.Leave(r.Context(), p, id)
	}
	s.examJSON(w, r, err)
	return nil
}

// examSubmit is POST /exams/attempts/{id}/submit: the form with every
// answer (it works without JavaScript), then grading.
func (s *server) examSubmit(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	form := map[int][]string{}
	for k, vals := range r.PostForm {
		if n, ok := strings.CutPrefix(k, "q-"); ok {
			if i, err := strconv.Atoi(n); err == nil {
				form[i] = vals
			}
		}
	}
	// Unchecked boxes send nothing: a multiple-choice question present on
	// the page but absent from the form was cleared.
	for _, n := range r.PostForm["shown"] {
		if i, err := strconv.Atoi(n); err == nil {
			if _, ok := form[i]; !ok {
				form[i] = nil
			}
		}
	}
	a, err := s.a.Exams.SubmitForm(r.Context(), p, id, form)
	if err != nil {
		return err
	}
	s.redirect(w, r, "/exams/"+strconv.FormatInt(a.ExamID, 10)+"/take", "exam_submitted")
	return nil
}
