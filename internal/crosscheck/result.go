package crosscheck

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
)

// category is what one result row says about a person and a source: an
// income, a property, nothing found (无记录) or not checked (未核对).
type category int

const (
	catIncome category = iota + 1
	catProperty
	catNone
	catUnchecked
)

// categoryNames are the values of the 类别 column; the first of each is
// what WriteResultCSV writes, the second the code the JSON API uses.
var categoryNames = map[category][]string{
	catIncome:    {"收入", "income"},
	catProperty:  {"财产", "property"},
	catNone:      {"无记录", "none"},
	catUnchecked: {"未核对", "unchecked"},
}

func parseCategory(s string) (category, bool) {
	for c, names := range categoryNames {
		for _, n := range names {
			if s == n {
				return c, true
			}
		}
	}
	return 0, false
}

// sourceRule says which categories a source can yield and the household
// kind suggested when the platform does not name one: a vehicle register
// cannot report income, a tax record cannot report property.
type sourceRule struct {
	income   household.IncomeKind   // "" if the source never reports income
	property household.PropertyKind // "" if the source never reports property
}

var sourceRules = map[Source]sourceRule{
	SocialInsurance: {income: "pension"},
	HousingFund:     {income: "wage", property: "other"},
	Business:        {income: "business", property: "business"},
	Vehicle:         {property: "vehicle"},
	RealEstate:      {income: "property", property: "house"},
	Deposit:         {income: "property", property: "deposit"},
	Securities:      {income: "property", property: "securities"},
	Tax:             {income: "wage"},
}

// Limits on one result.
const (
	maxDescriptionRunes = 200
	maxMonths           = 12
	maxQuantity         = 1000
)

// MaxItemAmount bounds one amount (100 million yuan), as for a household's
// own items; anything larger is a corrupted file.
const MaxItemAmount = money.Fen(100_000_000_00)

// rawResult is one result as the platform sent it, all strings, so that the
// CSV and JSON readers share one set of rules and messages.
type rawResult struct {
	requestID, idNumber, source, category, kind, description, amount, months, quantity string
}

// Column keys, shared by the CSV header and the error locations.
const (
	colRequestID   = "request_id"
	colIDNumber    = "id_number"
	colSource      = "source"
	colCategory    = "category"
	colKind        = "kind"
	colDescription = "description"
	colAmount      = "amount"
	colMonths      = "months"
	colQuantity    = "quantity"
)

// colNames are the short Chinese column names used in messages.
var colNames = map[string]string{
	colRequestID:   "请求编号",
	colIDNumber:    "公民身份号码",
	colSource:      "核对项目",
	colCategory:    "类别",
	colKind:        "类型",
	colDescription: "说明",
	colAmount:      "金额",
	colMonths:      "月数",
	colQuantity:    "数量",
}

// locator turns a column key into the error's field and the message prefix
// that says where the problem is ("第5行“金额”列：").
type locator func(col string) (field, prefix string)

// parsedResult is a validated row.
type parsedResult struct {
	requestID string
	cat       category
	check     Check
	finding   Finding // when cat is income or property
	reason    string  // when cat is unchecked
}

var sciNotation = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?[Ee][+]?[0-9]+$`)

// Messages for result rows; exported where a caller may want to match them.
const (
	MsgSciNotation = "身份证号被Excel转成了科学计数法，后几位已经丢失；请重新下载平台原始文件，不要用Excel打开后保存"
	MsgAmountLarge = "金额过大，请核对（单项不超过1亿元）"
)

// validateResult applies every rule to one result and adds each problem to
// l, located by loc. today bounds the birth date in ID numbers.
func validateResult(raw rawResult, loc locator, l *errs.List, today time.Time) (parsedResult, bool) {
	n := len(*l)
	add := func(col, format string, args ...any) {
		field, prefix := loc(col)
		l.Add(field, "%s", prefix+fmt.Sprintf(format, args...))
	}
	var p parsedResult

	switch p.requestID = strings.TrimSpace(raw.requestID); {
	case p.requestID == "":
		add(colRequestID, "请填写请求编号")
	case !validRequestID(p.requestID):
		add(colRequestID, "请求编号“%s”格式不正确", quote(p.requestID))
	}

	// Exports meant for Excel often keep an ID as text with a leading
	// apostrophe or tab; the tab is space, the apostrophe is dropped here.
	idText := strings.TrimPrefix(strings.TrimSpace(raw.idNumber), "'")
	if sciNotation.MatchString(idText) {
		add(colIDNumber, MsgSciNotation)
	} else if id, err := idcard.Parse(idText, today); err != nil {
		add(colIDNumber, "%s", errs.As(err).Message)
	} else {
		p.check.IDNumber = id
	}

	src, err := ParseSource(raw.source)
	if err != nil {
		add(colSource, "%s", errs.As(err).Message)
	}
	p.check.Source = src
	rule, knownSource := sourceRules[src]

	cat, ok := parseCategory(strings.TrimSpace(raw.category))
	switch {
	case strings.TrimSpace(raw.category) == "":
		add(colCategory, "请填写类别（收入、财产、无记录或未核对）")
	case !ok:
		add(colCategory, "类别应为收入、财产、无记录或未核对，不能是“%s”", quote(raw.category))
	case knownSource && cat == catIncome && rule.income == "":
		add(colCategory, "“%s”只能核对出财产，不能是收入", src.Label())
	case knownSource && cat == catProperty && rule.property == "":
		add(colCategory, "“%s”只能核对出收入，不能是财产", src.Label())
	}
	p.cat = cat

	desc := unescapeCell(strings.TrimSpace(raw.description))
	switch {
	case utf8.RuneCountInString(desc) > maxDescriptionRunes:
		add(colDescription, "说明不能超过%d个字", maxDescriptionRunes)
	case hasControl(desc):
		add(colDescription, "说明含有不允许的字符")
	}

	kind := strings.TrimSpace(raw.kind)
	amount := strings.TrimSpace(raw.amount)
	months := strings.TrimSpace(raw.months)
	qty := strings.TrimSpace(raw.quantity)

	switch cat {
	case catIncome, catProperty:
		f := &p.finding
		f.IDNumber, f.Source, f.Description = p.check.IDNumber, src, desc
		if cat == catIncome {
			f.Kind = KindIncome
			f.IncomeKind = rule.income
			if kind != "" {
				if k, ok := lookupKind(household.IncomeKinds, kind); ok {
					f.IncomeKind = household.IncomeKind(k)
				} else if _, isProp := lookupKind(household.PropertyKinds, kind); isProp {
					add(colKind, "“%s”是财产类型，收入行应填写收入类型", quote(kind))
				} else {
					add(colKind, "无法识别的收入类型“%s”", quote(kind))
				}
			}
		} else {
			f.Kind = KindProperty
			f.PropertyKind = rule.property
			if kind != "" {
				if k, ok := lookupKind(household.PropertyKinds, kind); ok {
					f.PropertyKind = household.PropertyKind(k)
				} else if _, isInc := lookupKind(household.IncomeKinds, kind); isInc {
					add(colKind, "“%s”是收入类型，财产行应填写财产类型", quote(kind))
				} else {
					add(colKind, "无法识别的财产类型“%s”", quote(kind))
				}
			}
		}
		if amount == "" {
			add(colAmount, "请填写金额")
		} else if v, err := money.Parse(amount); err != nil {
			add(colAmount, "%s", errs.As(err).Message)
		} else if v > MaxItemAmount {
			add(colAmount, MsgAmountLarge)
		} else if v == 0 && cat == catIncome {
			add(colAmount, "收入金额应大于0")
		} else {
			f.Amount = v
		}
		if cat == catIncome {
			if months == "" {
				add(colMonths, "收入请填写月数（1至%d）", maxMonths)
			} else if m, ok := intIn(months, 1, maxMonths); !ok {
				add(colMonths, "月数应为1至%d的整数", maxMonths)
			} else {
				f.Months = m
			}
			if !emptyOrZero(qty) {
				add(colQuantity, "收入不填写数量")
			}
		} else {
			f.Quantity = 1
			if qty != "" {
				if q, ok := intIn(qty, 1, maxQuantity); !ok {
					add(colQuantity, "数量应为1至%d的整数", maxQuantity)
				} else {
					f.Quantity = q
				}
			}
			if !emptyOrZero(months) {
				add(colMonths, "财产不填写月数")
			}
		}
	case catNone, catUnchecked:
		word := categoryNames[cat][0]
		if kind != "" {
			add(colKind, "“%s”不填写类型", word)
		}
		if amount != "" {
			add(colAmount, "“%s”不填写金额", word)
		}
		if !emptyOrZero(months) {
			add(colMonths, "“%s”不填写月数", word)
		}
		if !emptyOrZero(qty) {
			add(colQuantity, "“%s”不填写数量", word)
		}
		if cat == catUnchecked {
			p.reason = desc
			if p.reason == "" {
				p.reason = "平台未说明原因"
			}
		}
	}
	return p, len(*l) == n
}

// lookupKind finds a household kind by code or label.
func lookupKind(list []household.Enum, s string) (string, bool) {
	for _, e := range list {
		if s == e.Code || s == e.Label {
			return e.Code, true
		}
	}
	return "", false
}

func intIn(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

func emptyOrZero(s string) bool { return s == "" || s == "0" }

// escapeCell neutralises a value that Excel would run as a formula by
// prefixing an apostrophe (the OWASP advice for CSV injection). A value
// that already looks escaped gets one more, so that unescapeCell, which
// removes exactly one, makes the pair an exact round trip.
func escapeCell(s string) string {
	if formulaLike(s, 0) {
		return "'" + s
	}
	return s
}

func unescapeCell(s string) string {
	if formulaLike(s, 1) {
		return s[1:]
	}
	return s
}

// formulaLike reports whether s is at least minQuotes apostrophes followed
// by a formula character.
func formulaLike(s string, minQuotes int) bool {
	t := strings.TrimLeft(s, "'")
	return len(s)-len(t) >= minQuotes && t != "" && strings.ContainsRune("=+-@", rune(t[0]))
}

// findingRaw is the inverse of validateResult for a finding, used by the
// writers so that whatever they write reads back identically.
func findingRaw(requestID string, f Finding) rawResult {
	r := rawResult{
		requestID:   requestID,
		idNumber:    string(f.IDNumber),
		source:      f.Source.Label(),
		description: f.Description,
		amount:      f.Amount.String(),
	}
	switch f.Kind {
	case KindIncome:
		r.category = categoryNames[catIncome][0]
		r.kind = f.IncomeKind.Label()
		r.months = strconv.Itoa(f.Months)
	case KindProperty:
		r.category = categoryNames[catProperty][0]
		r.kind = f.PropertyKind.Label()
		r.quantity = strconv.Itoa(f.Quantity)
	default:
		r.category = string(f.Kind)
	}
	return r
}

// assembler groups validated results into reports, detecting duplicates
// and contradictions between results about the same person and source.
type assembler struct {
	reports []*Report
	byID    map[string]*Report
	rows    map[parsedResult]int // exact duplicates: result → first position
	pairs   map[pairKey]pairState
	where   func(pos int) string // "第5行" or "第3条结果", for messages
}

type pairKey struct {
	requestID string
	check     Check
}

type pairState struct {
	pos int
	cat category
}

func newAssembler(where func(int) string) *assembler {
	return &assembler{
		byID:  map[string]*Report{},
		rows:  map[parsedResult]int{},
		pairs: map[pairKey]pairState{},
		where: where,
	}
}

// add files a valid result found at pos, or reports why it cannot be.
func (a *assembler) add(p parsedResult, pos int, loc locator, l *errs.List) {
	field, prefix := loc("")
	if first, dup := a.rows[p]; dup {
		l.Add(field, "%s与%s完全相同，重复的结果会被重复计算", prefix, a.where(first))
		return
	}
	a.rows[p] = pos
	key := pairKey{p.requestID, p.check}
	finding := p.cat == catIncome || p.cat == catProperty
	st, seen := a.pairs[key]
	if seen {
		stFinding := st.cat == catIncome || st.cat == catProperty
		if !(finding && stFinding) {
			l.Add(field, "%s与%s矛盾：同一人员的“%s”不能既是“%s”又是“%s”", prefix, a.where(st.pos),
				p.check.Source.Label(), categoryNames[st.cat][0], categoryNames[p.cat][0])
			return
		}
	} else {
		a.pairs[key] = pairState{pos: pos, cat: p.cat}
	}
	r := a.byID[p.requestID]
	if r == nil {
		r = &Report{RequestID: p.requestID}
		a.byID[p.requestID] = r
		a.reports = append(a.reports, r)
	}
	switch p.cat {
	case catIncome, catProperty:
		r.Findings = append(r.Findings, p.finding)
		if !seen {
			r.Checked = append(r.Checked, p.check)
		}
	case catNone:
		r.Checked = append(r.Checked, p.check)
	case catUnchecked:
		r.Gaps = append(r.Gaps, Gap{IDNumber: p.check.IDNumber, Source: p.check.Source, Reason: p.reason})
	}
}

// finish returns the reports in order of first appearance with their
// derived status.
func (a *assembler) finish() []Report {
	out := make([]Report, len(a.reports))
	for i, r := range a.reports {
		r.Status = statusOf(len(r.Checked) > 0, len(r.Gaps) > 0)
		out[i] = *r
	}
	return out
}
