package idcard

import (
	"errors"
	"strings"
	"testing"
	"time"

	"dibao/internal/errs"
)

var today = time.Date(2026, 7, 22, 15, 0, 0, 0, time.FixedZone("CST", 8*3600))

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParse(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		want  ID
		msg   string // expected error message, "" for success
		birth time.Time
		sex   Sex
	}{
		{"GB standard example", "11010519491231002X", "11010519491231002X", "", date(1949, 12, 31), Female},
		{"lowercase x", "11010519491231002x", "11010519491231002X", "", date(1949, 12, 31), Female},
		{"surrounding spaces", "  440306199001011236\t", "440306199001011236", "", date(1990, 1, 1), Male},
		{"ideographic space", "\u3000440306199001011236\u3000", "440306199001011236", "", date(1990, 1, 1), Male},
		{"full-width digits", "１１０１０５１９４９１２３１００２ｘ", "11010519491231002X", "", date(1949, 12, 31), Female},
		{"female even digit", "130123200002290028", "130123200002290028", "", date(2000, 2, 29), Female},
		{"Feb 29 leap 1980", "13012319800229001X", "13012319800229001X", "", date(1980, 2, 29), Male},
		{"Feb 29 century leap 2000", "130123200002290028", "130123200002290028", "", date(2000, 2, 29), Female},
		{"earliest 1900-01-01", "130123190001010016", "130123190001010016", "", date(1900, 1, 1), Male},
		{"born today", "130123202607220013", "130123202607220013", "", date(2026, 7, 22), Male},
		{"address not validated", "000000198001010013", "000000198001010013", "", date(1980, 1, 1), Male},
		{"sequence 999", "13012319800101999X", "13012319800101999X", "", date(1980, 1, 1), Male},

		{"empty", "", "", MsgEmpty, time.Time{}, 0},
		{"only spaces", "   ", "", MsgEmpty, time.Time{}, 0},
		{"17 chars", "11010519491231002", "", MsgLength, time.Time{}, 0},
		{"19 chars", "11010519491231002X1", "", MsgLength, time.Time{}, 0},
		{"15 digit old format", "110105491231002", "", MsgLength, time.Time{}, 0},
		{"inner space", "110105 9491231002X", "", MsgChars, time.Time{}, 0},
		{"letter inside", "1101051949123100AX", "", MsgChars, time.Time{}, 0},
		{"X not last", "X10105194912310021", "", MsgChars, time.Time{}, 0},
		{"last char Y", "11010519491231002Y", "", MsgChars, time.Time{}, 0},
		{"chinese char 18 runes", "11010519491231002号", "", MsgChars, time.Time{}, 0},
		{"Feb 29 non-leap 1999", "13012319990229001X", "", MsgBirth, time.Time{}, 0},
		{"Feb 29 non-leap century 1900", "130123190002290013", "", MsgBirth, time.Time{}, 0},
		{"Feb 30", "130123199902300011", "", MsgBirth, time.Time{}, 0},
		{"Apr 31", "130123199904310010", "", MsgBirth, time.Time{}, 0},
		{"month 13", "13012319991301001X", "", MsgBirth, time.Time{}, 0},
		{"day 00", "130123199901000017", "", MsgBirth, time.Time{}, 0},
		{"before 1900", "130123189912310011", "", MsgBirth, time.Time{}, 0},
		{"tomorrow", "130123202607230019", "", MsgFuture, time.Time{}, 0},
		{"wrong check digit", "110105194912310021", "", MsgCheck, time.Time{}, 0},
		{"digit swap", "11010519491213002X", "", MsgCheck, time.Time{}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.in, today)
			if c.msg != "" {
				var e *errs.Error
				if !errors.As(err, &e) {
					t.Fatalf("Parse(%q) = %q, %v; want error %q", c.in, got, err, c.msg)
				}
				if e.Code != errs.Invalid || e.Message != c.msg || e.Field != "" {
					t.Fatalf("Parse(%q) error = %+v; want invalid %q", c.in, e, c.msg)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Parse(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			if b := got.BirthDate(); !b.Equal(c.birth) {
				t.Errorf("BirthDate = %v want %v", b, c.birth)
			}
			if s := got.Sex(); s != c.sex {
				t.Errorf("Sex = %v want %v", s, c.sex)
			}
		})
	}
}

func TestFutureUsesTodaysLocation(t *testing.T) {
	// 00:30 on 23 July in Beijing is still 22 July in UTC: the caller's
	// calendar date decides, so someone born on 23 July is accepted.
	bj := time.Date(2026, 7, 23, 0, 30, 0, 0, time.FixedZone("CST", 8*3600))
	if _, err := Parse("130123202607230019", bj); err != nil {
		t.Fatalf("born today in Beijing: %v", err)
	}
	if _, err := Parse("130123202607230019", bj.UTC()); err == nil {
		t.Fatal("born tomorrow in UTC accepted")
	}
}

func TestCheckChar(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		want  byte
		isErr bool
	}{
		{"GB example X", "11010519491231002", 'X', false},
		{"digit 6", "44030619900101123", '6', false},
		{"digit 0", "13012319990230001", '1', false},
		{"all zeros", "00000000000000000", '1', false},
		{"16 digits", "1101051949123100", 0, true},
		{"letter", "1101051949123100A", 0, true},
		{"empty", "", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := CheckChar(c.in)
			if (err != nil) != c.isErr || got != c.want {
				t.Fatalf("CheckChar(%q) = %q, %v; want %q err=%v", c.in, got, err, c.want, c.isErr)
			}
		})
	}
}

func TestMake(t *testing.T) {
	cases := []struct {
		name  string
		addr  string
		birth time.Time
		seq   int
		want  ID
	}{
		{"GB example", "110105", date(1949, 12, 31), 2, "11010519491231002X"},
		{"male", "440306", date(1990, 1, 1), 123, "440306199001011236"},
		{"leap day", "130123", date(2000, 2, 29), 2, "130123200002290028"},
		{"seq 999", "130123", date(1980, 1, 1), 999, "13012319800101999X"},
		{"time of day and zone ignored", "110105", time.Date(1949, 12, 31, 23, 59, 0, 0, time.FixedZone("CST", 8*3600)), 2, "11010519491231002X"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Make(c.addr, c.birth, c.seq)
			if got != c.want {
				t.Fatalf("Make = %q want %q", got, c.want)
			}
			if _, err := Parse(string(got), today); err != nil {
				t.Fatalf("Make produced invalid %q: %v", got, err)
			}
		})
	}
	for _, bad := range []struct {
		name string
		fn   func()
	}{
		{"short address", func() { Make("11010", date(1990, 1, 1), 1) }},
		{"letter in address", func() { Make("11010a", date(1990, 1, 1), 1) }},
		{"seq negative", func() { Make("110105", date(1990, 1, 1), -1) }},
		{"seq 1000", func() { Make("110105", date(1990, 1, 1), 1000) }},
		{"year 10000", func() { Make("110105", date(10000, 1, 1), 1) }},
	} {
		t.Run("panics/"+bad.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			bad.fn()
		})
	}
}

func TestSexFromSequence(t *testing.T) {
	for seq := 0; seq < 20; seq++ {
		id := Make("130123", date(1980, 5, 6), seq)
		want := Female
		if seq%2 == 1 {
			want = Male
		}
		if id.Sex() != want {
			t.Errorf("seq %d: Sex = %v want %v", seq, id.Sex(), want)
		}
	}
}

func TestSexNames(t *testing.T) {
	cases := []struct {
		name        string
		s           Sex
		label, code string
	}{
		{"male", Male, "男", "1"},
		{"female", Female, "女", "2"},
		{"unknown", 0, "", "0"},
		{"out of range", 7, "", "0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.s.Label(); got != c.label {
				t.Fatalf("Label = %q want %q", got, c.label)
			}
			if got := c.s.Code(); got != c.code {
				t.Fatalf("Code = %q want %q", got, c.code)
			}
		})
	}
}

func TestAge(t *testing.T) {
	leap := Make("130123", date(2000, 2, 29), 1)
	plain := Make("130123", date(1966, 7, 22), 1)
	cases := []struct {
		name string
		id   ID
		on   time.Time
		want int
	}{
		{"day before birthday", plain, date(2026, 7, 21), 59},
		{"on birthday", plain, date(2026, 7, 22), 60},
		{"day after birthday", plain, date(2026, 7, 23), 60},
		{"earlier month", plain, date(2026, 3, 30), 59},
		{"later month", plain, date(2026, 12, 1), 60},
		{"on birth day", plain, date(1966, 7, 22), 0},
		{"before birth", plain, date(1960, 1, 1), 0},
		{"leap-born Feb 28 common year", leap, date(2026, 2, 28), 25},
		{"leap-born Mar 1 common year", leap, date(2026, 3, 1), 26},
		{"leap-born Feb 29 leap year", leap, date(2028, 2, 29), 28},
		{"leap-born Feb 28 leap year", leap, date(2028, 2, 28), 27},
		{"uses on's own calendar date", plain, time.Date(2026, 7, 22, 0, 30, 0, 0, time.FixedZone("CST", 8*3600)), 60},
		{"invalid id", ID("123"), date(2026, 1, 1), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.id.Age(c.on); got != c.want {
				t.Fatalf("Age(%v) = %d want %d", c.on, got, c.want)
			}
		})
	}
}

func TestInvalidIDMethods(t *testing.T) {
	for _, id := range []ID{"", "123", "abcdefghijklmnopqr", "130123199902300011", "11010518991231002X"} {
		t.Run(string(id), func(t *testing.T) {
			if !id.BirthDate().IsZero() {
				t.Errorf("BirthDate = %v, want zero", id.BirthDate())
			}
			_ = id.Sex() // must not panic
			if id.Age(today) != 0 {
				t.Errorf("Age = %d want 0", id.Age(today))
			}
		})
	}
}

func TestMask(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string
	}{
		{"id 18", "11010519491231002X", "110105********002X"},
		{"id 18 spaces", " 440306199001011236 ", "440306********1236"},
		{"empty", "", ""},
		{"short 3", "123", "***"},
		{"exactly 4", "1234", "****"},
		{"7 chars", "1234567", "*******"},
		{"8 chars", "12345678", "****5678"},
		{"15 digit old", "110105491231002", "***********1002"},
		{"19 chars", "11010519491231002X1", "***************02X1"},
		{"multibyte not split", "一二三四五六七八九十", "******七八九十"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Mask(c.in); got != c.want {
				t.Fatalf("Mask(%q) = %q want %q", c.in, got, c.want)
			}
		})
	}
	if got := ID("11010519491231002X").Mask(); got != "110105********002X" {
		t.Fatalf("ID.Mask = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "11010519491231002x", "130123200002290028", "", " ", "130123199902300011", "１１０１０５１９４９１２３１００２ｘ", "11010519491231002号"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in, out := []rune(strings.TrimSpace(s)), []rune(Mask(s))
		if len(out) != len(in) {
			t.Fatalf("Mask(%q) = %q changes the length", s, string(out))
		}
		hidden := 0
		for i := range out {
			if out[i] == '*' {
				hidden++
			} else if out[i] != in[i] {
				t.Fatalf("Mask(%q) = %q invents characters", s, string(out))
			}
		}
		if len(in) >= 4 && hidden < 4 {
			t.Fatalf("Mask(%q) = %q hides only %d characters", s, string(out), hidden)
		}
		id, err := Parse(s, today)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Message == "" {
				t.Fatalf("Parse(%q) error %v is not an invalid *errs.Error", s, err)
			}
			return
		}
		if len(id) != Length {
			t.Fatalf("Parse(%q) = %q, wrong length", s, id)
		}
		again, err := Parse(string(id), today)
		if err != nil || again != id {
			t.Fatalf("reparse %q = %q, %v", id, again, err)
		}
		b := id.BirthDate()
		if b.IsZero() || b.Year() < 1900 || b.After(today) {
			t.Fatalf("BirthDate(%q) = %v", id, b)
		}
		if id.Sex() != Male && id.Sex() != Female {
			t.Fatalf("Sex(%q) = %v", id, id.Sex())
		}
		seq := int(id[14]-'0')*100 + int(id[15]-'0')*10 + int(id[16]-'0')
		if m := Make(string(id[:6]), b, seq); m != id {
			t.Fatalf("Make round trip %q -> %q", id, m)
		}
		if got := id.Mask(); len(got) != Length || got[:6] != string(id[:6]) || got[14:] != string(id[14:]) || strings.Count(got, "*") != 8 {
			t.Fatalf("Mask(%q) = %q", id, got)
		}
	})
}
