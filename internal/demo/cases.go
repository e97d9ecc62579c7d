package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/idcard"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// CasesMetaKey marks a database whose demo applications are loaded.
const CasesMetaKey = "demo_cases_loaded"

// CasesResult says what LoadCases did.
type CasesResult struct {
	AlreadyLoaded bool
	Cases         int
}

// LoadCases opens a few applications in the clerk's village and moves them
// to different steps through the real workflow service, so every demo
// account finds work in its queue: two waiting at the counter, one with the
// township, one under investigation with a home visit, one in publicity.
// It runs once; every step is an ordinary audited transition.
func LoadCases(ctx context.Context, db *store.DB, svc *casework.Service) (CasesResult, error) {
	if v, err := db.Meta(ctx, CasesMetaKey); err != nil || v != "" {
		return CasesResult{AlreadyLoaded: v != ""}, err
	}
	users := map[string]store.User{}
	all, err := db.Users(ctx, region.All())
	if err != nil {
		return CasesResult{}, err
	}
	for _, u := range all {
		users[u.Username] = u
	}
	clerk, ok := users["village"]
	if !ok {
		return CasesResult{}, fmt.Errorf("demo: load the demo county before its cases")
	}
	rows, err := clerkEligible(ctx, db, clerk, svc.Now())
	if err != nil {
		return CasesResult{}, err
	}
	if err := register(ctx, db, clerk, users, rows); err != nil {
		return CasesResult{}, err
	}
	today := calendar.DayOf(svc.Now()).Format(time.DateOnly)
	p := func(name string) func() (string, store.User) {
		return func() (string, store.User) { return name, users[name] }
	}
	type step struct {
		who    func() (string, store.User)
		id     string
		values map[string][]string
		reason string
	}
	ok7 := []casework.MaterialInput{}
	for _, m := range casework.Materials {
		ok7 = append(ok7, casework.MaterialInput{Code: m.Code, Status: "ok"})
	}
	visit := map[string][]string{"visit_date": {today}, "investigators": {strconv.FormatInt(users["township"].ID, 10),
		strconv.FormatInt(users["township2"].ID, 10)}, "form_filled": {"on"}, "findings": {"住房为自建平房两间，家中无大件电器，生活困难"}}
	toCounter := []step{{p("village"), "intake", map[string][]string{"application_date": {today}}, ""}}
	toTownship := append(append([]step{}, toCounter...), step{p("village"), "accept", nil, ""}, step{p("village"), "forward", nil, ""})
	toInvestigation := append(append([]step{}, toTownship...), step{p("township"), "start_investigation", nil, ""},
		step{p("township"), "record_home_visit", visit, ""})
	toPublicity := append(append([]step{}, toInvestigation...),
		step{p("township"), "request_check", map[string][]string{"requested_on": {today}}, ""},
		step{p("township"), "record_check_result", map[string][]string{"received_on": {today}, "summary": {"未发现车辆、房产、大额存款"}}, ""},
		step{p("township"), "write_report", map[string][]string{"report": {"家庭成员无稳定收入，符合申请条件"}, "opinion": {"eligible"},
			"opinion_reason": {"人均收入低于当地低保标准，财产符合规定"}}, ""},
		step{p("township"), "submit_to_appraisal", nil, ""},
		step{p("township"), "appraise", map[string][]string{"meeting_date": {today}, "participants": {"村党支部书记、村委会主任、村民代表5人"},
			"attendance": {"9"}, "outcome": {"pass"}, "minutes": {"参会人员一致同意"}}, ""},
		step{p("township"), "start_publicity", map[string][]string{"place": {"村务公开栏"}}, ""})
	plans := [][]step{toCounter, toCounter, toTownship, toInvestigation, toPublicity}
	n := 0
	for i, plan := range plans {
		if i >= len(rows) {
			break
		}
		pr := clerk.Principal()
		c, err := svc.Open(ctx, pr, rows[i].ID, casework.Declaration{None: true})
		if err != nil {
			return CasesResult{}, fmt.Errorf("demo case %d: %w", i, err)
		}
		for _, st := range plan {
			if st.id == "accept" {
				if c, err = svc.SetMaterials(ctx, pr, c.ID, c.Version, ok7); err != nil {
					return CasesResult{}, err
				}
			}
			_, u := st.who()
			out, err := svc.Act(ctx, u.Principal(), casework.Action{CaseID: c.ID, Version: c.Version, Transition: st.id,
				Input: workflow.Input{Values: st.values, Reason: st.reason}})
			if err != nil {
				return CasesResult{}, fmt.Errorf("demo case %d step %s: %w", i, st.id, err)
			}
			c = out.Case
		}
		n++
	}
	err = db.InTx(ctx, clerk.Principal(), func(tx *store.Tx) error {
		if err := tx.SetMeta(ctx, CasesMetaKey, svc.Now().Format(time.RFC3339)); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "cases", Detail: fmt.Sprintf("%d applications", n)})
	})
	return CasesResult{Cases: n}, err
}

// clerkEligible lists the households of the clerk's village that the engine
// finds eligible, in list order: the demo applications come from the first
// five, the cadre's relative is the seventh, and the demo register leaves
// the first reservedRows of them alone.
func clerkEligible(ctx context.Context, db *store.DB, clerk store.User, now time.Time) ([]store.HouseholdRow, error) {
	rows, _, err := db.Households(ctx, region.ScopeOf(clerk.Region), store.HouseholdFilter{PageSize: 100})
	if err != nil {
		return nil, err
	}
	eligible := rows[:0]
	for _, r := range rows {
		h, err := db.Household(ctx, region.ScopeOf(clerk.Region), r.ID)
		if err != nil {
			return nil, err
		}
		if benefit.Compute(h, benefit.DefaultParams(), now).Eligible {
			eligible = append(eligible, r)
		}
	}
	return eligible, nil
}

// register fills the staff and cadre register: every demo account gets an
// ID number, and the head of an eligible household in the clerk's village
// (one not used by the demo applications) is a village cadre, so applying
// for that household shows the relative-registration flag.
func register(ctx context.Context, db *store.DB, clerk store.User, users map[string]store.User, rows []store.HouseholdRow) error {
	return db.InTx(ctx, authz.Principal{Username: "system:demo", Region: CountyCode}, func(tx *store.Tx) error {
		i := 0
		for _, name := range []string{"village", "township", "township2", "reviewer", "county", "countyadmin", "trainadmin",
			"trainer", "custodian", "auditor", "secadmin", "sysadmin"} {
			u, ok := users[name]
			if !ok {
				continue
			}
			i++
			id := idcard.Make(string(CountyCode[:6]), time.Date(1970+i, time.Month(1+i%12), 1+i, 0, 0, 0, 0, time.UTC), 900+i)
			if err := tx.SetUserIDNumber(ctx, u.ID, id); err != nil {
				return err
			}
		}
		if len(rows) > 6 {
			h, err := tx.Household(ctx, rows[6].ID)
			if err != nil {
				return err
			}
			if _, err := tx.AddCadre(ctx, store.Cadre{Region: clerk.Region, Name: h.HeadName(), Post: "村民委员会委员"},
				h.Members[0].IDNumber); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "register", Detail: "staff and cadre ID register"})
	})
}
