package api

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"dibao/internal/attach"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/training"
)

// certRoutes lists the assessment-result and certification operations
// (documented in openapi/assessments.json).
func (s *server) certRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/training/plans/{id}/results", Handler: s.planResults},
		{Method: "POST", Path: "/training/plans/{id}/daily-scores", Handler: s.dailyScore},
		{Method: "GET", Path: "/me/certifications", Handler: s.myCertifications},
		{Method: "GET", Path: "/training/appraisal.xlsx", Handler: s.appraisalXLSX},
	}
}

func personResultJSON(pr training.PersonResult) map[string]any {
	cells := make([]map[string]any, len(pr.Cells))
	for i, c := range pr.Cells {
		m := map[string]any{"kind": c.Kind, "kind_label": c.Kind.Label(), "state": c.State, "state_label": c.Label(),
			"makeup": c.MakeUp}
		if c.First >= 0 {
			m["first_score"] = c.First
		}
		cells[i] = m
	}
	return map[string]any{"person_id": pr.PersonID, "name": pr.Name, "region_code": pr.Region, "plan_id": pr.PlanID,
		"plan_title": pr.PlanTitle, "cycle": pr.Cycle, "retraining": pr.Retraining, "complete": pr.Complete,
		"attended": pr.Attended, "held": pr.Held, "kinds": cells}
}

func (s *server) planResults(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rep, err := s.a.Training.PlanResults(r.Context(), p, id)
	if err != nil {
		return err
	}
	a := training.AssessmentOf(rep.Plan)
	items := make([]map[string]any, len(rep.People))
	for i, pr := range rep.People {
		items[i] = personResultJSON(pr)
	}
	writeJSON(w, http.StatusOK, map[string]any{"plan_id": rep.Plan.ID, "title": rep.Plan.Title,
		"assessments": a.Assessments, "certifies": a.Certifies, "validity_months": a.ValidityMonths, "items": items})
	return nil
}

type dailyReq struct {
	PersonID      int64 `json:"person_id"`
	Participation *int  `json:"participation"`
	Homework      *int  `json:"homework"`
}

func (s *server) dailyScore(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req dailyReq
	if err := decode(r, &req); err != nil {
		return err
	}
	var l errs.List
	if req.PersonID <= 0 {
		l.Add("person_id", "请指定评分人员")
	}
	if req.Participation == nil {
		l.Add("participation", "请填写课堂参与评分（0至100）")
	}
	if req.Homework == nil {
		l.Add("homework", "请填写作业完成评分（0至100）")
	}
	if err := l.Err(); err != nil {
		return err
	}
	out, err := s.a.Training.RecordDaily(r.Context(), p, training.DailyInput{PersonID: req.PersonID, PlanID: id,
		Participation: *req.Participation, Homework: *req.Homework, IdempotencyKey: r.Header.Get("Idempotency-Key")})
	if err != nil {
		return err
	}
	res := map[string]any{"id": out.Result.ID, "attempt": out.Result.Attempt, "cycle": out.Result.Cycle,
		"passed": out.Result.Passed, "attended": out.Attended, "held": out.Held, "granted": nonNil(out.Granted),
		"revoked": nonNil(out.Revoked), "retraining": out.Retraining, "complete": out.Standing.Complete}
	if out.Result.Score >= 0 {
		res["score"] = out.Result.Score
	}
	status := http.StatusCreated
	if out.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
		status = http.StatusOK
	}
	writeJSON(w, status, res)
	return nil
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func (s *server) myCertifications(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	mine, err := s.a.Training.Mine(r.Context(), p)
	if err != nil {
		return err
	}
	certs := make([]map[string]any, len(mine.Certs))
	for i, c := range mine.Certs {
		certs[i] = certJSON(c)
	}
	results := make([]map[string]any, len(mine.Results))
	for i, pr := range mine.Results {
		results[i] = personResultJSON(pr)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": certs, "results": results})
	return nil
}

func certJSON(c training.CertView) map[string]any {
	m := map[string]any{"id": c.ID, "name": c.Name, "label": c.Label, "plan_id": c.PlanID, "plan_title": c.Plan,
		"granted_at": c.GrantedAt, "valid_until": c.ValidUntil, "valid": c.Valid, "status": c.Status}
	if !c.RevokedAt.IsZero() {
		m["revoked_at"], m["revoke_reason"] = c.RevokedAt, c.RevokeReason
	}
	return m
}

func (s *server) appraisalXLSX(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	from, err1 := time.ParseInLocation(time.DateOnly, q.Get("from"), calendar.Location())
	to, err2 := time.ParseInLocation(time.DateOnly, q.Get("to"), calendar.Location())
	if err1 != nil || err2 != nil {
		return errs.Invalidf("period", "请填写正确的起止日期（from、to，格式YYYY-MM-DD）")
	}
	rows, err := s.a.Training.Appraisal(r.Context(), p, from, to)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	name := func(c region.Code) string {
		if n, ok := names[c]; ok {
			return n
		}
		return string(c)
	}
	var buf bytes.Buffer
	i := 0
	n, err := sheet.Write(&buf, "考核评定", sheet.Cols(training.AppraisalColumns...), func() ([]any, bool) {
		if i >= len(rows) {
			return nil, false
		}
		i++
		return rows[i-1].Cells(name), true
	})
	if err != nil {
		return err
	}
	err = s.a.DB.InTx(r.Context(), p, func(tx *store.Tx) error {
		return tx.Audit(r.Context(), store.Entry{Action: "training.appraisal.export", Object: "export:考核评定",
			Detail: "导出考核评定：" + strconv.Itoa(n) + "行；from=" + q.Get("from") + " to=" + q.Get("to")})
	})
	if err != nil {
		return err
	}
	return attach.Send(w, sheet.ContentType, "考核评定.xlsx", "appraisal.xlsx", buf.Bytes())
}
