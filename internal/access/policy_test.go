package access

import (
	"strings"
	"testing"

	"dibao/internal/errs"
)

func TestPasswordPolicy(t *testing.T) {
	if n := len(common); n < 3000 {
		t.Fatalf("only %d common passwords embedded", n)
	}
	for _, c := range []struct{ pw, user, want string }{
		{"", "", "请设置密码"},
		{"Short-1a", "", "至少12位"},
		{"alllowercaseletters", "", "至少三类"},
		{"ALLUPPER12345", "", ""}, // upper + digits = 2 classes
		{"Zhang-Wei-secadmin-7", "secadmin", "不能包含用户名"},
		{"Zhang-Wei-SECADMIN-7", "secadmin", "不能包含用户名"},
		{"Woaini5201314", "", "常见弱口令"},
		{"WOAINI5201314!", "", "常见弱口令"},
		{"Woaini1314!!!", "", "常见弱口令"},
		{"Aa123456789!", "", "常见弱口令"},
		{"Qwer1234qwer!", "", ""},
		{"1qaz2wsx3edc4rfv", "", "至少三类"},
		{"1qaz@WSX3edc$RFV", "", ""},
		{"Zhongguo2026!", "", "常见弱口令"},
		{"Password123456", "", "常见弱口令"},
		{"P@ssw0rd2026!", "", "常见弱口令"},
		{strings.Repeat("Ab1", 50), "", "不能超过128"},
		{"Tab\there-is-1A", "", "不可见"},
		{"Liu-Fang-1987-Sep", "liufang", ""},
		{"河北平安县-Dibao-2026", "", ""},
		{"dibao-demo-2026", "village", ""},
		{"Test-password-2026", "clerk", ""},
	} {
		err := CheckPolicy(c.pw, c.user)
		switch {
		case c.want == "" && c.pw == "ALLUPPER12345":
			if err == nil || !strings.Contains(errs.As(err).Message, "至少三类") {
				t.Errorf("%q: %v, want the class rule", c.pw, err)
			}
		case c.want == "" && c.pw == "Qwer1234qwer!":
			if err != nil {
				t.Errorf("%q: %v, want accepted (not a listed password)", c.pw, err)
			}
		case c.want == "":
			if err != nil {
				t.Errorf("%q (user %q) refused: %v", c.pw, c.user, err)
			}
		default:
			if err == nil {
				t.Errorf("%q (user %q) accepted, want %q", c.pw, c.user, c.want)
				continue
			}
			e := errs.As(err)
			if e.Code != errs.Invalid || e.Field != "password" || !strings.Contains(e.Message, c.want) {
				t.Errorf("%q: %v (%s %s), want invalid password %q", c.pw, e.Message, e.Code, e.Field, c.want)
			}
		}
	}
	for _, pw := range []string{"woaini1314", "Aa123456", "qwer1234", "1qaz2wsx", "5201314", "P@ssw0rd", "QWERTY123"} {
		if !IsCommon(pw) {
			t.Errorf("%s is not on the common list", pw)
		}
	}
}

func FuzzCheckPolicy(f *testing.F) {
	for _, s := range []string{"woaini1314", "Aa123456!", "dibao-demo-2026", "河北平安县-Dibao-2026", "\xff\xfe"} {
		f.Add(s, "user")
	}
	f.Fuzz(func(t *testing.T, pw, user string) {
		err := CheckPolicy(pw, user)
		if err == nil {
			if len([]rune(pw)) < MinPasswordLength || classes(pw) < 3 || IsCommon(pw) {
				t.Fatalf("%q accepted against the rules", pw)
			}
			return
		}
		if e := errs.As(err); e.Code != errs.Invalid || e.Field != "password" || e.Message == "" {
			t.Fatalf("%q: unstructured error %v", pw, err)
		}
	})
}
