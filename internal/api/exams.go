package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"dibao/internal/attach"
	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/exam"
	"dibao/internal/exams"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

// examRoutes lists the theory exam operations (documented in
// openapi/exams.json). Start, autosave and submit are idempotent by nature:
// a repeated start answers the open attempt, a repeated answer appends a
// record whose value is the same, a repeated submit answers the graded
// attempt.
func (s *server) examRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/questions", Handler: s.questionList},
		{Method: "POST", Path: "/questions", Handler: s.questionCreate},
		{Method: "GET", Path: "/questions/{id}", Handler: s.questionGet},
		{Method: "PUT", Path: "/questions/{id}", Handler: s.questionRevise},
		{Method: "DELETE", Path: "/questions/{id}", Handler: s.questionRetire},
		{Method: "GET", Path: "/questions.xlsx", Handler: s.questionExport},
		{Method: "POST", Path: "/questions/import", Handler: s.questionImport},
		{Method: "GET", Path: "/exams", Handler: s.examList},
		{Method: "POST", Path: "/exams", Handler: s.examCreate},
		{Method: "GET", Path: "/exams/{id}/attempts", Handler: s.examAttempts},
		{Method: "POST", Path: "/exams/{id}/attempts", Handler: s.examStart},
		{Method: "GET", Path: "/attempts/{id}", Handler: s.attemptGet},
		{Method: "PUT", Path: "/attempts/{id}/answers/{question}", Handler: s.attemptSave},
		{Method: "POST", Path: "/attempts/{id}/submit", Handler: s.attemptSubmit},
		{Method: "POST", Path: "/attempts/{id}/events", Handler: s.attemptEvent},
	}
}

func questionJSON(q store.BankQuestion) map[string]any {
	opts, corr, acc := q.Options, q.Correct, q.Accepted
	if opts == nil {
		opts = []string{}
	}
	if corr == nil {
		corr = []int{}
	}
	if acc == nil {
		acc = []string{}
	}
	return map[string]any{"id": q.ID, "version": q.Version, "kind": q.Kind, "category": q.Category,
		"difficulty": q.Difficulty, "stem": q.Stem, "options": opts, "correct": corr, "accepted": acc,
		"retired": q.Retired, "updated_at": q.UpdatedAt}
}

type questionBody struct {
	Kind       exam.Kind `json:"kind"`
	Category   string    `json:"category"`
	Difficulty int       `json:"difficulty"`
	Stem       string    `json:"stem"`
	Options    []string  `json:"options"`
	Correct    []int     `json:"correct"`
	Accepted   []string  `json:"accepted"`
}

func (b questionBody) question() exam.Question {
	q := exam.Question{Kind: b.Kind, Difficulty: b.Difficulty, Stem: b.Stem, Options: b.Options, Correct: b.Correct,
		Accepted: b.Accepted}
	q.Category = enrollCategory(b.Category)
	return q
}

func (s *server) questionList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	qs, err := s.a.Exams.Questions(r.Context(), p, r.URL.Query().Get("retired") == "true")
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(qs))
	for i, q := range qs {
		items[i] = questionJSON(q)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *server) questionCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var b questionBody
	if err := decode(r, &b); err != nil {
		return err
	}
	id, err := s.a.Exams.CreateQuestion(r.Context(), p, b.question())
	if err != nil {
		return err
	}
	q, err := s.a.Exams.Question(r.Context(), p, id, 0)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, questionJSON(q))
	return nil
}

func (s *server) questionGet(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v := 0
	if raw := r.URL.Query().Get("version"); raw != "" {
		if v, err = strconv.Atoi(raw); err != nil || v < 1 {
			return errs.Invalidf("version", "版本号应为正整数")
		}
	}
	q, err := s.a.Exams.Question(r.Context(), p, id, v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, questionJSON(q))
	return nil
}

// questionRevise stores the body as a new version of the question.
func (s *server) questionRevise(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b questionBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if _, err := s.a.Exams.ReviseQuestion(r.Context(), p, id, b.question()); err != nil {
		return err
	}
	q, err := s.a.Exams.Question(r.Context(), p, id, 0)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, questionJSON(q))
	return nil
}

// questionRetire takes a question out of new papers; its versions and the
// attempts that used them stay.
func (s *server) questionRetire(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.a.Exams.RetireQuestion(r.Context(), p, id, true); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) questionExport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var buf bytes.Buffer
	if err := s.a.Exams.ExportBank(r.Context(), p, &buf); err != nil {
		return err
	}
	return attach.Send(w, sheet.ContentType, exams.SheetName, "exam-bank.xlsx", buf.Bytes())
}

// questionImport is a multipart upload (field file). With any bad row it
// answers 422 with every problem and writes nothing.
func (s *server) questionImport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if !exams.CanManage(p) {
		return errs.New(errs.Forbidden, "", "只有培训管理员和培训讲师可以管理题库和考试")
	}
	r.Body = http.MaxBytesReader(w, r.Body, sheet.MaxUpload+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.Invalidf("file", "文件过大：不能超过 %d MB", sheet.MaxUpload>>20)
		}
		return errs.Invalidf("file", "请以 multipart/form-data 上传题库文件（字段 file）")
	}
	defer r.MultipartForm.RemoveAll()
	file, _, err := r.FormFile("file")
	if err != nil {
		return errs.Invalidf("file", "请选择要导入的题库文件（.xlsx）")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, sheet.MaxUpload+1))
	if err != nil {
		return errs.Invalidf("file", "读取上传文件失败")
	}
	res, err := s.a.Exams.ImportBank(r.Context(), p, data)
	if err != nil {
		return err
	}
	if res.Errors == nil {
		res.Errors = []exams.RowError{}
	}
	status := http.StatusOK
	if len(res.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, res)
	return nil
}

func examJSON(e store.Exam) map[string]any {
	return map[string]any{"id": e.ID, "title": e.Title, "plan_id": e.PlanID, "plan_title": e.PlanTitle,
		"opens_at": e.OpensAt, "closes_at": e.ClosesAt, "minutes": e.Minutes, "closed_book": e.ClosedBook,
		"review": e.Review, "pass_mark": e.PassMark, "pass_version": e.PassVersion, "questions": len(e.Paper)}
}

func (s *server) examList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	es, err := s.a.Exams.Exams(r.Context(), p)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(es))
	for i, e := range es {
		items[i] = examJSON(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

type examBody struct {
	Title      string      `json:"title"`
	PlanID     int64       `json:"plan_id"`
	OpensAt    time.Time   `json:"opens_at"`
	ClosesAt   time.Time   `json:"closes_at"`
	Minutes    int         `json:"minutes"`
	ClosedBook bool        `json:"closed_book"`
	Review     exam.Review `json:"review"`
	Paper      exam.Paper  `json:"paper"`
	Seed       int64       `json:"seed"`
}

func (s *server) examCreate(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var b examBody
	if err := decode(r, &b); err != nil {
		return err
	}
	id, err := s.a.Exams.CreateExam(r.Context(), p, exams.ExamInput{Title: b.Title, PlanID: b.PlanID, OpensAt: b.OpensAt,
		ClosesAt: b.ClosesAt, Minutes: b.Minutes, ClosedBook: b.ClosedBook, Review: b.Review, Paper: b.Paper, Seed: b.Seed})
	if err != nil {
		return err
	}
	e, err := s.a.Exams.Exam(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, examJSON(e))
	return nil
}

func attemptSummary(a store.Attempt) map[string]any {
	out := map[string]any{"id": a.ID, "exam_id": a.ExamID, "person_id": a.PersonID, "person_name": a.PersonName,
		"kind": a.Kind, "status": a.Status, "started_at": a.StartedAt, "deadline": a.Deadline,
		"auto_submitted": a.AutoSubmitted, "leave_events": a.Events}
	if a.Status == store.AttemptSubmitted {
		out["submitted_at"], out["score"], out["passed"] = a.SubmittedAt, a.Score, a.Passed
	}
	return out
}

func (s *server) examAttempts(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	as, err := s.a.Exams.ExamAttempts(r.Context(), p, id)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(as))
	for i, a := range as {
		items[i] = attemptSummary(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

type startBody struct {
	Kind string `json:"kind"`
}

// examStart starts (or answers the open) attempt; kind defaults to first.
func (s *server) examStart(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b startBody
	if r.ContentLength != 0 {
		if err := decode(r, &b); err != nil {
			return err
		}
	}
	a, err := s.a.Exams.Start(r.Context(), p, id, b.Kind)
	if err != nil {
		return err
	}
	return s.writeAttempt(w, r, p, a.ID, http.StatusCreated)
}

// writeAttempt answers the attempt as its reader may see it: the candidate
// sees the questions (no correct answers) while open, afterwards what the
// exam's review setting allows; the examiner sees everything.
func (s *server) writeAttempt(w http.ResponseWriter, r *http.Request, p authz.Principal, id int64, status int) error {
	v, err := s.a.Exams.Attempt(r.Context(), p, id)
	if err != nil {
		return err
	}
	a := v.Attempt
	examiner := exams.CanManage(p) && a.PersonID != p.UserID
	out := attemptSummary(a)
	delete(out, "leave_events")
	done := a.Status == store.AttemptSubmitted
	showScore := examiner || v.Exam.Review != exam.ReviewNone
	showAnswers := examiner || v.Exam.Review == exam.ReviewAnswers
	if done && !showScore {
		delete(out, "score")
		delete(out, "passed")
	}
	var items []map[string]any
	if !done || showAnswers {
		for _, it := range a.Items {
			q := it.Question
			m := map[string]any{"n": it.N, "kind": q.Kind, "stem": q.Stem, "points": it.Points, "answer": v.Answers[it.N]}
			var opts []map[string]any
			for _, orig := range it.Order {
				opts = append(opts, map[string]any{"value": strconv.Itoa(orig), "text": q.Options[orig]})
			}
			if q.Kind == exam.TrueFalse {
				opts = []map[string]any{{"value": "true", "text": "正确"}, {"value": "false", "text": "错误"}}
			}
			if opts != nil {
				m["options"] = opts
			}
			if done {
				m["correct"], m["right"] = exam.CorrectText(q), exam.Right(q, v.Answers[it.N])
				m["question_id"], m["version"] = q.ID, q.Version
			}
			items = append(items, m)
		}
	}
	if items != nil {
		out["items"] = items
	}
	if examiner {
		evs := make([]map[string]any, len(v.Events))
		for i, e := range v.Events {
			evs[i] = map[string]any{"kind": e.Kind, "at": e.At}
		}
		out["events"] = evs
	}
	writeJSON(w, status, out)
	return nil
}

func (s *server) attemptGet(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.writeAttempt(w, r, p, id, http.StatusOK)
}

type answerBody struct {
	Values []string `json:"values"`
}

func (s *server) attemptSave(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("question"))
	if err != nil {
		return errs.Invalidf("question", "题号无效")
	}
	var b answerBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if err := s.a.Exams.Save(r.Context(), p, id, n, b.Values); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"saved": true})
	return nil
}

func (s *server) attemptSubmit(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.a.Exams.Submit(r.Context(), p, id); err != nil {
		return err
	}
	return s.writeAttempt(w, r, p, id, http.StatusOK)
}

type eventBody struct {
	Kind string `json:"kind"`
}

func (s *server) attemptEvent(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b eventBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.Kind != "leave" {
		return errs.Invalidf("kind", "事件类型应为 leave（离开考试页面）")
	}
	if err := s.a.Exams.Leave(r.Context(), p, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"recorded": true})
	return nil
}

func enrollCategory(s string) enroll.Category { return enroll.Category(s) }
