package policy

import (
	"dibao/internal/household"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/roster"
)

// Parameter names; use these rather than string literals so a typo fails
// to compile instead of panicking in a Set accessor.
const (
	RegularHours         = "regular_hours"
	SpecialHours         = "special_hours"
	ExpertInvitesPerYear = "expert_invites_per_year"
	TheoryPass           = "theory_pass"
	PracticalPass        = "practical_pass"
	DailyPass            = "daily_pass"
	ExcellentMark        = "excellent_mark"
	MinInvestigators     = "min_investigators"
	PublicityWD          = "publicity_wd"
	Appraisal            = "appraisal"
	ForwardWD            = "forward_wd"
	InvestigationStartWD = "investigation_start_wd"
	CountyDecisionWD     = "county_decision_wd"
	RejectionNoticeWD    = "rejection_notice_wd"
	TotalWD              = "total_wd"
	TotalWDExtended      = "total_wd_extended"
	WorkflowProfile      = "workflow_profile"
	ReviewMonthsStable   = "review_months_stable"
	ReviewMonthsVariable = "review_months_variable"
	// ReviewVariableAbleBodied and ReviewVariableIncomeKinds say which
	// households are reviewed on the shorter (variable) cycle.
	ReviewVariableAbleBodied  = "review_variable_able_bodied"
	ReviewVariableIncomeKinds = "review_variable_income_kinds"
	SpotCheckRate             = "spot_check_rate"
	PhaseoutMonths            = "phaseout_months"
	PhaseoutTaper             = "phaseout_taper"
	AssetMonths               = "asset_months"
	VehicleExemptValue        = "vehicle_exempt_value"
	MaxHomes                  = "max_homes"
	RoundingMode              = "rounding"
	MinPayment                = "min_payment"
	StandardUrban             = "standard.urban"
	StandardRural             = "standard.rural"
	IncomeWindowMonths        = "income_window_months"
	NearThresholdFactor       = "near_threshold_factor"
	SinglePersonEnrollment    = "single_person_enrollment"
	CertificationGate         = "certification_gate"
	BankCSVColumns            = "bank_csv_columns"
	BankCSVEncoding           = "bank_csv_encoding"
	// Archive retention (years) per record type (issue 7 item 4).
	RetainPlan     = "archive_retain.plan"
	RetainMaterial = "archive_retain.material"
	RetainSession  = "archive_retain.session"
	RetainScore    = "archive_retain.score"
	RetainFeedback = "archive_retain.feedback"
)

// bankColumns are the known columns of the bank payment file (package
// roster) with their header titles as labels.
var bankColumns = func() []Choice {
	var out []Choice
	for _, c := range roster.BankColumns() {
		out = append(out, Choice{Code: c.Key, Label: c.Title})
	}
	return out
}()

// incomeKindChoices are the income kinds of the household model.
var incomeKindChoices = func() []Choice {
	var out []Choice
	for _, k := range household.IncomeKinds {
		out = append(out, Choice{Code: k.Code, Label: k.Label})
	}
	return out
}()

// Values of the Enum parameters.
const (
	AppraisalAlways      = "always"
	AppraisalOnObjection = "on_objection"
	AppraisalNever       = "never"

	GateEnforce = "enforce"
	GateWarn    = "warn"
	GateOff     = "off"

	ProfileSeed     = "seed"
	ProfileNational = "national-2021"
)

var (
	countyOnly       = []region.Level{region.County}
	countyOrTownship = []region.Level{region.County, region.Township}
)

// roundingChoices are the money package's modes, so the codes stored here
// are exactly what money.ParseRounding reads.
func roundingChoices() []Choice {
	var out []Choice
	for r := money.FenExact; r <= money.YuanUp; r++ {
		out = append(out, Choice{Code: r.String(), Label: r.Label()})
	}
	return out
}

// defs is the registry in display order: by group, then as SPEC §4 lists them.
var defs = []Def{
	// 业务流程
	{Name: MinInvestigators, Label: "入户调查最少人数", Group: GroupWorkflow, Kind: Int, Min: 2, Max: 10, Default: "2",
		Unit: "人", Source: SourceSeed, Basis: "制度文件[X]；国家规定不少于2人", Levels: countyOrTownship},
	{Name: PublicityWD, Label: "公示期", Group: GroupWorkflow, Kind: Int, Min: 7, Max: 30, Default: "7",
		Unit: "工作日", Source: SourceSeed, Basis: "制度文件[X]；国家规定不少于7天", Levels: countyOnly},
	{Name: Appraisal, Label: "民主评议", Group: GroupWorkflow, Kind: Enum, Default: AppraisalAlways,
		Choices: []Choice{{AppraisalAlways, "每户评议"}, {AppraisalOnObjection, "有异议时评议"}, {AppraisalNever, "不评议"}},
		Source:  SourceSeed, Basis: "制度文件要求评议；2021年国家办法为有异议时评议", Levels: countyOrTownship},
	{Name: ForwardWD, Label: "村级受理后报送乡镇时限", Group: GroupWorkflow, Kind: Int, Min: 1, Max: 30, Default: "3",
		Unit: "工作日", Source: SourceLocal, Basis: "地方规定", Levels: countyOrTownship},
	{Name: InvestigationStartWD, Label: "乡镇启动调查时限", Group: GroupWorkflow, Kind: Int, Min: 1, Max: 30, Default: "3",
		Unit: "工作日", Source: SourceNational, Basis: "国家规定", Levels: countyOrTownship},
	{Name: CountyDecisionWD, Label: "县级审批时限", Group: GroupWorkflow, Kind: Int, Min: 1, Max: 60, Default: "10",
		Unit: "工作日", Source: SourceNational, Basis: "国家规定", Levels: countyOnly},
	{Name: RejectionNoticeWD, Label: "不予批准告知时限", Group: GroupWorkflow, Kind: Int, Min: 1, Max: 30, Default: "3",
		Unit: "工作日", Source: SourceNational, Basis: "国家规定", Levels: countyOnly},
	{Name: TotalWD, Label: "办理总时限", Group: GroupWorkflow, Kind: Int, Min: 1, Max: 120, Default: "30",
		Unit: "工作日", Source: SourceNational, Basis: "国家规定30个工作日", Levels: countyOnly},
	{Name: TotalWDExtended, Label: "延长后办理总时限", Group: GroupWorkflow, Kind: Int, Min: 1, Max: 180, Default: "45",
		Unit: "工作日", Source: SourceNational, Basis: "国家规定特殊情况可延长至45个工作日", Levels: countyOnly},
	{Name: WorkflowProfile, Label: "审核审批流程", Group: GroupWorkflow, Kind: Enum, Default: ProfileSeed,
		Choices: []Choice{{ProfileSeed, "制度文件流程"}, {ProfileNational, "2021年国家办法流程"}},
		Source:  SourceProduct, Basis: "各地选择适用的流程", Levels: countyOnly},

	// 待遇计算
	{Name: StandardUrban, Label: "城市低保标准", Group: GroupBenefit, Kind: Money, Min: 100, Max: 10_000_00,
		Default: "900.00", Unit: "元/人·月", Source: SourceLocal, Basis: "省、市公布（演示值）", Levels: countyOnly},
	{Name: StandardRural, Label: "农村低保标准", Group: GroupBenefit, Kind: Money, Min: 100, Max: 10_000_00,
		Default: "650.00", Unit: "元/人·月", Source: SourceLocal, Basis: "省、市公布（演示值）", Levels: countyOnly},
	{Name: IncomeWindowMonths, Label: "收入计算期", Group: GroupBenefit, Kind: Int, Min: 1, Max: 12, Default: "12",
		Unit: "月", Source: SourceLocal, Basis: "一般按申请前12个月计算", Levels: countyOnly},
	{Name: AssetMonths, Label: "人均金融资产上限（标准的倍数）", Group: GroupBenefit, Kind: Int, Min: 0, Max: 120,
		Default: "24", Unit: "月", Source: SourceLocal, Basis: "地方规定", Levels: countyOnly},
	{Name: VehicleExemptValue, Label: "可豁免车辆价值上限", Group: GroupBenefit, Kind: Money, Min: 0, Max: 1_000_000_00,
		Default: "0.00", Unit: "元", Source: SourceLocal, Basis: "地方规定；0表示拥有车辆（残疾人功能性补偿代步车除外）即不符合", Levels: countyOnly},
	{Name: MaxHomes, Label: "家庭住房套数上限", Group: GroupBenefit, Kind: Int, Min: 0, Max: 10, Default: "1",
		Unit: "套", Source: SourceLocal, Basis: "地方规定", Levels: countyOnly},
	{Name: RoundingMode, Label: "保障金取整方式", Group: GroupBenefit, Kind: Enum, Default: money.YuanHalfUp.String(),
		Choices: roundingChoices(), Source: SourceLocal, Basis: "地方规定", Levels: countyOnly},
	{Name: MinPayment, Label: "最低发放金额", Group: GroupBenefit, Kind: Money, Min: 0, Max: 10_000_00, Default: "0.00",
		Unit: "元/户·月", Source: SourceLocal, Basis: "地方规定；0表示不设下限", Levels: countyOnly},
	{Name: NearThresholdFactor, Label: "低保边缘家庭收入倍数", Group: GroupBenefit, Kind: Decimal, Scale: 2, Min: 100, Max: 300,
		Default: "1.50", Unit: "倍", Source: SourceNational, Basis: "国家规定一般为低保标准的1.5倍", Levels: countyOnly},
	{Name: BankCSVColumns, Label: "银行代发文件列", Group: GroupBenefit, Kind: List,
		Default: "seq,name,bank,account,amount,month,note", Choices: bankColumns, Source: SourceLocal,
		Basis: "与代发银行约定；按顺序列出，须含序号、银行账号、金额", Levels: countyOnly},
	{Name: BankCSVEncoding, Label: "银行代发文件编码", Group: GroupBenefit, Kind: Enum, Default: roster.UTF8,
		Choices: []Choice{{roster.UTF8, "UTF-8（带BOM）"}, {roster.GBK, "GBK"}}, Source: SourceLocal,
		Basis: "与代发银行约定", Levels: countyOnly},
	{Name: SinglePersonEnrollment, Label: "低保边缘家庭重残重病人员单人保", Group: GroupBenefit, Kind: Bool, Default: "true",
		Source: SourceNational, Basis: "2021年国家办法", Levels: countyOnly},

	// 培训考核
	{Name: RegularHours, Label: "常规培训时长（每季度）", Group: GroupTraining, Kind: Int, Min: 1, Max: 40, Default: "4",
		Unit: "小时", Source: SourceSeed, Basis: "制度文件[X]", Levels: countyOnly},
	{Name: SpecialHours, Label: "专项培训时长", Group: GroupTraining, Kind: Int, Min: 1, Max: 80, Default: "8",
		Unit: "小时", Source: SourceSeed, Basis: "制度文件[X]", Levels: countyOnly},
	{Name: ExpertInvitesPerYear, Label: "每年邀请专家次数", Group: GroupTraining, Kind: Int, Min: 0, Max: 24, Default: "2",
		Unit: "次", Source: SourceSeed, Basis: "制度文件[X]", Levels: countyOnly},
	{Name: TheoryPass, Label: "理论考核合格分", Group: GroupTraining, Kind: Int, Min: 1, Max: 100, Default: "60",
		Unit: "分", Source: SourceSeed, Basis: "制度文件[X]", Levels: countyOnly},
	{Name: PracticalPass, Label: "实操考核合格分", Group: GroupTraining, Kind: Int, Min: 1, Max: 100, Default: "60",
		Unit: "分", Source: SourceSeed, Basis: "制度文件[X]", Levels: countyOnly},
	{Name: DailyPass, Label: "日常表现合格分", Group: GroupTraining, Kind: Int, Min: 1, Max: 100, Default: "60",
		Unit: "分", Source: SourceSeed, Basis: "制度文件[X]", Levels: countyOnly},
	{Name: ExcellentMark, Label: "优秀分数线", Group: GroupTraining, Kind: Int, Min: 1, Max: 100, Default: "90",
		Unit: "分", Source: SourceLocal, Basis: "地方惯例", Levels: countyOnly},
	{Name: RetainPlan, Label: "培训计划档案保管期限", Group: GroupTraining, Kind: Int, Min: 1, Max: 100, Default: "30",
		Unit: "年", Source: SourceLocal, Basis: "档案管理规定（演示值）", Levels: countyOnly},
	{Name: RetainMaterial, Label: "培训资料档案保管期限", Group: GroupTraining, Kind: Int, Min: 1, Max: 100, Default: "10",
		Unit: "年", Source: SourceLocal, Basis: "档案管理规定（演示值）", Levels: countyOnly},
	{Name: RetainSession, Label: "培训记录档案保管期限", Group: GroupTraining, Kind: Int, Min: 1, Max: 100, Default: "10",
		Unit: "年", Source: SourceLocal, Basis: "档案管理规定（演示值）", Levels: countyOnly},
	{Name: RetainScore, Label: "考核成绩档案保管期限", Group: GroupTraining, Kind: Int, Min: 1, Max: 100, Default: "30",
		Unit: "年", Source: SourceLocal, Basis: "档案管理规定（演示值）", Levels: countyOnly},
	{Name: RetainFeedback, Label: "培训反馈档案保管期限", Group: GroupTraining, Kind: Int, Min: 1, Max: 100, Default: "5",
		Unit: "年", Source: SourceLocal, Basis: "档案管理规定（演示值）", Levels: countyOnly},

	// 动态管理
	{Name: ReviewMonthsStable, Label: "收入稳定家庭核查周期", Group: GroupDynamic, Kind: Int, Min: 1, Max: 12, Default: "12",
		Unit: "月", Source: SourceNational, Basis: "国家规定；制度文件要求每年至少核查一次", Levels: countyOrTownship},
	{Name: ReviewMonthsVariable, Label: "收入不稳定家庭核查周期", Group: GroupDynamic, Kind: Int, Min: 1, Max: 12, Default: "6",
		Unit: "月", Source: SourceNational, Basis: "国家规定", Levels: countyOrTownship},
	{Name: ReviewVariableAbleBodied, Label: "有劳动能力成员的家庭按收入不稳定核查", Group: GroupDynamic, Kind: Bool,
		Default: "true", Source: SourceLocal, Basis: "地方规定；是表示有劳动年龄内有劳动能力成员的家庭按收入不稳定家庭的周期核查",
		Levels: countyOnly},
	{Name: ReviewVariableIncomeKinds, Label: "按收入不稳定核查的收入类型", Group: GroupDynamic, Kind: List,
		Default: "business", Choices: incomeKindChoices, Source: SourceLocal,
		Basis: "地方规定；有所列任一类收入的家庭按收入不稳定家庭的周期核查", Levels: countyOnly},
	{Name: SpotCheckRate, Label: "县级抽查比例", Group: GroupDynamic, Kind: Decimal, Scale: 2, Min: 0, Max: 100,
		Default: "0.30", Source: SourceLocal, Basis: "2012年国家规定，地方可调整", Levels: countyOnly},
	{Name: PhaseoutMonths, Label: "渐退期", Group: GroupDynamic, Kind: Int, Min: 0, Max: 6, Default: "6",
		Unit: "月", Source: SourceNational, Basis: "国家规定不超过6个月", Levels: countyOnly},
	{Name: PhaseoutTaper, Label: "渐退期内逐月递减", Group: GroupDynamic, Kind: Bool, Default: "false",
		Source: SourceLocal, Basis: "地方规定；否表示渐退期内全额发放", Levels: countyOnly},

	// 系统
	{Name: CertificationGate, Label: "持证上岗校验", Group: GroupSystem, Kind: Enum, Default: GateWarn,
		Choices: []Choice{{GateEnforce, "强制"}, {GateWarn, "仅提示"}, {GateOff, "关闭"}},
		Source:  SourceProduct, Basis: "系统设置", Levels: countyOnly},
}
