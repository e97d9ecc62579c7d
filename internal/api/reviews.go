package api

import (
	"encoding/json"
	"net/http"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// reviewRoutes lists the review operations (documented in openapi/reviews.json).
func (s *server) reviewRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/review-tasks", Handler: s.reviewTasks},
		{Method: "POST", Path: "/review-tasks/generate", Handler: s.generateReviews},
		{Method: "GET", Path: "/review-tasks/{id}", Handler: s.reviewTask},
		{Method: "POST", Path: "/review-tasks/{id}/actions/{transition}", Handler: s.reviewAct},
		{Method: "GET", Path: "/review-tasks/{id}/notice", Handler: s.reviewNotice},
	}
}

func reviewTaskJSON(t store.ReviewTask) map[string]any {
	def := workflow.RecipientReview()
	st, _ := def.State(t.Status)
	out := map[string]any{"id": t.ID, "household_id": t.HouseholdID, "region_code": t.Region, "kind": t.Kind,
		"kind_label": recipients.TaskKindLabel(t.Kind), "due": t.Due, "reason": t.Reason, "status": t.Status,
		"status_label": st.Label, "proposed_by": t.ProposedBy, "decided_by": t.DecidedBy, "decision": t.Decision,
		"version": t.Version, "created_at": t.CreatedAt}
	if !t.DecidedAt.IsZero() {
		out["decided_at"] = t.DecidedAt
	}
	return out
}

func proposalJSON(p *recipients.Proposal) any {
	if p == nil {
		return nil
	}
	var lines []map[string]any
	for _, l := range p.Result.Lines {
		lines = append(lines, map[string]any{"label": l.Label, "formula": l.Formula, "amount": l.Amount.String()})
	}
	return map[string]any{"outcome": p.Outcome, "outcome_label": p.Outcome.Label(), "old_amount": p.OldAmount.String(),
		"new_amount": p.NewAmount.String(), "effective_month": p.EffectiveMonth, "category": p.Category,
		"phaseout_months": p.PhaseOutMonths, "phaseout_taper": p.PhaseOutTaper, "reasons": p.Reasons, "note": p.Note,
		"notice_required": p.Notice(), "explanation": lines, "versions": p.Result.Versions}
}

func (s *server) reviewTasks(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	f := store.ReviewTaskFilter{Kind: q.Get("kind"), Status: q.Get("status"), DueBefore: q.Get("due_before")}
	rows, total, err := s.a.Payments.ReviewTaskList(r.Context(), p, region.Code(q.Get("township")), f)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(rows))
	for i, t := range rows {
		items[i] = reviewTaskJSON(t.ReviewTask)
		items[i]["head_name"] = t.HeadName
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}

func (s *server) generateReviews(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	created, err := s.a.Payments.GenerateReviews(r.Context(), p, calendar.DayOf(s.a.DB.Now()))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(created.First))
	for i, t := range created.First {
		items[i] = reviewTaskJSON(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"created": created.Count, "items": items})
	return nil
}

func (s *server) reviewTask(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.a.Payments.Review(r.Context(), p, id)
	if err != nil {
		return err
	}
	var events []map[string]any
	for _, e := range v.Events {
		events = append(events, map[string]any{"seq": e.Seq, "transition": e.Transition, "from": e.From, "to": e.To,
			"actor": e.Actor, "at": e.At, "record": rawJSON(e.Record), "reason": e.Reason})
	}
	var actions []map[string]any
	for _, o := range v.Options {
		actions = append(actions, map[string]any{"transition": o.Transition.ID, "label": o.Transition.Label,
			"enabled": o.Enabled, "reason": o.Reason, "warning": o.Warning, "fields": o.Transition.Records,
			"requires_reason": o.Transition.RequiresReason})
	}
	body := map[string]any{"task": reviewTaskJSON(v.Task), "household": map[string]any{"id": v.Household.ID,
		"head_name": v.Household.HeadName(), "members": len(v.Household.Members), "region_code": v.Household.Region},
		"amount_in_force": v.Entry.Amount.String(), "category": v.Entry.Category, "recipient_status": v.Entry.Status,
		"current_amount": v.Current.Amount.String(), "current_outcome": v.Current.Outcome,
		"proposal": proposalJSON(v.Proposal), "events": events, "actions": actions}
	if v.Notice != nil {
		body["notice"] = map[string]any{"number": v.Notice.Number, "issued_at": v.Notice.IssuedAt,
			"url": "/api/v1/review-tasks/" + r.PathValue("id") + "/notice"}
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *server) reviewAct(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req actReq
	if err := decode(r, &req); err != nil {
		return err
	}
	out, err := s.a.Payments.ActReview(r.Context(), p, recipients.ReviewAction{TaskID: id, Version: req.Version,
		Transition: r.PathValue("transition"), Input: workflow.Input{Values: req.Values, Reason: req.Reason},
		IdempotencyKey: r.Header.Get("Idempotency-Key")})
	if err != nil {
		return err
	}
	if out.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusOK, map[string]any{"task": reviewTaskJSON(out.Task), "event_seq": out.Event.Seq,
		"proposal": proposalJSON(out.Proposal), "notice": out.Notice, "warning": out.Warning, "replayed": out.Replayed})
	return nil
}

func (s *server) reviewNotice(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	_, html, err := s.a.Payments.ReviewNoticeHTML(r.Context(), p, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(html)
	return err
}

// rawJSON embeds stored JSON as is (an empty string as null).
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}
