package recipients_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/review"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

var ctx = context.Background()

// accountOf is the bank account of the n-th household created.
func accountOf(n int) string { return fmt.Sprintf("62284800123456789%02d", n) }

// world is a county with staff, five enrolled households and a fixed clock.
type world struct {
	t                   *testing.T
	db                  *store.DB
	svc                 *recipients.Service
	now                 time.Time
	admin, town, county authz.Principal
	hids                []int64 // hids[0] is relative-flagged
	seq                 int
}

func newWorld(t *testing.T, db *store.DB) *world {
	w := &world{t: t, db: db, now: time.Date(2026, 12, 15, 9, 0, 0, 0, calendar.Location())}
	db.SetClock(func() time.Time { return w.now })
	w.svc = &recipients.Service{DB: db, Now: func() time.Time { return w.now }}
	testenv.SeedRegions(t, db)
	w.admin = testenv.User(t, db, "cadmin", testenv.County, authz.CountyAdmin)
	w.town = testenv.User(t, db, "township", testenv.TownA, authz.TownshipOfficer)
	w.county = testenv.User(t, db, "county", testenv.County, authz.CountyApprover)
	for i := range 5 {
		village := testenv.VillageA
		if i%2 == 1 {
			village = testenv.VillageB
		}
		w.hids = append(w.hids, w.enroll(village, i == 0, money.FromYuan(1000)))
	}
	return w
}

// enroll creates a rural one-person household (an elderly member without
// labour capacity or income) and enrolls it with amount via Tx.Enroll, as an
// approval would, without driving the case workflow.
func (w *world) enroll(village region.Code, relative bool, amount money.Fen) int64 {
	w.t.Helper()
	w.seq++
	h := household.Household{Region: village, Address: "幸福路1号", BankName: "农村信用社", BankAccount: accountOf(w.seq),
		Members: []household.Member{{Name: fmt.Sprintf("王%d", w.seq), Relation: "head",
			IDNumber: idcard.Make("130199", time.Date(1950, 3, w.seq, 0, 0, 0, 0, time.UTC), w.seq),
			Labour:   "none", Health: "healthy", CoResident: true}}}
	err := w.db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.CreateHousehold(ctx, &h); err != nil {
			return err
		}
		c := store.Case{Number: fmt.Sprintf("TEST-%d", w.seq), HouseholdID: h.ID, Region: village, Profile: "seed",
			State: "approved", RelativeFlag: relative, Policy: "{}"}
		if err := tx.CreateCase(ctx, &c); err != nil {
			return err
		}
		if err := tx.Enroll(ctx, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: village, Category: "A",
			Amount: amount, Members: 1, StartMonth: "2025-06", Status: "active"}); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "test.enroll", Object: fmt.Sprint("household:", h.ID)})
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return h.ID
}

func (w *world) audits(action string) int {
	w.t.Helper()
	xs, err := w.db.QueryStrings(ctx, "SELECT object FROM audit_log WHERE action = ?", action)
	if err != nil {
		w.t.Fatal(err)
	}
	return len(xs)
}

func (w *world) register() map[int64]store.RegisterEntry {
	w.t.Helper()
	regs, err := w.svc.Register(ctx, w.county, store.RegisterFilter{Status: "all"})
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[int64]store.RegisterEntry{}
	for _, e := range regs {
		out[e.HouseholdID] = e
	}
	return out
}

func isCode(err error, c errs.Code) bool { return err != nil && errs.CodeOf(err) == c }

func TestReviewsAndSpotChecks(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		today := calendar.DayOf(w.now)
		first, err := w.svc.GenerateReviews(ctx, w.admin, today)
		if err != nil {
			t.Fatal(err)
		}
		if first.Count != len(w.hids) || len(first.First) != min(len(w.hids), recipients.GeneratedListed) {
			t.Fatalf("first run created %d tasks (%d listed), want %d", first.Count, len(first.First), len(w.hids))
		}
		again, err := w.svc.GenerateReviews(ctx, w.admin, today)
		if err != nil || again.Count != 0 || len(again.First) != 0 {
			t.Fatalf("second run created %d tasks (err %v), want none", again.Count, err)
		}
		if sys, err := w.svc.GenerateReviews(ctx, authz.System("reviews"), today); err != nil || sys.Count != 0 {
			t.Fatalf("system run created %d (err %v), want none", sys.Count, err)
		}
		tasks, err := db.ReviewTasks(ctx, region.ScopeOf(testenv.County), recipients.TaskPeriodic, "")
		if err != nil || len(tasks) != len(w.hids) {
			t.Fatalf("stored periodic tasks %d (err %v), want one per household", len(tasks), err)
		}
		// A village clerk may not generate.
		clerk := testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		if _, err := w.svc.GenerateReviews(ctx, clerk, today); !isCode(err, errs.Forbidden) {
			t.Fatalf("clerk generating: %v, want forbidden", err)
		}
		if w.audits("review.generate") != 3 {
			t.Fatalf("review.generate audited %d times, want 3", w.audits("review.generate"))
		}

		a, err := w.svc.SpotCheck(ctx, w.county, testenv.County, 42)
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.svc.SpotCheck(ctx, w.county, testenv.County, 42)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Chosen, b.Chosen) {
			t.Fatalf("same seed drew %v then %v", a.Chosen, b.Chosen)
		}
		if !slices.Contains(a.Chosen, w.hids[0]) || !strings.Contains(a.Reasons[w.hids[0]], review.ReasonRelative) {
			t.Fatalf("relative-flagged household %d not chosen for its flag: %v %v", w.hids[0], a.Chosen, a.Reasons)
		}
		// 30 % of 5 is 2 at random plus the relative household.
		if len(a.Chosen) != 3 || a.Created != 3 || b.Created != 0 {
			t.Fatalf("chosen %v, created %d then %d; want 3 chosen, 3 then 0 created", a.Chosen, a.Created, b.Created)
		}
		checks, err := db.SpotChecks(ctx, testenv.County)
		if err != nil || len(checks) != 2 || checks[0].Seed != 42 || checks[1].Seed != 42 {
			t.Fatalf("recorded spot checks %+v (err %v)", checks, err)
		}
		if n, err := w.svc.SpotCheck(ctx, w.county, testenv.County, 0); err != nil || n.Check.Seed == 0 {
			t.Fatalf("new seed not drawn: %+v %v", n.Check, err)
		}
		if w.audits("review.spot_check") != 3 {
			t.Fatalf("spot checks audited %d times, want 3", w.audits("review.spot_check"))
		}
		if _, err := w.svc.SpotCheck(ctx, w.town, testenv.County, 42); !isCode(err, errs.Forbidden) {
			t.Fatalf("township drawing a spot check: %v, want forbidden", err)
		}
	})
}

func TestReviewDecreaseAndRoster(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		hid := w.hids[0] // in township A
		if _, err := w.svc.GenerateReviews(ctx, w.admin, calendar.DayOf(w.now)); err != nil {
			t.Fatal(err)
		}
		tasks, err := db.ReviewTasks(ctx, region.ScopeOf(testenv.TownA), recipients.TaskPeriodic, "open")
		if err != nil {
			t.Fatal(err)
		}
		var taskID int64
		for _, x := range tasks {
			if x.HouseholdID == hid {
				taskID = x.ID
			}
		}
		if taskID == 0 {
			t.Fatalf("no open task for household %d in %+v", hid, tasks)
		}
		// The township records a new income: 3 600 yuan of transfers over 12 months.
		err = db.InTx(ctx, w.town, func(tx *store.Tx) error {
			h, err := tx.Household(ctx, hid)
			if err != nil {
				return err
			}
			if _, err := tx.AddIncome(ctx, hid, h.Version, household.Income{Kind: "transfer", Description: "子女赡养",
				Amount: money.FromYuan(3600), Months: 12}); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "household.income", Object: fmt.Sprint("household:", hid)})
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ProposeReview(ctx, w.county, taskID, recipients.ReviewInput{}); !isCode(err, errs.Forbidden) {
			t.Fatalf("county proposing: %v, want forbidden", err)
		}
		prop, err := w.svc.ProposeReview(ctx, w.town, taskID, recipients.ReviewInput{Note: "入户核实"})
		if err != nil {
			t.Fatal(err)
		}
		if prop.Outcome != review.Decrease || prop.OldAmount != money.FromYuan(1000) || prop.NewAmount >= prop.OldAmount ||
			prop.NewAmount <= 0 || prop.EffectiveMonth != "2027-01" {
			t.Fatalf("proposal %+v, want a decrease from 1000 yuan effective 2027-01", prop.Proposal)
		}
		if err := w.svc.DecideReview(ctx, w.town, taskID, true, ""); !isCode(err, errs.Forbidden) {
			t.Fatalf("township deciding: %v, want forbidden", err)
		}
		if err := w.svc.DecideReview(ctx, w.county, taskID, true, "同意"); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.DecideReview(ctx, w.county, taskID, true, "同意"); !isCode(err, errs.Conflict) {
			t.Fatalf("deciding twice: %v, want conflict", err)
		}
		e := w.register()[hid]
		if e.Amount != prop.NewAmount || e.LastReview != "2026-12-15" {
			t.Fatalf("register after decision: amount %s, last review %q; want %s", e.Amount.Yuan(), e.LastReview, prop.NewAmount.Yuan())
		}
		hist, err := w.svc.History(ctx, w.county, hid)
		if err != nil || len(hist) != 1 {
			t.Fatalf("history %+v (err %v), want one entry", hist, err)
		}
		if h := hist[0]; h.Kind != recipients.KindDecrease || h.OldAmount != prop.OldAmount || h.NewAmount != prop.NewAmount ||
			h.EffectiveMonth != "2027-01" || h.TaskID != taskID || h.Actor != "county" {
			t.Fatalf("history entry %+v", h)
		}
		if w.audits("review.propose") != 1 || w.audits("review.decide") != 1 {
			t.Fatal("propose and decide must be audited once each")
		}

		// December still pays the old amount, January the new one.
		dec, err := w.svc.BuildRoster(ctx, w.admin, testenv.County, "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		if dec.Rows != 5 || dec.Total != money.FromYuan(5000) {
			t.Fatalf("December roster %d rows, total %s; want 5 and 5000.00", dec.Rows, dec.Total.Yuan())
		}
		jan1, err := w.svc.BuildRoster(ctx, w.admin, testenv.County, "2027-01")
		if err != nil {
			t.Fatal(err)
		}
		jan2, err := w.svc.BuildRoster(ctx, w.admin, testenv.County, "2027-01")
		if err != nil {
			t.Fatal(err)
		}
		if jan1.ID != jan2.ID || jan2.Rows != 5 || jan2.Total != money.FromYuan(4000)+prop.NewAmount {
			t.Fatalf("January rosters %+v / %+v", jan1, jan2)
		}
		n, err := db.QueryStrings(ctx, "SELECT household_id FROM roster_rows WHERE roster_id = ?", jan2.ID)
		if err != nil || len(n) != 5 {
			t.Fatalf("January rows %v (err %v), want one per household", n, err)
		}
		if _, err := w.svc.ApproveRoster(ctx, w.admin, jan2.ID); !isCode(err, errs.Forbidden) {
			t.Fatalf("county admin approving: %v, want forbidden", err)
		}
		if _, err := w.svc.ApproveRoster(ctx, w.county, jan2.ID); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.BuildRoster(ctx, w.admin, testenv.County, "2027-01")
		if !isCode(err, errs.Conflict) || !strings.Contains(err.Error(), "不重复发放") {
			t.Fatalf("rebuilding an approved month: %v", err)
		}

		// The bank file of the approved month.
		var buf bytes.Buffer
		if _, err := w.svc.BankCSV(ctx, w.admin, jan2.ID, &buf); !isCode(err, errs.Forbidden) || buf.Len() != 0 {
			t.Fatalf("county admin exporting: %v", err)
		}
		if _, err := w.svc.BankCSV(ctx, w.county, dec.ID, &buf); !isCode(err, errs.Conflict) {
			t.Fatalf("exporting a draft: %v, want conflict", err)
		}
		if _, err := w.svc.BankCSV(ctx, w.county, jan2.ID, &buf); err != nil {
			t.Fatal(err)
		}
		csv := buf.String()
		total := (money.FromYuan(4000) + prop.NewAmount).String()
		for i := 1; i <= 5; i++ {
			if !strings.Contains(csv, accountOf(i)) {
				t.Fatalf("bank file lacks account %s:\n%s", accountOf(i), csv)
			}
		}
		if !strings.Contains(csv, "合计") || !strings.Contains(csv, total) ||
			!strings.Contains(csv, "2027-01") {
			t.Fatalf("bank file lacks accounts or the total %s:\n%s", total, csv)
		}
		if w.audits("roster.export") != 1 || w.audits("roster.approve") != 1 || w.audits("roster.build") != 3 {
			t.Fatalf("audits: export %d approve %d build %d", w.audits("roster.export"), w.audits("roster.approve"), w.audits("roster.build"))
		}
	})
}

// The periodic review tasks fall due by themselves: the scheduler serve
// starts generates them at once and keeps ticking without creating a
// second task for anyone, and stops with its context.
func TestGenerateReviewsEvery(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			recipients.GenerateReviewsEvery(c, w.svc, time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
			close(done)
		}()
		// Let it tick many times.
		for w.audits("review.generate") < 5 {
			runtime.Gosched()
		}
		cancel()
		<-done
		tasks, err := db.ReviewTasks(ctx, region.ScopeOf(testenv.County), recipients.TaskPeriodic, "")
		if err != nil || len(tasks) != len(w.hids) {
			t.Fatalf("%d periodic tasks after many runs (err %v), want one per household (%d)", len(tasks), err, len(w.hids))
		}
	})
}
