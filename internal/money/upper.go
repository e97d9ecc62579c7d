package money

import (
	"strings"

	"dibao/internal/errs"
)

const (
	upperDigits = "零壹贰叁肆伍陆柒捌玖"
	msgUpperBig = "金额过大，无法转换为大写"
)

// upperDigit returns the upper-case numeral for 0–9; the string holds
// three-byte runes, so index by rune.
func upperDigit(d uint64) string { return upperDigits[d*3 : d*3+3] }

// Upper writes f as a Chinese upper-case amount (人民币大写) following the
// People's Bank rules for vouchers: "壹" before a leading 拾 (壹拾元整), one 零
// for any run of zeros inside the number, 零 after 元 when the jiao is zero
// but the fen is not (壹拾元零伍分), and "整" after 元 or 角 when there is
// no fen so nothing can be appended later (伍角整). Where the rules leave
// a 零 optional (元 digit zero, jiao not: 壹仟陆佰捌拾元零叁角贰分) it is
// written. Zero is 零元整. A negative amount gets the prefix "负", for
// adjustment lists; vouchers themselves never carry one. Only amounts
// beyond MaxAbs are an error.
func Upper(f Fen) (string, error) {
	a := f.abs()
	if a > uint64(MaxAbs) {
		return "", errs.Invalidf("", msgUpperBig)
	}
	var b strings.Builder
	if f < 0 {
		b.WriteString("负")
	}
	whole, jiao, fen := a/100, a/10%10, a%10
	if whole == 0 && jiao == 0 && fen == 0 {
		return "零元整", nil
	}
	if whole > 0 {
		b.WriteString(upperInt(whole))
		b.WriteString("元")
		if jiao == 0 && fen == 0 {
			b.WriteString("整")
			return b.String(), nil
		}
		if jiao == 0 || whole%10 == 0 {
			b.WriteString("零")
		}
	}
	if jiao > 0 {
		b.WriteString(upperDigit(jiao))
		b.WriteString("角")
	}
	if fen > 0 {
		b.WriteString(upperDigit(fen))
		b.WriteString("分")
	} else {
		b.WriteString("整")
	}
	return b.String(), nil
}

// upperInt writes n > 0 in sections of 亿 and 万; a section that does not
// fill its top place after a higher non-empty part needs a 零 before it
// (壹拾万零伍佰, 壹亿零壹拾万).
func upperInt(n uint64) string {
	const yi, wan = 100_000_000, 10_000
	if hi, lo := n/yi, n%yi; hi > 0 {
		s := upperInt(hi) + "亿"
		if lo > 0 {
			if lo < yi/10 {
				s += "零"
			}
			s += upperInt(lo)
		}
		return s
	}
	if hi, lo := n/wan, n%wan; hi > 0 {
		s := upperSection(hi) + "万"
		if lo > 0 {
			if lo < wan/10 {
				s += "零"
			}
			s += upperSection(lo)
		}
		return s
	}
	return upperSection(n)
}

// upperSection writes 1 ≤ n ≤ 9999 without leading or trailing zeros and
// with one 零 for each inner run of zeros.
func upperSection(n uint64) string {
	units := [4]string{"仟", "佰", "拾", ""}
	digits := [4]uint64{n / 1000, n / 100 % 10, n / 10 % 10, n % 10}
	var b strings.Builder
	zero := false
	for i, d := range digits {
		if d == 0 {
			zero = b.Len() > 0
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		b.WriteString(upperDigit(d))
		b.WriteString(units[i])
	}
	return b.String()
}
