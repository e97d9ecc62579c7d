package recipients_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

// Issue 9 item 1 (races) for the county's batch operations: rosters,
// standard changes and review generation started several times at once.
// Every racer is released by one start signal and runs under a deadline,
// so a deadlock fails the test instead of hanging it.

// race runs f(i) for i < n all released at once and returns their errors.
func race(t *testing.T, n int, f func(ctx context.Context, i int) error) []error {
	t.Helper()
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = f(rctx, i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// winners counts the nil errors and fails on any error other than a
// conflict (a busy or locked database, a deadline, an internal error).
func winners(t *testing.T, what string, es []error) int {
	t.Helper()
	n := 0
	for _, err := range es {
		switch {
		case err == nil:
			n++
		case errs.CodeOf(err) != errs.Conflict:
			t.Fatalf("%s: a racer failed with %s (%v), want success or a conflict", what, errs.CodeOf(err), err)
		}
	}
	return n
}

// countOf runs a COUNT(*) query.
func (w *world) countOf(q string, args ...any) int {
	w.t.Helper()
	xs, err := w.db.QueryStrings(ctx, q, args...)
	if err != nil || len(xs) != 1 {
		w.t.Fatalf("%s: %v %v", q, xs, err)
	}
	n, err := strconv.Atoi(xs[0])
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

func verifyAudit(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
}

// TestRosterRace: a month's roster built by 24 requests at once, then
// rebuilt and approved by 24 at once, exported by 24 at once (more than
// PostgreSQL's pool of 16) and the bank's result file imported by 24 at
// once: one roster, one row per household, approved once, paid once.
func TestRosterRace(t *testing.T) {
	const n = 24
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for i := range 25 {
			w.enroll(testenv.VillageB, false, money.FromYuan(int64(300+i)))
		}
		households := len(w.hids) + 25
		const month = "2027-01"
		if err := policy.SetValue(ctx, db, w.admin, testenv.County, policy.BankCSVEncoding, "gbk", "2026-12-15", "与农信社约定"); err != nil {
			t.Fatal(err)
		}

		// Built at once: one roster; whoever does not build it is told
		// another is building it, or rebuilt the same draft.
		built := make([]store.Roster, n)
		es := race(t, n, func(c context.Context, i int) (err error) {
			built[i], err = w.svc.BuildRoster(c, w.admin, testenv.County, month)
			return err
		})
		if winners(t, "build", es) == 0 {
			t.Fatal("no build succeeded")
		}
		var id int64
		for i, err := range es {
			if err != nil {
				if e := errs.As(err); e.Field != "month" {
					t.Fatalf("losing build: %v, want the month's conflict", err)
				}
				continue
			}
			if id == 0 {
				id = built[i].ID
			}
			if built[i].ID != id || built[i].Rows != households {
				t.Fatalf("build %d: roster %d with %d rows, want roster %d with %d", i, built[i].ID, built[i].Rows, id, households)
			}
		}
		rosters, err := db.Rosters(ctx, region.ScopeOf(testenv.County), testenv.County, month)
		if err != nil || len(rosters) != 1 {
			t.Fatalf("rosters of %s: %+v (%v), want one", month, rosters, err)
		}
		if got := w.countOf("SELECT COUNT(*) FROM roster_rows WHERE roster_id = ?", id); got != households {
			t.Fatalf("%d rows, want %d", got, households)
		}
		builds := w.audits("roster.build")
		if builds != winners(t, "build", es) {
			t.Fatalf("%d roster.build audit records for %d successful builds", builds, winners(t, "build", es))
		}

		// Rebuilt and approved at once: approved exactly once; a rebuild
		// either ran before the approval or is refused after it.
		es = race(t, n, func(c context.Context, i int) error {
			if i%2 == 0 {
				_, err := w.svc.ApproveRoster(c, w.county, id)
				return err
			}
			_, err := w.svc.BuildRoster(c, w.admin, testenv.County, month)
			return err
		})
		approved := 0
		for i, err := range es {
			if i%2 == 0 && err == nil {
				approved++
			}
		}
		winners(t, "approve and rebuild", es)
		if approved != 1 || w.audits("roster.approve") != 1 {
			t.Fatalf("approved %d times (%d audit records), want once", approved, w.audits("roster.approve"))
		}
		d, err := w.svc.Detail(ctx, w.county, id)
		if err != nil || d.Status != "approved" || len(d.Rows) != households {
			t.Fatalf("approved roster: %s with %d rows (%v)", d.Status, len(d.Rows), err)
		}
		var total money.Fen
		for _, r := range d.Rows {
			total += r.Amount
		}
		if total != d.Total {
			t.Fatalf("rows add up to %s, the roster says %s", total.Yuan(), d.Total.Yuan())
		}
		// One payment per household and month, whatever raced.
		if dup := w.countOf(`SELECT COUNT(*) FROM (SELECT x.household_id FROM roster_rows x JOIN rosters r ON r.id = x.roster_id
			WHERE r.county = ? GROUP BY x.household_id, r.month HAVING COUNT(*) > 1) d`, string(testenv.County)); dup != 0 {
			t.Fatalf("%d households paid twice in a month", dup)
		}

		// Exported at once: every export the same file, each audited.
		files := make([][]byte, n)
		es = race(t, n, func(c context.Context, i int) error {
			var buf bytes.Buffer
			_, err := w.svc.BankCSV(c, w.county, id, &buf)
			files[i] = buf.Bytes()
			return err
		})
		if winners(t, "export", es) != n {
			t.Fatalf("exports: %v", es)
		}
		for i := range files {
			if !bytes.Equal(files[i], files[0]) || len(files[0]) == 0 {
				t.Fatalf("export %d differs from export 0", i)
			}
		}
		if got := w.audits("roster.export"); got != n {
			t.Fatalf("%d roster.export audit records, want %d", got, n)
		}

		// The bank's result imported at once: applied once, the others see
		// it was imported (or are told it is being imported).
		result := resultFile(t, files[0], func(line int, rec []string) []string {
			if line == 3 {
				rec[len(rec)-2], rec[len(rec)-1] = "失败", "账户已销户"
			}
			return rec
		})
		imports := make([]recipients.BankImportResult, n)
		es = race(t, n, func(c context.Context, i int) (err error) {
			imports[i], err = w.svc.ImportBankResult(c, w.county, id, "回盘.csv", result)
			return err
		})
		winners(t, "import", es)
		applied := 0
		for i, err := range es {
			if err == nil && !imports[i].Repeated {
				applied++
			}
		}
		paid := 0
		for _, st := range w.payStatuses(id) {
			if st == recipients.PayPaid {
				paid++
			}
		}
		if applied != 1 || w.audits("roster.bank_result") != 1 || paid != households-1 ||
			w.countOf("SELECT COUNT(*) FROM roster_bank_imports WHERE roster_id = ?", id) != 1 {
			t.Fatalf("bank result applied %d times (%d audit records), %d paid of %d", applied, w.audits("roster.bank_result"),
				paid, households)
		}

		// After approval every rebuild is refused, none writes.
		builds = w.audits("roster.build")
		es = race(t, n, func(c context.Context, i int) error {
			_, err := w.svc.BuildRoster(c, w.admin, testenv.County, month)
			return err
		})
		if winners(t, "build after approval", es) != 0 || w.audits("roster.build") != builds {
			t.Fatalf("an approved roster was rebuilt")
		}
		for _, err := range es {
			if !strings.Contains(errs.As(err).Message, "审批") {
				t.Fatalf("rebuilding an approved month: %v", err)
			}
		}
		verifyAudit(t, db)
	})
}

// applyCounts sums the households of the standard.apply audit records of
// a change ("本批处理N户").
func (w *world) applyCounts(id int64) int {
	w.t.Helper()
	xs, err := w.db.QueryStrings(ctx, "SELECT detail FROM audit_log WHERE action = 'standard.apply' AND object = ?",
		fmt.Sprintf("standard_change:%d", id))
	if err != nil {
		w.t.Fatal(err)
	}
	sum := 0
	for _, x := range xs {
		_, rest, ok := strings.Cut(x, "本批处理")
		k, _, _ := strings.Cut(rest, "户")
		n, err := strconv.Atoi(k)
		if !ok || err != nil {
			w.t.Fatalf("apply record %q", x)
		}
		sum += n
	}
	return sum
}

// TestStandardChangeRace: the same standard change previewed by eight
// requests at once, two of the previews confirmed by 24 requests at once,
// and the confirmed one run by six runners at once: one change applies,
// every household is adjusted exactly once, the job ends applied, the
// audit records add up and the chain verifies.
func TestStandardChangeRace(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for i := range 35 {
			w.enroll(testenv.VillageB, false, money.FromYuan(int64(500+i)))
		}
		const households = 40
		w.svc.StandardChunk = 4
		urban, rural := money.FromYuan(1000), money.FromYuan(900)

		const previews = 8
		sums := make([]recipients.StandardSummary, previews)
		es := race(t, previews, func(c context.Context, i int) (err error) {
			sums[i], err = w.svc.PreviewStandardChange(c, w.admin, testenv.County, urban, rural, "2027-01")
			return err
		})
		if winners(t, "preview", es) != previews {
			t.Fatalf("previews: %v", es)
		}
		for _, s := range sums {
			if s.Recipients != households || s.Delta != sums[0].Delta || len(s.Decreases) != len(sums[0].Decreases) {
				t.Fatalf("preview %d: %d recipients, delta %s; preview %d: delta %s", s.ID, s.Recipients, s.Delta.Yuan(),
					sums[0].ID, sums[0].Delta.Yuan())
			}
		}

		// Two previews of the same change confirmed at once, 24 times: one
		// county has one change applying, confirmed once.
		const confirms = 24
		got := make([]store.StandardChange, confirms)
		es = race(t, confirms, func(c context.Context, i int) (err error) {
			got[i], err = w.svc.ConfirmStandardChange(c, w.county, sums[i%2].ID)
			return err
		})
		if winners(t, "confirm", es) != 1 || w.audits("standard.confirm") != 1 {
			t.Fatalf("%d confirmations succeeded (%d audit records), want 1", winners(t, "confirm", es), w.audits("standard.confirm"))
		}
		var job store.StandardChange
		for i, err := range es {
			if err == nil {
				job = got[i]
			}
		}
		if job.Status != store.StandardApplying {
			t.Fatalf("confirmed job: %+v", job)
		}
		// The policy registry got the new standards once.
		if k := w.countOf("SELECT COUNT(*) FROM audit_log WHERE action = 'policy.set'"); k != 2 {
			t.Fatalf("%d policy audit records, want the two standards once", k)
		}

		// Six runners at once (and one on a job never confirmed): each
		// either joins and sees the job to its end or is told clearly.
		const runners = 6
		ends := make([]store.StandardChange, runners)
		other := sums[0].ID
		if other == job.ID {
			other = sums[1].ID
		}
		es = race(t, runners+1, func(c context.Context, i int) (err error) {
			svc := &recipients.Service{DB: db, Now: w.svc.Now, StandardChunk: 4}
			if i == runners {
				_, err = svc.RunStandardChange(c, w.county, other, nil)
				if errs.CodeOf(err) != errs.Conflict {
					return fmt.Errorf("running an unconfirmed job: %v", err)
				}
				return nil
			}
			ends[i], err = svc.RunStandardChange(c, authz.System("runner"), job.ID, nil)
			return err
		})
		if winners(t, "run", es) != runners+1 {
			t.Fatalf("runners: %v", es)
		}
		for i, c := range ends {
			if c.Status != store.StandardApplied {
				t.Fatalf("runner %d ended with the job %s", i, c.Status)
			}
		}
		appliedOnce(t, w, db, job.ID, households)
		if n := w.applyCounts(job.ID); n != households {
			t.Fatalf("%d households in apply records, want %d", n, households)
		}
		// Every other preview is stale now: the same change cannot apply twice.
		for _, s := range sums {
			if s.ID == job.ID {
				continue
			}
			if _, err := w.svc.ConfirmStandardChange(ctx, w.county, s.ID); !isCode(err, errs.Conflict) {
				t.Fatalf("confirming preview %d after the change: %v, want conflict", s.ID, err)
			}
		}
		if len(changeHistory(t, db, job.ID)) != households {
			t.Fatal("history changed")
		}
		verifyAudit(t, db)
	})
}

// TestGenerateReviewsRace: eight review generations at once create each
// household's periodic task once.
func TestGenerateReviewsRace(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for i := range 30 {
			w.enroll(testenv.VillageB, false, money.FromYuan(int64(400+i)))
		}
		const n = 8
		gens := make([]recipients.Generated, n)
		es := race(t, n, func(c context.Context, i int) (err error) {
			p := w.admin
			if i%2 == 1 {
				p = authz.System("reviews")
			}
			gens[i], err = w.svc.GenerateReviews(c, p, calendar.DayOf(w.now))
			return err
		})
		if winners(t, "generate", es) != n {
			t.Fatalf("generations: %v", es)
		}
		created := 0
		for _, g := range gens {
			created += g.Count
		}
		tasks, err := db.ReviewTasks(ctx, region.ScopeOf(testenv.County), recipients.TaskPeriodic, "")
		if err != nil {
			t.Fatal(err)
		}
		per := map[int64]int{}
		for _, x := range tasks {
			per[x.HouseholdID]++
		}
		if len(tasks) != len(w.hids)+30 || created != len(tasks) || len(per) != len(tasks) {
			t.Fatalf("%d tasks for %d households (%d reported created), want one each", len(tasks), len(per), created)
		}
		if got := w.audits("review.generate"); got < n {
			t.Fatalf("%d review.generate audit records for %d runs", got, n)
		}
		verifyAudit(t, db)
	})
}

// TestChangeReportRace: a change report walked to its end with 200
// requests at every step (verify as true or untrue by two officers, or
// the clerk withdrawing it; forward or re-verify; close or re-verify):
// one moves it per step, the others are refused as stale, and the
// report's audit records are exactly the steps taken.
func TestChangeReportRace(t *testing.T) {
	const n = 200
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		clerk := testenv.User(t, db, "clerk", testenv.VillageA, authz.VillageClerk)
		t2 := testenv.User(t, db, "township2", testenv.TownA, authz.TownshipOfficer)
		type move struct {
			p  authz.Principal
			id string
			in workflow.Input
		}
		for round, hid := range []int64{w.hids[0], w.hids[2], w.hids[4]} {
			r := w.report(clerk, hid)
			var taken []string
			for step := 0; !r.Closed; step++ {
				if step > 8 {
					t.Fatalf("round %d: report still %s after %d steps", round, r.State, step)
				}
				var ms []move
				switch r.State {
				case "reported":
					ms = []move{{w.town, "confirm", verifyInput("")}, {t2, "refute", verifyInput("")},
						{clerk, "withdraw", workflow.Input{Reason: "误报"}}}
				case "confirmed":
					ms = []move{{w.town, "forward", workflow.Input{}}, {t2, "refute", verifyInput("")}}
				case "not_confirmed":
					ms = []move{{w.town, "close", workflow.Input{Reason: "经核实不属实"}}, {t2, "confirm", verifyInput("")}}
				default:
					t.Fatalf("round %d: unexpected state %s", round, r.State)
				}
				if step >= 4 { // end it: no more re-verification
					ms = ms[:1]
				}
				outs := make([]recipients.ReportOutcome, n)
				es := race(t, n, func(c context.Context, i int) (err error) {
					m := ms[i%len(ms)]
					outs[i], err = w.svc.ActOnReport(c, m.p, recipients.ReportAction{ReportID: r.ID, Version: r.Version,
						Transition: m.id, Input: m.in})
					return err
				})
				if k := winners(t, "report step", es); k != 1 {
					t.Fatalf("round %d, state %s: %d requests succeeded, want 1", round, r.State, k)
				}
				for i, err := range es {
					if err == nil {
						taken = append(taken, "change_report."+ms[i%len(ms)].id)
						r = outs[i].Report
					} else if errs.As(err).Field != "version" {
						t.Fatalf("losing request: %v, want the stale-version conflict", err)
					}
				}
			}
			recs, err := db.AuditRecords(ctx, store.AuditFilter{Object: fmt.Sprintf("change_report:%d", r.ID), Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := len(recs) - 2; i >= 0; i-- { // oldest is the report itself
				got = append(got, recs[i].Action)
			}
			if recs[len(recs)-1].Action != "change_report.report" || strings.Join(got, " ") != strings.Join(taken, " ") {
				t.Fatalf("round %d: audit %v, steps taken %v", round, got, taken)
			}
			if r.State == "forwarded" {
				if k := w.countOf("SELECT COUNT(*) FROM review_tasks WHERE kind = 'change_report' AND household_id = ?", hid); k != 1 {
					t.Fatalf("forwarded report made %d review tasks", k)
				}
			}
		}
		verifyAudit(t, db)
	})
}
