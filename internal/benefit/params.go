package benefit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/money"
)

// Parameter names: the keys of Params.Versions, the field names of
// Validate's errors and the names a Line cites. They follow SPEC §4 where
// the spec names the parameter.
const (
	ParamStandardUrban        = "standard.urban"
	ParamStandardRural        = "standard.rural"
	ParamIncomeWindow         = "income_window_months"
	ParamExcludedIncome       = "income_excluded"
	ParamAssetMonths          = "asset_months"
	ParamVehicleExemptValue   = "vehicle_exempt_value"
	ParamMaxHomes             = "max_homes"
	ParamBusinessDisqualifies = "business_disqualifies"
	ParamRounding             = "rounding"
	ParamMinPayment           = "min_payment"
	ParamMode                 = "mode"
	ParamTiers                = "tiers"
	ParamSupplements          = "supplements"
	ParamNearThreshold        = "near_threshold_factor"
	ParamSinglePerson         = "single_person"
)

// paramNames lists every parameter name in a fixed order; Result.Used
// follows it so explanations read the same for every household. An array,
// so that no caller can change it under paramIndex.
var paramNames = [...]string{
	ParamStandardUrban, ParamStandardRural, ParamIncomeWindow, ParamExcludedIncome,
	ParamAssetMonths, ParamVehicleExemptValue, ParamMaxHomes, ParamBusinessDisqualifies,
	ParamRounding, ParamMinPayment, ParamMode, ParamTiers, ParamSupplements,
	ParamNearThreshold, ParamSinglePerson,
}

// paramIndex maps a name to its bit in the used-parameter mask; built once
// from a constant list, never written afterwards.
var paramIndex = func() map[string]int {
	m := make(map[string]int, len(paramNames))
	for i, n := range paramNames {
		m[n] = i
	}
	return m
}()

// ParamNames returns every parameter name in the order explanations use.
func ParamNames() []string { return slices.Clone(paramNames[:]) }

// Permille is a ratio in thousandths (100 = 10 %, 1500 = 1.5 times); an
// integer keeps every comparison against the standard exact.
type Permille int64

// Percent formats the ratio as a percentage: "10%", "12.5%".
func (x Permille) Percent() string { return decimal(int64(x), 10) + "%" }

// Times formats the ratio as a multiplier: "1.5", "2".
func (x Permille) Times() string { return decimal(int64(x), 1000) }

// decimal prints v/unit with as many decimals as needed (unit a power of ten).
func decimal(v, unit int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v/unit, 10)
	if r := v % unit; r != 0 {
		w := len(strconv.FormatInt(unit, 10)) - 1
		f := fmt.Sprintf("%0*d", w, r)
		s += "." + strings.TrimRight(f, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Mode is how the amount is computed.
type Mode string

// The amount modes of SPEC §2.2.
const (
	ModeGap   Mode = "gap"   // 补差: (standard − per-capita income) × members
	ModeTiers Mode = "tiers" // 分档: a fixed amount per person by hardship level
)

// Label is the Chinese name of the mode.
func (m Mode) Label() string {
	switch m {
	case ModeGap:
		return "补差发放"
	case ModeTiers:
		return "分档发放"
	}
	return string(m)
}

// Tier is one hardship level of the tiers mode. A household's level is the
// first tier (in order) whose Below bound its per-capita income is under,
// the bound being a share of the standard: with bounds 300, 600, 1000 a
// rural per-capita income of 150.00 (< 30 % of 650.00 = 195.00) is level 1
// and exactly 195.00 is level 2. Bands are relative to the standard so that
// a yearly rise of the standard does not silently reshuffle households;
// amounts are fixed per person, as local tier tables publish them, and
// differ for urban and rural households because their standards do.
type Tier struct {
	Label string    // e.g. "一档"
	Below Permille  // per-capita income < Below/1000 × standard
	Urban money.Fen // per person per month, urban households
	Rural money.Fen // per person per month, rural households
}

// Supplement is one category of 分类施保: an extra monthly amount for each
// counted member who meets every condition that is set. The amount is
// Fixed plus Share of the standard, so both "50 yuan" and "10 % of the
// standard" local rules can be written.
type Supplement struct {
	Code               string    // stable code stored with the decision, e.g. "elderly"
	Label              string    // Chinese label, e.g. "老年人"
	MinAge             int       // qualifies at this age or older; 0 = no lower bound
	MaxAge             int       // qualifies below this age; 0 = no upper bound
	MaxDisabilityGrade int       // qualifies with a disability grade 1..this; 0 = no condition
	SeriousIllness     bool      // qualifies when the member's health is "serious"
	Fixed              money.Fen // fixed part per qualifying member per month
	Share              Permille  // part as a share of the standard
}

// ageBased reports whether the category depends on the birth date, which
// an unreadable ID number cannot prove.
func (s Supplement) ageBased() bool { return s.MinAge > 0 || s.MaxAge > 0 }

// SinglePersonRule is how a member enrolled individually (单人保) is paid.
type SinglePersonRule string

// The single-person rules.
const (
	SingleNone     SinglePersonRule = "none"     // no single-person enrollment
	SingleStandard SinglePersonRule = "standard" // the full one-person standard, as if alone with no income
	SingleShare    SinglePersonRule = "share"    // SinglePersonShare of the standard
)

// Params holds every value the calculation uses; each is paired with its
// version through Versions (parameter name → version id) so that a
// decision can record exactly what it used.
type Params struct {
	UrbanStandard        money.Fen              // 城市低保标准, per person per month
	RuralStandard        money.Fen              // 农村低保标准, per person per month
	IncomeWindowMonths   int                    // months an income item covers when it does not say (1–12)
	ExcludedIncome       []household.IncomeKind // income kinds not counted
	AssetMonths          int                    // financial assets ≤ AssetMonths × standard × members
	VehicleExemptValue   money.Fen              // a non-exempt vehicle worth more than this disqualifies
	MaxHomes             int                    // more homes than this disqualify
	BusinessDisqualifies bool                   // a non-exempt registered business disqualifies
	Rounding             money.Rounding         // rounding of the final monthly amount
	MinPayment           money.Fen              // least monthly amount paid to an eligible household
	Mode                 Mode                   // gap or tiers
	Tiers                []Tier                 // hardship levels, lowest income first (tiers mode)
	Supplements          []Supplement           // 分类施保 categories
	StackSupplements     bool                   // a member meeting several categories gets all (true) or the highest (false)
	NearThresholdFactor  Permille               // 低保边缘: per-capita income < factor × standard
	SinglePerson         SinglePersonRule       // 单人保 rule
	SinglePersonShare    Permille               // share of the standard under SingleShare
	SinglePersonMaxGrade int                    // disability grades 1..this qualify for 单人保 (serious illness always does)
	Versions             map[string]string      // parameter name → version id, e.g. "standard.rural" → "130199000000/2026-01-01/v3"
}

// DefaultParams returns the SPEC §4 defaults with the 2026 demo standards
// (urban 900.00, rural 650.00). The supplement, tier and single-person
// values are demo values modelled on common county practice, not national
// rules: elderly (60 and over, the age of the Law on the Elderly) and minors
// get 10 % of the standard, severe disability (grades 1–2) and serious
// illness 20 %, highest category only; the tiers pay rural 580/400/200 and
// urban 800/550/300 yuan per person below 30 %, 60 % and 100 % of the
// standard. Each call returns fresh slices and map, so callers may edit.
func DefaultParams() Params {
	const v = "spec4-default"
	versions := make(map[string]string, len(paramNames))
	for _, n := range paramNames {
		versions[n] = v
	}
	versions[ParamStandardUrban] = "demo/2026-01-01"
	versions[ParamStandardRural] = "demo/2026-01-01"
	return Params{
		UrbanStandard:      900_00,
		RuralStandard:      650_00,
		IncomeWindowMonths: 12,
		ExcludedIncome: []household.IncomeKind{
			"veteran", "family_planning", "scholarship", "heroism", "assistance", "pension_central",
		},
		AssetMonths:          24,
		VehicleExemptValue:   0,
		MaxHomes:             1,
		BusinessDisqualifies: true,
		Rounding:             money.YuanHalfUp,
		MinPayment:           0,
		Mode:                 ModeGap,
		Tiers: []Tier{
			{Label: "一档", Below: 300, Urban: 800_00, Rural: 580_00},
			{Label: "二档", Below: 600, Urban: 550_00, Rural: 400_00},
			{Label: "三档", Below: 1000, Urban: 300_00, Rural: 200_00},
		},
		Supplements: []Supplement{
			{Code: "elderly", Label: "老年人", MinAge: 60, Share: 100},
			{Code: "minor", Label: "未成年人", MaxAge: 18, Share: 100},
			{Code: "disability", Label: "重度残疾人", MaxDisabilityGrade: 2, Share: 200},
			{Code: "illness", Label: "重病患者", SeriousIllness: true, Share: 200},
		},
		StackSupplements:     false,
		NearThresholdFactor:  1500,
		SinglePerson:         SingleStandard,
		SinglePersonShare:    1000,
		SinglePersonMaxGrade: 2,
		Versions:             versions,
	}
}

// StandardFor returns the standard for an urban or rural household and the
// name of the parameter it came from.
func (p Params) StandardFor(urban bool) (money.Fen, string) {
	if urban {
		return p.UrbanStandard, ParamStandardUrban
	}
	return p.RuralStandard, ParamStandardRural
}

// Bounds that catch typing errors in a parameter screen; no real standard,
// limit or supplement comes near them.
const (
	maxStandard    = money.Fen(10_000_00) // 10 000 yuan per person per month
	maxAssetMonths = 1200
	maxTiers       = 20
	maxSupplements = 20
)

// Validate checks the parameters and returns every problem at once as an
// errs.List with Chinese messages; the field is the parameter name.
func (p Params) Validate() error {
	var l errs.List
	for _, s := range []struct {
		name, label string
		v           money.Fen
	}{{ParamStandardUrban, "城市低保标准", p.UrbanStandard}, {ParamStandardRural, "农村低保标准", p.RuralStandard}} {
		switch {
		case s.v <= 0:
			l.Add(s.name, "%s必须大于0", s.label)
		case s.v > maxStandard:
			l.Add(s.name, "%s过大，请核对（每人每月不超过%s元）", s.label, maxStandard)
		}
	}
	if p.IncomeWindowMonths < 1 || p.IncomeWindowMonths > 12 {
		l.Add(ParamIncomeWindow, "收入计算期应为1至12个月")
	}
	// The lists are a handful of entries, so linear scans beat maps here;
	// Compute validates on every call.
	for i, k := range p.ExcludedIncome {
		switch {
		case household.LabelOf(household.IncomeKinds, string(k)) == string(k):
			l.Add(ParamExcludedIncome, "不计入收入的类别“%s”不存在", k)
		case slices.Contains(p.ExcludedIncome[:i], k):
			l.Add(ParamExcludedIncome, "不计入收入的类别“%s”重复", k.Label())
		}
	}
	if p.AssetMonths < 0 || p.AssetMonths > maxAssetMonths {
		l.Add(ParamAssetMonths, "金融资产限额月数应为0至%d", maxAssetMonths)
	}
	if p.VehicleExemptValue < 0 || p.VehicleExemptValue > maxItem {
		l.Add(ParamVehicleExemptValue, "车辆豁免价值应为0至1亿元")
	}
	if p.MaxHomes < 0 || p.MaxHomes > 100 {
		l.Add(ParamMaxHomes, "住房套数上限应为0至100")
	}
	if p.Rounding.Label() == "" {
		l.Add(ParamRounding, "取整方式无效")
	}
	if p.MinPayment < 0 {
		l.Add(ParamMinPayment, "最低发放额不能为负数")
	} else if p.MinPayment > min(p.UrbanStandard, p.RuralStandard) && p.UrbanStandard > 0 && p.RuralStandard > 0 {
		l.Add(ParamMinPayment, "最低发放额不能超过低保标准")
	}
	switch p.Mode {
	case ModeGap:
	case ModeTiers:
		if len(p.Tiers) == 0 {
			l.Add(ParamTiers, "分档发放须至少设置一档")
		}
	default:
		l.Add(ParamMode, "发放方式应为补差（gap）或分档（tiers）")
	}
	p.validateTiers(&l)
	p.validateSupplements(&l)
	if p.NearThresholdFactor < 1000 || p.NearThresholdFactor > 5000 {
		l.Add(ParamNearThreshold, "低保边缘倍数应为1至5倍")
	}
	switch p.SinglePerson {
	case SingleNone, SingleStandard:
	case SingleShare:
		if p.SinglePersonShare < 1 || p.SinglePersonShare > 1000 {
			l.Add(ParamSinglePerson, "单人保比例应为0.1%%至100%%")
		}
	default:
		l.Add(ParamSinglePerson, "单人保方式应为 none、standard 或 share")
	}
	if p.SinglePerson != SingleNone && (p.SinglePersonMaxGrade < 1 || p.SinglePersonMaxGrade > 4) {
		l.Add(ParamSinglePerson, "单人保残疾等级上限应为1至4级")
	}
	for k := range p.Versions {
		if _, ok := paramIndex[k]; !ok {
			l.Add("versions", "参数版本中的参数名“%s”不存在", k)
		}
	}
	return l.Err()
}

func (p Params) validateTiers(l *errs.List) {
	if len(p.Tiers) > maxTiers {
		l.Add(ParamTiers, "分档不能超过%d档", maxTiers)
		return
	}
	for i, t := range p.Tiers {
		n := i + 1
		if strings.TrimSpace(t.Label) == "" {
			l.Add(ParamTiers, "第%d档缺少名称", n)
		}
		if t.Below < 1 || t.Below > 1000 {
			l.Add(ParamTiers, "第%d档的收入上限应为标准的0.1%%至100%%", n)
		}
		if t.Urban < 0 || t.Rural < 0 || t.Urban > maxStandard || t.Rural > maxStandard {
			l.Add(ParamTiers, "第%d档的金额应为0至%s元", n, maxStandard)
		}
		if i == 0 {
			continue
		}
		// Ordered bands with amounts that never rise as income rises: the
		// tier of a richer household never pays more than a poorer one's.
		prev := p.Tiers[i-1]
		if t.Below <= prev.Below {
			l.Add(ParamTiers, "第%d档的收入上限须高于第%d档", n, i)
		}
		if t.Urban > prev.Urban || t.Rural > prev.Rural {
			l.Add(ParamTiers, "第%d档的金额不能高于第%d档", n, i)
		}
	}
	// Every eligible household (per-capita below the standard) must land in
	// a tier, and no tier may reach above the standard.
	if k := len(p.Tiers); k > 0 && p.Tiers[k-1].Below != 1000 {
		l.Add(ParamTiers, "最后一档的收入上限须等于低保标准（100%%）")
	}
}

func (p Params) validateSupplements(l *errs.List) {
	if len(p.Supplements) > maxSupplements {
		l.Add(ParamSupplements, "分类施保类别不能超过%d个", maxSupplements)
		return
	}
	for i, s := range p.Supplements {
		n := i + 1
		switch {
		case strings.TrimSpace(s.Code) == "" || strings.TrimSpace(s.Label) == "":
			l.Add(ParamSupplements, "第%d个分类施保类别缺少代码或名称", n)
		case slices.ContainsFunc(p.Supplements[:i], func(o Supplement) bool { return o.Code == s.Code }):
			l.Add(ParamSupplements, "分类施保类别代码“%s”重复", s.Code)
		}
		if s.MinAge < 0 || s.MinAge > 150 || s.MaxAge < 0 || s.MaxAge > 150 {
			l.Add(ParamSupplements, "第%d个分类施保类别的年龄应为0至150岁", n)
		} else if s.MinAge > 0 && s.MaxAge > 0 && s.MinAge >= s.MaxAge {
			l.Add(ParamSupplements, "第%d个分类施保类别的年龄下限须小于上限", n)
		}
		if s.MaxDisabilityGrade < 0 || s.MaxDisabilityGrade > 4 {
			l.Add(ParamSupplements, "第%d个分类施保类别的残疾等级应为1至4级", n)
		}
		if !s.ageBased() && s.MaxDisabilityGrade == 0 && !s.SeriousIllness {
			l.Add(ParamSupplements, "第%d个分类施保类别未设置任何条件", n)
		}
		if s.Fixed < 0 || s.Fixed > maxStandard || s.Share < 0 || s.Share > 1000 {
			l.Add(ParamSupplements, "第%d个分类施保类别的金额应为0至%s元、比例0至100%%", n, maxStandard)
		} else if s.Fixed == 0 && s.Share == 0 {
			l.Add(ParamSupplements, "第%d个分类施保类别的金额为0", n)
		}
	}
}
