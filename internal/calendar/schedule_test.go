package calendar

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"dibao/internal/errs"
)

func TestParseSchedule(t *testing.T) {
	cases := []struct {
		name string
		text string
		want string // FormatSchedule of the result
	}{
		{"one holiday", "2027-10-01 休 国庆节", "2027-10-01 休 国庆节\n"},
		{"make-up day", "2027-09-26 班 国庆节调休", "2027-09-26 班 国庆节调休\n"},
		{"english marks", "2027-10-01 off National Day\n2027-09-26 WORK", "2027-09-26 班\n2027-10-01 休 National Day\n"},
		{"other marks", "2027-10-02 放假 国庆节\n2027-10-09 上班 国庆节调休", "2027-10-02 休 国庆节\n2027-10-09 班 国庆节调休\n"},
		{"sorted by date", "2027-10-02 休\n2027-10-01 休", "2027-10-01 休\n2027-10-02 休\n"},
		{"comments and blank lines", "# 2027年国庆\n\n  2027-10-01 休 国庆节 # 周五\n＃全角注释\n", "2027-10-01 休 国庆节\n"},
		{"CRLF, BOM and tabs", "\uFEFF2027-10-01\t休\t国庆节\r\n2027-10-02\t休\r\n", "2027-10-01 休 国庆节\n2027-10-02 休\n"},
		{"old Mac line ends", "2027-10-01 休\r2027-10-02 休", "2027-10-01 休\n2027-10-02 休\n"},
		{"full-width space and commas", "2027-10-01　休　国庆节\n2027-10-02,休,国庆节\n2027-10-03，休，国庆节", "2027-10-01 休 国庆节\n2027-10-02 休 国庆节\n2027-10-03 休 国庆节\n"},
		{"other date forms", "2027/10/1 休\n2027.10.02 休\n2027年10月3日 休", "2027-10-01 休\n2027-10-02 休\n2027-10-03 休\n"},
		{"name with spaces", "2027-10-01 休 National   Day", "2027-10-01 休 National Day\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSchedule(tc.text)
			if err != nil {
				t.Fatalf("ParseSchedule: %v", err)
			}
			if s := FormatSchedule(got); s != tc.want {
				t.Fatalf("got %q, want %q", s, tc.want)
			}
			for _, o := range got {
				if !o.Date.Equal(DayOf(o.Date)) || o.Date.Location() != Location() {
					t.Fatalf("date %v is not midnight in Asia/Shanghai", o.Date)
				}
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	cases := []struct {
		name string
		text string
		want []string // substrings of the messages, in order
	}{
		{"empty", "", []string{"没有找到任何日期"}},
		{"only comments", "# nothing\n\n", []string{"没有找到任何日期"}},
		{"missing mark", "2027-10-01", []string{"第1行：缺少“休”或“班”"}},
		{"bad mark", "\n2027-10-01 放 国庆节", []string{"第2行：“放”应为“休”（放假）或“班”（上班）"}},
		{"bad date", "2027-13-01 休", []string{"第1行：日期“2027-13-01”无效"}},
		{"no such day", "2027-02-29 休", []string{"第1行：日期“2027-02-29”无效"}},
		{"mixed separators", "2027-10/01 休", []string{"第1行：日期“2027-10/01”无效"}},
		{"two-digit year", "27-10-01 休", []string{"第1行：日期“27-10-01”无效"}},
		{"signs are not digits", "2027-+1-01 休", []string{"第1行：日期“2027-+1-01”无效"}},
		{"year out of range", "2207-10-01 休", []string{"第1行：年份 2207 超出范围"}},
		{"duplicate date", "2027-10-01 休\n2027-10-02 休\n2027/10/1 班", []string{"第3行：日期 2027-10-01 与第1行重复"}},
		{"name too long", "2027-10-01 休 " + strings.Repeat("长", 41), []string{"第1行：名称过长"}},
		{"control character", "2027-10-01 休 国庆\x00节", []string{"第1行：名称含有不可见的控制字符"}},
		{"invalid UTF-8", "2027-10-01 休 \xff", []string{"第1行：含有无法识别的字符"}},
		{"every bad line is reported", "2027-10-01 休\nfoo\n2027-10-02 x\n", []string{"第2行：", "第3行："}},
		{"long input quoted briefly", "2027-10-0111111111111111111111111111 休", []string{"第1行：日期“2027-10-011111111111…”无效"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSchedule(tc.text)
			if err == nil {
				t.Fatalf("ParseSchedule(%q) = %v, want an error", tc.text, got)
			}
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("error code = %s, want invalid", errs.CodeOf(err))
			}
			var msgs []string
			var list errs.List
			if errors.As(err, &list) {
				for _, e := range list {
					msgs = append(msgs, e.Message)
				}
			} else {
				msgs = []string{errs.As(err).Message}
			}
			if len(msgs) != len(tc.want) {
				t.Fatalf("messages %q, want %d of them", msgs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(msgs[i], w) {
					t.Fatalf("message %q does not contain %q", msgs[i], w)
				}
			}
			if errs.As(err).Field != ScheduleField {
				t.Fatalf("field = %q, want %q", errs.As(err).Field, ScheduleField)
			}
		})
	}
}

func TestParseScheduleTooManyErrors(t *testing.T) {
	_, err := ParseSchedule(strings.Repeat("bad\n", 100) + "2027-10-01 休\n\n")
	var list errs.List
	if !errors.As(err, &list) || len(list) != maxErrors+1 || !strings.Contains(list[maxErrors].Message, "另有80处错误未列出") {
		t.Fatalf("got %v, want %d line errors and a closing note", err, maxErrors)
	}
}

// TestParseScheduleIntoCalendar loads a made-up 2028 schedule the way an
// admin would and checks the calendar follows it.
func TestParseScheduleIntoCalendar(t *testing.T) {
	ovs, err := ParseSchedule(`
# 2028 元旦（示例）
2027-12-31 休 元旦
2028-01-01 休 元旦
2028-01-02 休 元旦
2028-01-08 班 元旦调休
`)
	if err != nil {
		t.Fatal(err)
	}
	c := New(ovs)
	if !c.Covers(2028) {
		t.Fatal("Covers(2028) = false after loading 2028 overrides")
	}
	if got := c.AddWorkingDays(ymd("2027-12-30"), 1); fmtDay(got) != "2028-01-03" {
		t.Fatalf("AddWorkingDays(2027-12-30, 1) = %s, want 2028-01-03", fmtDay(got))
	}
	if w, name, src := c.DayInfo(ymd("2028-01-08")); !w || name != "元旦调休" || src != SourceOverride {
		t.Fatalf("DayInfo(2028-01-08) = %v %q %q", w, name, src)
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{
		"2027-10-01 休 国庆节\n2027-09-26 班 国庆节调休",
		"2027/10/1 off\r\n2027.10.02 work # x",
		"2027年10月3日 放假 国庆，中秋",
		"\uFEFF#c\n\n2027-10-01　上班",
		"2027-10-01 休\n2027-10-01 班",
		"2027-02-29 休",
		"2027-1-1",
		"x\xff",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ovs, err := ParseSchedule(text)
		if err != nil {
			if ovs != nil {
				t.Fatal("overrides returned with an error")
			}
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("error code %s, want invalid", errs.CodeOf(err))
			}
			var list errs.List
			if errors.As(err, &list) {
				if len(list) > maxErrors+1 {
					t.Fatalf("%d errors, want at most %d", len(list), maxErrors+1)
				}
				for _, e := range list {
					if !strings.HasPrefix(e.Message, "第") && !strings.HasPrefix(e.Message, "另有") {
						t.Fatalf("message %q names no line", e.Message)
					}
				}
			}
			if !utf8.ValidString(errs.As(err).Message) {
				t.Fatalf("message is not valid UTF-8: %q", errs.As(err).Message)
			}
			return
		}
		if len(ovs) == 0 {
			t.Fatal("no overrides and no error")
		}
		for i, o := range ovs {
			if !o.Date.Equal(DayOf(o.Date)) || o.Date.Location() != Location() {
				t.Fatalf("date %v is not midnight in Asia/Shanghai", o.Date)
			}
			if y := o.Date.Year(); y < minScheduleYear || y > maxScheduleYear {
				t.Fatalf("year %d accepted", y)
			}
			if i > 0 && !ovs[i-1].Date.Before(o.Date) {
				t.Fatal("dates not strictly increasing")
			}
			if !utf8.ValidString(o.Name) || utf8.RuneCountInString(o.Name) > maxNameRunes || strings.TrimSpace(o.Name) != o.Name {
				t.Fatalf("bad name %q", o.Name)
			}
		}
		// What was accepted must survive a round trip through the admin view.
		again, err := ParseSchedule(FormatSchedule(ovs))
		if err != nil {
			t.Fatalf("re-parsing FormatSchedule output: %v", err)
		}
		if len(again) != len(ovs) {
			t.Fatalf("round trip gave %d overrides, want %d", len(again), len(ovs))
		}
		for i := range ovs {
			if !again[i].Date.Equal(ovs[i].Date) || again[i].Working != ovs[i].Working || again[i].Name != ovs[i].Name {
				t.Fatalf("round trip changed %+v into %+v", ovs[i], again[i])
			}
		}
		c := New(ovs)
		for _, o := range ovs {
			if w, name, src := c.DayInfo(o.Date); w != o.Working || name != o.Name || src != SourceOverride {
				t.Fatalf("calendar ignores override %+v: %v %q %q", o, w, name, src)
			}
		}
	})
}
