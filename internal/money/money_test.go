package money

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"dibao/internal/errs"
)

func wantInvalid(t *testing.T, err error, msg string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.Invalid || e.Message != msg {
		t.Fatalf("error = %v, want invalid %q", err, msg)
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		want   Fen
		msg    string // Parse error, "" for success
		signed string // ParseSigned error when it differs from msg
		sWant  Fen    // ParseSigned value when it differs
	}{
		{name: "integer", in: "1234", want: 123400},
		{name: "one decimal", in: "1234.5", want: 123450},
		{name: "two decimals", in: "1234.56", want: 123456},
		{name: "five fen", in: "0.05", want: 5},
		{name: "zero", in: "0", want: 0},
		{name: "plus sign", in: "+12.30", want: 1230},
		{name: "thousands", in: "1,234.50", want: 123450},
		{name: "millions", in: "12,345,678", want: 1234567800},
		{name: "yuan suffix", in: "12元", want: 1200},
		{name: "yuan suffix with space", in: " 12.5 元 ", want: 1250},
		{name: "yen sign", in: "¥3.20", want: 320},
		{name: "full-width yen sign", in: "￥ 3.20", want: 320},
		{name: "full-width digits", in: "１，２３４．５０元", want: 123450},
		{name: "spaces", in: "  88\t", want: 8800},
		{name: "leading dot", in: ".5", want: 50},
		{name: "leading zeros", in: "007.10", want: 710},
		{name: "trailing zero decimals", in: "1.230", want: 123},
		{name: "many trailing zeros", in: "1.50000", want: 150},
		{name: "max", in: "10000000000000", want: MaxAbs},
		{name: "max with fen", in: "9999999999999.99", want: MaxAbs - 1},
		{name: "long leading zeros", in: "000000000000000000000000001", want: 100},

		{name: "empty", in: "", msg: MsgEmpty},
		{name: "spaces only", in: "   ", msg: MsgEmpty},
		{name: "yuan only", in: "元", msg: MsgEmpty},
		{name: "junk", in: "12a", msg: MsgFormat},
		{name: "letters", in: "abc", msg: MsgFormat},
		{name: "trailing dot", in: "1.", msg: MsgFormat},
		{name: "dot only", in: ".", msg: MsgFormat},
		{name: "sign only", in: "+", msg: MsgFormat},
		{name: "two dots", in: "1.2.3", msg: MsgFormat},
		{name: "decimal comma", in: "1,5", msg: MsgFormat},
		{name: "bad grouping", in: "12,34", msg: MsgFormat},
		{name: "group too long first", in: "1234,567", msg: MsgFormat},
		{name: "comma after dot", in: "1.234,5", msg: MsgFormat},
		{name: "leading comma", in: ",123", msg: MsgFormat},
		{name: "inner space", in: "1 234", msg: MsgFormat},
		{name: "exponent", in: "1e3", msg: MsgFormat},
		{name: "double sign", in: "+-1", msg: MsgFormat},
		{name: "three decimals", in: "1.234", msg: MsgDecimals},
		{name: "three decimals nonzero last", in: "0.001", msg: MsgDecimals},
		{name: "over max", in: "10000000000000.01", msg: MsgTooLarge},
		{name: "huge", in: "99999999999999999999999", msg: MsgTooLarge},

		{name: "negative", in: "-5", msg: MsgNegative, sWant: -500},
		{name: "negative fen", in: "-0.05", msg: MsgNegative, sWant: -5},
		{name: "negative grouped", in: "-1,234.5", msg: MsgNegative, sWant: -123450},
		{name: "full-width minus", in: "－5", msg: MsgNegative, sWant: -500},
		{name: "negative zero", in: "-0", want: 0},
		{name: "negative over max", in: "-10000000000000.01", msg: MsgTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.in)
			if c.msg != "" {
				wantInvalid(t, err, c.msg)
			} else if err != nil || got != c.want {
				t.Fatalf("Parse(%q) = %d, %v; want %d", c.in, got, err, c.want)
			}
			sGot, sErr := ParseSigned(c.in)
			switch {
			case c.sWant != 0:
				if sErr != nil || sGot != c.sWant {
					t.Fatalf("ParseSigned(%q) = %d, %v; want %d", c.in, sGot, sErr, c.sWant)
				}
			case c.msg != "":
				wantInvalid(t, sErr, c.msg)
			default:
				if sErr != nil || sGot != c.want {
					t.Fatalf("ParseSigned(%q) = %d, %v; want %d", c.in, sGot, sErr, c.want)
				}
			}
		})
	}
}

func TestFormat(t *testing.T) {
	cases := []struct {
		name      string
		f         Fen
		str, yuan string
	}{
		{"zero", 0, "0.00", "0.00"},
		{"five fen", 5, "0.05", "0.05"},
		{"fifty fen", 50, "0.50", "0.50"},
		{"one yuan", 100, "1.00", "1.00"},
		{"three digits", 99999, "999.99", "999.99"},
		{"thousand", 123450, "1234.50", "1,234.50"},
		{"million", 123456789, "1234567.89", "1,234,567.89"},
		{"negative fen", -5, "-0.05", "-0.05"},
		{"negative thousand", -123450, "-1234.50", "-1,234.50"},
		{"max", MaxAbs, "10000000000000.00", "10,000,000,000,000.00"},
		{"int64 max", math.MaxInt64, "92233720368547758.07", "92,233,720,368,547,758.07"},
		{"int64 min", math.MinInt64, "-92233720368547758.08", "-92,233,720,368,547,758.08"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.f.String(); got != c.str {
				t.Errorf("String = %q want %q", got, c.str)
			}
			if got := c.f.Yuan(); got != c.yuan {
				t.Errorf("Yuan = %q want %q", got, c.yuan)
			}
		})
	}
}

func TestFromYuan(t *testing.T) {
	cases := []struct {
		name string
		in   int64
		want Fen
	}{
		{"zero", 0, 0},
		{"positive", 680, 68000},
		{"negative", -3, -300},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FromYuan(c.in); got != c.want {
				t.Fatalf("FromYuan(%d) = %d want %d", c.in, got, c.want)
			}
		})
	}
	for _, y := range []int64{math.MaxInt64, math.MinInt64, math.MaxInt64/100 + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("FromYuan(%d) did not panic", y)
				}
			}()
			FromYuan(y)
		}()
	}
}

func TestUpper(t *testing.T) {
	cases := []struct {
		name string
		in   Fen
		want string
	}{
		{"zero", 0, "零元整"},
		{"fen only", 5, "伍分"},
		{"jiao only gets zheng", 50, "伍角整"},
		{"jiao and fen", 55, "伍角伍分"},
		{"one yuan", 100, "壹元整"},
		{"ten has yi", 1000, "壹拾元整"},
		{"fifteen", 1500, "壹拾伍元整"},
		{"ten yuan five fen", 1005, "壹拾元零伍分"},
		{"ten yuan five jiao", 1050, "壹拾元零伍角整"},
		{"hundred", 10000, "壹佰元整"},
		{"inner zero", 100500, "壹仟零伍元整"},
		{"PBOC 1409.50", 140950, "壹仟肆佰零玖元伍角整"},
		{"PBOC 6007.14", 600714, "陆仟零柒元壹角肆分"},
		{"PBOC 1680.32", 168032, "壹仟陆佰捌拾元零叁角贰分"},
		{"PBOC 107000.53", 10700053, "壹拾万柒仟元零伍角叁分"},
		{"PBOC 16409.02", 1640902, "壹万陆仟肆佰零玖元零贰分"},
		{"PBOC 325.04", 32504, "叁佰贰拾伍元零肆分"},
		{"hundred thousand", 10000000, "壹拾万元整"},
		{"zero across wan", 10050000, "壹拾万零伍佰元整"},
		{"million and five", 100000500, "壹佰万零伍元整"},
		{"wan then shi", 1001000, "壹万零壹拾元整"},
		{"alternating zeros", 101010101, "壹佰零壹万零壹佰零壹元零壹分"},
		{"twenty thousand twenty jiao", 2000020, "贰万元零贰角整"},
		{"yi", 10000000000, "壹亿元整"},
		{"yi and wan", 10001000000, "壹亿零壹万元整"},
		{"yi and qian wan", 11000000000, "壹亿壹仟万元整"},
		{"yi and shi wan", 10010000000, "壹亿零壹拾万元整"},
		{"all digits", 12345678912, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"},
		{"nines", 9999999999999, "玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
		{"wan yi", 100000000000000, "壹万亿元整"},
		{"wan wu qian yi", 150000000000000, "壹万伍仟亿元整"},
		{"wan yi and one", 100000000000100, "壹万亿零壹元整"},
		{"max", MaxAbs, "壹拾万亿元整"},
		{"negative", -1234, "负壹拾贰元叁角肆分"},
		{"negative fen", -1, "负壹分"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Upper(c.in)
			if err != nil || got != c.want {
				t.Fatalf("Upper(%s) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
	for _, f := range []Fen{MaxAbs + 1, -MaxAbs - 1, math.MaxInt64, math.MinInt64} {
		if got, err := Upper(f); err == nil {
			t.Errorf("Upper(%d) = %q, want error", f, got)
		}
	}
}

func TestRound(t *testing.T) {
	cases := []struct {
		name string
		in   Fen
		r    Rounding
		want Fen
	}{
		{"fen exact keeps", 12345, FenExact, 12345},
		{"jiao half up down", 12344, JiaoHalfUp, 12340},
		{"jiao half up half", 12345, JiaoHalfUp, 12350},
		{"jiao half up exact", 12340, JiaoHalfUp, 12340},
		{"yuan half up down", 12349, YuanHalfUp, 12300},
		{"yuan half up half", 12350, YuanHalfUp, 12400},
		{"yuan half up 44.5 jiao", 44, YuanHalfUp, 0},
		{"jiao up one fen", 12341, JiaoUp, 12350},
		{"jiao up exact", 12340, JiaoUp, 12340},
		{"yuan up one fen", 12301, YuanUp, 12400},
		{"yuan up exact", 12300, YuanUp, 12300},
		{"zero", 0, YuanUp, 0},
		{"negative half away from zero", -12350, YuanHalfUp, -12400},
		{"negative below half", -12349, YuanHalfUp, -12300},
		{"negative up away from zero", -12301, YuanUp, -12400},
		{"negative jiao up", -1, JiaoUp, -10},
		{"min int64 jiao", math.MinInt64 + 8, JiaoHalfUp, math.MinInt64 + 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Round(c.in, c.r); got != c.want {
				t.Fatalf("Round(%d, %v) = %d want %d", c.in, c.r, got, c.want)
			}
		})
	}
}

func TestMulDiv(t *testing.T) {
	cases := []struct {
		name          string
		a             Fen
		num, den      int64
		r             Rounding
		want          Fen
		viaMulDivOnly bool
	}{
		{"exact", 120000, 1, 12, FenExact, 10000, true},
		{"third half up fen", 100, 1, 3, FenExact, 33, true},
		{"two thirds fen", 200, 1, 3, FenExact, 67, true},
		{"half fen rounds away", 1, 1, 2, FenExact, 1, true},
		{"negative half fen", -1, 1, 2, FenExact, -1, true},
		{"negative num", 100, -1, 3, FenExact, -33, true},
		{"negative den", 200, 1, -3, FenExact, -67, true},
		{"both negative", -200, -1, 3, FenExact, 67, true},
		{"no double rounding", 89, 1, 2, YuanHalfUp, 0, false}, // 44.5 fen
		{"yuan half up", 30000, 1, 7, YuanHalfUp, 4300, false}, // 42.857 yuan
		{"yuan up", 30000, 1, 7, YuanUp, 4300, false},
		{"jiao half up", 30000, 1, 7, JiaoHalfUp, 4290, false}, // 42.857 → 42.9
		{"jiao up", 30000, 1, 7, JiaoUp, 4290, false},
		{"negative yuan up", -30000, 1, 7, YuanUp, -4300, false},
		{"product beyond int64", MaxAbs, 1_000_000, 1_000_000, FenExact, MaxAbs, true},
		{"big den", 1 << 62, math.MaxInt64, math.MaxInt64, YuanHalfUp, 4611686018427387900, false},
		{"big den yuan up", 1, 1, math.MaxInt64, YuanUp, 100, false},
		{"big den half", math.MaxInt64, 1, math.MaxInt64, YuanHalfUp, 0, false},
		{"min int64 identity", math.MinInt64, 1, 1, FenExact, math.MinInt64, true},
		{"min int64 num", 1, math.MinInt64, 1, FenExact, math.MinInt64, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := MulDivRound(c.a, c.num, c.den, c.r); got != c.want {
				t.Fatalf("MulDivRound(%d, %d, %d, %v) = %d want %d", c.a, c.num, c.den, c.r, got, c.want)
			}
			if c.viaMulDivOnly {
				if got := MulDiv(c.a, c.num, c.den); got != c.want {
					t.Fatalf("MulDiv = %d want %d", got, c.want)
				}
			}
		})
	}
	panics := []struct {
		name     string
		a        Fen
		num, den int64
		r        Rounding
	}{
		{"zero den", 1, 1, 0, FenExact},
		{"overflow", math.MaxInt64, 2, 1, FenExact},
		{"min negated", math.MinInt64, -1, 1, FenExact},
		{"min negated by num", -1, math.MinInt64, 1, FenExact},
		{"round up past max", math.MaxInt64, 1, 1, YuanUp},
		{"unknown mode", 1, 1, 1, Rounding(99)},
	}
	for _, c := range panics {
		t.Run("panics/"+c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			MulDivRound(c.a, c.num, c.den, c.r)
		})
	}
}

func TestParseRounding(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		want  Rounding
		isErr bool
	}{
		{"fen code", "fen", FenExact, false},
		{"jiao half up code", "jiao_half_up", JiaoHalfUp, false},
		{"yuan half up code", "yuan_half_up", YuanHalfUp, false},
		{"jiao up code", "jiao_up", JiaoUp, false},
		{"yuan up code", "yuan_up", YuanUp, false},
		{"chinese label", "四舍五入到元", YuanHalfUp, false},
		{"empty", "", 0, true},
		{"unknown", "banker", 0, true},
		{"case sensitive", "YUAN_UP", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseRounding(c.in)
			if (err != nil) != c.isErr || got != c.want {
				t.Fatalf("ParseRounding(%q) = %v, %v", c.in, got, err)
			}
			if err != nil {
				if errs.CodeOf(err) != errs.Invalid {
					t.Fatalf("error code %v", errs.CodeOf(err))
				}
				return
			}
			if back, _ := ParseRounding(got.String()); back != got {
				t.Fatalf("String round trip %v -> %v", got, back)
			}
			if back, _ := ParseRounding(got.Label()); back != got {
				t.Fatalf("Label round trip %v -> %v", got, back)
			}
		})
	}
	if Rounding(-1).String() == "" || Rounding(9).Label() != "" {
		t.Fatal("invalid mode names")
	}
}

// bigMulDiv is the reference for MulDivRound: exact rational arithmetic.
func bigMulDiv(a Fen, num, den int64, r Rounding) (*big.Int, bool) {
	step, half := r.unit()
	n := new(big.Int).Mul(big.NewInt(int64(a)), big.NewInt(num))
	d := new(big.Int).Mul(big.NewInt(den), new(big.Int).SetUint64(step))
	neg := n.Sign()*d.Sign() < 0
	n.Abs(n)
	d.Abs(d)
	q, m := new(big.Int).QuoRem(n, d, new(big.Int))
	if m.Sign() != 0 {
		if !half || new(big.Int).Lsh(m, 1).Cmp(d) >= 0 {
			q.Add(q, big.NewInt(1))
		}
	}
	q.Mul(q, new(big.Int).SetUint64(step))
	if neg {
		q.Neg(q)
	}
	return q, q.IsInt64()
}

func FuzzMulDiv(f *testing.F) {
	f.Add(int64(89), int64(1), int64(2), 2)
	f.Add(int64(math.MinInt64), int64(-1), int64(1), 0)
	f.Add(int64(1<<62), int64(math.MaxInt64), int64(math.MaxInt64), 4)
	f.Fuzz(func(t *testing.T, a, num, den int64, mode int) {
		if den == 0 {
			return
		}
		r := Rounding(uint(mode) % uint(len(roundingNames)))
		want, fits := bigMulDiv(Fen(a), num, den, r)
		var got Fen
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			got = MulDivRound(Fen(a), num, den, r)
			return false
		}()
		if !fits {
			if !panicked {
				t.Fatalf("MulDivRound(%d,%d,%d,%v) = %d, want overflow panic", a, num, den, r, got)
			}
			return
		}
		if panicked || int64(got) != want.Int64() {
			t.Fatalf("MulDivRound(%d,%d,%d,%v) = %d (panic %v), want %v", a, num, den, r, got, panicked, want)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1234", "1,234.50", "-0.05", ".5", "1.", "1.230", "１２元", "￥3", "10000000000000", "1,5", "+-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSigned(s)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("ParseSigned(%q): %v", s, err)
			}
			if _, err2 := Parse(s); err2 == nil {
				t.Fatalf("Parse(%q) accepted what ParseSigned rejects", s)
			}
			return
		}
		if v > MaxAbs || v < -MaxAbs {
			t.Fatalf("ParseSigned(%q) = %d beyond MaxAbs", s, v)
		}
		for _, out := range []string{v.String(), v.Yuan()} {
			if back, err := ParseSigned(out); err != nil || back != v {
				t.Fatalf("%q -> %d -> %q -> %d, %v", s, v, out, back, err)
			}
		}
		u, err := Parse(s)
		if (v < 0) != (err != nil) || (err == nil && u != v) {
			t.Fatalf("Parse(%q) = %d, %v; ParseSigned %d", s, u, err, v)
		}
		up, err := Upper(v)
		if err != nil || up == "" {
			t.Fatalf("Upper(%d) = %q, %v", v, up, err)
		}
	})
}

func FuzzUpper(f *testing.F) {
	for _, v := range []int64{0, 5, 50, 100500, 10700053, int64(MaxAbs), -1} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int64) {
		got, err := Upper(Fen(v))
		if Fen(v) > MaxAbs || Fen(v) < -MaxAbs {
			if err == nil {
				t.Fatalf("Upper(%d) = %q, want error", v, got)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got, "零零") || strings.HasSuffix(got, "零") {
			t.Fatalf("Upper(%d) = %q: bad zero", v, got)
		}
		if back := parseUpper(t, got); back != Fen(v) {
			t.Fatalf("Upper(%d) = %q reads back as %d", v, got, back)
		}
		hasFen := v%10 != 0
		if hasFen == strings.HasSuffix(got, "整") {
			t.Fatalf("Upper(%d) = %q: 整 wrong", v, got)
		}
	})
}

// parseUpper reads an upper-case amount back, independently of how Upper
// builds it, to check that no digit or unit was lost.
func parseUpper(t *testing.T, s string) Fen {
	neg := strings.HasPrefix(s, "负")
	s = strings.TrimPrefix(s, "负")
	s = strings.TrimSuffix(s, "整")
	var total, section, yi, digit int64
	for _, r := range s {
		switch r {
		case '零':
		case '拾':
			section += digit * 10
			digit = 0
		case '佰':
			section += digit * 100
			digit = 0
		case '仟':
			section += digit * 1000
			digit = 0
		case '万':
			total += (section + digit) * 10000
			section, digit = 0, 0
		case '亿':
			yi = (total + section + digit) * 100000000
			total, section, digit = 0, 0, 0
		case '元':
			total = (yi + total + section + digit) * 100
			yi, section, digit = 0, 0, 0
		case '角':
			total += digit * 10
			digit = 0
		case '分':
			total += digit
			digit = 0
		default:
			i := strings.IndexRune(upperDigits, r)
			if i < 0 {
				t.Fatalf("unexpected rune %q in %q", r, s)
			}
			digit = int64(i / 3)
		}
	}
	if digit != 0 || section != 0 || yi != 0 {
		t.Fatalf("dangling digits in %q", s)
	}
	if neg {
		total = -total
	}
	return Fen(total)
}
