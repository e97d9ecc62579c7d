package calendar

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"dibao/internal/errs"
)

// ScheduleField is the errs field of every error ParseSchedule returns.
const ScheduleField = "schedule"

// Limits of ParseSchedule: a wrong year is far likelier a typo than a real
// schedule, and a holiday name is a short label.
const (
	minScheduleYear = 2000
	maxScheduleYear = 2199
	maxNameRunes    = 40
	maxErrors       = 20
)

// ParseSchedule reads an official holiday schedule pasted by an admin, one
// date per line: "2027-10-01 休 国庆节" or "2027-09-26 班 国庆节调休".
//
// The date is YYYY-MM-DD (also YYYY/MM/DD, YYYY.MM.DD, one-digit month or
// day, or 2027年10月1日) in the years 2000–2199; the mark is 休, 放假 or off for a day off and 班,
// 上班 or work for a working day (case-insensitive); the optional name is
// the rest of the line. Fields are separated by spaces, tabs, full-width
// spaces or commas; "#" starts a comment; blank lines are skipped. Each date
// may appear once. The result is sorted by date. On error it returns an
// errs.List of Invalid errors (field ScheduleField), each message naming
// its line (第N行); past 20 of them a last message gives how many more.
func ParseSchedule(text string) ([]Override, error) {
	text = strings.TrimPrefix(text, "\uFEFF")
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var (
		out     []Override
		list    errs.List
		more    int               // errors beyond maxErrors, only counted
		seen    = map[int64]int{} // day → line
		no      int
		lineErr = func(format string, args ...any) {
			if len(list) == maxErrors {
				more++
				return
			}
			list.Add(ScheduleField, "第%d行："+format, append([]any{no}, args...)...)
		}
	)
	for i, line := range strings.Split(text, "\n") {
		no = i + 1
		if !utf8.ValidString(line) {
			lineErr("含有无法识别的字符（请使用 UTF-8 文本）")
			continue
		}
		if j := strings.IndexAny(line, "#＃"); j >= 0 {
			line = line[:j]
		}
		fields := strings.FieldsFunc(line, func(r rune) bool {
			return unicode.IsSpace(r) || r == ',' || r == '，'
		})
		if len(fields) == 0 {
			continue
		}
		if len(fields) < 2 {
			lineErr("缺少“休”或“班”，格式应为“2027-10-01 休 国庆节”")
			continue
		}
		d, ok := parseScheduleDate(fields[0])
		if !ok {
			lineErr("日期“%s”无效，应为 YYYY-MM-DD 格式的实际日期，如 2027-10-01", clip(fields[0]))
			continue
		}
		if y := d.Year(); y < minScheduleYear || y > maxScheduleYear {
			lineErr("年份 %d 超出范围（%d–%d）", y, minScheduleYear, maxScheduleYear)
			continue
		}
		var working bool
		switch strings.ToLower(fields[1]) {
		case "休", "放假", "off":
			working = false
		case "班", "上班", "work":
			working = true
		default:
			lineErr("“%s”应为“休”（放假）或“班”（上班），也可写 off 或 work", clip(fields[1]))
			continue
		}
		name := strings.Join(fields[2:], " ")
		if n := utf8.RuneCountInString(name); n > maxNameRunes {
			lineErr("名称过长（%d 个字，最多 %d 个字）", n, maxNameRunes)
			continue
		}
		if strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
			lineErr("名称含有不可见的控制字符")
			continue
		}
		if prev, dup := seen[toDays(d)]; dup {
			lineErr("日期 %s 与第%d行重复", d.Format(time.DateOnly), prev)
			continue
		}
		seen[toDays(d)] = no
		out = append(out, Override{Date: d, Working: working, Name: name})
	}
	if more > 0 {
		list.Add(ScheduleField, "另有%d处错误未列出，请先改正以上错误", more)
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errs.Invalidf(ScheduleField, "没有找到任何日期，每行应形如“2027-10-01 休 国庆节”")
	}
	slices.SortFunc(out, func(a, b Override) int { return a.Date.Compare(b.Date) })
	return out, nil
}

// FormatSchedule writes overrides in the format ParseSchedule reads, one
// line each in date order, for showing the current schedule to an admin.
// Names containing "#", commas or runs of spaces do not round-trip exactly.
func FormatSchedule(overrides []Override) string {
	sorted := slices.Clone(overrides)
	slices.SortStableFunc(sorted, func(a, b Override) int { return cmp.Compare(toDays(a.Date), toDays(b.Date)) })
	var b strings.Builder
	for _, o := range sorted {
		mark := "休"
		if o.Working {
			mark = "班"
		}
		line := DayOf(o.Date).Format(time.DateOnly) + " " + mark
		if name := strings.Join(strings.Fields(o.Name), " "); name != "" {
			line += " " + name
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// parseScheduleDate accepts 2027-10-01, 2027/10/1, 2027.10.01 and 2027年10月1日.
func parseScheduleDate(s string) (time.Time, bool) {
	var parts []string
	if rest, ok := strings.CutSuffix(s, "日"); ok {
		y, rest, ok1 := strings.Cut(rest, "年")
		m, d, ok2 := strings.Cut(rest, "月")
		if !ok1 || !ok2 {
			return time.Time{}, false
		}
		parts = []string{y, m, d}
	} else {
		// The year has four digits, so the separator is the fifth byte and
		// must be used for both breaks.
		if len(s) < 5 || !strings.ContainsRune("-/.", rune(s[4])) {
			return time.Time{}, false
		}
		parts = strings.Split(s, s[4:5])
		if len(parts) != 3 {
			return time.Time{}, false
		}
	}
	if len(parts[0]) != 4 || len(parts[1]) < 1 || len(parts[1]) > 2 || len(parts[2]) < 1 || len(parts[2]) > 2 {
		return time.Time{}, false
	}
	var n [3]int
	for i, p := range parts {
		for _, r := range p {
			if r < '0' || r > '9' {
				return time.Time{}, false
			}
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return time.Time{}, false
		}
		n[i] = v
	}
	t := Date(n[0], time.Month(n[1]), n[2])
	if t.Year() != n[0] || t.Month() != time.Month(n[1]) || t.Day() != n[2] {
		return time.Time{}, false
	}
	return t, true
}

// clip shortens user input quoted back in an error message.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 20 {
		return s
	}
	return string([]rune(s)[:20]) + "…"
}
