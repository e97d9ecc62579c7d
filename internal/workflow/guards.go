package workflow

import (
	"fmt"
	"strings"
	"time"

	"dibao/internal/calendar"
	"dibao/internal/errs"
)

// Facts is what the engine knows about a case and the acting person at the
// moment of acting. The caller fills it from its store in the same
// transaction that records the transition, so a guard never sees stale
// data; it holds counts, dates, flags and policy values, never rows.
type Facts struct {
	Today  time.Time // the civil date of the action (Asia/Shanghai)
	Params Params    // the policy version the case uses
	Input  Input     // what the actor submitted; only Check reads it

	// Person: recusal and certification.
	RelativeStaff []int64  // user IDs of staff registered as close relatives of the household
	Certified     []string // certification names (Certifications keys) the actor holds, valid today

	// Intake.
	Members           int      // household members recorded
	RelativesDeclared bool     // the relatives-to-staff-and-cadres question was answered
	MaterialsChecked  bool     // the materials checklist has been gone through
	Deficiencies      []string // checklist items marked missing or wrong, in checklist order

	// Investigation (since the case last entered investigating, except
	// the visit counts, which accumulate over the whole case).
	HomeVisits         int  // home visits recorded
	Investigators      int  // distinct investigators across those visits
	CheckRequested     bool // an information cross-check was requested
	CheckResultPresent bool // its result was imported
	ReportPresent      bool // an investigation report with preliminary opinion, written since the case last entered investigating
	BenefitComputed    bool // the benefit engine ran on the current household data
	Eligible           bool // … and found the household eligible

	// Publicity and objections.
	PublicityEnd   time.Time // last day of the current publicity period; zero if none started (see Schedule.Fill)
	Objections     int       // objections ever recorded on the case
	OpenObjections int       // of which not yet resolved

	// County.
	RelativeRegistered bool // the case is flagged by relative registration (近亲属备案)
	CountyVisitDone    bool // a county-level home visit is recorded

	// Recipient review: the acting person proposed the outcome now to be
	// decided (the decider must be someone else).
	ActorProposed bool

	// Total time limit (see Schedule.Fill).
	TimeLimitRunning  bool
	TimeLimitExtended bool
}

// Input is what the actor submitted with a transition.
type Input struct {
	Values map[string][]string `json:"values"` // field name → values (url.Values fits); staff-list takes several
	Reason string              `json:"reason"`
}

// Guard is a named predicate over Facts; it returns an errs.Invalid with
// the reason in Chinese, or nil when it holds.
type Guard func(Facts) error

// Guards is the registry of every guard a definition may name.
var Guards = map[string]Guard{
	"household_recorded": func(f Facts) error {
		return failIf(f.Members <= 0, "尚未登记申请家庭成员")
	},
	"relatives_declared": func(f Facts) error {
		return failIf(!f.RelativesDeclared, "尚未填写与经办人员、村（社区）干部的近亲属关系申报")
	},
	"materials_complete": func(f Facts) error {
		if !f.MaterialsChecked {
			return fail("请先逐项核对申请材料清单")
		}
		return failIf(len(f.Deficiencies) > 0, "申请材料不齐全或不符合要求：%s", strings.Join(f.Deficiencies, "、"))
	},
	"deficiencies_listed": func(f Facts) error {
		if !f.MaterialsChecked {
			return fail("请先逐项核对申请材料清单")
		}
		return failIf(len(f.Deficiencies) == 0, "请先在材料清单中标出全部缺少或不符合要求的材料，一次性告知")
	},
	"investigators_enough": func(f Facts) error {
		if f.HomeVisits == 0 {
			return fail("尚未记录入户调查")
		}
		return failIf(f.Investigators < f.Params.MinInvestigators, "入户调查人员不足 %d 人", f.Params.MinInvestigators)
	},
	"check_requested": func(f Facts) error {
		return failIf(!f.CheckRequested, "尚未发起信息核对")
	},
	"check_result_present": func(f Facts) error {
		if !f.CheckRequested {
			return fail("尚未发起信息核对")
		}
		return failIf(!f.CheckResultPresent, "尚未取得信息核对结果")
	},
	"report_present": func(f Facts) error {
		return failIf(!f.ReportPresent, "尚未填写调查报告和初步意见")
	},
	"benefit_computed": func(f Facts) error {
		return failIf(!f.BenefitComputed, "尚未按最新家庭信息核算收入和保障金额")
	},
	"eligible_computed": func(f Facts) error {
		if !f.BenefitComputed {
			return fail("尚未按最新家庭信息核算收入和保障金额")
		}
		return failIf(!f.Eligible, "核算结果为不符合最低生活保障条件，不能批准")
	},
	"appraisal_required": func(f Facts) error {
		switch {
		case f.Params.Appraisal == AppraisalNever:
			return fail("按当前政策不开展民主评议")
		case f.Params.Appraisal == AppraisalOnObjection && f.Objections == 0:
			return fail("按当前政策，公示有异议时才开展民主评议")
		}
		return nil
	},
	"appraisal_not_required": func(f Facts) error {
		switch {
		case f.Params.Appraisal == AppraisalAlways:
			return fail("按当前政策须先进行民主评议")
		case f.Params.Appraisal == AppraisalOnObjection && f.Objections > 0:
			return fail("公示曾有异议，须先进行民主评议")
		}
		return nil
	},
	"publicity_elapsed": func(f Facts) error {
		if f.PublicityEnd.IsZero() {
			return fail("尚未开始公示")
		}
		end := calendar.DayOf(f.PublicityEnd)
		return failIf(!calendar.DayOf(f.Today).After(end), "公示期未满，截止 %s", FormatDate(end))
	},
	"no_open_objection": func(f Facts) error {
		return failIf(f.OpenObjections > 0, "尚有 %d 条异议未处理完毕", f.OpenObjections)
	},
	"has_open_objection": func(f Facts) error {
		return failIf(f.OpenObjections == 0, "没有待处理的异议")
	},
	"county_visit_done_if_flagged": func(f Facts) error {
		return failIf(f.RelativeRegistered && !f.CountyVisitDone, "近亲属备案家庭须经县级入户核查后方可审批")
	},
	"not_proposer": func(f Facts) error {
		return failIf(f.ActorProposed, "%s", MsgProposer)
	},
	"extension_allowed": func(f Facts) error {
		if !f.TimeLimitRunning {
			return fail("办理时限未在计算中（尚未受理或已办结），无需延长")
		}
		return failIf(f.TimeLimitExtended, "办理时限已延长至 %d 个工作日，不能再次延长", f.Params.TotalWDExtended)
	},
}

// GuardLabels describe each guard in Chinese for the workflow page and the
// diagram legend.
var GuardLabels = map[string]string{
	"household_recorded":           "已登记家庭成员",
	"relatives_declared":           "已申报近亲属关系",
	"materials_complete":           "材料齐全",
	"deficiencies_listed":          "已列明全部缺件",
	"investigators_enough":         "入户调查人数达到要求",
	"check_requested":              "已发起信息核对",
	"check_result_present":         "已取得核对结果",
	"report_present":               "已填写调查报告",
	"benefit_computed":             "已核算保障金额",
	"eligible_computed":            "核算结果符合条件",
	"appraisal_required":           "须民主评议",
	"appraisal_not_required":       "无须民主评议",
	"publicity_elapsed":            "公示期已满",
	"no_open_objection":            "无未处理异议",
	"has_open_objection":           "有未处理异议",
	"county_visit_done_if_flagged": "近亲属备案家庭已县级入户",
	"extension_allowed":            "未曾延长",
	"not_proposer":                 "决定人不是复核意见提出人",
}

// FormatDate formats a date the way notices and messages write it:
// 2026年10月14日 (no leading zeros).
func FormatDate(t time.Time) string {
	t = calendar.DayOf(t)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

func fail(msg string) error { return errs.Invalidf("", "%s", msg) }

func failIf(cond bool, format string, args ...any) error {
	if !cond {
		return nil
	}
	return errs.Invalidf("", format, args...)
}
