package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dibao/internal/authz"
	"dibao/internal/casework"
	"dibao/internal/demo"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/workflow"
)

// With certification_gate=enforce an uncertified investigator is refused
// the home visit with the clear message on the case page; the trainer
// passes their daily performance in the 入户调查专项培训 special plan,
// which certifies them; then they record the home visit.
func TestCertificationGatesTheHomeVisit(t *testing.T) {
	w := newTrainingWorld(t)
	ctx := context.Background()
	officer := w.users["township"]

	// A case in investigation, moved there under the default warn gate.
	village := w.users["village"].Region
	rows, _, err := w.db.Households(ctx, region.ScopeOf(village), store.HouseholdFilter{PageSize: 5})
	if err != nil || len(rows) == 0 {
		t.Fatalf("demo households: %d %v", len(rows), err)
	}
	c, err := w.a.Cases.Open(ctx, w.users["village"].Principal(), rows[0].ID, casework.Declaration{None: true})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().Format(time.DateOnly)
	w.service(&c, "village", "intake", map[string][]string{"application_date": {today}}, "")
	var ok []casework.MaterialInput
	for _, m := range casework.Materials {
		ok = append(ok, casework.MaterialInput{Code: m.Code, Status: "ok"})
	}
	if c, err = w.a.Cases.SetMaterials(ctx, w.users["village"].Principal(), c.ID, c.Version, ok); err != nil {
		t.Fatal(err)
	}
	w.service(&c, "village", "accept", nil, "")
	w.service(&c, "village", "forward", nil, "")
	w.service(&c, "township", "start_investigation", nil, "")
	if names, _ := w.db.CertifiedNames(ctx, officer.ID, today); len(names) != 0 {
		t.Fatalf("the demo officer is already certified: %v", names)
	}

	// The system administrator turns the gate to enforce for the county.
	var sys authz.Principal
	for _, u := range w.users {
		if u.Principal().Has(authz.SystemAdmin) {
			sys = u.Principal()
		}
	}
	if err := policy.SetValue(ctx, w.db, sys, demo.CountyCode, policy.CertificationGate, workflow.GateEnforce, today,
		"持证上岗"); err != nil {
		t.Fatal(err)
	}

	// Refused, with the reason on the page and no button to press.
	caseURL := w.base + "/cases/" + strconv.FormatInt(c.ID, 10)
	w.as("township")
	w.do("case page", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS("#opt-record_home_visit")))
	reason, err := chromedp.Run(w.ctx, chromedp.Text(chromedp.CSS("#reason-record_home_visit")))
	if err != nil || !strings.Contains(reason, "您未取得有效的“调查”岗位认证，不能办理此事项") {
		t.Fatalf("reason on the page %q %v", reason, err)
	}
	disabled, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](`document.getElementById("act-record_home_visit").disabled`))
	if err != nil || !disabled {
		t.Fatalf("the home-visit button is not disabled: %v", err)
	}

	// The trainer scores the officer's daily performance in the special plan.
	var planID int64
	err = w.db.ReadTx(ctx, authz.System("test"), func(tx *store.Tx) error {
		plans, err := tx.TrainingPlans(ctx)
		for _, p := range plans {
			if p.Title == demo.SpecialInvestigationTitle {
				planID = p.ID
			}
		}
		return err
	})
	if err != nil || planID == 0 {
		t.Fatalf("no demo special plan: %v", err)
	}
	uid := strconv.FormatInt(officer.ID, 10)
	w.as("trainer")
	w.do("daily page", chromedp.Navigate(w.base+"/training/plans/"+strconv.FormatInt(planID, 10)+"/daily"),
		chromedp.WaitVisible(chromedp.CSS("#daily-form-"+uid)),
		chromedp.SendKeys(chromedp.CSS("#participation-"+uid), "85"),
		chromedp.SendKeys(chromedp.CSS("#homework-"+uid), "80"))
	w.submitTo("daily score", "#daily-submit-"+uid, "#daily-notice")
	notice, err := chromedp.Run(w.ctx, chromedp.Text(chromedp.CSS("#daily-notice")))
	if err != nil || !strings.Contains(notice, "合格") || !strings.Contains(notice, "已授予岗位认证：调查") {
		t.Fatalf("after scoring: %q %v", notice, err)
	}

	// Now the officer records the home visit.
	w.as("township")
	t1, t2 := strconv.FormatInt(officer.ID, 10), strconv.FormatInt(w.users["township2"].ID, 10)
	w.step(c.ID, "record_home_visit", "investigating", "investigators-"+t1, "investigators-"+t2, "form_filled",
		"findings=两间旧平房，家中无大件电器")
	visits, err := w.db.Visits(ctx, c.ID)
	if err != nil || len(visits) != 1 || visits[0].Kind != "home" {
		t.Fatalf("home visits after certification: %+v %v", visits, err)
	}
	w.do("my training", chromedp.Navigate(w.base+"/training/my"), chromedp.WaitVisible(chromedp.CSS("#my-certs")))
	if certs := w.html("#my-certs"); !strings.Contains(certs, "调查") || !strings.Contains(certs, "有效") {
		t.Fatalf("my certifications: %s", certs)
	}
	if _, err := w.db.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}
