package casework_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/crosscheck"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/registry"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

var ctx = context.Background()

// world is a county with the staff a case needs and a movable clock.
type world struct {
	t                        *testing.T
	db                       *store.DB
	svc                      *casework.Service
	now                      time.Time
	clerk, t1, t2, rev, cnty authz.Principal
	hid                      int64
}

func newWorld(t *testing.T, db *store.DB) *world {
	w := &world{t: t, db: db, now: time.Date(2026, 9, 21, 9, 0, 0, 0, calendar.Location())}
	db.SetClock(func() time.Time { return w.now })
	w.svc = &casework.Service{DB: db, Now: func() time.Time { return w.now }}
	testenv.SeedRegions(t, db)
	w.clerk = testenv.User(t, db, "village", testenv.VillageA, authz.VillageClerk)
	w.t1 = testenv.User(t, db, "township", testenv.TownA, authz.TownshipOfficer)
	w.t2 = testenv.User(t, db, "township2", testenv.TownA, authz.TownshipOfficer)
	w.rev = testenv.User(t, db, "reviewer", testenv.TownA, authz.TownshipReviewer)
	w.cnty = testenv.User(t, db, "county", testenv.County, authz.CountyApprover)
	reg := &registry.Service{DB: db, Now: func() time.Time { return w.now }}
	h, err := reg.Create(ctx, w.clerk, household.Draft{Region: string(testenv.VillageA), Address: "李家庄村一组", Urban: "rural",
		Members: []household.MemberDraft{
			{Name: "刘大山", IDNumber: "11010519491231002X", Labour: "none", Health: "serious", HealthDetail: "肺癌", CoResident: "1"},
			{Name: "刘小禾", Relation: "child", IDNumber: "11010520150101005X", Labour: "none", Health: "healthy", CoResident: "1"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	w.hid = h.ID
	return w
}

func (w *world) day(n int) string { return w.now.AddDate(0, 0, n).Format(time.DateOnly) }

// act performs a transition and fails the test on error.
func (w *world) act(p authz.Principal, c *store.Case, id string, values map[string]string, reason string) casework.Outcome {
	w.t.Helper()
	out, err := w.try(p, c, id, values, reason)
	if err != nil {
		w.t.Fatalf("%s by %s in state %s: %v", id, p.Username, c.State, err)
	}
	return out
}

func (w *world) try(p authz.Principal, c *store.Case, id string, values map[string]string, reason string) (casework.Outcome, error) {
	in := workflow.Input{Values: map[string][]string{}, Reason: reason}
	for k, v := range values {
		in.Values[k] = strings.Split(v, "|")
	}
	out, err := w.svc.Act(ctx, p, casework.Action{CaseID: c.ID, Version: c.Version, Transition: id, Input: in})
	if err == nil {
		*c = out.Case
	}
	return out, err
}

func (w *world) materials(c *store.Case, missing ...string) {
	w.t.Helper()
	var items []casework.MaterialInput
	for _, m := range casework.Materials {
		st := "ok"
		for _, x := range missing {
			if x == m.Code {
				st = "missing"
			}
		}
		items = append(items, casework.MaterialInput{Code: m.Code, Status: st})
	}
	got, err := w.svc.SetMaterials(ctx, w.clerk, c.ID, c.Version, items)
	if err != nil {
		w.t.Fatal(err)
	}
	*c = got
}

func wantRefusal(t *testing.T, err error, code errs.Code, like string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected refusal %q, got success", like)
	}
	e := errs.As(err)
	msgs := e.Message
	for _, m := range errs.Fields(err) {
		msgs += " " + m
	}
	if e.Code != code || !strings.Contains(msgs, like) {
		t.Fatalf("refusal = %s %q, want %s containing %q", e.Code, msgs, code, like)
	}
}

func TestFullCaseToApproval(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.svc.Checker = &crosscheck.Simulator{Seed: 7, Now: func() time.Time { return w.now }}
		c, err := w.svc.Open(ctx, w.clerk, w.hid, casework.Declaration{None: true})
		if err != nil {
			t.Fatal(err)
		}
		if c.State != "draft" || c.Profile != workflow.ProfileSeed || !strings.Contains(c.Policy, "publicity_wd") {
			t.Fatalf("opened case: %+v", c)
		}
		if _, err := w.svc.Open(ctx, w.clerk, w.hid, casework.Declaration{None: true}); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("second open application: %v", err)
		}
		w.act(w.clerk, &c, "intake", map[string]string{"application_date": w.day(0)}, "")

		// Deficiency round trip: every missing item on one notice.
		w.materials(&c, "income_proof", "promise")
		_, err = w.try(w.clerk, &c, "accept", nil, "")
		wantRefusal(t, err, errs.Invalid, "")
		out := w.act(w.clerk, &c, "return", nil, "")
		if len(out.Documents) != 1 || out.Documents[0].Kind != "deficiency_notice" ||
			!strings.Contains(out.Documents[0].Data, "收入证明") || !strings.Contains(out.Documents[0].Data, "承诺书") {
			t.Fatalf("deficiency notice: %+v", out.Documents)
		}
		w.act(w.clerk, &c, "resubmit", map[string]string{"resubmitted_on": w.day(0)}, "")
		w.materials(&c)
		out = w.act(w.clerk, &c, "accept", nil, "")
		if c.State != "accepted" || out.Documents[0].Kind != "receipt" || c.DueDate == "" || c.TotalDue == "" {
			t.Fatalf("accept: %+v %+v", c, out.Documents)
		}
		w.act(w.clerk, &c, "forward", nil, "")

		// A village clerk cannot start the investigation.
		_, err = w.try(w.clerk, &c, "start_investigation", nil, "")
		wantRefusal(t, err, errs.Forbidden, "")
		w.now = w.now.Add(24 * time.Hour)
		w.act(w.t1, &c, "start_investigation", nil, "")

		visit := map[string]string{"visit_date": w.day(0), "investigators": strconv.FormatInt(w.t1.UserID, 10),
			"form_filled": "on", "findings": "两间旧平房，无大件家电"}
		_, err = w.try(w.t1, &c, "record_home_visit", visit, "")
		wantRefusal(t, err, errs.Invalid, "不足 2 人")
		visit["investigators"] = strconv.FormatInt(w.t1.UserID, 10) + "|" + strconv.FormatInt(w.t2.UserID, 10)
		out = w.act(w.t1, &c, "record_home_visit", visit, "")
		if out.Documents[0].Kind != "home_visit_form" || strings.Contains(out.Documents[0].Data, "11010519491231002X") {
			t.Fatalf("home visit form: %+v", out.Documents[0])
		}
		w.act(w.t1, &c, "request_check", map[string]string{"requested_on": w.day(0)}, "")
		w.act(w.t1, &c, "record_check_result", map[string]string{"received_on": w.day(0), "summary": "未发现车辆、房产、存款"}, "")
		checks, _ := db.Checks(ctx, c.ID)
		if len(checks) != 1 || checks[0].Status == "pending" || !strings.Contains(checks[0].Report, "模拟数据") {
			t.Fatalf("cross-check through the simulator: %+v", checks)
		}
		report := map[string]string{"report": "家庭无劳动力，户主重病", "opinion": "eligible", "opinion_reason": "人均收入低于标准"}
		w.act(w.t1, &c, "write_report", report, "")
		w.act(w.t1, &c, "submit_to_appraisal", nil, "")
		appraisal := map[string]string{"meeting_date": w.day(0), "participants": "王书记、李主任、张代表", "attendance": "9",
			"outcome": "pass", "minutes": "一致同意"}
		w.act(w.t1, &c, "appraise", appraisal, "")
		w.act(w.t1, &c, "start_publicity", map[string]string{"place": "村务公开栏"}, "")
		if c.PublicityEnd == "" {
			t.Fatal("publicity end date not set")
		}

		// Not before the period has elapsed.
		_, err = w.try(w.t1, &c, "close_publicity", nil, "")
		wantRefusal(t, err, errs.Invalid, "公示期未满")

		// An objection sends it back to investigation and is resolved there.
		w.act(w.t1, &c, "record_objection", map[string]string{"received_on": w.day(0), "content": "其子在外打工有收入"}, "")
		_, err = w.try(w.t1, &c, "close_publicity", nil, "")
		wantRefusal(t, err, errs.Invalid, "")
		w.act(w.t1, &c, "objection_reinvestigate", nil, "核实异议")
		w.act(w.t1, &c, "resolve_objection", map[string]string{"objection_no": "1", "finding": "其子未成年，在校就读", "outcome": "dismissed"}, "")
		_, err = w.try(w.t1, &c, "submit_to_appraisal", nil, "")
		wantRefusal(t, err, errs.Invalid, "") // a fresh report is needed after re-investigation
		w.act(w.t1, &c, "write_report", report, "")
		w.act(w.t1, &c, "submit_to_appraisal", nil, "")
		w.act(w.t1, &c, "appraise", appraisal, "")
		w.act(w.t1, &c, "start_publicity", map[string]string{"place": "村务公开栏"}, "")
		end, _ := time.ParseInLocation(time.DateOnly, c.PublicityEnd, calendar.Location())
		w.now = end.Add(9 * time.Hour) // the last day of the period still blocks
		_, err = w.try(w.t1, &c, "close_publicity", nil, "")
		wantRefusal(t, err, errs.Invalid, "公示期未满")
		w.now = end.AddDate(0, 0, 1).Add(9 * time.Hour)
		w.act(w.t1, &c, "close_publicity", nil, "")
		w.act(w.rev, &c, "review_opinion", map[string]string{"opinion": "agree", "comment": "同意上报"}, "")

		// Stale version: a second approver acting on the same read loses.
		stale := c
		out = w.act(w.cnty, &c, "approve", map[string]string{"category": "A"}, "")
		_, err = w.try(w.cnty, &stale, "approve", map[string]string{"category": "A"}, "")
		wantRefusal(t, err, errs.Conflict, "已被他人处理")
		if c.State != "approved" || !c.Closed || c.Amount <= 0 || c.StartMonth == "" || out.Documents[0].Kind != "approval_notice" {
			t.Fatalf("approved case: %+v", c)
		}
		recips, _ := db.Recipients(ctx, region.ScopeOf(testenv.County))
		if len(recips) != 1 || recips[0].HouseholdID != w.hid || recips[0].Amount != c.Amount {
			t.Fatalf("recipient register: %+v", recips)
		}
		evs, _ := db.Events(ctx, c.ID)
		// open + 23 successful actions; refusals leave no trace.
		if len(evs) != 24 || evs[0].Transition != "open" || evs[23].Transition != "approve" || evs[23].Actor != "county" {
			t.Fatalf("timeline has %d events, last %+v", len(evs), evs[len(evs)-1])
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRejectionRecusalAndIdempotency(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// The applicant household declares township2 as a relative.
		c, err := w.svc.Open(ctx, w.clerk, w.hid, casework.Declaration{Relatives: []casework.Declared{
			{MemberName: "刘大山", Relative: "测试township2", Relation: "兄弟姐妹", UserID: w.t2.UserID}}})
		if err != nil || !c.RelativeFlag {
			t.Fatalf("open with relative: %+v %v", c, err)
		}
		w.act(w.clerk, &c, "intake", map[string]string{"application_date": w.day(0)}, "")
		w.materials(&c)
		w.act(w.clerk, &c, "accept", nil, "")
		w.act(w.clerk, &c, "forward", nil, "")

		// Recusal: the relative may not act on the case.
		_, err = w.try(w.t2, &c, "start_investigation", nil, "")
		wantRefusal(t, err, errs.Forbidden, "回避")

		// Idempotency: a replayed request changes nothing and returns the first result.
		in := workflow.Input{}
		a := casework.Action{CaseID: c.ID, Version: c.Version, Transition: "start_investigation", Input: in, IdempotencyKey: "k-1"}
		first, err := w.svc.Act(ctx, w.t1, a)
		if err != nil {
			t.Fatal(err)
		}
		again, err := w.svc.Act(ctx, w.t1, a)
		if err != nil || !again.Replayed || again.Case.Version != first.Case.Version || again.Event.Seq != first.Event.Seq {
			t.Fatalf("replay: %+v %v", again, err)
		}
		evs, _ := db.Events(ctx, c.ID)
		n := 0
		for _, e := range evs {
			if e.Transition == "start_investigation" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("replay acted again: %d start_investigation events", n)
		}
		c = first.Case

		// Withdrawal needs a reason; then the case is closed.
		_, err = w.try(w.t1, &c, "terminate", nil, "")
		wantRefusal(t, err, errs.Invalid, "")
		w.act(w.t1, &c, "terminate", nil, "申请人拒不配合入户调查")
		if !c.Closed || c.State != "terminated" {
			t.Fatalf("terminated: %+v", c)
		}
	})
}

func TestNational2021Profile(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		admin := testenv.User(t, db, "countyadmin", testenv.County, authz.CountyAdmin)
		if err := policy.SetValue(ctx, db, admin, testenv.County, policy.WorkflowProfile, "national-2021", w.day(0), "按2021年审核确认办法"); err != nil {
			t.Fatal(err)
		}
		c, err := w.svc.Open(ctx, w.clerk, w.hid, casework.Declaration{None: true})
		if err != nil || c.Profile != workflow.ProfileNational2021 {
			t.Fatalf("open under national-2021: %+v %v", c, err)
		}
		w.act(w.clerk, &c, "intake", map[string]string{"application_date": w.day(0)}, "")
		w.materials(&c)
		w.act(w.clerk, &c, "accept", nil, "")
		w.act(w.clerk, &c, "forward", nil, "")
		w.act(w.t1, &c, "start_investigation", nil, "")
		w.act(w.t1, &c, "record_home_visit", map[string]string{"visit_date": w.day(0), "form_filled": "on", "findings": "困难",
			"investigators": strconv.FormatInt(w.t1.UserID, 10) + "|" + strconv.FormatInt(w.t2.UserID, 10)}, "")
		w.act(w.t1, &c, "request_check", map[string]string{"requested_on": w.day(0)}, "")
		w.act(w.t1, &c, "record_check_result", map[string]string{"received_on": w.day(0), "summary": "无异常"}, "")
		w.act(w.t1, &c, "write_report", map[string]string{"report": "困难", "opinion": "eligible", "opinion_reason": "符合"}, "")
		// No objection: under national-2021 no appraisal is held.
		_, err = w.try(w.t1, &c, "submit_to_appraisal", nil, "")
		wantRefusal(t, err, errs.Invalid, "")
		w.act(w.t1, &c, "submit_to_review", nil, "")
		w.act(w.rev, &c, "preliminary_opinion", map[string]string{"opinion": "eligible", "comment": "拟同意"}, "")
		w.act(w.t1, &c, "start_publicity", map[string]string{"place": "村务公开栏"}, "")
		end, _ := time.ParseInLocation(time.DateOnly, c.PublicityEnd, calendar.Location())
		w.now = end.AddDate(0, 0, 1).Add(9 * time.Hour)
		w.act(w.rev, &c, "report_to_county", nil, "")
		w.act(w.cnty, &c, "approve", map[string]string{"category": "B"}, "")
		if c.State != "approved" || !strings.Contains(c.Policy, policy.WorkflowProfile) {
			t.Fatalf("national case: %+v", c)
		}
	})
}

func TestRegisterMatchFlagsTheCase(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// The household's head is a registered village cadre.
		err := db.InTx(ctx, testenv.Admin(), func(tx *store.Tx) error {
			if _, err := tx.AddCadre(ctx, store.Cadre{Region: testenv.VillageA, Name: "刘大山", Post: "村委会委员"}, "11010519491231002X"); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Entry{Action: "test.cadre", Object: "cadre"})
		})
		if err != nil {
			t.Fatal(err)
		}
		c, err := w.svc.Open(ctx, w.clerk, w.hid, casework.Declaration{None: true})
		if err != nil {
			t.Fatal(err)
		}
		if !c.RelativeFlag || !strings.Contains(c.RelativeNote, "系统比对") {
			t.Fatalf("a cadre's own household was not flagged: %+v", c)
		}
		v, err := w.svc.Get(ctx, w.clerk, c.ID)
		if err != nil || len(v.Relatives) != 1 || v.Relatives[0].Source != "matched" || v.Relatives[0].CadreID == 0 {
			t.Fatalf("relatives: %+v %v", v.Relatives, err)
		}
	})
}
