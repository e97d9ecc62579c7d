package enroll

import (
	"time"

	"dibao/internal/calendar"
	"dibao/internal/region"
)

// PolicyUpdateDays is how many calendar days staff have to read and
// acknowledge a policy update.
const PolicyUpdateDays = 7

// PolicyUpdateMinutes is the time credited for a policy-update item: a
// short read-and-acknowledge, not a course.
const PolicyUpdateMinutes = 30

// Posts, as in people.Posts. Spelled out here because enroll must stay free
// of the store that package people pulls in; a test keeps them in step.
const (
	postIntake        = "受理"
	postInvestigate   = "调查"
	postReview        = "审核"
	postApprove       = "审批"
	postManage        = "管理"
	postTrain         = "培训"
	postTrainingAdmin = "培训管理"
)

// caseWork is every post that handles cases: the fallback audience, since
// a rule change nobody has classified is most likely to matter there.
var caseWork = []string{postIntake, postInvestigate, postReview, postApprove, postManage}

// Change names that are not policy parameters.
const (
	ChangeStandards = "standards" // the yearly allowance standards of a region (both urban and rural)
	ChangeWorkflow  = "workflow"  // a new version of the workflow definitions
)

// affected maps a policy parameter (policy.PublicityWD …) or another change
// to the posts whose daily work it alters (seed §1: training is targeted by
// post and business step). Every parameter of package policy must be
// listed; a test checks it.
var affected = map[string][]string{
	// Workflow: who performs the step the parameter governs.
	"min_investigators":      {postInvestigate, postReview},
	"publicity_wd":           {postInvestigate, postReview},
	"appraisal":              {postIntake, postInvestigate, postReview},
	"forward_wd":             {postIntake, postInvestigate},
	"investigation_start_wd": {postInvestigate},
	"county_decision_wd":     {postApprove, postManage},
	"rejection_notice_wd":    {postApprove, postManage},
	"total_wd":               caseWork,
	"total_wd_extended":      caseWork,
	"workflow_profile":       caseWork,
	ChangeWorkflow:           caseWork,

	// Benefit arithmetic and eligibility: everyone who tells applicants
	// whether they qualify, from the intake counter up.
	"standard.urban":           caseWork,
	"standard.rural":           caseWork,
	ChangeStandards:            caseWork,
	"income_window_months":     caseWork,
	"asset_months":             caseWork,
	"vehicle_exempt_value":     caseWork,
	"max_homes":                caseWork,
	"near_threshold_factor":    caseWork,
	"single_person_enrollment": caseWork,
	"rounding":                 {postReview, postApprove, postManage},
	"min_payment":              {postReview, postApprove, postManage},
	"bank_csv_columns":         {postApprove, postManage},
	"bank_csv_encoding":        {postApprove, postManage},

	// Dynamic management.
	"review_months_stable":         {postInvestigate, postReview, postManage},
	"review_months_variable":       {postInvestigate, postReview, postManage},
	"review_variable_able_bodied":  {postInvestigate, postReview, postManage},
	"review_variable_income_kinds": {postInvestigate, postReview, postManage},
	"spot_check_rate":              {postApprove, postManage},
	"phaseout_months":              {postReview, postApprove, postManage},
	"phaseout_taper":               {postReview, postApprove, postManage},

	// Training and assessment: trainers and the training admin.
	"regular_hours":           {postTrain, postTrainingAdmin},
	"special_hours":           {postTrain, postTrainingAdmin},
	"expert_invites_per_year": {postTrainingAdmin},
	"theory_pass":             {postTrain, postTrainingAdmin},
	"practical_pass":          {postTrain, postTrainingAdmin},
	"daily_pass":              {postTrain, postTrainingAdmin},
	"excellent_mark":          {postTrain, postTrainingAdmin},
	"archive_retain.plan":     {postTrainingAdmin},
	"archive_retain.material": {postTrainingAdmin},
	"archive_retain.session":  {postTrainingAdmin},
	"archive_retain.score":    {postTrainingAdmin},
	"archive_retain.feedback": {postTrainingAdmin},

	// Certification gating changes who may act on cases.
	"certification_gate": {postIntake, postInvestigate, postReview, postApprove, postManage, postTrainingAdmin},
}

// AffectedBy returns the audience of a change: the posts whose work it
// alters. ok is false for a change this table does not know; the rule is
// then everyone in case work, because telling too many people about a
// rule change costs less than telling nobody (continuity principle).
func AffectedBy(change string) (r Rule, ok bool) {
	posts, ok := affected[change]
	if !ok {
		posts = caseWork
	}
	return Rule{Posts: append([]string(nil), posts...)}, ok
}

// NewPolicyUpdate builds the short required item for a change made on
// today: read and acknowledge within PolicyUpdateDays. label is the
// change's Chinese name (policy.Lookup(name).Label, "城乡低保标准" …; the
// change itself when empty). scope limits it to staff within one region,
// for a township override; "" means the whole county. The caller stores
// the plan and gets its ID; Want then enrolls the affected staff, and
// re-running the rules moves the item with people who change posts during
// the week, like any other plan.
func NewPolicyUpdate(change, label string, scope region.Code, today time.Time) Plan {
	if label == "" {
		label = change
	}
	day := calendar.DayOf(today)
	audience, _ := AffectedBy(change)
	if scope != "" {
		audience.Regions = []region.Code{scope}
	}
	return Plan{
		Kind:            PolicyUpdate,
		Title:           label + "已调整",
		Period:          Period{Start: day, End: addDays(day, PolicyUpdateDays)},
		Audience:        audience,
		RequiredMinutes: PolicyUpdateMinutes,
		Categories:      []Category{PolicyLaw},
	}
}
