package web

import (
	"net/http"

	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/household"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

type caseRow struct {
	ID         int64
	Number     string
	Head       string
	Village    string
	State      string
	Tone       string
	Due        string
	TotalDue   string
	Extended   bool
	Flagged    bool
	Amount     string
	Updated    string
	Overdue    bool
	ProfileTag string
}

type casesPage struct {
	State   string
	Open    string
	States  []household.Enum
	Rows    []caseRow
	Limited bool
	CanOpen bool
}

// caseListLimit bounds the case list; the filters narrow it further.
const caseListLimit = 300

// allStates lists the states of every profile once, in workflow order.
func allStates() []household.Enum {
	var out []household.Enum
	seen := map[string]bool{}
	for _, d := range workflow.Profiles() {
		for _, st := range d.States {
			if !seen[st.ID] {
				seen[st.ID] = true
				out = append(out, household.Enum{Code: st.ID, Label: st.Label})
			}
		}
	}
	return out
}

func (s *server) caseList(w http.ResponseWriter, r *http.Request, p authz.Principal) error {
	q := r.URL.Query()
	pg := casesPage{State: q.Get("state"), Open: q.Get("open"), States: allStates(), CanOpen: p.Has(authz.VillageClerk)}
	if pg.Open != "open" && pg.Open != "closed" {
		pg.Open = ""
	}
	f := store.CaseFilter{Open: pg.Open, Limit: caseListLimit}
	if pg.State != "" {
		if household.LabelOf(pg.States, pg.State) == pg.State {
			pg.State = "" // unknown state: show everything rather than nothing
		} else {
			f.States = []string{pg.State}
		}
	}
	cases, err := s.a.Cases.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	names, err := s.a.DB.RegionNames(r.Context())
	if err != nil {
		return err
	}
	now := s.caseDay()
	pg.Limited = len(cases) >= caseListLimit
	defs := map[string]workflow.Definition{}
	for _, d := range workflow.Profiles() {
		defs[d.Name] = d
	}
	for _, c := range cases {
		d := defs[c.Profile]
		row := caseRow{ID: c.ID, Number: c.Number, Head: c.HeadName, Village: villageName(names, c.Region),
			State: stateLabel(d, c.State), Tone: stateTone(c.State), Due: c.DueDate, TotalDue: c.TotalDue,
			Extended: c.Extended, Flagged: c.RelativeFlag, Updated: localTime(c.UpdatedAt)}
		if c.Profile != workflow.ProfileSeed {
			row.ProfileTag = d.Title
		}
		if c.Amount > 0 {
			row.Amount = c.Amount.Yuan()
		}
		row.Overdue, _ = casework.Urgency(c, now)
		pg.Rows = append(pg.Rows, row)
	}
	s.render(w, r, p, http.StatusOK, "cases", "低保申请", []crumb{{Label: "低保申请", Href: "/cases"}, {Label: "申请列表"}}, pg)
	return nil
}
