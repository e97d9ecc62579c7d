package demo

import (
	"context"
	"fmt"
	"time"

	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// ReportsMetaKey marks the demo change reports and spot check as loaded.
const ReportsMetaKey = "demo_reports_loaded"

// demoSpotSeed is the seed of the demo spot check, so the demo draws the
// same sample on every machine.
const demoSpotSeed = 20261127

// ReportsResult says what LoadReports did.
type ReportsResult struct {
	AlreadyLoaded bool
	Reports       int
	SpotChecks    int
}

// LoadReports files change reports for recipients of the demo clerk's
// village and moves them through the real service — one waiting for the
// township, one confirmed and waiting to be forwarded, one refuted and
// closed — and draws one county spot check with a fixed seed. It needs
// recipients on the register: without any it does nothing and loads on a
// later start, once another loader (or a real approval) has enrolled some.
// It runs once; every step is an ordinary audited action.
func LoadReports(ctx context.Context, db *store.DB, svc *recipients.Service) (ReportsResult, error) {
	if v, err := db.Meta(ctx, ReportsMetaKey); err != nil || v != "" {
		return ReportsResult{AlreadyLoaded: v != ""}, err
	}
	users := map[string]store.User{}
	all, err := db.Users(ctx, region.All())
	if err != nil {
		return ReportsResult{}, err
	}
	for _, u := range all {
		users[u.Username] = u
	}
	clerk, town, county := users["village"], users["township"], users["county"]
	if clerk.ID == 0 || town.ID == 0 || county.ID == 0 {
		return ReportsResult{}, fmt.Errorf("demo: load the demo county before its change reports")
	}
	regs, err := db.Register(ctx, region.ScopeOf(clerk.Region), store.RegisterFilter{})
	if err != nil || len(regs) == 0 {
		return ReportsResult{}, err
	}
	today := calendar.DayOf(svc.Now())
	day := func(d int) string { return today.AddDate(0, 0, -d).Format(time.DateOnly) }
	verify := func(note string) workflow.Input {
		return workflow.Input{Values: map[string][]string{"method": {"home_visit"}, "verified_on": {day(1)}, "note": {note}}}
	}
	type plan struct {
		report recipients.NewReport
		steps  []recipients.ReportAction
	}
	plans := []plan{
		{recipients.NewReport{Kind: "income_up", Detail: "长子在县城工业园区务工，每月工资约2800元", ChangedOn: day(20)}, nil},
		{recipients.NewReport{Kind: "member_moved", Detail: "次女婚后户口迁往邻县，已不在本户共同生活", ChangedOn: day(35)},
			[]recipients.ReportAction{{Transition: "confirm", Input: verify("入户核实，次女已迁出，户口簿已变更")}}},
		{recipients.NewReport{Kind: "other", Detail: "群众反映该户购买了小轿车", ChangedOn: day(15)},
			[]recipients.ReportAction{{Transition: "refute", Input: verify("入户查看并比对车辆登记信息，车辆为亲戚所有，登记在亲戚名下")},
				{Transition: "close", Input: workflow.Input{Reason: "经核实车辆不属于该户，反映情况不属实"}}}},
	}
	res := ReportsResult{}
	next := 0
	for i, pl := range plans {
		// A household the clerk must recuse herself from is skipped.
		var out recipients.ReportOutcome
		for out.Report.ID == 0 && next < len(regs) {
			pl.report.HouseholdID = regs[next].HouseholdID
			next++
			if out, err = svc.Report(ctx, clerk.Principal(), pl.report); err != nil && errs.CodeOf(err) != errs.Forbidden {
				return res, fmt.Errorf("demo change report %d: %w", i, err)
			}
		}
		if out.Report.ID == 0 {
			break
		}
		r := out.Report
		for _, st := range pl.steps {
			st.ReportID, st.Version = r.ID, r.Version
			o, err := svc.ActOnReport(ctx, town.Principal(), st)
			if err != nil {
				return res, fmt.Errorf("demo change report %d step %s: %w", i, st.Transition, err)
			}
			r = o.Report
		}
		res.Reports++
	}
	if _, err := svc.DrawSpotCheck(ctx, county.Principal(), CountyCode, demoSpotSeed); err != nil {
		return res, fmt.Errorf("demo spot check: %w", err)
	}
	res.SpotChecks++
	err = db.InTx(ctx, clerk.Principal(), func(tx *store.Tx) error {
		if err := tx.SetMeta(ctx, ReportsMetaKey, svc.Now().Format(time.RFC3339)); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "change_reports",
			Detail: fmt.Sprintf("%d change reports, %d spot check", res.Reports, res.SpotChecks)})
	})
	return res, err
}
