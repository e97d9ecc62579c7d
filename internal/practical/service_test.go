package practical_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/crosscheck"
	"dibao/internal/money"
	"dibao/internal/practical"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/stats"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

// env is a main store with the test county, a trainee and an examiner,
// and a separate sandbox store.
type env struct {
	main, sb *store.DB
	svc      *practical.Service
	trainee  authz.Principal
	examiner authz.Principal
	now      time.Time
	scored   []store.PracticalRun
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	testenv.SeedRegions(t, db)
	e := &env{main: db, sb: testenv.SandboxStore(t, db), now: time.Now()}
	e.trainee = testenv.User(t, db, "trainee", testenv.TownA, authz.TownshipOfficer)
	e.examiner = testenv.User(t, db, "examiner", testenv.County, authz.TrainingAdmin)
	e.svc = &practical.Service{DB: db, Sandbox: e.sb, Now: func() time.Time { return e.now }, Checker: &crosscheck.Simulator{Seed: 7}}
	e.svc.OnScored = func(ctx context.Context, tx *store.Tx, run store.PracticalRun) error {
		if tx == nil {
			t.Error("OnScored without a transaction")
		}
		e.scored = append(e.scored, run)
		return nil
	}
	if err := practical.Prepare(context.Background(), e.sb); err != nil {
		t.Fatal(err)
	}
	return e
}

// act performs one step as the trainee's sandbox principal.
func (e *env) act(t *testing.T, run store.PracticalRun, tid string, values map[string][]string, reason string) error {
	t.Helper()
	ctx := context.Background()
	run, err := e.main.PracticalRun(ctx, region.All(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := e.svc.Principal(ctx, e.trainee, run)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.sb.Case(ctx, sp.Scope(), run.SandboxCaseID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Cases(run).Act(ctx, sp, casework.Action{CaseID: c.ID, Version: c.Version, Transition: tid,
		Input: workflow.Input{Values: values, Reason: reason}})
	return err
}

func (e *env) must(t *testing.T, run store.PracticalRun, tid string, values map[string][]string, reason string) {
	t.Helper()
	if err := e.act(t, run, tid, values, reason); err != nil {
		t.Fatalf("%s: %v", tid, err)
	}
}

func (e *env) today() string { return e.now.Format(time.DateOnly) }

func v(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

// staff returns the sandbox ids of the trainee's mirror and a colleague.
func (e *env) staff(t *testing.T) (mine, other int64) {
	t.Helper()
	users, err := e.sb.Users(context.Background(), region.ScopeOf(practical.SandboxCounty))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		switch u.Username {
		case e.trainee.Username:
			mine = u.ID
		case "sandbox-officer-b":
			other = u.ID
		}
	}
	if mine == 0 || other == 0 {
		t.Fatalf("sandbox staff missing: %d %d", mine, other)
	}
	return
}

// investigate performs the investigation through the township review: the
// home visit with the given investigators, check, report, appraisal,
// publicity (sandbox clock moved past it) and the review opinion.
func (e *env) investigate(t *testing.T, run store.PracticalRun, opinion, reason string, investigators ...int64) {
	t.Helper()
	hv := v("visit_date", e.today(), "form_filled", "on", "findings", "入户查看，家中情况如实记录")
	for _, id := range investigators {
		hv["investigators"] = append(hv["investigators"], strconv.FormatInt(id, 10))
	}
	if len(investigators) < 2 {
		// The engine itself refuses a home visit with too few investigators.
		if err := e.act(t, run, "record_home_visit", hv, ""); err == nil {
			t.Fatal("a home visit with one investigator was recorded")
		}
	} else {
		e.must(t, run, "record_home_visit", hv, "")
	}
	e.must(t, run, "request_check", v("requested_on", e.today()), "")
	e.must(t, run, "record_check_result", v("received_on", e.today(), "summary", "核对结果见报告"), "")
	e.must(t, run, "write_report", v("report", "调查报告", "opinion", opinion, "opinion_reason", reason), "")
	if len(investigators) < 2 {
		return // the engine refuses to submit; the run ends here
	}
	e.must(t, run, "submit_to_appraisal", nil, "")
	e.must(t, run, "appraise", v("meeting_date", e.today(), "participants", "村民代表", "attendance", "9",
		"outcome", "pass", "minutes", "评议记录"), "")
	e.must(t, run, "start_publicity", v("place", "村务公开栏"), "")
	if err := e.act(t, run, "close_publicity", nil, ""); err == nil {
		t.Fatal("publicity closed before its period ran out")
	}
	if _, err := e.svc.Advance(context.Background(), e.trainee, run.ID, 15); err != nil {
		t.Fatal(err)
	}
	e.must(t, run, "close_publicity", nil, "")
	op := "agree"
	if opinion == "ineligible" {
		op = "disagree"
	}
	e.must(t, run, "review_opinion", v("opinion", op, "comment", reason), "")
}

func byCode(t *testing.T, e *env, run store.PracticalRun) map[string]store.PracticalScore {
	t.Helper()
	xs, err := e.svc.Scores(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]store.PracticalScore{}
	for _, x := range xs {
		m[x.Item] = x
	}
	return m
}

func TestIncompleteScenario(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		for _, right := range []bool{true, false} {
			run, err := e.svc.Start(ctx, e.trainee, "incomplete", practical.AttemptFirst)
			if err != nil {
				t.Fatal(err)
			}
			sp, err := e.svc.Principal(ctx, e.trainee, run)
			if err != nil {
				t.Fatal(err)
			}
			if sp.Region != practical.SandboxVillage || sp.Username != "trainee" {
				t.Fatalf("sandbox principal at the counter: %+v", sp)
			}
			c, _ := e.sb.Case(ctx, sp.Scope(), run.SandboxCaseID)
			if c.State != "submitted" {
				t.Fatalf("starting state %s", c.State)
			}
			var items []casework.MaterialInput
			for _, m := range casework.Materials {
				st := "ok"
				if m.Code == "income_proof" || (right && m.Code == "property_declaration") {
					st = "missing"
				}
				items = append(items, casework.MaterialInput{Code: m.Code, Status: st})
			}
			if _, err := e.svc.Cases(run).SetMaterials(ctx, sp, c.ID, c.Version, items); err != nil {
				t.Fatal(err)
			}
			e.must(t, run, "return", nil, "")
			e.now = e.now.Add(7 * time.Minute)
			run, err = e.svc.Finish(ctx, e.trainee, run.ID, -1)
			if err != nil {
				t.Fatal(err)
			}
			if run.Status != "finished" || run.Passed {
				t.Fatalf("finished run before the rubric: %+v", run)
			}
			got := byCode(t, e, run)
			wantDef := 30
			if !right {
				wantDef = 15
			}
			if got["outcome"].Points != 30 || got["deficiency"].Points != wantDef || got["time"].Points != 20 {
				t.Fatalf("right=%v breakdown %+v", right, got)
			}
			if _, err := e.svc.Rubric(ctx, e.trainee, run.ID, map[string]int{"notice_wording": 10, "check_care": 10}); err == nil {
				t.Fatal("a trainee scored their own rubric")
			}
			if _, err := e.svc.Rubric(ctx, e.examiner, run.ID, map[string]int{"notice_wording": 11, "check_care": 10}); err == nil {
				t.Fatal("a rubric score above the maximum was accepted")
			}
			run, err = e.svc.Rubric(ctx, e.examiner, run.ID, map[string]int{"notice_wording": 8, "check_care": 7})
			if err != nil {
				t.Fatal(err)
			}
			if run.Status != "scored" || run.Score != 30+wantDef+20+15 || !run.Passed {
				t.Fatalf("scored run %+v", run)
			}
			if _, err := e.svc.Rubric(ctx, e.examiner, run.ID, map[string]int{"notice_wording": 1, "check_care": 1}); err == nil {
				t.Fatal("a scored run was scored again")
			}
			if _, err := e.svc.Owned(ctx, e.trainee, run.SandboxCaseID); err == nil {
				t.Fatal("a finished run's sandbox case may still be acted on")
			}
		}
		if len(e.scored) != 2 || e.scored[0].Attempt != "first" {
			t.Fatalf("OnScored calls: %+v", e.scored)
		}
	})
}

func TestVehicleScenario(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		// Performed correctly.
		run, err := e.svc.Start(ctx, e.trainee, "vehicle", practical.AttemptMakeup)
		if err != nil {
			t.Fatal(err)
		}
		mine, other := e.staff(t)
		e.investigate(t, run, "ineligible", "信息核对发现家庭拥有小型轿车一辆，不符合条件", mine, other)
		if err := e.act(t, run, "approve", v("category", "B"), ""); err == nil {
			t.Fatal("an ineligible household was approved")
		}
		e.must(t, run, "reject", nil, "家庭拥有机动车辆（小型轿车），不符合低保条件")
		e.now = e.now.Add(25 * time.Minute)
		run, err = e.svc.Finish(ctx, e.trainee, run.ID, -1)
		if err != nil {
			t.Fatal(err)
		}
		got := byCode(t, e, run)
		for code, want := range map[string]int{"outcome": 25, "reason": 15, "investigators": 15, "publicity": 10, "time": 15} {
			if got[code].Points != want {
				t.Errorf("right: %s = %+v, want %d", code, got[code], want)
			}
		}
		if run.AutoPoints != 80 || run.Attempt != "makeup" {
			t.Fatalf("run %+v", run)
		}
		// Performed wrongly: one investigator only, so the engine refuses to
		// submit and the case never reaches a decision.
		run2, err := e.svc.Start(ctx, e.trainee, "vehicle", practical.AttemptFirst)
		if err != nil {
			t.Fatal(err)
		}
		e.investigate(t, run2, "eligible", "收入低于标准", mine)
		if err := e.act(t, run2, "submit_to_appraisal", nil, ""); err == nil {
			t.Fatal("submitted with one investigator")
		}
		run2, err = e.svc.Finish(ctx, e.trainee, run2.ID, -1)
		if err != nil {
			t.Fatal(err)
		}
		got = byCode(t, e, run2)
		for code, want := range map[string]int{"outcome": 0, "reason": 0, "investigators": 0, "publicity": 0, "time": 0} {
			if got[code].Points != want {
				t.Errorf("wrong: %s = %+v, want %d", code, got[code], want)
			}
		}
		if got["investigators"].Done != "0 名" {
			t.Errorf("investigators done %q", got["investigators"].Done)
		}
	})
}

func TestSupplementScenario(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		run, err := e.svc.Start(ctx, e.trainee, "supplement", practical.AttemptFirst)
		if err != nil {
			t.Fatal(err)
		}
		// Hand-worked: rural standard 650; income 3600/12/2 = 150 per person;
		// gap (650−150)×2 = 1000; elderly 10 % of 650 = 65; grade-2
		// disability 20 % of 650 = 130 → 1195 yuan a month.
		if run.ExpectedAmount != int64(money.FromYuan(1195)) {
			t.Fatalf("expected amount %d", run.ExpectedAmount)
		}
		mine, other := e.staff(t)
		e.investigate(t, run, "eligible", "家庭人均收入低于标准，老人和重度残疾人分类施保", mine, other)
		e.must(t, run, "approve", v("category", "A"), "")
		if _, err := e.svc.Finish(ctx, e.trainee, run.ID, -1); err == nil {
			t.Fatal("finished without the determined amount")
		}
		e.now = e.now.Add(40 * time.Minute) // 10 minutes over the 30-minute target
		run, err = e.svc.Finish(ctx, e.trainee, run.ID, money.Fen(119550))
		if err != nil {
			t.Fatal(err)
		}
		got := byCode(t, e, run)
		for code, want := range map[string]int{"outcome": 20, "amount": 20, "investigators": 15, "publicity": 10, "time": 10} {
			if got[code].Points != want {
				t.Errorf("right: %s = %+v, want %d", code, got[code], want)
			}
		}
		// The wrong amount (the gap without the supplements) loses the item.
		run2, err := e.svc.Start(ctx, e.trainee, "supplement", practical.AttemptFirst)
		if err != nil {
			t.Fatal(err)
		}
		e.investigate(t, run2, "eligible", "符合条件", mine, other)
		e.must(t, run2, "approve", v("category", "B"), "")
		run2, err = e.svc.Finish(ctx, e.trainee, run2.ID, money.FromYuan(1000))
		if err != nil {
			t.Fatal(err)
		}
		if got := byCode(t, e, run2); got["amount"].Points != 0 || got["outcome"].Points != 20 {
			t.Fatalf("wrong amount breakdown %+v", got)
		}
		run2, err = e.svc.Rubric(ctx, e.examiner, run2.ID, map[string]int{"report_quality": 2, "explanation": 0})
		if err != nil {
			t.Fatal(err)
		}
		// 20 + 0 + 15 + 10 + 15 (on time) + 2 = 62 ≥ 60.
		if run2.Score != 62 || !run2.Passed {
			t.Fatalf("run2 %+v", run2)
		}
	})
}

// snapshot is everything the real pages, lists, publicity, statistics and
// exports read from the main store.
func snapshot(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	for _, table := range []string{"households", "members", "income_items", "property_items", "cases", "case_events",
		"case_materials", "case_visits", "case_checks", "documents", "recipients", "recipient_history", "rosters",
		"roster_rows", "review_tasks", "regions"} {
		n, err := db.QueryStrings(ctx, "SELECT COUNT(*) FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	cs := &casework.Service{DB: db, Now: db.Now}
	idx, err := cs.PublicIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out["public"] = idx
	pub, standing, err := cs.PublicLists(ctx, testenv.VillageA)
	if err != nil {
		t.Fatal(err)
	}
	out["publicity"], out["standing"] = pub, standing
	admin := testenv.Admin()
	st, err := (&stats.Service{DB: db, Now: db.Now}).County(ctx, admin, "")
	if err != nil {
		t.Fatal(err)
	}
	out["county"] = st
	reg, err := (&recipients.Service{DB: db, Now: db.Now}).Register(ctx, admin, store.RegisterFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out["register"] = reg
	list, err := db.Cases(ctx, region.All(), store.CaseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out["cases"] = list
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestSandboxIsolation(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		testenv.Recipient(t, db, testenv.RecipientSpec{Village: testenv.VillageA, Head: "张真实", Amount: money.FromYuan(300)})
		before := snapshot(t, db)
		var mine, other int64
		for _, id := range []string{"incomplete", "vehicle", "supplement"} {
			run, err := e.svc.Start(ctx, e.trainee, id, practical.AttemptFirst)
			if err != nil {
				t.Fatal(err)
			}
			if id == "supplement" {
				mine, other = e.staff(t)
				e.investigate(t, run, "eligible", "符合条件", mine, other)
				e.must(t, run, "approve", v("category", "A"), "") // enrols a recipient — in the sandbox
			}
		}
		if after := snapshot(t, db); after != before {
			t.Fatalf("the main store changed:\nbefore %s\nafter  %s", before, after)
		}
		// The sandbox holds the synthetic households, cases and the
		// recipient, all in the fictitious county; no real region code.
		for _, q := range []string{"SELECT region_code FROM households", "SELECT region_code FROM cases",
			"SELECT region_code FROM recipients", "SELECT code FROM regions", "SELECT region_code FROM users"} {
			codes, err := e.sb.QueryStrings(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(codes) == 0 {
				t.Fatalf("%s: the sandbox has no rows", q)
			}
			for _, c := range codes {
				if !strings.HasPrefix(c, "890101") {
					t.Fatalf("%s: sandbox row with region %s", q, c)
				}
			}
		}
		// Its own audit chain records the sandbox work; the main chain
		// records only the runs.
		acts, err := db.QueryStrings(ctx, "SELECT DISTINCT action FROM audit_log WHERE action LIKE 'case.%' OR action LIKE 'household.%'")
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 0 {
			t.Fatalf("main audit has sandbox case work: %v", acts)
		}
		sbActs, err := e.sb.QueryStrings(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'case.approve'")
		if err != nil || sbActs[0] != "1" {
			t.Fatalf("sandbox audit approve count %v %v", sbActs, err)
		}
	})
}

// A run whose sequence draws ID numbers already in the sandbox (two starts
// at once) retries with the next sequence instead of failing.
func TestStartRetriesDuplicateIDs(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		sc, _ := practical.ScenarioByID("incomplete")
		h := sc.Household(e.now, 1) // what the next start (one household in the sandbox) would draw
		err := e.sb.InTx(ctx, authz.Principal{Username: "t", Roles: []authz.Role{authz.CountyAdmin}, Region: practical.SandboxCounty},
			func(tx *store.Tx) error {
				if err := tx.CreateHousehold(ctx, &h); err != nil {
					return err
				}
				return tx.Audit(ctx, store.Entry{Action: "test", Object: "household"})
			})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Start(ctx, e.trainee, "incomplete", ""); err != nil {
			t.Fatal(err)
		}
		n, err := e.sb.QueryStrings(ctx, "SELECT COUNT(*) FROM households")
		if err != nil || n[0] != "2" {
			t.Fatalf("households %v %v", n, err)
		}
	})
}
