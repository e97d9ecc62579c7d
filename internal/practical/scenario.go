// Package practical is the practical assessment of SPEC §3.4 run in the
// sandbox of §3.6: scenarios (a synthetic household, the state the case
// starts in, the steps the trainee performs, the expected decisions and a
// rubric), pure scoring functions, and the service that starts a run in
// the sandbox store, finishes it and records the examiner's rubric.
//
// The sandbox is a separate store (its own SQLite file or PostgreSQL
// schema) with its own audit chain and a fictitious county (Sandbox*
// codes, province 89, which no real province uses). The same casework
// service, workflow engine, benefit engine and policy run over it; nothing
// the real pages, lists, rosters, publicity or statistics read comes from
// it, because they read only the main store.
package practical

import (
	"time"

	"dibao/internal/authz"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Item codes of the automatic scoring items.
const (
	ItemOutcome      = "outcome"       // the case ended where it should
	ItemReason       = "reason"        // the refusal or rejection names the right ground
	ItemDeficiency   = "deficiency"    // the deficiency notice lists exactly the missing materials
	ItemInvestigator = "investigators" // enough distinct investigators on the home visit
	ItemPublicity    = "publicity"     // the publicity period was held in full
	ItemAmount       = "amount"        // the amount the trainee determined is within tolerance
	ItemTime         = "time"          // time taken against the target
)

// RubricItem is one item the examiner scores 0..Max.
type RubricItem struct {
	Code  string
	Label string
	Max   int
}

// Scenario is one practical exercise.
type Scenario struct {
	ID    string
	Title string
	// Brief is what the trainee is told (the applicant's situation and the
	// task), shown on the sandbox page.
	Brief []string
	// Household builds the synthetic household (region and ID numbers in
	// the sandbox county) as of today; n (the run's sequence in the
	// sandbox) keeps every run's ID numbers distinct.
	Household func(today time.Time, n int) household.Household
	// Start is the state the system brings the case to before the trainee
	// takes over: submitted (at the counter) or investigating.
	Start string
	// Materials the applicant brought, for a case started at the counter
	// the trainee checks; for a later start every material is recorded ok.
	Provided []string
	// Steps are the roles the trainee plays, in order (what the page says
	// they must do).
	Steps []string
	// Expected decisions and procedure.
	Outcome       []string // acceptable final states
	OutcomeLabel  string
	Deficiencies  []string // material codes the notice must list (exactly)
	ReasonWords   []string // a rejection or refusal reason must contain one
	ReasonLabel   string
	Investigators bool // the min_investigators rule is scored
	Publicity     bool // the publicity period is scored
	Amount        bool // the amount is scored (tolerance AmountTolerance)
	TargetMinutes int
	// Weights of the automatic items (sum + rubric maxima = 100).
	Weights map[string]int
	Rubric  []RubricItem
}

// AmountTolerance is how far a determined amount may be from the expected
// one and still count as right: one yuan.
const AmountTolerance = money.Fen(100)

// Sandbox county: a fictitious county in province 89 (no real province
// has that code), so a sandbox row can never carry a real region code.
const (
	SandboxCounty   = "890101000000"
	SandboxTownship = "890101101000"
	SandboxVillage  = "890101101201"
	// SandboxAddr6 is the address code of synthetic ID numbers.
	SandboxAddr6 = "890101"
)

// caseRoles are the roles a trainee's sandbox principal holds: every role
// a scenario's steps may need.
var caseRoles = []authz.Role{authz.VillageClerk, authz.TownshipOfficer, authz.TownshipReviewer, authz.CountyApprover}

// birth is a birth date making the person age years old today; n shifts
// it back by up to 299 days so that runs get distinct ID numbers.
func birth(today time.Time, age, n int) time.Time {
	return time.Date(today.Year()-age-1, today.Month(), today.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1+n%300)
}

func member(name string, rel household.Relation, today time.Time, age, seq, n int) household.Member {
	return household.Member{Name: name, Relation: rel, IDNumber: idcard.Make(SandboxAddr6, birth(today, age, n), (seq+n/300)%1000),
		Labour: "full", Health: "healthy", CoResident: true}
}

var allMaterials = []string{"application", "id_card", "household_register", "income_proof",
	"property_declaration", "authorisation", "promise"}

// Scenarios are the shipped exercises, in display order.
var Scenarios = []Scenario{
	{
		ID:    "incomplete",
		Title: "材料不全的申请：一次性告知补正",
		Brief: []string{
			"申请人沙一明（农村，三口之家）到村委会申请低保，系统已登记申请（待受理审查）。",
			"他交来了：低保申请书、家庭成员身份证、户口簿、家庭经济状况核对授权书、承诺书；没有带收入证明，也没有填写家庭财产申报表。",
			"任务：按实际情况核对申请材料，并出具一次性告知补正通知（须列全所缺材料，不多列、不漏列）。",
		},
		Household: func(today time.Time, n int) household.Household {
			h := household.Household{Region: SandboxVillage, Address: "沙盒县沙盒镇示范村1组", Phone: "13900000001"}
			head := member("沙一明", "head", today, 45, 11, n)
			sp := member("沙秀兰", "spouse", today, 43, 22, n)
			ch := member("沙小明", "child", today, 14, 31, n)
			h.Members = []household.Member{head, sp, ch}
			h.Incomes = []household.Income{{Kind: "wage", Description: "务工", Amount: money.FromYuan(9600), Months: 12}}
			return h
		},
		Start:         "submitted",
		Provided:      []string{"application", "id_card", "household_register", "authorisation", "promise"},
		Steps:         []string{"村（社区）经办人：核对申请材料", "村（社区）经办人：退回补正（一次性告知）"},
		Outcome:       []string{"returned"},
		OutcomeLabel:  "退回补正（一次性告知）",
		Deficiencies:  []string{"income_proof", "property_declaration"},
		TargetMinutes: 10,
		Weights:       map[string]int{ItemOutcome: 30, ItemDeficiency: 30, ItemTime: 20},
		Rubric: []RubricItem{
			{Code: "notice_wording", Label: "告知内容清楚、用语规范", Max: 10},
			{Code: "check_care", Label: "材料核对细致、说明到位", Max: 10},
		},
	},
	{
		ID:    "vehicle",
		Title: "家庭经济状况调查：核实申报的财产",
		Brief: []string{
			"申请人沙二强（农村，两口之家）称夫妻二人靠打零工为生，申报无车辆、无存款，案件已受理并转交乡镇，现处于家庭经济状况调查阶段。",
			"任务：完成入户调查（至少两名不同的调查人员）、信息核对、调查报告，依据调查和核对结果（注意家庭财产）按流程作出正确的处理决定，并写明理由。",
		},
		Household: func(today time.Time, n int) household.Household {
			h := household.Household{Region: SandboxVillage, Address: "沙盒县沙盒镇示范村2组", Phone: "13900000002"}
			h.Members = []household.Member{member("沙二强", "head", today, 52, 13, n), member("沙桂芳", "spouse", today, 50, 24, n)}
			h.Incomes = []household.Income{{Kind: "wage", Description: "零工", Amount: money.FromYuan(6000), Months: 12}}
			h.Properties = []household.Property{{Kind: "vehicle", Description: "小型轿车一辆（核对发现，未申报）",
				Value: money.FromYuan(45000), Quantity: 1}}
			return h
		},
		Start: "investigating",
		Steps: []string{"乡镇经办人：入户调查、信息核对、调查报告", "乡镇经办人：民主评议、张榜公示",
			"乡镇审核人：审核意见", "县级审批人：不予批准（写明理由）"},
		Outcome:       []string{"rejected", "rejection_delivered"},
		OutcomeLabel:  "不予批准",
		ReasonWords:   []string{"车"},
		ReasonLabel:   "理由指出拥有机动车辆",
		Investigators: true,
		Publicity:     true,
		TargetMinutes: 30,
		Weights:       map[string]int{ItemOutcome: 25, ItemReason: 15, ItemInvestigator: 15, ItemPublicity: 10, ItemTime: 15},
		Rubric: []RubricItem{
			{Code: "report_quality", Label: "调查报告事实清楚、依据充分", Max: 10},
			{Code: "procedure", Label: "程序规范、文书完整", Max: 10},
		},
	},
	{
		ID:    "supplement",
		Title: "符合条件的家庭：分类施保与保障金核定",
		Brief: []string{
			"申请人沙三伯（农村，68岁）与重度残疾（二级）的儿子共同生活，申报收入为小额养殖收入，无车辆、无存款超标。",
			"案件已受理并转交乡镇，现处于家庭经济状况调查阶段。",
			"任务：完成调查、评议、公示、审核，由县级批准纳入保障；完成后在本页“结束考核”时填写您核定的月保障金额（含分类施保加发部分）。",
		},
		Household: func(today time.Time, n int) household.Household {
			h := household.Household{Region: SandboxVillage, Address: "沙盒县沙盒镇示范村3组", Phone: "13900000003"}
			head := member("沙三伯", "head", today, 68, 15, n)
			head.Labour = "partial"
			son := member("沙四海", "child", today, 40, 35, n)
			son.Labour, son.DisabilityGrade, son.DisabilityDetail = "none", 2, "肢体二级"
			h.Members = []household.Member{head, son}
			h.Incomes = []household.Income{{Kind: "business", Description: "散养家禽", Amount: money.FromYuan(3600), Months: 12}}
			return h
		},
		Start: "investigating",
		Steps: []string{"乡镇经办人：入户调查、信息核对、调查报告", "乡镇经办人：民主评议、张榜公示",
			"乡镇审核人：审核意见", "县级审批人：批准", "本人：核定月保障金额"},
		Outcome:       []string{"approved"},
		OutcomeLabel:  "批准纳入保障",
		Investigators: true,
		Publicity:     true,
		Amount:        true,
		TargetMinutes: 30,
		Weights:       map[string]int{ItemOutcome: 20, ItemAmount: 20, ItemInvestigator: 15, ItemPublicity: 10, ItemTime: 15},
		Rubric: []RubricItem{
			{Code: "report_quality", Label: "调查报告事实清楚、依据充分", Max: 10},
			{Code: "explanation", Label: "能说明分类施保的计算依据", Max: 10},
		},
	},
}

// ScenarioByID finds a scenario.
func ScenarioByID(id string) (Scenario, bool) {
	for _, s := range Scenarios {
		if s.ID == id {
			return s, true
		}
	}
	return Scenario{}, false
}

// RubricMax is the sum of a scenario's rubric maxima.
func (s Scenario) RubricMax() int {
	n := 0
	for _, r := range s.Rubric {
		n += r.Max
	}
	return n
}

// AutoMax is the sum of a scenario's automatic weights.
func (s Scenario) AutoMax() int {
	n := 0
	for _, w := range s.Weights {
		n += w
	}
	return n
}

// SandboxScope is the region scope of the whole sandbox county.
func SandboxScope() region.Scope { return region.ScopeOf(SandboxCounty) }
