package recipients_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/money"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/review"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

// reviewTask generates the periodic tasks and returns the one of hid.
func (w *world) reviewTask(hid int64) store.ReviewTask {
	w.t.Helper()
	if _, err := w.svc.GenerateReviews(ctx, w.admin, calendar.DayOf(w.now)); err != nil {
		w.t.Fatal(err)
	}
	tasks, err := w.db.ReviewTasks(ctx, region.ScopeOf(testenv.County), recipients.TaskPeriodic, "undecided")
	if err != nil {
		w.t.Fatal(err)
	}
	for _, x := range tasks {
		if x.HouseholdID == hid {
			return x
		}
	}
	w.t.Fatalf("no open task for household %d", hid)
	return store.ReviewTask{}
}

// addIncome records a monthly transfer income of yuan/12 per month.
func (w *world) addIncome(hid int64, yuan int64) {
	w.t.Helper()
	err := w.db.InTx(ctx, w.town, func(tx *store.Tx) error {
		h, err := tx.Household(ctx, hid)
		if err != nil {
			return err
		}
		if _, err := tx.AddIncome(ctx, hid, h.Version, household.Income{Kind: "transfer", Description: "子女赡养",
			Amount: money.FromYuan(yuan), Months: 12}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "household.income", Object: fmt.Sprint("household:", hid)})
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) view(p authz.Principal, id int64) recipients.ReviewView {
	w.t.Helper()
	v, err := w.svc.Review(ctx, p, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return v
}

func findings() workflow.Input {
	return workflow.Input{Values: map[string][]string{"verified_on": {"2026-12-10"},
		"income_check": {"子女每月给付赡养费300元"}, "property_check": {"无新增财产"}}}
}

func TestReviewFlowDecreaseWithNotice(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		hid := w.hids[0]
		task := w.reviewTask(hid)
		w.addIncome(hid, 3600)

		// The township sees its button; the county sees none yet.
		if v := w.view(w.town, task.ID); len(v.Options) != 1 || v.Options[0].Transition.ID != "propose" || !v.Options[0].Enabled {
			t.Fatalf("township options %+v", v.Options)
		}
		if v := w.view(w.county, task.ID); len(v.Options) != 0 {
			t.Fatalf("county options on an open task %+v", v.Options)
		}
		// Bad input writes nothing.
		_, err := w.svc.ActReview(ctx, w.town, recipients.ReviewAction{TaskID: task.ID, Version: task.Version,
			Transition: "propose", Input: workflow.Input{Values: map[string][]string{"effective_month": {"2027-13"}}}})
		if !isCode(err, errs.Invalid) {
			t.Fatalf("propose without findings: %v, want invalid", err)
		}
		in := findings()
		in.Values["effective_month"] = []string{"2027-13"}
		_, err = w.svc.ActReview(ctx, w.town, recipients.ReviewAction{TaskID: task.ID, Version: task.Version,
			Transition: "propose", Input: in})
		if !isCode(err, errs.Invalid) || errs.As(err).Field != "effective_month" {
			t.Fatalf("bad month: %v", err)
		}
		if v := w.view(w.town, task.ID); v.Task.Version != task.Version || len(v.Events) != 0 || v.Task.Status != "open" {
			t.Fatalf("a refused action wrote: %+v", v.Task)
		}

		out, err := w.svc.ActReview(ctx, w.town, recipients.ReviewAction{TaskID: task.ID, Version: task.Version,
			Transition: "propose", Input: findings()})
		if err != nil {
			t.Fatal(err)
		}
		prop := out.Proposal
		if out.Task.Status != "proposed" || out.Task.Version != task.Version+1 || prop == nil ||
			prop.Outcome != review.Decrease || prop.OldAmount != money.FromYuan(1000) || prop.NewAmount >= prop.OldAmount ||
			prop.EffectiveMonth != "2027-01" || !strings.Contains(prop.Note, "赡养费") {
			t.Fatalf("propose outcome %+v / %+v", out.Task, prop)
		}
		// A stale version is a conflict.
		_, err = w.svc.ActReview(ctx, w.county, recipients.ReviewAction{TaskID: task.ID, Version: task.Version,
			Transition: "decide"})
		if !isCode(err, errs.Conflict) {
			t.Fatalf("stale decide: %v, want conflict", err)
		}
		dec, err := w.svc.ActReview(ctx, w.county, recipients.ReviewAction{TaskID: task.ID, Version: out.Task.Version,
			Transition: "decide", Input: workflow.Input{Values: map[string][]string{"comment": {"同意减发"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if dec.Task.Status != "decided" || dec.Task.Decision != "approved" || dec.Notice == "" ||
			!strings.HasPrefix(dec.Notice, "DB-BG-130199-2026-") {
			t.Fatalf("decision %+v notice %q", dec.Task, dec.Notice)
		}
		if e := w.register()[hid]; e.Amount != prop.NewAmount {
			t.Fatalf("register amount %s, want %s", e.Amount.Yuan(), prop.NewAmount.Yuan())
		}
		v := w.view(w.county, task.ID)
		if len(v.Events) != 2 || v.Events[0].Transition != "propose" || v.Events[0].Actor != "township" ||
			v.Events[1].Transition != "decide" || v.Events[1].Actor != "county" || v.Events[1].Seq != 2 ||
			!strings.Contains(v.Events[0].Record, "赡养费") || v.Notice == nil || len(v.Options) != 0 {
			t.Fatalf("history %+v notice %+v options %+v", v.Events, v.Notice, v.Options)
		}
		n, html, err := w.svc.ReviewNoticeHTML(ctx, w.county, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{n.Number, "最低生活保障待遇变更告知书", "1,000.00", prop.NewAmount.Yuan(), "2027年1月",
			"申请人对决定不服的，可以依法申请行政复议或者提起行政诉讼", "同意减发", "减发"} {
			if !strings.Contains(string(html), want) {
				t.Errorf("notice lacks %q", want)
			}
		}
		if w.audits("review.propose") != 1 || w.audits("review.decide") != 1 {
			t.Fatal("propose and decide must be audited once each")
		}
		// A decision without a decrease issues no notice.
		if _, _, err := w.svc.ReviewNoticeHTML(ctx, w.county, w.reviewTask(w.hids[2]).ID); !isCode(err, errs.NotFound) {
			t.Fatalf("notice of an undecided task: %v", err)
		}
	})
}

func TestReviewFlowSendBackAndProposer(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		task := w.reviewTask(w.hids[0])
		out, err := w.svc.ActReview(ctx, w.town, recipients.ReviewAction{TaskID: task.ID, Version: task.Version,
			Transition: "propose", Input: findings()})
		if err != nil {
			t.Fatal(err)
		}
		if out.Proposal == nil || out.Task.ProposedBy != "township" {
			t.Fatalf("proposal %+v", out.Task)
		}
		// Sending back needs a reason.
		_, err = w.svc.ActReview(ctx, w.county, recipients.ReviewAction{TaskID: task.ID, Version: out.Task.Version,
			Transition: "send_back"})
		if !isCode(err, errs.Invalid) || !strings.Contains(err.Error(), workflow.MsgReason) {
			t.Fatalf("send back without reason: %v", err)
		}
		back, err := w.svc.ActReview(ctx, w.county, recipients.ReviewAction{TaskID: task.ID, Version: out.Task.Version,
			Transition: "send_back", Input: workflow.Input{Reason: "未核实存款情况"}})
		if err != nil {
			t.Fatal(err)
		}
		if back.Task.Status != "open" || back.Task.Decision != "rejected" || back.Notice != "" {
			t.Fatalf("after send back %+v", back.Task)
		}
		v := w.view(w.town, task.ID)
		if len(v.Events) != 2 || v.Events[1].Reason != "未核实存款情况" || v.Events[1].To != "open" {
			t.Fatalf("history %+v", v.Events)
		}
		// The township proposes again …
		again, err := w.svc.ActReview(ctx, w.town, recipients.ReviewAction{TaskID: task.ID, Version: back.Task.Version,
			Transition: "propose", Input: findings()})
		if err != nil {
			t.Fatal(err)
		}
		// … and the proposer, since transferred to the county as approver,
		// may not decide it.
		moved := w.town
		moved.Region, moved.Roles = testenv.County, []authz.Role{authz.CountyApprover}
		if v := w.view(moved, task.ID); len(v.Options) != 2 || v.Options[0].Enabled || v.Options[0].Reason != workflow.MsgProposer {
			t.Fatalf("proposer's options %+v", v.Options)
		}
		_, err = w.svc.ActReview(ctx, moved, recipients.ReviewAction{TaskID: task.ID, Version: again.Task.Version,
			Transition: "decide"})
		if err == nil || !strings.Contains(err.Error(), workflow.MsgProposer) {
			t.Fatalf("proposer deciding: %v", err)
		}
		if _, err := w.svc.ActReview(ctx, w.county, recipients.ReviewAction{TaskID: task.ID, Version: again.Task.Version,
			Transition: "decide"}); err != nil {
			t.Fatal(err)
		}
		if w.audits("review.send_back") != 1 || w.audits("review.propose") != 2 || w.audits("review.decide") != 1 {
			t.Fatal("audit counts")
		}
	})
}

func TestReviewFlowRecusal(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		hid := w.hids[0]
		task := w.reviewTask(hid)
		h, err := db.Household(ctx, region.All(), hid)
		if err != nil {
			t.Fatal(err)
		}
		// A township officer whose ID number in the staff register is the
		// household member's.
		rel := testenv.User(t, db, "relative", testenv.TownA, authz.TownshipOfficer)
		err = db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			if err := tx.SetUserIDNumber(ctx, rel.UserID, h.Members[0].IDNumber); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.id", Object: "user"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if v := w.view(rel, task.ID); len(v.Options) != 1 || v.Options[0].Enabled || !strings.Contains(v.Options[0].Reason, workflow.MsgRecusal) {
			t.Fatalf("relative's options %+v", v.Options)
		}
		_, err = w.svc.ActReview(ctx, rel, recipients.ReviewAction{TaskID: task.ID, Version: task.Version,
			Transition: "propose", Input: findings()})
		if !isCode(err, errs.Forbidden) || errs.As(err).Message != workflow.MsgRecusal {
			t.Fatalf("relative proposing: %v, want recusal", err)
		}
		if v := w.view(w.town, task.ID); v.Task.Version != task.Version || len(v.Events) != 0 {
			t.Fatal("a recused action wrote")
		}
		// Another officer of the township may.
		if _, err := w.svc.ActReview(ctx, w.town, recipients.ReviewAction{TaskID: task.ID, Version: task.Version,
			Transition: "propose", Input: findings()}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReviewFlowConcurrentDecide(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		hid := w.hids[0]
		task := w.reviewTask(hid)
		w.addIncome(hid, 3600)
		out, err := w.svc.ActReview(ctx, w.town, recipients.ReviewAction{TaskID: task.ID, Version: task.Version,
			Transition: "propose", Input: findings()})
		if err != nil {
			t.Fatal(err)
		}
		const n = 50
		var wg sync.WaitGroup
		errc := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := w.svc.ActReview(ctx, w.county, recipients.ReviewAction{TaskID: task.ID, Version: out.Task.Version,
					Transition: "decide"})
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		ok, conflicts := 0, 0
		for err := range errc {
			switch {
			case err == nil:
				ok++
			case isCode(err, errs.Conflict):
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Fatalf("%d succeeded, %d conflicted; want 1 and %d", ok, conflicts, n-1)
		}
		hist, err := w.svc.History(ctx, w.county, hid)
		if err != nil || len(hist) != 1 {
			t.Fatalf("history %+v (err %v), want one entry", hist, err)
		}
		if w.audits("review.decide") != 1 {
			t.Fatalf("decide audited %d times", w.audits("review.decide"))
		}
		notices, err := db.QueryStrings(ctx, "SELECT number FROM review_notices")
		if err != nil || len(notices) != 1 {
			t.Fatalf("notices %v (err %v), want one", notices, err)
		}
	})
}

func TestReviewFlowIdempotency(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		task := w.reviewTask(w.hids[2]) // in township A
		a := recipients.ReviewAction{TaskID: task.ID, Version: task.Version, Transition: "propose", Input: findings(),
			IdempotencyKey: "retry-1"}
		first, err := w.svc.ActReview(ctx, w.town, a)
		if err != nil || first.Replayed {
			t.Fatalf("first: %+v %v", first, err)
		}
		second, err := w.svc.ActReview(ctx, w.town, a)
		if err != nil || !second.Replayed || second.Event.Seq != first.Event.Seq || second.Task.Version != first.Task.Version ||
			second.Proposal == nil || second.Proposal.NewAmount != first.Proposal.NewAmount {
			t.Fatalf("replay: %+v %v", second, err)
		}
		if v := w.view(w.town, task.ID); len(v.Events) != 1 || v.Task.Version != task.Version+1 {
			t.Fatalf("replay acted again: %d events, version %d", len(v.Events), v.Task.Version)
		}
		if w.audits("review.propose") != 1 {
			t.Fatalf("propose audited %d times", w.audits("review.propose"))
		}
		// The same key for another operation is a conflict.
		b := a
		b.Transition = "send_back"
		if _, err := w.svc.ActReview(ctx, w.town, b); !isCode(err, errs.Conflict) {
			t.Fatalf("key reused for another operation: %v", err)
		}
	})
}
