package api

import (
	"net/http"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/practical"
	"dibao/internal/store"
)

// sandboxRoutes lists the practical-assessment operations (documented in
// openapi/sandbox.json): scenarios, runs, and the sandbox cases in the
// shape of the case API.
func (s *server) sandboxRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/sandbox/scenarios", Handler: s.sandboxScenarios},
		{Method: "GET", Path: "/sandbox/runs", Handler: s.sandboxRuns},
		{Method: "POST", Path: "/sandbox/runs", Handler: s.sandboxStart},
		{Method: "GET", Path: "/sandbox/runs/{id}", Handler: s.sandboxRun},
		{Method: "POST", Path: "/sandbox/runs/{id}/advance", Handler: s.sandboxAdvance},
		{Method: "POST", Path: "/sandbox/runs/{id}/finish", Handler: s.sandboxFinish},
		{Method: "POST", Path: "/sandbox/runs/{id}/rubric", Handler: s.sandboxRubric},
		{Method: "GET", Path: "/sandbox/cases/{id}", Handler: s.sandboxCase},
		{Method: "PUT", Path: "/sandbox/cases/{id}/materials", Handler: s.sandboxMaterials},
		{Method: "POST", Path: "/sandbox/cases/{id}/actions/{transition}", Handler: s.sandboxAct},
	}
}

func (s *server) sandbox() (*practical.Service, error) {
	if s.a.Sandbox == nil {
		return nil, errs.New(errs.NotFound, "", "实操沙盒未启用")
	}
	return s.a.Sandbox, nil
}

// sandboxAndID is the practical service and the {id} of a sandbox route.
func (s *server) sandboxAndID(r *http.Request) (*practical.Service, int64, error) {
	svc, err := s.sandbox()
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r, "id")
	return svc, id, err
}

func (s *server) sandboxScenarios(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	if _, err := s.sandbox(); err != nil {
		return err
	}
	items := make([]map[string]any, len(practical.Scenarios))
	for i, sc := range practical.Scenarios {
		rubric := make([]map[string]any, len(sc.Rubric))
		for j, it := range sc.Rubric {
			rubric[j] = map[string]any{"code": it.Code, "label": it.Label, "max": it.Max}
		}
		items[i] = map[string]any{"id": sc.ID, "title": sc.Title, "brief": sc.Brief, "steps": sc.Steps,
			"target_minutes": sc.TargetMinutes, "weights": sc.Weights, "rubric": rubric}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func runJSON(run store.PracticalRun, scores []store.PracticalScore) map[string]any {
	out := map[string]any{"id": run.ID, "scenario": run.Scenario, "user_id": run.UserID, "username": run.Username,
		"attempt": run.Attempt, "status": run.Status, "sandbox_case_id": run.SandboxCaseID, "clock_days": run.ClockDays,
		"started_at": run.StartedAt, "auto_points": run.AutoPoints, "rubric_points": run.RubricPoints,
		"complete": run.Status == "scored"}
	if run.Status != "running" {
		out["finished_at"] = run.FinishedAt
	}
	if run.Status == "scored" {
		out["score"], out["passed"], out["scored_by"], out["scored_at"] = run.Score, run.Passed, run.ScoredBy, run.ScoredAt
	}
	if run.DeclaredAmount >= 0 {
		out["declared_amount"] = money.Fen(run.DeclaredAmount).String()
	}
	if scores != nil {
		items := make([]map[string]any, len(scores))
		for i, x := range scores {
			items[i] = map[string]any{"item": x.Item, "kind": x.Kind, "label": x.Label, "expected": x.Expected,
				"done": x.Done, "points": x.Points, "max": x.Max}
		}
		out["breakdown"] = items
	}
	return out
}

func (s *server) sandboxRuns(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, err := s.sandbox()
	if err != nil {
		return err
	}
	runs, err := svc.Runs(r.Context(), p, r.URL.Query().Get("all") == "true")
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(runs))
	for i, x := range runs {
		items[i] = runJSON(x, nil)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *server) writeRun(w http.ResponseWriter, r *http.Request, svc *practical.Service, status int, run store.PracticalRun) error {
	scores, err := svc.Scores(r.Context(), run)
	if err != nil {
		return err
	}
	writeJSON(w, status, runJSON(run, scores))
	return nil
}

type startReq struct {
	Scenario string `json:"scenario"`
	Attempt  string `json:"attempt"`
}

func (s *server) sandboxStart(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, err := s.sandbox()
	if err != nil {
		return err
	}
	var req startReq
	if err := decode(r, &req); err != nil {
		return err
	}
	run, err := svc.Start(r.Context(), p, req.Scenario, req.Attempt)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, svc, http.StatusCreated, run)
}

func (s *server) sandboxRun(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, id, err := s.sandboxAndID(r)
	if err != nil {
		return err
	}
	run, err := svc.Run(r.Context(), p, id)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, svc, http.StatusOK, run)
}

type advanceReq struct {
	Days int `json:"days"`
}

func (s *server) sandboxAdvance(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, id, err := s.sandboxAndID(r)
	if err != nil {
		return err
	}
	var req advanceReq
	if err := decode(r, &req); err != nil {
		return err
	}
	run, err := svc.Advance(r.Context(), p, id, req.Days)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, svc, http.StatusOK, run)
}

type finishReq struct {
	Amount string `json:"amount"` // yuan, e.g. "1195.00"; only for scenarios that score the amount
}

func (s *server) sandboxFinish(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, id, err := s.sandboxAndID(r)
	if err != nil {
		return err
	}
	var req finishReq
	if err := decode(r, &req); err != nil {
		return err
	}
	declared := money.Fen(-1)
	if req.Amount != "" {
		v, err := money.Parse(req.Amount)
		if err != nil {
			return errs.Invalidf("amount", "核定金额：%s", errs.As(err).Message)
		}
		declared = v
	}
	run, err := svc.Finish(r.Context(), p, id, declared)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, svc, http.StatusOK, run)
}

type rubricReq struct {
	Scores map[string]int `json:"scores"`
}

func (s *server) sandboxRubric(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, id, err := s.sandboxAndID(r)
	if err != nil {
		return err
	}
	var req rubricReq
	if err := decode(r, &req); err != nil {
		return err
	}
	run, err := svc.Rubric(r.Context(), p, id, req.Scores)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, svc, http.StatusOK, run)
}

func (s *server) sandboxCase(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, id, err := s.sandboxAndID(r)
	if err != nil {
		return err
	}
	run, cs, sp, err := svc.CaseFor(r.Context(), p, id, false)
	if err != nil {
		return err
	}
	v, err := cs.Get(r.Context(), sp, id)
	if err != nil {
		return err
	}
	out := caseJSON(v.Case, v.Definition)
	out["sandbox"], out["run_id"] = true, run.ID
	var opts []map[string]any
	if run.UserID == p.UserID && run.Status == "running" {
		opts = optionsJSON(v.Options)
	}
	out["actions"] = opts
	var events []map[string]any
	for _, e := range v.Events {
		events = append(events, map[string]any{"seq": e.Seq, "transition": e.Transition, "from": e.From, "to": e.To,
			"actor": e.Actor, "at": e.At, "reason": e.Reason, "documents": e.Documents})
	}
	out["events"] = events
	var mats []map[string]any
	for _, m := range v.Materials {
		mats = append(mats, map[string]any{"code": m.Code, "status": m.Status, "note": m.Note})
	}
	out["materials"] = mats
	staff, err := cs.Staff(r.Context(), sp, id)
	if err != nil {
		return err
	}
	var st []map[string]any
	for _, m := range staff {
		if m.Active {
			st = append(st, map[string]any{"id": m.ID, "name": m.Name})
		}
	}
	out["staff"] = st // the sandbox accounts a home visit may name as investigators
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *server) sandboxMaterials(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, id, err := s.sandboxAndID(r)
	if err != nil {
		return err
	}
	_, cs, sp, err := svc.CaseFor(r.Context(), p, id, true)
	if err != nil {
		return err
	}
	return setMaterialsOn(w, r, cs, sp, id)
}

func (s *server) sandboxAct(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	svc, id, err := s.sandboxAndID(r)
	if err != nil {
		return err
	}
	_, cs, sp, err := svc.CaseFor(r.Context(), p, id, true)
	if err != nil {
		return err
	}
	return actOn(w, r, cs, sp, id)
}
