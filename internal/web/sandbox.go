package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/practical"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// The practical-assessment sandbox (issue 6): scenarios and runs, and the
// sandbox case pages — the real case page code over the sandbox store.

func init() {
	flashMessages["run_started"] = "实操考核已开始，沙盒案件已生成。请按任务要求办理，完成后回到本页结束考核"
	flashMessages["run_advanced"] = "沙盒时间已推进（仅本次考核的模拟时间）"
	flashMessages["run_finished"] = "实操考核已结束，自动评分项已计分；待考官评定评分细则后成绩完整"
	flashMessages["run_scored"] = "评分已保存，成绩已完整"
}

func (s *server) sandboxRoutes(mux *http.ServeMux) {
	mux.Handle("GET /sandbox", s.auth(s.sandboxIndex))
	mux.Handle("POST /sandbox/runs", s.auth(s.sandboxStart))
	mux.Handle("GET /sandbox/runs/{id}", s.auth(s.sandboxRun))
	mux.Handle("POST /sandbox/runs/{id}/advance", s.auth(s.sandboxAdvance))
	mux.Handle("POST /sandbox/runs/{id}/finish", s.auth(s.sandboxFinish))
	mux.Handle("POST /sandbox/runs/{id}/rubric", s.auth(s.sandboxRubric))
	mux.Handle("GET /sandbox/cases/{id}", s.auth(s.sandboxCase))
	mux.Handle("POST /sandbox/cases/{id}/act/{transition}", s.auth(s.sandboxCaseAct))
	mux.Handle("POST /sandbox/cases/{id}/materials", s.auth(s.sandboxCaseMaterials))
	mux.Handle("GET /sandbox/cases/{id}/documents/{number}", s.auth(s.sandboxCaseDocument))
}

func (s *server) sandbox() (*practical.Service, error) {
	if s.a.Sandbox == nil {
		return nil, errs.New(errs.NotFound, "", "实操沙盒未启用")
	}
	return s.a.Sandbox, nil
}

var runStatus = map[string]string{"running": "进行中", "finished": "待考官评分", "scored": "已评分"}

type runRow struct {
	ID       int64
	Scenario string
	Username string
	Attempt  string
	Started  string
	Status   string
	Score    string
	Passed   string
}

func runRowOf(r store.PracticalRun) runRow {
	sc, _ := practical.ScenarioByID(r.Scenario)
	row := runRow{ID: r.ID, Scenario: sc.Title, Username: r.Username, Attempt: attemptLabel(r.Attempt),
		Started: localTime(r.StartedAt), Status: runStatus[r.Status]}
	switch r.Status {
	case "finished":
		row.Score = strconv.Itoa(r.AutoPoints) + "（自动项，待评分）"
	case "scored":
		row.Score = strconv.Itoa(r.Score)
		row.Passed = "不合格"
		if r.Passed {
			row.Passed = "合格"
		}
	}
	return row
}

func attemptLabel(a string) string {
	if a == practical.AttemptMakeup {
		return "补考"
	}
	return "首次"
}

type sandboxIndexPage struct {
	Scenarios []practical.Scenario
	Mine      []runRow
	All       []runRow // examiners: every run
	Examiner  bool
}

func (s *server) sandboxIndex(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, err := s.sandbox()
	if err != nil {
		return err
	}
	pg := sandboxIndexPage{Scenarios: practical.Scenarios, Examiner: practical.Examiner(p)}
	mine, err := svc.Runs(r.Context(), p, false)
	if err != nil {
		return err
	}
	for _, x := range mine {
		pg.Mine = append(pg.Mine, runRowOf(x))
	}
	if pg.Examiner {
		all, err := svc.Runs(r.Context(), p, true)
		if err != nil {
			return err
		}
		for _, x := range all {
			pg.All = append(pg.All, runRowOf(x))
		}
	}
	s.render(w, r, p, http.StatusOK, "sandbox_index", "实操沙盒", []crumb{{Label: "实操沙盒"}}, pg)
	return nil
}

func (s *server) sandboxStart(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, err := s.sandbox()
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	run, err := svc.Start(r.Context(), p, r.PostFormValue("scenario"), r.PostFormValue("attempt"))
	if err != nil {
		return err
	}
	s.redirect(w, r, "/sandbox/runs/"+strconv.FormatInt(run.ID, 10), "run_started")
	return nil
}

type sandboxRunPage struct {
	Run        store.PracticalRun
	Scenario   practical.Scenario
	Owner      bool
	Examiner   bool
	CaseHref   string
	CaseState  string
	Status     string
	Attempt    string
	Started    string
	Finished   string
	Items      []store.PracticalScore
	Auto       int
	AutoMax    int
	RubricMax  int
	Score      int
	Complete   bool
	Passed     bool
	PassMark   int
	Expected   string
	Declared   string
	Err        string
	FieldErr   map[string]string
	Values     url.Values
	MaxAdvance int
}

func (s *server) loadRunPage(ctx context.Context, svc *practical.Service, p authz.Principal, id int64) (sandboxRunPage, error) {
	run, err := svc.Run(ctx, p, id)
	if err != nil {
		return sandboxRunPage{}, err
	}
	sc, _ := practical.ScenarioByID(run.Scenario)
	pg := sandboxRunPage{Run: run, Scenario: sc, Owner: run.UserID == p.UserID, Examiner: practical.Examiner(p),
		CaseHref: "/sandbox/cases/" + strconv.FormatInt(run.SandboxCaseID, 10), Status: runStatus[run.Status],
		Attempt: attemptLabel(run.Attempt), Started: localTime(run.StartedAt), Finished: localTime(run.FinishedAt),
		Auto: run.AutoPoints, AutoMax: sc.AutoMax(), RubricMax: sc.RubricMax(), Score: run.Score,
		Complete: run.Status == "scored", Passed: run.Passed, FieldErr: map[string]string{}, MaxAdvance: practical.MaxAdvance}
	if pg.Items, err = svc.Scores(ctx, run); err != nil {
		return pg, err
	}
	if c, err := svc.Sandbox.Case(ctx, practical.SandboxScope(), run.SandboxCaseID); err == nil {
		if d, ok := workflow.Profile(c.Profile); ok {
			pg.CaseState = stateLabel(d, c.State)
		}
	}
	pg.PassMark = 60
	if u, err := s.a.DB.UserByID(ctx, run.UserID); err == nil {
		if set, err := policy.Resolve(ctx, s.a.DB, u.Region, s.a.Cases.Now()); err == nil {
			pg.PassMark = set.Int(policy.PracticalPass)
		}
	}
	if run.Status != "running" && sc.Amount {
		pg.Expected = money.Fen(run.ExpectedAmount).Yuan()
		if run.DeclaredAmount >= 0 {
			pg.Declared = money.Fen(run.DeclaredAmount).Yuan()
		}
	}
	return pg, nil
}

func (s *server) renderRun(w http.ResponseWriter, r *http.Request, p authz.Principal, id int64, status int,
	fail error, values url.Values) error {
	svc, err := s.sandbox()
	if err != nil {
		return err
	}
	pg, err := s.loadRunPage(r.Context(), svc, p, id)
	if err != nil {
		return err
	}
	if fail != nil {
		fields, all := fieldErrors(fail)
		pg.FieldErr, pg.Err, pg.Values = fields, strings.Join(all, "；"), values
	}
	s.render(w, r, p, status, "sandbox_run", "实操考核："+pg.Scenario.Title,
		[]crumb{{Label: "实操沙盒", Href: "/sandbox"}, {Label: "考核记录 " + strconv.FormatInt(id, 10)}}, pg)
	return nil
}

func (s *server) sandboxRun(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderRun(w, r, p, id, http.StatusOK, nil, nil)
}

// runPost handles a run form: the action's error goes back onto the run
// page beside the form, success redirects with a flash.
func (s *server) runPost(w http.ResponseWriter, r *http.Request, p authz.Principal, flash string,
	fn func(svc *practical.Service, id int64) error) error {
	svc, err := s.sandbox()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := fn(svc, id); err != nil {
		if !pageFailure(err) {
			return err
		}
		return s.renderRun(w, r, p, id, statusOf(err, true), err, r.PostForm)
	}
	s.redirect(w, r, "/sandbox/runs/"+strconv.FormatInt(id, 10), flash)
	return nil
}

func (s *server) sandboxAdvance(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.runPost(w, r, p, "run_advanced", func(svc *practical.Service, id int64) error {
		days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
		if err != nil {
			return errs.Invalidf("days", "推进天数应为 1 至 %d 天", practical.MaxAdvance)
		}
		_, err = svc.Advance(r.Context(), p, id, days)
		return err
	})
}

func (s *server) sandboxFinish(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.runPost(w, r, p, "run_finished", func(svc *practical.Service, id int64) error {
		declared := money.Fen(-1)
		if raw := strings.TrimSpace(r.PostFormValue("amount")); raw != "" {
			v, err := money.Parse(raw)
			if err != nil {
				return errs.Invalidf("amount", "核定金额：%s", errs.As(err).Message)
			}
			declared = v
		}
		_, err := svc.Finish(r.Context(), p, id, declared)
		return err
	})
}

func (s *server) sandboxRubric(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	return s.runPost(w, r, p, "run_scored", func(svc *practical.Service, id int64) error {
		run, err := svc.Run(r.Context(), p, id)
		if err != nil {
			return err
		}
		sc, _ := practical.ScenarioByID(run.Scenario)
		scores := map[string]int{}
		var l errs.List
		for _, it := range sc.Rubric {
			raw := strings.TrimSpace(r.PostFormValue("rubric_" + it.Code))
			if raw == "" {
				continue // the service names the missing item
			}
			n, err := strconv.Atoi(raw)
			if err != nil {
				l.Add("rubric."+it.Code, "“%s”的得分应为整数", it.Label)
				continue
			}
			scores[it.Code] = n
		}
		if err := l.Err(); err != nil {
			return err
		}
		_, err = svc.Rubric(r.Context(), p, id, scores)
		return err
	})
}

// sandboxCaseCtx resolves a sandbox case for the caller (practical.CaseFor).
func (s *server) sandboxCaseCtx(ctx context.Context, p authz.Principal, caseID int64, acting bool) (store.PracticalRun,
	*casework.Service, authz.Principal, error) {
	svc, err := s.sandbox()
	if err != nil {
		return store.PracticalRun{}, nil, authz.Principal{}, err
	}
	return svc.CaseFor(ctx, p, caseID, acting)
}

func sandboxPath(href string) string {
	if strings.HasPrefix(href, "/cases/") {
		return "/sandbox" + href
	}
	return href
}

func (s *server) renderSandboxCase(w http.ResponseWriter, r *http.Request, p authz.Principal, id int64, status int,
	f *caseFailure) error {
	run, cs, sp, err := s.sandboxCaseCtx(r.Context(), p, id, false)
	if err != nil {
		return err
	}
	pg, err := loadCasePageOver(r.Context(), cs, sp, id, f)
	if err != nil {
		return err
	}
	pg.Sandbox, pg.Base = true, "/sandbox/cases/"+strconv.FormatInt(id, 10)
	pg.Upload.Allowed, pg.Files = false, nil
	for _, cards := range [][]optionCard{pg.Primary, pg.Secondary} {
		for i := range cards {
			cards[i].Action = sandboxPath(cards[i].Action)
		}
	}
	for i := range pg.Documents {
		pg.Documents[i].Href = sandboxPath(pg.Documents[i].Href)
	}
	for i := range pg.Timeline {
		for j := range pg.Timeline[i].Docs {
			pg.Timeline[i].Docs[j].Href = sandboxPath(pg.Timeline[i].Docs[j].Href)
		}
	}
	if run.UserID != p.UserID || run.Status != "running" {
		pg.Primary, pg.Secondary, pg.Materials.Editable = nil, nil, false
		pg.NoActions = "本页为只读：只有考核学员本人在考核进行中可以办理沙盒案件。"
	}
	s.render(w, r, p, status, "case", "【沙盒】"+pg.H.HeadName+" 户低保申请 "+pg.H.Number,
		[]crumb{{Label: "实操沙盒", Href: "/sandbox"}, {Label: "考核记录 " + strconv.FormatInt(run.ID, 10),
			Href: "/sandbox/runs/" + strconv.FormatInt(run.ID, 10)}, {Label: pg.H.Number}}, pg)
	return nil
}

func (s *server) sandboxCase(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderSandboxCase(w, r, p, id, http.StatusOK, nil)
}

func (s *server) sandboxCaseAct(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, cs, sp, err := s.sandboxCaseCtx(r.Context(), p, id, true)
	if err != nil {
		return err
	}
	f, err := readActForm(w, r)
	if err != nil {
		return err
	}
	a := casework.Action{CaseID: id, Version: f.Version, Transition: f.Transition, Input: f.Input, IdempotencyKey: f.Key}
	out, err := actOnce(f, func() (casework.Outcome, error) { return cs.Act(r.Context(), sp, a) },
		func(o casework.Outcome) bool { return o.Replayed })
	if err != nil {
		if !pageFailure(err) {
			return err
		}
		return s.renderSandboxCase(w, r, p, id, statusOf(err, true),
			&caseFailure{Form: "act", Transition: f.Transition, Values: r.PostForm, Err: err})
	}
	s.redirect(w, r, "/sandbox/cases/"+strconv.FormatInt(id, 10)+"#actions", actFlashCode(f.Transition, out))
	return nil
}

func (s *server) sandboxCaseMaterials(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, cs, sp, err := s.sandboxCaseCtx(r.Context(), p, id, true)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	version, err := formVersion(r)
	if err == nil {
		items := make([]casework.MaterialInput, 0, len(casework.Materials))
		for _, m := range casework.Materials {
			items = append(items, casework.MaterialInput{Code: m.Code, Status: r.PostFormValue("status_" + m.Code),
				Note: r.PostFormValue("note_" + m.Code)})
		}
		_, err = cs.SetMaterials(r.Context(), sp, id, version, items)
	}
	if err != nil {
		if !pageFailure(err) {
			return err
		}
		return s.renderSandboxCase(w, r, p, id, statusOf(err, true), &caseFailure{Form: "materials", Values: r.PostForm, Err: err})
	}
	s.redirect(w, r, "/sandbox/cases/"+strconv.FormatInt(id, 10)+"#materials", "materials_saved")
	return nil
}

func (s *server) sandboxCaseDocument(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, cs, sp, err := s.sandboxCaseCtx(r.Context(), p, id, false)
	if err != nil {
		return err
	}
	html, err := cs.Document(r.Context(), sp, id, r.PathValue("number"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, err = w.Write(html)
	return err
}
