package policy

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"dibao/internal/errs"
	"dibao/internal/money"
)

// Value is a parsed parameter value. Its String is the canonical text
// stored in the database, so parsing a stored value and printing it again
// gives the same bytes.
type Value struct {
	kind  Kind
	n     int64  // Int; Decimal scaled by 10^scale; Money in fen; Bool 0/1
	code  string // Enum
	scale int    // Decimal
}

// Kind is the value's type.
func (v Value) Kind() Kind { return v.kind }

// String is the canonical form: "7", "0.30", "900.00", "on_objection", "true".
func (v Value) String() string {
	switch v.kind {
	case Int:
		return strconv.FormatInt(v.n, 10)
	case Decimal:
		return formatScaled(v.n, v.scale)
	case Money:
		return money.Fen(v.n).String()
	case Enum, List:
		return v.code
	case Bool:
		return strconv.FormatBool(v.n == 1)
	}
	return ""
}

// List is a List value's codes in order (nil for other kinds).
func (v Value) List() []string {
	if v.kind != List || v.code == "" {
		return nil
	}
	return strings.Split(v.code, ",")
}

// Rate is an exact decimal fraction Num/Den with Den a power of ten
// (0.30 is 30/100), so shares of money and counts never go through floats.
type Rate struct{ Num, Den int64 }

// String is the decimal form with as many places as Den has zeros: "0.30".
func (r Rate) String() string {
	scale := 0
	for d := r.Den; d > 1; d /= 10 {
		scale++
	}
	return formatScaled(r.Num, scale)
}

// BasisPoints is the rate in ten-thousandths (0.30 → 3000), exact for the
// two-place rates of the registry.
func (r Rate) BasisPoints() int64 { return r.Num * 10000 / r.Den }

// OfFen is f × rate rounded once by mode (e.g. 1.5 × standard).
func (r Rate) OfFen(f money.Fen, mode money.Rounding) money.Fen {
	return money.MulDivRound(f, r.Num, r.Den, mode)
}

// CeilOf is ⌈n × rate⌉, e.g. the spot-check sample size of n recipients:
// 30% of 7 households is 3, never 2.
func (r Rate) CeilOf(n int64) int64 {
	p := new(big.Int).Mul(big.NewInt(n), big.NewInt(r.Num))
	d := big.NewInt(r.Den)
	q, m := new(big.Int).QuoRem(p, d, new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

// Parse validates raw for the parameter name and returns its value; the
// Chinese error names the parameter and its allowed range or choices.
// Input is read as people type it: spaces, full-width digits, "30%" for a
// rate, "900元" for money, the Chinese label of a choice, 是/否.
func Parse(name, raw string) (Value, error) {
	d, ok := registry[name]
	if !ok {
		return Value{}, errs.Invalidf("name", "未知的政策参数：%s", name)
	}
	return d.parse(raw, true)
}

// parseStored reads a value from the database. Ranges are not enforced: a
// later release may narrow a range, and history written under the old one
// must still resolve to what was in force.
func (d *Def) parseStored(raw string) (Value, error) { return d.parse(raw, false) }

func (d *Def) parse(raw string, checkRange bool) (Value, error) {
	s := normalise(raw)
	if s == "" {
		return Value{}, errs.Invalidf("value", "请填写「%s」", d.Label)
	}
	switch d.Kind {
	case Int:
		return d.parseInt(s, checkRange)
	case Decimal:
		return d.parseDecimal(s, checkRange)
	case Money:
		return d.parseMoney(s, checkRange)
	case Enum:
		for _, c := range d.Choices {
			if s == c.Code || s == c.Label {
				return Value{kind: Enum, code: c.Code}, nil
			}
		}
		opts := make([]string, len(d.Choices))
		for i, c := range d.Choices {
			opts[i] = fmt.Sprintf("%s（%s）", c.Label, c.Code)
		}
		return Value{}, errs.Invalidf("value", "「%s」只能选择：%s", d.Label, strings.Join(opts, "、"))
	case Bool:
		switch strings.ToLower(s) {
		case "true", "1", "yes", "on", "是":
			return Value{kind: Bool, n: 1}, nil
		case "false", "0", "no", "off", "否":
			return Value{kind: Bool, n: 0}, nil
		}
		return Value{}, errs.Invalidf("value", "「%s」只能为“是”或“否”", d.Label)
	case List:
		return d.parseList(s)
	}
	return Value{}, errs.Invalidf("value", "「%s」的类型未定义", d.Label)
}

// parseList reads an ordered list of choices separated by commas (either
// width), 、 or spaces, each a code or its Chinese label; every item must be
// known and appear once.
func (d *Def) parseList(s string) (Value, error) {
	items := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ';' || r == '；' || r == ' ' || r == '\t'
	})
	var codes []string
	var l errs.List
	for _, it := range items {
		code := ""
		for _, c := range d.Choices {
			if strings.EqualFold(it, c.Code) || it == c.Label {
				code = c.Code
			}
		}
		switch {
		case code == "":
			opts := make([]string, len(d.Choices))
			for i, c := range d.Choices {
				opts[i] = fmt.Sprintf("%s（%s）", c.Label, c.Code)
			}
			l.Add("value", "「%s」中的“%s”不是可选项，可选：%s", d.Label, it, strings.Join(opts, "、"))
		case slices.Contains(codes, code):
			l.Add("value", "「%s」中的“%s”重复出现", d.Label, it)
		default:
			codes = append(codes, code)
		}
	}
	if err := l.Err(); err != nil {
		return Value{}, err
	}
	if len(codes) == 0 {
		return Value{}, errs.Invalidf("value", "请填写「%s」", d.Label)
	}
	return Value{kind: List, code: strings.Join(codes, ",")}, nil
}

// unit is the unit with a leading space, or "".
func (d *Def) unit() string {
	if d.Unit == "" {
		return ""
	}
	return " " + d.Unit
}

func (d *Def) intRange() string {
	return fmt.Sprintf("取值范围为 %d 至 %d%s", d.Min, d.Max, d.unit())
}

func (d *Def) parseInt(s string, checkRange bool) (Value, error) {
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	// Nine digits is far beyond any range and cannot overflow.
	if s == "" || len(s) > 9 || !allDigits(s) {
		return Value{}, errs.Invalidf("value", "「%s」应为整数，%s", d.Label, d.intRange())
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	if neg {
		n = -n
	}
	if checkRange && (n < d.Min || n > d.Max) {
		return Value{}, errs.Invalidf("value", "「%s」不能为 %d，%s", d.Label, n, d.intRange())
	}
	return Value{kind: Int, n: n}, nil
}

func (d *Def) decimalRange() string {
	return fmt.Sprintf("取值范围为 %s 至 %s%s，最多 %d 位小数", formatScaled(d.Min, d.Scale), formatScaled(d.Max, d.Scale),
		d.unit(), d.Scale)
}

// parseDecimal reads "0.3", "0.30", ".3", "30%" exactly: the number is
// digits and a point, never a float, and digits beyond the scale must be
// zeros (rounding a policy rate silently would change it).
func (d *Def) parseDecimal(s string, checkRange bool) (Value, error) {
	bad := func() (Value, error) {
		return Value{}, errs.Invalidf("value", "「%s」应为数字，%s", d.Label, d.decimalRange())
	}
	pct := strings.HasSuffix(s, "%")
	if pct {
		s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	}
	if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	if strings.HasPrefix(s, "-") {
		return Value{}, errs.Invalidf("value", "「%s」不能为负数，%s", d.Label, d.decimalRange())
	}
	whole, frac, dot := strings.Cut(s, ".")
	if (whole == "" && frac == "") || (dot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return bad()
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 9 {
		return Value{}, errs.Invalidf("value", "「%s」超出范围，%s", d.Label, d.decimalRange())
	}
	places := len(frac)
	digits := whole + frac
	if pct {
		places += 2
	}
	// Drop zeros beyond the scale; any other digit there is too precise.
	for places > d.Scale && strings.HasSuffix(digits, "0") {
		digits = digits[:len(digits)-1]
		places--
	}
	if places > d.Scale && digits != "" {
		return Value{}, errs.Invalidf("value", "「%s」小数位数过多，%s", d.Label, d.decimalRange())
	}
	var n int64
	if digits != "" {
		n, _ = strconv.ParseInt(digits, 10, 64)
	}
	for ; places < d.Scale; places++ {
		n *= 10
	}
	if checkRange && (n < d.Min || n > d.Max) {
		return Value{}, errs.Invalidf("value", "「%s」不能为 %s，%s", d.Label, formatScaled(n, d.Scale), d.decimalRange())
	}
	return Value{kind: Decimal, n: n, scale: d.Scale}, nil
}

func (d *Def) moneyRange() string {
	return fmt.Sprintf("取值范围为 %s 至 %s 元", money.Fen(d.Min).String(), money.Fen(d.Max).String())
}

func (d *Def) parseMoney(s string, checkRange bool) (Value, error) {
	f, err := money.Parse(s)
	if err != nil {
		return Value{}, errs.Invalidf("value", "「%s」%s，%s", d.Label, errs.As(err).Message, d.moneyRange())
	}
	if checkRange && (int64(f) < d.Min || int64(f) > d.Max) {
		return Value{}, errs.Invalidf("value", "「%s」不能为 %s 元，%s", d.Label, f.String(), d.moneyRange())
	}
	return Value{kind: Money, n: int64(f)}, nil
}

// normalise trims spaces and maps the full-width characters of Chinese
// input methods to ASCII.
func normalise(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '．':
			return '.'
		case r == '％':
			return '%'
		case r == '＋':
			return '+'
		case r == '－', r == '−':
			return '-'
		case r == '　':
			return ' '
		}
		return r
	}, s))
}

// formatScaled prints n / 10^scale with exactly scale places.
func formatScaled(n int64, scale int) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	if scale > 0 {
		for len(s) <= scale {
			s = "0" + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
