package recipients_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/review"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

func verifyInput(reason string) workflow.Input {
	return workflow.Input{Values: map[string][]string{"method": {"home_visit"}, "verified_on": {"2026-12-14"},
		"note": {"入户查看，情况属实"}}, Reason: reason}
}

// reportOf files a change report for household hid as clerk.
func (w *world) report(clerk authz.Principal, hid int64) store.ChangeReport {
	w.t.Helper()
	out, err := w.svc.Report(ctx, clerk, recipients.NewReport{HouseholdID: hid, Kind: "income_up",
		Detail: "长子外出务工，月收入约3000元", ChangedOn: "2026-11-20"})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.Report
}

func (w *world) act(p authz.Principal, r *store.ChangeReport, tid string, in workflow.Input, key string) (recipients.ReportOutcome, error) {
	out, err := w.svc.ActOnReport(ctx, p, recipients.ReportAction{ReportID: r.ID, Version: r.Version, Transition: tid,
		Input: in, IdempotencyKey: key})
	if err == nil {
		*r = out.Report
	}
	return out, err
}

func (w *world) count(q string, args ...any) int {
	w.t.Helper()
	xs, err := w.db.QueryStrings(ctx, q, args...)
	if err != nil {
		w.t.Fatal(err)
	}
	return len(xs)
}

func TestChangeReportForwardAndClose(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		clerk := testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		clerkB := testenv.User(t, db, "clerkb", testenv.VillageB, authz.VillageClerk)
		hid := w.hids[0] // village A

		// Bad input: every problem at once, nothing written.
		_, err := w.svc.Report(ctx, clerk, recipients.NewReport{HouseholdID: hid, Kind: "lottery", ChangedOn: "2027-01-01"})
		if l, ok := err.(errs.List); !ok || len(l) != 3 {
			t.Fatalf("bad report: %v, want 3 problems", err)
		}
		// A clerk of another village cannot report this household.
		if _, err := w.svc.Report(ctx, clerkB, recipients.NewReport{HouseholdID: hid, Kind: "other", Detail: "x",
			ChangedOn: "2026-12-01"}); !isCode(err, errs.NotFound) {
			t.Fatalf("other village's clerk: %v, want not found", err)
		}
		// Nor may the township report.
		if _, err := w.svc.Report(ctx, w.town, recipients.NewReport{HouseholdID: hid, Kind: "other", Detail: "x",
			ChangedOn: "2026-12-01"}); !isCode(err, errs.Forbidden) {
			t.Fatalf("township reporting: %v, want forbidden", err)
		}
		if n := w.count("SELECT id FROM change_reports"); n != 0 {
			t.Fatalf("%d reports written by refused requests", n)
		}

		r := w.report(clerk, hid)
		if r.State != "reported" || r.Version != 1 || r.Region != testenv.VillageA {
			t.Fatalf("new report %+v", r)
		}
		// The clerk cannot verify; forwarding before verification is refused.
		if _, err := w.act(clerk, &r, "confirm", verifyInput(""), ""); !isCode(err, errs.Forbidden) {
			t.Fatalf("clerk verifying: %v", err)
		}
		if _, err := w.act(w.town, &r, "forward", workflow.Input{}, ""); !isCode(err, errs.Conflict) {
			t.Fatalf("forward before verifying: %v", err)
		}
		// Verification without its record is refused field by field.
		if _, err := w.act(w.town, &r, "confirm", workflow.Input{}, ""); !isCode(err, errs.Invalid) {
			t.Fatalf("confirm without record: %v", err)
		}
		if _, err := w.act(w.town, &r, "confirm", verifyInput(""), ""); err != nil {
			t.Fatal(err)
		}
		if r.State != "confirmed" || r.Finding != workflow.FindingConfirmed {
			t.Fatalf("after confirm: %+v", r)
		}
		out, err := w.act(w.town, &r, "forward", workflow.Input{Values: map[string][]string{"comment": {"请复核收入"}}}, "")
		if err != nil {
			t.Fatal(err)
		}
		if !r.Closed || r.State != "forwarded" || out.Task == 0 || r.TaskID != out.Task {
			t.Fatalf("after forward: %+v %+v", r, out)
		}
		tasks, err := db.ReviewTasks(ctx, region.ScopeOf(testenv.County), recipients.TaskChangeReport, "")
		if err != nil || len(tasks) != 1 || tasks[0].HouseholdID != hid || !strings.Contains(tasks[0].Reason, "长子外出务工") {
			t.Fatalf("review tasks %+v (err %v), want one for household %d with the report as reason", tasks, err, hid)
		}
		v, err := w.svc.GetReport(ctx, w.town, r.ID)
		if err != nil || len(v.Events) != 3 || len(v.Options) != 0 {
			t.Fatalf("view: %d events, %d options (err %v)", len(v.Events), len(v.Options), err)
		}
		for _, a := range []string{"change_report.report", "change_report.confirm", "change_report.forward"} {
			if w.audits(a) != 1 {
				t.Errorf("%s audited %d times, want 1", a, w.audits(a))
			}
		}

		// A second report of the same household joins the undecided task.
		r2 := w.report(clerk, hid)
		if _, err := w.act(w.town, &r2, "confirm", verifyInput(""), ""); err != nil {
			t.Fatal(err)
		}
		if out, err := w.act(w.town, &r2, "forward", workflow.Input{}, ""); err != nil || !out.Joined || out.Task != tasks[0].ID {
			t.Fatalf("second forward: %+v %v", out, err)
		}

		// Refuted, it is closed only with a reason.
		r3 := w.report(clerk, w.hids[2])
		if _, err := w.act(w.town, &r3, "refute", verifyInput(""), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := w.act(w.town, &r3, "forward", workflow.Input{}, ""); !isCode(err, errs.Conflict) {
			t.Fatalf("forwarding a refuted report: %v", err)
		}
		_, err = w.act(w.town, &r3, "close", workflow.Input{Reason: "  "}, "")
		if e := errs.As(err); !isCode(err, errs.Invalid) || !strings.Contains(err.Error(), workflow.MsgReason) {
			t.Fatalf("close without reason: %v %+v", err, e)
		}
		if _, err := w.act(w.town, &r3, "close", workflow.Input{Reason: "经入户核查，该户收入未变化"}, ""); err != nil {
			t.Fatal(err)
		}
		if r3.State != "closed" || !r3.Closed {
			t.Fatalf("after close: %+v", r3)
		}
		// The village may withdraw a report the township has not verified, with a reason.
		r4 := w.report(clerk, w.hids[4])
		if _, err := w.act(clerk, &r4, "withdraw", workflow.Input{}, ""); !isCode(err, errs.Invalid) {
			t.Fatalf("withdraw without reason: %v", err)
		}
		if _, err := w.act(clerk, &r4, "withdraw", workflow.Input{Reason: "报告有误，该户长子未外出务工"}, ""); err != nil || r4.State != "withdrawn" {
			t.Fatalf("withdraw: %v %+v", err, r4)
		}
		if n := w.count("SELECT id FROM review_tasks WHERE kind = 'change_report'"); n != 1 {
			t.Fatalf("%d change-report tasks, want 1", n)
		}
		// The township of another township cannot see it.
		townB := testenv.User(t, db, "townb", testenv.TownB, authz.TownshipOfficer)
		if _, err := w.svc.GetReport(ctx, townB, r3.ID); !isCode(err, errs.NotFound) {
			t.Fatalf("other township viewing: %v", err)
		}
		list, err := w.svc.Reports(ctx, w.town, store.ChangeReportFilter{State: "open"})
		if err != nil || len(list) != 0 {
			t.Fatalf("open reports %d (err %v), want none", len(list), err)
		}
		list, err = w.svc.Reports(ctx, w.county, store.ChangeReportFilter{Kind: "income_up"})
		if err != nil || len(list) != 4 {
			t.Fatalf("county list %d (err %v), want 4", len(list), err)
		}
	})
}

func TestChangeReportConcurrencyIdempotencyRecusal(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		clerk := testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		r := w.report(clerk, w.hids[0])
		if _, err := w.act(w.town, &r, "confirm", verifyInput(""), ""); err != nil {
			t.Fatal(err)
		}
		// Two officers forward at once from the same version: one effect.
		t2 := testenv.User(t, db, "township2", testenv.TownA, authz.TownshipOfficer)
		var wg sync.WaitGroup
		errsOut := make([]error, 2)
		for i, p := range []authz.Principal{w.town, t2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errsOut[i] = w.svc.ActOnReport(ctx, p, recipients.ReportAction{ReportID: r.ID, Version: r.Version,
					Transition: "forward", Input: workflow.Input{}})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errsOut {
			switch {
			case err == nil:
				ok++
			case !isCode(err, errs.Conflict):
				t.Fatalf("losing forward: %v, want conflict", err)
			}
		}
		if ok != 1 || w.count("SELECT id FROM review_tasks WHERE kind = 'change_report'") != 1 || w.audits("change_report.forward") != 1 {
			t.Fatalf("%d forwards succeeded, tasks %d, audits %d; want one of each", ok,
				w.count("SELECT id FROM review_tasks WHERE kind = 'change_report'"), w.audits("change_report.forward"))
		}

		// Idempotency: the same key replays, nothing happens twice.
		r2 := w.report(clerk, w.hids[2])
		first, err := w.act(w.town, &r2, "refute", verifyInput(""), "key-1")
		if err != nil {
			t.Fatal(err)
		}
		stale := r2
		stale.Version = first.Report.Version - 1
		again, err := w.act(w.town, &stale, "refute", verifyInput(""), "key-1")
		if err != nil || !again.Replayed || again.Event.Seq != first.Event.Seq {
			t.Fatalf("replay: %+v %v", again, err)
		}
		if w.audits("change_report.refute") != 1 || w.count("SELECT id FROM change_report_events WHERE report_id = ?", r2.ID) != 2 {
			t.Fatal("a replay acted again")
		}
		if _, err := w.act(w.town, &r2, "close", workflow.Input{Reason: "不属实"}, "key-1"); !isCode(err, errs.Conflict) {
			t.Fatalf("key reused for another action: %v", err)
		}
		// A report replayed by key is the same report.
		nr := recipients.NewReport{HouseholdID: w.hids[4], Kind: "member_died", Detail: "户主于11月去世", ChangedOn: "2026-11-30",
			IdempotencyKey: "rep-1"}
		a, err := w.svc.Report(ctx, clerk, nr)
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.svc.Report(ctx, clerk, nr)
		if err != nil || !b.Replayed || b.Report.ID != a.Report.ID || w.count("SELECT id FROM change_reports") != 3 {
			t.Fatalf("report replay: %+v %v", b, err)
		}

		// Recusal: an officer registered as a relative of the household may
		// not act on its report.
		e := w.register()[w.hids[4]]
		err = db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			if err := tx.AddRelative(ctx, e.CaseID, store.Relative{MemberName: "王5", Relative: "测试township2", Relation: "子女",
				UserID: t2.UserID, Source: "declared"}); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.relative", Object: "case"})
		})
		if err != nil {
			t.Fatal(err)
		}
		r3 := a.Report
		if _, err := w.act(t2, &r3, "confirm", verifyInput(""), ""); !isCode(err, errs.Forbidden) ||
			errs.As(err).Message != workflow.MsgRecusal {
			t.Fatalf("relative verifying: %v", err)
		}
		v, err := w.svc.GetReport(ctx, t2, r3.ID)
		if err != nil || !v.Recused || len(v.Options) == 0 || v.Options[0].Enabled || !strings.Contains(v.Options[0].Reason, "回避") {
			t.Fatalf("relative's view: %+v %v", v.Options, err)
		}
		if _, err := w.act(w.town, &r3, "confirm", verifyInput(""), ""); err != nil {
			t.Fatalf("another officer verifying: %v", err)
		}
	})
}

func TestSpotCheckSampleAndResults(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// Household 1 has a complaint; household 0 is relative-flagged.
		err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			e, err := tx.RecipientForUpdate(ctx, region.All(), w.hids[1])
			if err != nil {
				return err
			}
			e.Complaints = 1
			if err := tx.UpdateRecipient(ctx, &e); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.complaint", Object: "household"})
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			w.enroll(testenv.VillageA, false, 50000)
		}
		a, err := w.svc.DrawSpotCheck(ctx, w.county, testenv.County, 42)
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.svc.DrawSpotCheck(ctx, w.admin, testenv.County, 42)
		if err != nil {
			t.Fatal(err)
		}
		_, sa, err := w.svc.SpotCheckDetail(ctx, w.county, a.Check.ID)
		if err != nil {
			t.Fatal(err)
		}
		cb, sb, err := w.svc.SpotCheckDetail(ctx, w.county, b.Check.ID)
		if err != nil || cb.Seed != 42 {
			t.Fatalf("second draw %+v %v", cb, err)
		}
		key := func(xs []store.SpotCheckSample) []string {
			var out []string
			for _, x := range xs {
				out = append(out, strings.Join([]string{string(x.Region), x.Reason, x.HeadName}, "|"))
			}
			return out
		}
		if len(sa) == 0 || !slices.Equal(key(sa), key(sb)) {
			t.Fatalf("same seed, different samples:\n%v\n%v", key(sa), key(sb))
		}
		reasons := map[int64]string{}
		random := 0
		for _, x := range sa {
			reasons[x.HouseholdID] = x.Reason
			if x.Reason == review.ReasonRandom {
				random++
			}
		}
		if !strings.Contains(reasons[w.hids[0]], review.ReasonRelative) || !strings.Contains(reasons[w.hids[1]], review.ReasonComplaint) {
			t.Fatalf("relative or complaint household missing from the sample: %v", reasons)
		}
		// 30 % of 8 households is 3 at random, plus the two flagged ones.
		if random != 3 || len(sa) != 5 {
			t.Fatalf("sample %v: %d random, want 3 of 5", reasons, random)
		}

		// Results: bad input changes nothing; a result is recorded and audited.
		in := recipients.SpotCheckFinding{SpotCheckID: a.Check.ID, HouseholdID: w.hids[0], Finding: "not_confirmed"}
		if _, err := w.svc.RecordSpotCheckResult(ctx, w.county, in); !isCode(err, errs.Invalid) {
			t.Fatalf("not confirmed without a note: %v", err)
		}
		if _, err := w.svc.RecordSpotCheckResult(ctx, w.county, recipients.SpotCheckFinding{SpotCheckID: a.Check.ID,
			HouseholdID: w.hids[0], Finding: "maybe"}); !isCode(err, errs.Invalid) {
			t.Fatalf("unknown finding: %v", err)
		}
		if _, err := w.svc.RecordSpotCheckResult(ctx, w.town, in); !isCode(err, errs.Forbidden) {
			t.Fatalf("township recording: %v", err)
		}
		outside := int64(0)
		for _, id := range w.hids {
			if _, ok := reasons[id]; !ok {
				outside = id
			}
		}
		if _, err := w.svc.RecordSpotCheckResult(ctx, w.county, recipients.SpotCheckFinding{SpotCheckID: a.Check.ID,
			HouseholdID: outside, Finding: "confirmed"}); !isCode(err, errs.NotFound) {
			t.Fatalf("household not in the sample: %v", err)
		}
		if w.audits("spot_check.result") != 0 {
			t.Fatal("a refused result was audited")
		}
		in.Note = "家中新增工资收入，未及时申报"
		got, err := w.svc.RecordSpotCheckResult(ctx, w.county, in)
		if err != nil || got.Finding != "not_confirmed" || got.RecordedBy != "county" {
			t.Fatalf("record: %+v %v", got, err)
		}
		in.Finding, in.Note = "confirmed", ""
		if _, err := w.svc.RecordSpotCheckResult(ctx, w.admin, in); err != nil {
			t.Fatal(err)
		}
		if w.audits("spot_check.result") != 2 || w.audits("spot_check.sample") != 2 {
			t.Fatalf("audits: result %d, sample %d", w.audits("spot_check.result"), w.audits("spot_check.sample"))
		}
		details, _ := db.QueryStrings(ctx, "SELECT detail FROM audit_log WHERE action = 'spot_check.result' ORDER BY seq")
		if len(details) != 2 || !strings.Contains(details[1], "原结论：不属实") {
			t.Fatalf("audit details %v", details)
		}
		list, err := w.svc.SpotChecks(ctx, w.county)
		if err != nil || len(list) != 2 || list[1].Progress.Sampled != 5 || list[1].Progress.Recorded != 1 ||
			list[1].Progress.Confirmed != 1 {
			t.Fatalf("list %+v %v", list, err)
		}
		if _, err := w.svc.SpotChecks(ctx, w.town); !isCode(err, errs.Forbidden) {
			t.Fatalf("township listing spot checks: %v", err)
		}
	})
}
