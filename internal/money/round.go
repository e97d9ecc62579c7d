package money

import (
	"math/bits"

	"dibao/internal/errs"
)

// Rounding says to which unit a computed benefit is rounded, a local policy
// parameter. "HalfUp" rounds halves away from zero and "Up" rounds any
// remainder away from zero, so that negative adjustments mirror positive
// ones exactly.
type Rounding int

// The rounding modes; the zero value FenExact keeps every fen.
const (
	FenExact   Rounding = iota // 精确到分: no rounding beyond the fen
	JiaoHalfUp                 // 四舍五入到角
	YuanHalfUp                 // 四舍五入到元
	JiaoUp                     // 见分进角
	YuanUp                     // 见角进元 (any remainder rounds up to the yuan)
)

var roundingNames = [...]struct{ code, label string }{
	FenExact:   {"fen", "精确到分"},
	JiaoHalfUp: {"jiao_half_up", "四舍五入到角"},
	YuanHalfUp: {"yuan_half_up", "四舍五入到元"},
	JiaoUp:     {"jiao_up", "见分进角"},
	YuanUp:     {"yuan_up", "见角进元"},
}

// String is the stable code stored in policy parameters ("yuan_half_up").
func (r Rounding) String() string {
	if r < 0 || int(r) >= len(roundingNames) {
		return "rounding(invalid)"
	}
	return roundingNames[r].code
}

// Label is the Chinese name shown in the policy screens.
func (r Rounding) Label() string {
	if r < 0 || int(r) >= len(roundingNames) {
		return ""
	}
	return roundingNames[r].label
}

// ParseRounding reads a stored code or its Chinese label, so that both
// configuration files and form selects can name a mode.
func ParseRounding(s string) (Rounding, error) {
	for r, n := range roundingNames {
		if s == n.code || s == n.label {
			return Rounding(r), nil
		}
	}
	return 0, errs.Invalidf("", "不支持的取整方式：%q", s)
}

// unit is the step the mode rounds to and whether halves (true) or any
// remainder (false) round away from zero.
func (r Rounding) unit() (step uint64, half bool) {
	switch r {
	case JiaoHalfUp:
		return 10, true
	case YuanHalfUp:
		return 100, true
	case JiaoUp:
		return 10, false
	case YuanUp:
		return 100, false
	}
	return 1, true
}

// Round rounds f to the mode's unit. It panics on an unknown mode or if the
// result would overflow (only within a yuan of the int64 limit).
func Round(f Fen, r Rounding) Fen {
	if r < 0 || int(r) >= len(roundingNames) {
		panic("money.Round: unknown rounding mode")
	}
	return divRound(f < 0, 0, f.abs(), 1, r)
}

// MulDiv computes a×num÷den rounded half away from zero to the fen, e.g. a
// monthly share of a yearly income. It is MulDivRound with FenExact.
func MulDiv(a Fen, num, den int64) Fen { return MulDivRound(a, num, den, FenExact) }

// MulDivRound computes a×num÷den with a single rounding to the mode's unit;
// rounding to the fen first and then to the yuan could round twice (44.5
// fen → 45 → 50 instead of 40). The product is exact in 128 bits. It panics
// if den is 0, the mode is unknown or the result does not fit in a Fen, as
// integer division does.
func MulDivRound(a Fen, num, den int64, r Rounding) Fen {
	if den == 0 {
		panic("money.MulDiv: division by zero")
	}
	if r < 0 || int(r) >= len(roundingNames) {
		panic("money.MulDiv: unknown rounding mode")
	}
	neg := (a < 0) != (num < 0) != (den < 0)
	hi, lo := bits.Mul64(a.abs(), absInt(num))
	return divRound(neg, hi, lo, absInt(den), r)
}

// divRound divides the 128-bit magnitude hi:lo by den, then by the mode's
// step, and rounds once using both remainders; floor(floor(n/den)/step)
// equals floor(n/(den×step)), and den×step itself may not fit in 64 bits.
func divRound(neg bool, hi, lo, den uint64, r Rounding) Fen {
	step, half := r.unit()
	q1, r1 := div128(hi, lo, den) // n/den = q1 + r1/den
	q, r2 := q1/step, q1%step     // n/den = q×step + r2 + r1/den
	if r2 != 0 || r1 != 0 {
		if !half {
			q++
		} else {
			// Round up when (r2 + r1/den) ≥ step/2, that is when
			// 2×(r2×den + r1) ≥ step×den; both sides fit in 128 bits.
			ah, al := bits.Mul64(r2, den)
			al, c := bits.Add64(al, r1, 0)
			ah += c
			ah, al = ah<<1|al>>63, al<<1
			bh, bl := bits.Mul64(step, den)
			if ah > bh || (ah == bh && al >= bl) {
				q++
			}
		}
	}
	return signed(neg, q, step)
}

// div128 divides hi:lo by d, panicking when the quotient exceeds 64 bits.
func div128(hi, lo, d uint64) (q, rem uint64) {
	if hi >= d {
		panic("money: result overflows")
	}
	return bits.Div64(hi, lo, d)
}

// signed turns q steps into a Fen with the sign applied, panicking on
// overflow.
func signed(neg bool, q, step uint64) Fen {
	h, v := bits.Mul64(q, step)
	if h != 0 || v > 1<<63 || (!neg && v == 1<<63) {
		panic("money: result overflows")
	}
	if neg {
		return Fen(-v)
	}
	return Fen(v)
}

func absInt(n int64) uint64 {
	if n < 0 {
		return -uint64(n)
	}
	return uint64(n)
}
