package recipients_test

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// enrollWithIncome enrolls a rural one-person household with a monthly wage.
func (w *world) enrollWithIncome(wage money.Fen, amount money.Fen) int64 {
	w.t.Helper()
	w.seq++
	h := household.Household{Region: testenv.VillageA, Address: "幸福路2号", BankName: "农村信用社", BankAccount: accountOf(w.seq),
		Members: []household.Member{{Name: fmt.Sprintf("李%d", w.seq), Relation: "head",
			IDNumber: idcard.Make("130199", time.Date(1960, 4, w.seq%28+1, 0, 0, 0, 0, time.UTC), w.seq),
			Labour:   "none", Health: "healthy", CoResident: true}}}
	err := w.db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.CreateHousehold(ctx, &h); err != nil {
			return err
		}
		if _, err := tx.AddIncome(ctx, h.ID, h.Version, household.Income{Kind: "wage", Description: "打零工",
			Amount: wage * 12, Months: 12}); err != nil {
			return err
		}
		c := store.Case{Number: fmt.Sprintf("TEST-%d", w.seq), HouseholdID: h.ID, Region: testenv.VillageA, Profile: "seed",
			State: "approved", Policy: "{}"}
		if err := tx.CreateCase(ctx, &c); err != nil {
			return err
		}
		if err := tx.Enroll(ctx, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: testenv.VillageA, Category: "A",
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

// changeHistory counts the history rows of change id per household.
func changeHistory(t *testing.T, db *store.DB, id int64) map[string]int {
	t.Helper()
	xs, err := db.QueryStrings(ctx, "SELECT household_id FROM recipient_history WHERE change_id = ?", id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, x := range xs {
		out[x]++
	}
	return out
}

func TestStandardChange(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.svc.StandardChunk = 2
		// One household earns 600 yuan a month and gets the difference to
		// the new standard; one earning 900 crosses the threshold.
		earner := w.enrollWithIncome(money.FromYuan(600), money.FromYuan(50))
		rich := w.enrollWithIncome(money.FromYuan(900), money.FromYuan(10))
		urban, rural := money.FromYuan(1000), money.FromYuan(800)

		if _, err := w.svc.PreviewStandardChange(ctx, w.town, testenv.County, urban, rural, "2027-01"); !isCode(err, errs.Forbidden) {
			t.Fatalf("township officer previewing: %v, want forbidden", err)
		}
		if _, err := w.svc.PreviewStandardChange(ctx, w.admin, testenv.County, urban, rural, "2026-11"); !isCode(err, errs.Invalid) {
			t.Fatalf("effective month in the past: %v, want invalid", err)
		}
		stale, err := w.svc.PreviewStandardChange(ctx, w.admin, testenv.County, urban, rural, "2027-01")
		if err != nil {
			t.Fatal(err)
		}
		// A recipient changes after the preview: confirming it is refused.
		if err := db.ExecRaw(ctx, "UPDATE recipients SET version = version + 1 WHERE household_id = ?", w.hids[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ConfirmStandardChange(ctx, w.county, stale.ID); !isCode(err, errs.Conflict) {
			t.Fatalf("confirming a stale preview: %v, want conflict", err)
		}

		pre, err := w.svc.PreviewStandardChange(ctx, w.admin, testenv.County, urban, rural, "2027-01")
		if err != nil {
			t.Fatal(err)
		}
		// Five elderly households without income go from 1000 to 880 yuan
		// (800 and the 10% supplement), the earner from 50 to 280, the one
		// earning 900 crosses the threshold.
		if pre.Status != store.StandardPreview || pre.Recipients != 7 || len(pre.Decreases) != 5 || len(pre.Increases) != 1 ||
			len(pre.Crossing) != 1 || pre.Crossing[0].HouseholdID != rich || pre.Increases[0].NewAmount != money.FromYuan(280) ||
			pre.Decreases[0].NewAmount != money.FromYuan(880) {
			t.Fatalf("preview %+v", pre)
		}
		if want := money.FromYuan(-5*120 + 230); pre.Delta != want {
			t.Fatalf("delta %s, want %s", pre.Delta.Yuan(), want.Yuan())
		}
		if len(pre.Townships) != 2 || pre.Townships[0].Code != testenv.TownA || pre.Townships[0].Recipients != 5 ||
			pre.Townships[1].Recipients != 2 || pre.Townships[0].Delta+pre.Townships[1].Delta != pre.Delta ||
			pre.Townships[0].Crossing != 1 || pre.Townships[0].Name == "" {
			t.Fatalf("townships %+v", pre.Townships)
		}
		for id, e := range w.register() {
			if id != earner && id != rich && e.Amount != money.FromYuan(1000) {
				t.Fatalf("preview wrote household %d: %s", id, e.Amount.Yuan())
			}
		}
		if _, err := w.svc.RunStandardChange(ctx, w.county, pre.ID, nil); !isCode(err, errs.Conflict) {
			t.Fatalf("running an unconfirmed change: %v, want conflict", err)
		}
		if _, err := w.svc.ConfirmStandardChange(ctx, w.admin, pre.ID); !isCode(err, errs.Forbidden) {
			t.Fatalf("county admin confirming: %v, want forbidden", err)
		}
		got, err := w.svc.ConfirmStandardChange(ctx, w.county, pre.ID)
		if err != nil || got.Status != store.StandardApplying || got.PolicyFrom != "2027-01-01" {
			t.Fatalf("confirm: %+v, %v", got, err)
		}
		if _, err := w.svc.ConfirmStandardChange(ctx, w.county, pre.ID); !isCode(err, errs.Conflict) {
			t.Fatalf("confirming twice: %v, want conflict", err)
		}
		// The standards are in the policy registry from the effective month.
		for on, want := range map[string]money.Fen{"2026-12-31": money.FromYuan(650), "2027-01-01": rural} {
			d, _ := policy.ParseDate(on)
			sp, err := policy.Standards(ctx, db, testenv.County, d)
			if err != nil || sp.Rural != want {
				t.Fatalf("rural standard on %s: %+v (%v), want %s", on, sp, err, want.Yuan())
			}
		}
		// Only one change applying per county.
		other, err := w.svc.PreviewStandardChange(ctx, w.admin, testenv.County, urban, rural, "2027-02")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ConfirmStandardChange(ctx, w.county, other.ID); !isCode(err, errs.Conflict) {
			t.Fatalf("second applying change: %v, want conflict", err)
		}
		if err := w.svc.CancelStandardChange(ctx, w.admin, other.ID); err != nil {
			t.Fatal(err)
		}

		var calls [][2]int
		done, err := w.svc.RunStandardChange(ctx, w.county, pre.ID, func(d, n int) { calls = append(calls, [2]int{d, n}) })
		if err != nil {
			t.Fatal(err)
		}
		// 7 items in chunks of 2: 0, 2, 4, 6, 7, then the finishing pass.
		if done.Status != store.StandardApplied || done.Applied != 7 || len(calls) != 6 || calls[0] != [2]int{0, 7} ||
			calls[len(calls)-1] != [2]int{7, 7} || done.Increased != 1 || done.Decreased != 5 || done.Crossing != 1 {
			t.Fatalf("run: %+v, progress %v", done, calls)
		}
		reg := w.register()
		hist := changeHistory(t, db, pre.ID)
		for _, it := range append(pre.Increases, pre.Decreases...) {
			if reg[it.HouseholdID].Amount != it.NewAmount || hist[fmt.Sprint(it.HouseholdID)] != 1 {
				t.Fatalf("household %d: %s with %d history rows, want %s and 1", it.HouseholdID,
					reg[it.HouseholdID].Amount.Yuan(), hist[fmt.Sprint(it.HouseholdID)], it.NewAmount.Yuan())
			}
			hs, err := w.svc.History(ctx, w.county, it.HouseholdID)
			if err != nil || len(hs) != 1 || hs[0].EffectiveMonth != "2027-01" {
				t.Fatalf("history of %d: %+v (%v)", it.HouseholdID, hs, err)
			}
		}
		if reg[rich].Amount != money.FromYuan(10) || reg[rich].Status != "active" || hist[fmt.Sprint(rich)] != 0 {
			t.Fatalf("crossing household changed: %+v", reg[rich])
		}
		tasks, err := db.ReviewTasks(ctx, region.ScopeOf(testenv.County), recipients.TaskPeriodic, "undecided")
		if err != nil || len(tasks) != 1 || tasks[0].HouseholdID != rich {
			t.Fatalf("review tasks %+v (%v), want one for the crossing household", tasks, err)
		}
		// Running again changes nothing.
		again, err := w.svc.RunStandardChange(ctx, w.county, pre.ID, nil)
		if err != nil || again.Status != store.StandardApplied || len(changeHistory(t, db, pre.ID)) != 6 {
			t.Fatalf("second run: %+v, %v", again, err)
		}
		if w.audits("standard.apply") != 4 || w.audits("standard.applied") != 1 || w.audits("standard.confirm") != 1 {
			t.Fatalf("audits: apply %d applied %d confirm %d", w.audits("standard.apply"), w.audits("standard.applied"),
				w.audits("standard.confirm"))
		}
		list, err := w.svc.StandardChanges(ctx, w.admin, testenv.County)
		if err != nil || len(list) != 3 || list[0].Status != store.StandardCancelled || list[1].Status != store.StandardApplied {
			t.Fatalf("list %+v (%v)", list, err)
		}
	})
}

// Two runners on the same job at once apply every household exactly once.
func TestStandardChangeConcurrentRuns(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for i := range 35 {
			w.enroll(testenv.VillageB, false, money.FromYuan(int64(500+i)))
		}
		w.svc.StandardChunk = 4
		pre, err := w.svc.PreviewStandardChange(ctx, w.admin, testenv.County, money.FromYuan(1000), money.FromYuan(900), "2027-01")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ConfirmStandardChange(ctx, w.county, pre.ID); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errsOf := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				other := &recipients.Service{DB: db, Now: w.svc.Now, StandardChunk: 4}
				_, errsOf[i] = other.RunStandardChange(ctx, authz.System("runner"), pre.ID, nil)
			}()
		}
		wg.Wait()
		for _, err := range errsOf {
			if err != nil {
				t.Fatal(err)
			}
		}
		appliedOnce(t, w, db, pre.ID, 40)
	})
}

// appliedOnce checks that change id adjusted each of its n households
// exactly once, to the 990-yuan standard, and ended applied with one audit
// record.
func appliedOnce(t *testing.T, w *world, db *store.DB, id int64, n int) store.StandardChange {
	t.Helper()
	hist := changeHistory(t, db, id)
	if len(hist) != n {
		t.Fatalf("%d households adjusted, want %d", len(hist), n)
	}
	for hh, k := range hist {
		if k != 1 {
			t.Fatalf("household %s adjusted %d times", hh, k)
		}
	}
	for hid, e := range w.register() {
		if e.Amount != money.FromYuan(990) {
			t.Fatalf("household %d: %s, want 990", hid, e.Amount.Yuan())
		}
	}
	sum, err := w.svc.StandardChange(t.Context(), w.county, id)
	if err != nil || sum.Status != store.StandardApplied || sum.Applied != n || w.audits("standard.applied") != 1 {
		t.Fatalf("job %+v (%v), applied audits %d", sum.StandardChange, err, w.audits("standard.applied"))
	}
	return sum.StandardChange
}

// A change left applying (the server stopped part-way) is finished by
// ResumeStandardChanges, which serve starts in the background.
func TestResumeStandardChanges(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		pre, err := w.svc.PreviewStandardChange(ctx, w.admin, testenv.County, money.FromYuan(1000), money.FromYuan(900), "2027-01")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ConfirmStandardChange(ctx, w.county, pre.ID); err != nil {
			t.Fatal(err)
		}
		recipients.ResumeStandardChanges(ctx, w.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
		sum, err := w.svc.StandardChange(ctx, w.county, pre.ID)
		if err != nil || sum.Status != store.StandardApplied || sum.Applied != 5 || len(changeHistory(t, db, pre.ID)) != 5 {
			t.Fatalf("after resume: %+v (%v)", sum.StandardChange, err)
		}
	})
}
