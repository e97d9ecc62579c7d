package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/mask"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
)

// standardRuns tracks the runs started by confirmations (tests wait for
// them).
var standardRuns sync.WaitGroup

// standardRoutes lists the standard operations (documented in openapi/standard.json).
func (s *server) standardRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/standard-changes", Handler: s.previewStandard},
		{Method: "GET", Path: "/standard-changes", Handler: s.listStandard},
		{Method: "GET", Path: "/standard-changes/{id}", Handler: s.getStandard},
		{Method: "POST", Path: "/standard-changes/{id}/confirm", Handler: s.confirmStandard},
		{Method: "GET", Path: "/standard-changes/{id}/progress", Handler: s.standardProgress},
	}
}

type standardReq struct {
	County         string `json:"county"`
	Urban          string `json:"urban"`
	Rural          string `json:"rural"`
	EffectiveMonth string `json:"effective_month"`
}

func standardJSON(c store.StandardChange) map[string]any {
	return map[string]any{"id": c.ID, "county": c.County, "urban": c.Urban.String(), "rural": c.Rural.String(),
		"effective_month": c.EffectiveMonth, "policy_from": c.PolicyFrom, "status": c.Status,
		"status_label": recipients.StatusLabel(c.Status), "recipients": c.Recipients, "changed": c.Changed,
		"increased": c.Increased, "decreased": c.Decreased, "crossing": c.Crossing, "old_total": c.OldTotal.String(),
		"delta": c.Delta.String(), "created_by": c.CreatedBy, "created_at": c.CreatedAt, "confirmed_by": c.ConfirmedBy,
		"confirmed_at": nilTime(c.ConfirmedAt.IsZero(), c.ConfirmedAt), "finished_at": nilTime(c.FinishedAt.IsZero(), c.FinishedAt),
		"applied": c.Applied}
}

func nilTime(zero bool, v any) any {
	if zero {
		return nil
	}
	return v
}

func standardItems(items []store.StandardItem) []map[string]any {
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = map[string]any{"household_id": it.HouseholdID, "region_code": it.Region, "head_name": mask.Name(it.HeadName),
			"old_amount": it.OldAmount.String(), "new_amount": it.NewAmount.String(), "paying": it.Paying,
			"applied": it.Applied, "outcome": it.Outcome}
	}
	return out
}

func summaryJSON(sum recipients.StandardSummary) map[string]any {
	m := standardJSON(sum.StandardChange)
	m["unchanged"] = sum.Unchanged
	m["increases"] = standardItems(sum.Increases)
	m["decreases"] = standardItems(sum.Decreases)
	m["crossing_households"] = standardItems(sum.Crossing)
	towns := make([]map[string]any, len(sum.Townships))
	for i, t := range sum.Townships {
		towns[i] = map[string]any{"code": t.Code, "name": t.Name, "recipients": t.Recipients, "increased": t.Increased,
			"decreased": t.Decreased, "crossing": t.Crossing, "old_total": t.OldTotal.String(), "delta": t.Delta.String()}
	}
	m["townships"] = towns
	return m
}

// renameField maps the service's field "effective" to the API's
// "effective_month".
func renameField(err error) error {
	var l errs.List
	if errors.As(err, &l) {
		out := make(errs.List, len(l))
		for i, e := range l {
			c := *e
			if c.Field == "effective" {
				c.Field = "effective_month"
			}
			out[i] = &c
		}
		return out
	}
	if e := errsOf(err); e.Field == "effective" {
		e.Field = "effective_month"
		return e
	}
	return err
}

func (s *server) previewStandard(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	var req standardReq
	if err := decode(r, &req); err != nil {
		return err
	}
	in, err := recipients.ParseStandardInput(req.County, req.Urban, req.Rural, req.EffectiveMonth)
	if err != nil {
		return renameField(err)
	}
	sum, replayed, err := s.a.Payments.PreviewStandardChangeOnce(r.Context(), p, r.Header.Get("Idempotency-Key"),
		in.County, in.Urban, in.Rural, in.EffectiveMonth)
	if err != nil {
		return renameField(err)
	}
	status := http.StatusCreated
	if replayed {
		status = http.StatusOK
	}
	writeJSON(w, status, summaryJSON(sum))
	return nil
}

func (s *server) listStandard(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	raw := r.URL.Query().Get("county")
	var county region.Code
	if raw == "" {
		if p.Region == "" {
			return errs.Invalidf("county", "请指定县（市、区）")
		}
		county = p.Region.County()
	} else {
		c, err := region.Parse(raw)
		if err != nil {
			e := errsOf(err)
			e.Field = "county"
			return e
		}
		county = c
	}
	list, err := s.a.Payments.StandardChanges(r.Context(), p, county)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(list))
	for i, c := range list {
		items[i] = standardJSON(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *server) getStandard(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sum, err := s.a.Payments.StandardChange(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, summaryJSON(sum))
	return nil
}

// confirmStandard confirms the change and applies it in the background:
// 202 with the job; GET …/progress follows it.
func (s *server) confirmStandard(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, replayed, err := s.a.Payments.ConfirmStandardChangeOnce(r.Context(), p, r.Header.Get("Idempotency-Key"), id)
	if err != nil {
		return err
	}
	if !replayed || c.Status == store.StandardApplying {
		standardRuns.Add(1)
		go func() {
			defer standardRuns.Done()
			if _, err := s.a.Payments.RunStandardChange(context.WithoutCancel(r.Context()), p, id, nil); err != nil {
				s.a.Log.Error("standard change run", "id", id, "err", err)
			}
		}()
	}
	m := standardJSON(c)
	m["progress_url"] = "/api/v1/standard-changes/" + strconv.FormatInt(id, 10) + "/progress"
	writeJSON(w, http.StatusAccepted, m)
	return nil
}

func (s *server) standardProgress(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pr, err := s.a.Payments.StandardChangeProgress(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": pr.ID, "status": pr.Status, "status_label": recipients.StatusLabel(pr.Status),
		"done": pr.Done, "total": pr.Total})
	return nil
}
