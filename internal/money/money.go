// Package money handles amounts as integer fen (0.01 yuan) so that sums and
// comparisons are exact; floats never appear. It parses what people type,
// formats for screens and prints the Chinese upper-case amount for vouchers.
package money

import (
	"strings"

	"dibao/internal/errs"
)

// Fen is an amount in fen, the smallest unit of the yuan.
type Fen int64

// MaxAbs bounds every parsed amount and every Upper (10 trillion yuan): far
// above any real budget, so larger input is a typo, and it keeps sums of
// thousands of amounts well below int64 overflow.
const MaxAbs Fen = 10_000_000_000_000_00

// Messages shown to the user; exported so that callers and tests can match
// them without copying the text.
const (
	MsgEmpty    = "请填写金额"
	MsgFormat   = "金额格式不正确"
	MsgDecimals = "金额最多保留两位小数"
	MsgTooLarge = "金额过大"
	MsgNegative = "金额不能为负数"
)

// FromYuan converts whole yuan, for constants and configuration. It panics
// if the result would overflow, since that can only be a programming error.
func FromYuan(y int64) Fen {
	const limit = 1<<63/100 - 1
	if y > limit || y < -limit {
		panic("money.FromYuan: overflow")
	}
	return Fen(y * 100)
}

// Parse reads a non-negative amount in yuan as people type it: "1234",
// "1,234.5", "+0.05", ".5", "12元", "￥12", full-width digits. Amounts are
// never rounded: more than two decimals is an error unless the extra digits
// are zeros ("1.230"). "1." is rejected because it usually means the input
// was cut off.
func Parse(s string) (Fen, error) {
	f, err := ParseSigned(s)
	if err != nil {
		return 0, err
	}
	if f < 0 {
		return 0, errs.Invalidf("", MsgNegative)
	}
	return f, nil
}

// ParseSigned is Parse that also accepts a leading minus sign, for
// adjustments and corrections.
func ParseSigned(s string) (Fen, error) {
	s = normalise(s)
	if s == "" {
		return 0, errs.Invalidf("", MsgEmpty)
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if hasDot && frac == "" {
		return 0, errs.Invalidf("", MsgFormat)
	}
	if intPart == "" && !hasDot {
		return 0, errs.Invalidf("", MsgFormat)
	}
	digits, ok := ungroup(intPart)
	if !ok || !allDigits(frac) {
		return 0, errs.Invalidf("", MsgFormat)
	}
	// Zeros after the fen digit change nothing, so accept them.
	if len(frac) > 2 {
		if strings.Trim(frac[2:], "0") != "" {
			return 0, errs.Invalidf("", MsgDecimals)
		}
		frac = frac[:2]
	}
	var v int64
	for i := 0; i < len(digits); i++ {
		v = v*10 + int64(digits[i]-'0')
		if v > int64(MaxAbs/100) {
			return 0, errs.Invalidf("", MsgTooLarge)
		}
	}
	v *= 100
	if len(frac) > 0 {
		v += int64(frac[0]-'0') * 10
	}
	if len(frac) > 1 {
		v += int64(frac[1] - '0')
	}
	if v > int64(MaxAbs) {
		return 0, errs.Invalidf("", MsgTooLarge)
	}
	if neg {
		v = -v
	}
	return Fen(v), nil
}

// ungroup strips thousands separators, insisting on groups of exactly three
// so that "1,5" (a decimal comma in some locales) is not read as fifteen.
func ungroup(s string) (string, bool) {
	if !strings.Contains(s, ",") {
		return s, allDigits(s)
	}
	groups := strings.Split(s, ",")
	if n := len(groups[0]); n < 1 || n > 3 || !allDigits(groups[0]) {
		return "", false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || !allDigits(g) {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

// normalise trims spaces and the currency sign or 元 around the number and
// maps full-width characters from Chinese input methods to ASCII.
func normalise(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '，':
			return ','
		case r == '．':
			return '.'
		case r == '＋':
			return '+'
		case r == '－', r == '−':
			return '-'
		}
		return r
	}, strings.TrimSpace(s))
	s = strings.TrimSpace(strings.TrimSuffix(s, "元"))
	if t, ok := strings.CutPrefix(s, "¥"); ok {
		s = strings.TrimSpace(t)
	} else if t, ok := strings.CutPrefix(s, "￥"); ok {
		s = strings.TrimSpace(t)
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

// abs is |f| as uint64, correct even for the most negative Fen.
func (f Fen) abs() uint64 {
	if f < 0 {
		return -uint64(f)
	}
	return uint64(f)
}

// String is the plain form for inputs, exports and logs: "1234.50",
// "-0.05"; Parse reads it back.
func (f Fen) String() string { return f.format(false) }

// Yuan is the form for screens and printouts, with thousands separators:
// "1,234.50"; Parse reads it back.
func (f Fen) Yuan() string { return f.format(true) }

func (f Fen) format(group bool) string {
	a := f.abs()
	whole := uitoa(a / 100)
	if group {
		var b strings.Builder
		for i := 0; i < len(whole); i++ {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteByte(whole[i])
		}
		whole = b.String()
	}
	c := a % 100
	s := whole + "." + string([]byte{byte('0' + c/10), byte('0' + c%10)})
	if f < 0 {
		s = "-" + s
	}
	return s
}

func uitoa(u uint64) string {
	if u == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	return string(b[i:])
}
