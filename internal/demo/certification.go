package demo

import (
	"context"
	"strings"
	"time"

	"dibao/internal/assess"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/enroll"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/training"
)

// Demo certification (issue 6): the onboarding plan certifies intake
// (受理) for good once its theory exam and daily performance are passed;
// the special plan 入户调查专项培训 certifies investigation (调查) for a
// year once the trainer's daily-performance score is passed. Township
// officers are its audience, so with certification_gate=enforce an
// uncertified officer is refused the home visit until the trainer scores
// them on the plan's daily-performance page.

// SpecialInvestigationTitle names the demo's investigation special plan.
const SpecialInvestigationTitle = "入户调查专项培训"

// OnboardingAssessment is what the demo onboarding plan assesses and
// certifies.
var OnboardingAssessment = training.PlanAssessment{Assessments: []assess.Kind{assess.Theory, assess.Daily},
	Certifies: []string{"intake"}}

// createSpecialInvestigation adds the investigation special plan: from
// today for three months, the special work starting in two months.
func createSpecialInvestigation(ctx context.Context, svc *training.Service, admin authz.Principal) (int64, error) {
	today := calendar.DayOf(svc.Now())
	return svc.CreatePlanAssessed(ctx, admin, enroll.Plan{Kind: enroll.Special, Title: SpecialInvestigationTitle,
		Period:       enroll.Period{Start: today, End: today.AddDate(0, 3, 0)},
		SpecialStart: today.AddDate(0, 2, 0), RequiredMinutes: 4 * 60,
		Audience:   enroll.Rule{Roles: []authz.Role{authz.TownshipOfficer}},
		Categories: []enroll.Category{enroll.BusinessSkills, enroll.PolicyLaw}}, region.Code(CountyCode),
		training.PlanAssessment{Assessments: []assess.Kind{assess.Daily}, Certifies: []string{"investigation"}, ValidityMonths: 12})
}

// demoCertified are the demo accounts certified from the start (as if they
// passed earlier training): with certification_gate=enforce the demo still
// runs end to end except for `township`, who must pass the investigation
// special plan before doing home visits.
var demoCertified = map[string]string{"village": "intake", "township2": "investigation", "reviewer": "review",
	"county": "approval"}

// grantDemoCertifications records those certifications, valid for a year.
func grantDemoCertifications(ctx context.Context, db *store.DB, by map[string]store.User, today time.Time) error {
	until := today.AddDate(1, 0, -1).Format(time.DateOnly)
	return db.InTx(ctx, authz.Principal{Username: "system:demo", Region: CountyCode}, func(tx *store.Tx) error {
		var granted []string
		for _, name := range []string{"village", "township2", "reviewer", "county"} {
			u, ok := by[name]
			if !ok {
				continue
			}
			c := store.Certification{PersonID: u.ID, Name: demoCertified[name], ValidUntil: until}
			if err := tx.GrantCertification(ctx, &c); err != nil {
				return err
			}
			granted = append(granted, name+"="+c.Name)
		}
		return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "certifications",
			Detail: "演示岗位认证（有效期至" + until + "）：" + strings.Join(granted, "，")})
	})
}
