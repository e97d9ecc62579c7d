package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/mask"
	"dibao/internal/recipients"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// reportRoutes lists the change-report and spot-check operations
// (documented in openapi/reports.json).
func (s *server) reportRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/change-reports", Handler: s.listReports},
		{Method: "POST", Path: "/change-reports", Handler: s.createReport},
		{Method: "GET", Path: "/change-reports/{id}", Handler: s.getReport},
		{Method: "POST", Path: "/change-reports/{id}/actions/{transition}", Handler: s.actOnReport},
		{Method: "GET", Path: "/spot-checks", Handler: s.listSpotChecks},
		{Method: "POST", Path: "/spot-checks", Handler: s.drawSpotCheck},
		{Method: "GET", Path: "/spot-checks/{id}", Handler: s.getSpotCheck},
		{Method: "POST", Path: "/spot-checks/{id}/results", Handler: s.recordSpotCheckResult},
	}
}

func reportJSON(r store.ChangeReport) map[string]any {
	def := workflow.ChangeReport()
	label := r.State
	if st, ok := def.State(r.State); ok {
		label = st.Label
	}
	return map[string]any{"id": r.ID, "household_id": r.HouseholdID, "region_code": r.Region, "kind": r.Kind,
		"kind_label": workflow.ChangeReportKindLabel(r.Kind), "detail": r.Detail, "changed_on": r.ChangedOn,
		"state": r.State, "state_label": label, "version": r.Version, "finding": r.Finding, "review_task_id": r.TaskID,
		"closed": r.Closed, "reported_by": r.ReportedBy, "reported_at": r.ReportedAt, "head_name": mask.Name(r.HeadName)}
}

func (s *server) listReports(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	rows, err := s.a.Payments.Reports(r.Context(), p, store.ChangeReportFilter{State: q.Get("state"), Kind: q.Get("kind")})
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(rows))
	for i, x := range rows {
		items[i] = reportJSON(x)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

type reportReq struct {
	HouseholdID int64  `json:"household_id"`
	Kind        string `json:"kind"`
	Detail      string `json:"detail"`
	ChangedOn   string `json:"changed_on"`
}

func (s *server) createReport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var req reportReq
	if err := decode(r, &req); err != nil {
		return err
	}
	out, err := s.a.Payments.Report(r.Context(), p, recipients.NewReport{HouseholdID: req.HouseholdID, Kind: req.Kind,
		Detail: req.Detail, ChangedOn: req.ChangedOn, IdempotencyKey: r.Header.Get("Idempotency-Key")})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if out.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
		status = http.StatusOK
	}
	writeJSON(w, status, reportJSON(out.Report))
	return nil
}

func (s *server) getReport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.a.Payments.GetReport(r.Context(), p, id)
	if err != nil {
		return err
	}
	body := reportJSON(v.Report)
	var events []map[string]any
	for _, e := range v.Events {
		var data any
		_ = json.Unmarshal([]byte(e.Data), &data)
		events = append(events, map[string]any{"seq": e.Seq, "transition": e.Transition, "from": e.From, "to": e.To,
			"actor": e.Actor, "at": e.At, "reason": e.Reason, "data": data})
	}
	var actions []map[string]any
	for _, o := range v.Options {
		actions = append(actions, map[string]any{"id": o.Transition.ID, "label": o.Transition.Label, "enabled": o.Enabled,
			"reason": o.Reason, "requires_reason": o.Transition.RequiresReason, "fields": o.Transition.Records})
	}
	body["events"], body["actions"] = events, actions
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *server) actOnReport(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req actReq
	if err := decode(r, &req); err != nil {
		return err
	}
	out, err := s.a.Payments.ActOnReport(r.Context(), p, recipients.ReportAction{ReportID: id, Version: req.Version,
		Transition: r.PathValue("transition"), Input: workflow.Input{Values: req.Values, Reason: req.Reason},
		IdempotencyKey: r.Header.Get("Idempotency-Key")})
	if err != nil {
		return err
	}
	if out.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusOK, map[string]any{"report": reportJSON(out.Report), "event_seq": out.Event.Seq,
		"review_task_id": out.Task, "joined_existing_task": out.Joined, "replayed": out.Replayed})
	return nil
}

func spotCheckJSON(c store.SpotCheck) map[string]any {
	return map[string]any{"id": c.ID, "county": c.Region, "month": c.Month, "seed": strconv.FormatUint(c.Seed, 10),
		"rate": c.Rate, "chosen": c.Chosen, "created_by": c.CreatedBy, "created_at": c.CreatedAt}
}

func sampleJSON(x store.SpotCheckSample) map[string]any {
	return map[string]any{"household_id": x.HouseholdID, "region_code": x.Region, "head_name": mask.Name(x.HeadName),
		"reason": x.Reason, "finding": x.Finding, "finding_label": recipients.SpotCheckFindingLabel(x.Finding), "note": x.Note,
		"recorded_by": x.RecordedBy, "recorded_at": recordedAt(x)}
}

func recordedAt(x store.SpotCheckSample) any {
	if x.RecordedBy == "" {
		return nil
	}
	return x.RecordedAt
}

func (s *server) listSpotChecks(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	list, err := s.a.Payments.SpotChecks(r.Context(), p)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(list))
	for i, x := range list {
		items[i] = spotCheckJSON(x.Check)
		items[i]["progress"] = map[string]int{"sampled": x.Progress.Sampled, "recorded": x.Progress.Recorded,
			"confirmed": x.Progress.Confirmed, "not_confirmed": x.Progress.NotConfirmed, "unverifiable": x.Progress.Unverifiable}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

type drawReq struct {
	Seed string `json:"seed"` // decimal string: a uint64 does not survive a JavaScript number
}

func (s *server) drawSpotCheck(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var req drawReq
	if err := decode(r, &req); err != nil {
		return err
	}
	var seed uint64
	if req.Seed != "" {
		n, err := strconv.ParseUint(req.Seed, 10, 64)
		if err != nil || n == 0 {
			return errs.Invalidf("seed", "随机种子应为正整数（留空则由系统生成）")
		}
		seed = n
	}
	res, err := s.a.Payments.DrawSpotCheck(r.Context(), p, p.Region.County(), seed)
	if err != nil {
		return err
	}
	return s.writeSpotCheck(w, r, p, res.Check.ID, http.StatusCreated)
}

func (s *server) writeSpotCheck(w http.ResponseWriter, r *http.Request, p authz.Principal, id int64, status int) error {
	c, samples, err := s.a.Payments.SpotCheckDetail(r.Context(), p, id)
	if err != nil {
		return err
	}
	body := spotCheckJSON(c)
	items := make([]map[string]any, len(samples))
	for i, x := range samples {
		items[i] = sampleJSON(x)
	}
	body["sample"] = items
	writeJSON(w, status, body)
	return nil
}

func (s *server) getSpotCheck(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.writeSpotCheck(w, r, p, id, http.StatusOK)
}

type resultReq struct {
	HouseholdID int64  `json:"household_id"`
	Finding     string `json:"finding"`
	Note        string `json:"note"`
}

func (s *server) recordSpotCheckResult(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req resultReq
	if err := decode(r, &req); err != nil {
		return err
	}
	x, err := s.a.Payments.RecordSpotCheckResult(r.Context(), p, recipients.SpotCheckFinding{SpotCheckID: id,
		HouseholdID: req.HouseholdID, Finding: req.Finding, Note: req.Note})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sampleJSON(x))
	return nil
}
