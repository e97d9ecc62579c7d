package practical

import (
	"slices"
	"strconv"
	"strings"

	"dibao/internal/casework"
	"dibao/internal/household"
	"dibao/internal/money"
)

// Performance is what the trainee did, read from the sandbox case when the
// run finishes.
type Performance struct {
	FinalState       string
	StateLabel       string
	Deficiencies     []string // material codes the deficiency notice listed (empty if none issued)
	NoticeIssued     bool     // a deficiency notice was issued (the return transition)
	Reason           string   // the refusal or rejection reason and report reasoning, joined
	Investigators    int      // distinct investigators over the home visits
	MinInvestigators int      // the policy minimum
	PublicityStart   string   // the publicity period as recorded ("" if never publicised)
	PublicityEnd     string
	PublicityClosed  bool // the period was closed by the engine's publicity_elapsed guard
	Expected         money.Fen
	Declared         money.Fen // -1 when the trainee gave none
	CaseAmount       money.Fen // the amount frozen on the case
	Minutes          int       // time taken, whole minutes (rounded up)
}

// Item is one line of a score breakdown.
type Item struct {
	Code     string
	Kind     string // auto, rubric
	Label    string
	Expected string
	Done     string
	Points   int
	Max      int
}

var itemLabels = map[string]string{
	ItemOutcome:      "办理结果正确",
	ItemReason:       "理由正确",
	ItemDeficiency:   "一次性告知材料完整准确",
	ItemInvestigator: "入户调查人员人数",
	ItemPublicity:    "公示期满后方结束公示",
	ItemAmount:       "保障金额核定（误差不超过1元）",
	ItemTime:         "用时",
}

// itemOrder is the order of automatic items in a breakdown.
var itemOrder = []string{ItemOutcome, ItemReason, ItemDeficiency, ItemInvestigator, ItemPublicity, ItemAmount, ItemTime}

func materialLabels(codes []string) string {
	if len(codes) == 0 {
		return "（无）"
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = household.LabelOf(casework.Materials, c)
	}
	return strings.Join(out, "、")
}

// Auto scores the automatic items of sc for perf. Pure: the same inputs
// always give the same breakdown.
func Auto(sc Scenario, perf Performance) []Item {
	var out []Item
	for _, code := range itemOrder {
		w, ok := sc.Weights[code]
		if !ok {
			continue
		}
		it := Item{Code: code, Kind: "auto", Label: itemLabels[code], Max: w}
		switch code {
		case ItemOutcome:
			it.Expected = sc.OutcomeLabel
			it.Done = perf.StateLabel
			if it.Done == "" {
				it.Done = perf.FinalState
			}
			if slices.Contains(sc.Outcome, perf.FinalState) {
				it.Points = w
			}
		case ItemReason:
			it.Expected = sc.ReasonLabel
			it.Done = clip(perf.Reason, 60)
			if it.Done == "" {
				it.Done = "（未写明理由）"
			}
			if slices.Contains(sc.Outcome, perf.FinalState) && slices.ContainsFunc(sc.ReasonWords, func(w string) bool {
				return strings.Contains(perf.Reason, w)
			}) {
				it.Points = w
			}
		case ItemDeficiency:
			it.Expected = materialLabels(sc.Deficiencies)
			if !perf.NoticeIssued {
				it.Done = "未出具补正告知"
				break
			}
			it.Done = materialLabels(perf.Deficiencies)
			it.Points = DeficiencyPoints(sc.Deficiencies, perf.Deficiencies, w)
		case ItemInvestigator:
			it.Expected = "至少 " + strconv.Itoa(perf.MinInvestigators) + " 名不同的调查人员"
			it.Done = strconv.Itoa(perf.Investigators) + " 名"
			if perf.Investigators >= perf.MinInvestigators && perf.MinInvestigators > 0 {
				it.Points = w
			}
		case ItemPublicity:
			it.Expected = "张榜公示并在公示期满后结束"
			switch {
			case perf.PublicityStart == "":
				it.Done = "未公示"
			case !perf.PublicityClosed:
				it.Done = "公示 " + perf.PublicityStart + " 至 " + perf.PublicityEnd + "，未结束"
			default:
				it.Done = "公示 " + perf.PublicityStart + " 至 " + perf.PublicityEnd + "，期满后结束"
				it.Points = w
			}
		case ItemAmount:
			it.Expected = perf.Expected.Yuan() + " 元/月"
			if perf.Declared < 0 {
				it.Done = "未填写"
				break
			}
			it.Done = perf.Declared.Yuan() + " 元/月"
			if AmountWithin(perf.Expected, perf.Declared) && (perf.CaseAmount == 0 || AmountWithin(perf.Expected, perf.CaseAmount)) &&
				slices.Contains(sc.Outcome, perf.FinalState) {
				it.Points = w
			}
		case ItemTime:
			it.Expected = "不超过 " + strconv.Itoa(sc.TargetMinutes) + " 分钟"
			it.Done = strconv.Itoa(perf.Minutes) + " 分钟"
			// Time counts only for work that reached the right outcome:
			// finishing fast with the wrong result earns nothing.
			if slices.Contains(sc.Outcome, perf.FinalState) {
				it.Points = TimePoints(perf.Minutes, sc.TargetMinutes, w)
			}
		}
		out = append(out, it)
	}
	return out
}

// DeficiencyPoints scores a deficiency notice: full marks when it lists
// exactly the expected materials; otherwise each expected material listed
// earns its share and each material listed wrongly costs one share, never
// below zero. Example: expected {a, b}, listed {a, c}, weight 30 → (1 − 1)
// × 15 = 0; listed {a} → 15.
func DeficiencyPoints(expected, listed []string, weight int) int {
	if len(expected) == 0 {
		if len(listed) == 0 {
			return weight
		}
		return 0
	}
	hits, extra := 0, 0
	seen := map[string]bool{}
	for _, c := range listed {
		if seen[c] {
			continue
		}
		seen[c] = true
		if slices.Contains(expected, c) {
			hits++
		} else {
			extra++
		}
	}
	n := hits - extra
	if n <= 0 {
		return 0
	}
	return weight * n / len(expected)
}

// AmountWithin reports whether got is within AmountTolerance of want.
func AmountWithin(want, got money.Fen) bool {
	d := want - got
	if d < 0 {
		d = -d
	}
	return d <= AmountTolerance
}

// TimePoints scores time taken: full marks up to the target, then falling
// linearly to zero at twice the target (rounded down). Example: target 10,
// weight 20: 10 min → 20, 15 min → 10, 20 min or more → 0.
func TimePoints(minutes, target, weight int) int {
	if target <= 0 || minutes <= target {
		return weight
	}
	over := minutes - target
	if over >= target {
		return 0
	}
	return weight * (target - over) / target
}

// Total sums a breakdown.
func Total(items []Item) int {
	n := 0
	for _, it := range items {
		n += it.Points
	}
	return n
}

// Passed applies the pass mark (policy practical_pass).
func Passed(total, pass int) bool { return total >= pass }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
