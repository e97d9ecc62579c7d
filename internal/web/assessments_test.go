package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/assess"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

func init() {
	renderTestedElsewhere = append(renderTestedElsewhere, "assessment_results", "assessment_daily", "assessment_appraisal")
}

// The assessment pages: a plan with assessments and a certification made
// on the plan form, the trainer's daily scoring (bad marks refused in
// Chinese, nothing written), the results page, the trainee's own
// certifications, and the appraisal export.
func TestAssessmentPages(t *testing.T) {
	te := setupTraining(t)
	admin := te.loginAs("tadmin")

	v := planValues("special", "入户调查专项培训", "2026-10-01", "2026-12-31", "4", "business_skills")
	v.Set("special_start", "2026-12-01")
	v["certifies"] = []string{"investigation"}
	v.Set("validity_months", "十二")
	r := admin.post("/training/plans/new", v)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "认证有效期应为整数月数") {
		t.Fatalf("bad validity: %d", r.StatusCode)
	}
	v.Set("validity_months", "12")
	r = admin.post("/training/plans/new", v)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "授予岗位认证的培训计划须至少要求一项考核") {
		t.Fatalf("certifies without assessments: %d", r.StatusCode)
	}
	if !strings.Contains(r.body, `id="certifies_investigation" value="investigation" checked`) {
		t.Fatal("the form lost the ticked certification")
	}
	v["assessments"] = []string{"daily"}
	if r = admin.post("/training/plans/new", v); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create plan: %d %s", r.StatusCode, r.body)
	}
	var plan store.TrainingPlan
	err := te.a.DB.ReadTx(bg, te.admin, func(tx *store.Tx) error {
		plans, err := tx.TrainingPlans(bg)
		if len(plans) == 1 {
			plan = plans[0]
		}
		return err
	})
	if err != nil || plan.Assessments != "daily" || plan.Certifies != "investigation" || plan.ValidityMonths != 12 {
		t.Fatalf("stored plan %+v %v", plan, err)
	}
	id := strconv.FormatInt(plan.ID, 10)
	if r := admin.get("/training/plans"); !strings.Contains(r.body, "考核：日常表现；认证：调查（12个月）") ||
		!strings.Contains(r.body, `href="/training/plans/`+id+`/results"`) {
		t.Fatalf("plan list lacks the assessment: %s", r.body)
	}

	// The plan's audience is everyone: the township officer is enrolled.
	trainer := te.loginAs("trainer")
	daily := trainer.get("/training/plans/" + id + "/daily")
	row := "daily-form-" + strconv.FormatInt(te.clerk.UserID, 10)
	if daily.StatusCode != 200 || !strings.Contains(daily.body, row) || !strings.Contains(daily.body, "出勤40分") {
		t.Fatalf("daily page: %d %s", daily.StatusCode, daily.body)
	}
	pid := strconv.FormatInt(te.clerk.UserID, 10)
	r = trainer.post("/training/plans/"+id+"/daily", url.Values{"person_id": {pid}, "participation": {"abc"}, "homework": {"101"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, assess.MsgParticipation) ||
		!strings.Contains(r.body, assess.MsgHomework) || !strings.Contains(r.body, `value="abc"`) {
		t.Fatalf("bad marks: %d", r.StatusCode)
	}
	if rs, _ := te.a.DB.PlanResults(bg, plan.ID); len(rs) != 0 {
		t.Fatalf("bad marks wrote %+v", rs)
	}
	form := url.Values{"person_id": {pid}, "participation": {"90"}, "homework": {"90"}, "key": {"double-click"}}
	r = trainer.follow(trainer.post("/training/plans/"+id+"/daily", form))
	// A double submit of the same form records once and answers the same.
	if again := trainer.post("/training/plans/"+id+"/daily", form); again.StatusCode != http.StatusSeeOther {
		t.Fatalf("double submit: %d %s", again.StatusCode, again.body)
	}
	if rs, _ := te.a.DB.PlanResults(bg, plan.ID); len(rs) != 1 {
		t.Fatalf("double submit recorded %d results", len(rs))
	}
	// No session held yet: 40 + 27 + 27 = 94.
	if !strings.Contains(r.body, "已记录日常表现首次考核：94分，合格") || !strings.Contains(r.body, "已授予岗位认证：调查") {
		t.Fatalf("after scoring: %s", r.body)
	}
	res := trainer.get("/training/plans/" + id + "/results")
	if res.StatusCode != 200 || !strings.Contains(res.body, "首次成绩 94分") || !strings.Contains(res.body, "全部通过") {
		t.Fatalf("results page: %d %s", res.StatusCode, res.body)
	}
	// A second scoring of a passed person is refused on the page.
	r = trainer.post("/training/plans/"+id+"/daily", url.Values{"person_id": {pid}, "participation": {"90"}, "homework": {"90"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, assess.MsgPassed) {
		t.Fatalf("second scoring: %d", r.StatusCode)
	}

	officer := te.loginAs("oldhand")
	if r := officer.get("/training/plans/" + id + "/results"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("officer on the results page: %d", r.StatusCode)
	}
	my := officer.get("/training/my")
	if !strings.Contains(my.body, `id="my-certs"`) || !strings.Contains(my.body, "2027-10-11") || !strings.Contains(my.body, "有效") {
		t.Fatalf("my certifications: %s", my.body)
	}

	if r := admin.get("/training/appraisal"); r.StatusCode != 200 || !strings.Contains(r.body, `id="appraisal-form"`) {
		t.Fatalf("appraisal page: %d", r.StatusCode)
	}
	// The appraisal export: a bad period is explained; a good one is a
	// workbook with one row, audited.
	if r := admin.get("/training/appraisal.xlsx?from=2026-10-31&to=2026-10-01"); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "请填写正确的起止日期") {
		t.Fatalf("bad period: %d", r.StatusCode)
	}
	x := admin.get("/training/appraisal.xlsx?from=2026-10-01&to=2026-10-31")
	if x.StatusCode != 200 {
		t.Fatalf("export: %d %s", x.StatusCode, x.body)
	}
	rows, err := sheet.Read(strings.NewReader(x.body))
	if err != nil || len(rows) != 2 || rows[1][0] != te.clerk.DisplayName || rows[1][8] != "94" || rows[1][10] != "是" {
		t.Fatalf("appraisal sheet %q %v", rows, err)
	}
	if xs, _ := te.a.DB.QueryStrings(bg, "SELECT detail FROM audit_log WHERE action = ?", "training.appraisal.export"); len(xs) != 1 {
		t.Fatalf("export audited %d times", len(xs))
	}
	if r := trainer.get("/training/appraisal.xlsx?from=2026-10-01&to=2026-10-31"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("trainer exports: %d", r.StatusCode)
	}
}
