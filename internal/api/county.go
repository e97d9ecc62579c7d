package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/region"
	"dibao/internal/store"
)

// countyRoutes lists the county operations (documented in openapi/county.json).
func (s *server) countyRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/stats/county", Handler: s.countyStats},
		{Method: "GET", Path: "/recipients/{household}", Handler: s.recipient},
	}
}

// maxPage bounds a requested page number so that its row offset fits
// any database's OFFSET (200 rows a page at most).
const maxPage = 1 << 40

// registerPaging reads the register list's region and paging parameters
// into f; paged reports whether the caller asked for a page.
func registerPaging(q url.Values, f *store.RegisterFilter) (paged bool, page, size int, err error) {
	if rc := q.Get("region"); rc != "" {
		c, err := region.Parse(rc)
		if err != nil {
			e := errsOf(err)
			e.Field = "region"
			return false, 0, 0, e
		}
		f.Region = c
	}
	page, size = 1, 50
	for name, dst := range map[string]*int{"page": &page, "page_size": &size} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		paged = true
		n, err := strconv.Atoi(v)
		// Pages past maxPage would overflow the offset (page-1)*size.
		if err != nil || n < 1 || (name == "page_size" && n > 200) || n > maxPage {
			return false, 0, 0, errs.Invalidf(name, "%s 应为%s", name, map[string]string{"page": fmt.Sprintf("不超过%d的正整数", maxPage), "page_size": "1至200的整数"}[name])
		}
		*dst = n
	}
	if paged {
		f.Limit, f.Offset = size, (page-1)*size
	}
	return paged, page, size, nil
}

func (s *server) countyStats(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	c, err := s.a.Stats.County(r.Context(), p, r.URL.Query().Get("region"))
	if err != nil {
		return err
	}
	cats := make([]map[string]any, len(c.ByCategory))
	for i, x := range c.ByCategory {
		cats[i] = map[string]any{"category": x.Category, "label": x.Label, "households": x.Households,
			"urban_households": x.UrbanHouseholds, "rural_households": x.RuralHouseholds, "persons": x.Persons,
			"amount": x.Amount.String(), "urban_amount": x.UrbanAmount.String(), "rural_amount": x.RuralAmount.String()}
	}
	sups := make([]map[string]any, len(c.BySupplement))
	for i, x := range c.BySupplement {
		sups[i] = map[string]any{"code": x.Code, "label": x.Label, "households": x.Households}
	}
	towns := make([]map[string]any, len(c.ByTownship))
	for i, x := range c.ByTownship {
		towns[i] = map[string]any{"township": x.Code, "households": x.Households, "urban": x.Urban, "rural": x.Rural,
			"persons": x.Persons, "amount": x.Amount.String()}
	}
	months := make([]map[string]any, len(c.Months))
	for i, x := range c.Months {
		months[i] = map[string]any{"month": x.Month, "households": x.Households, "amount": x.Amount.String()}
	}
	stages := make([]map[string]any, len(c.Stages))
	for i, x := range c.Stages {
		st := map[string]any{"profile": x.Profile, "state": x.State, "label": x.Label, "terminal": x.Terminal,
			"cases": x.Cases, "overdue": x.Overdue, "due_soon": x.DueSoon, "samples": x.Samples, "median_days": nil}
		if x.Samples > 0 {
			st["median_days"] = x.MedianDays
		}
		stages[i] = st
	}
	writeJSON(w, http.StatusOK, map[string]any{"region": c.Region, "households": c.Households, "persons": c.Persons,
		"amount": c.Amount.String(), "urban": c.Urban, "rural": c.Rural, "by_category": cats, "by_supplement": sups,
		"by_township": towns, "months": months, "months_source": c.MonthsSource, "stages": stages,
		"open_cases": c.OpenCases, "overdue": c.Overdue, "due_soon": c.DueSoon, "today": c.Today})
	return nil
}

func (s *server) recipient(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	id, err := pathID(r, "household")
	if err != nil {
		return err
	}
	d, err := s.a.Payments.Recipient(r.Context(), p, id)
	if err != nil {
		return err
	}
	hist := make([]map[string]any, len(d.History))
	for i, h := range d.History {
		hist[i] = map[string]any{"id": h.ID, "at": h.At, "kind": h.Kind, "old_amount": h.OldAmount.String(),
			"new_amount": h.NewAmount.String(), "effective_month": h.EffectiveMonth, "reason": h.Reason,
			"case_id": h.CaseID, "task_id": h.TaskID, "actor": h.Actor}
	}
	var ben any
	if d.Known {
		ben = d.Result
	}
	writeJSON(w, http.StatusOK, map[string]any{"household_id": d.HouseholdID, "case_id": d.CaseID,
		"region_code": d.Region, "head_name": d.HeadName, "category": d.Category, "amount": d.Amount.String(),
		"members": d.Members, "urban": urbanCode(d.Urban), "start_month": d.StartMonth, "end_month": d.EndMonth,
		"status": d.Status, "phaseout_from": d.PhaseOutFrom, "phaseout_months": d.PhaseOutMonths,
		"phaseout_taper": d.PhaseOutTaper, "last_review": d.LastReview, "review_due": d.ReviewDue,
		"relative_flag": d.RelativeFlag, "benefit_known": d.Known, "benefit": ben,
		"parameter_versions": d.Result.Versions, "history": hist})
	return nil
}
