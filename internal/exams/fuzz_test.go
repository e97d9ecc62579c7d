package exams

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/exam"
)

// exportRow is the row ExportBank writes for q, as sheet.Read gives it back.
func exportRow(q exam.Question) []string {
	row := []string{"", q.Kind.Label(), q.Category.Label(), exam.DifficultyLabel(q.Difficulty), q.Stem}
	if q.ID != 0 {
		row[0] = strconv.FormatInt(q.ID, 10)
	}
	for i := 0; i < SheetOptions; i++ {
		o := ""
		if i < len(q.Options) {
			o = q.Options[i]
		}
		row = append(row, o)
	}
	return append(row, answerText(q))
}

// FuzzParseRow reads arbitrary question-bank rows (tab-separated cells):
// it never panics; every problem names a sheet column with a message; a row
// without problems is a question that passes exam's own rules, and its
// export row reads back as the same question.
func FuzzParseRow(f *testing.F) {
	for _, r := range [][]string{
		{"", "单选题", "政策法规", "易", "低保标准由谁制定？", "县政府", "乡镇", "村委会", "", "", "", "A"},
		{"12", "多选题", "业务技能", "2", "哪些收入要计入？", "工资", "养老金", "低保金", "", "", "", "A,B"},
		{"", "判断题", "职业道德与廉政", "难", "可以收受礼品。", "", "", "", "", "", "", "错误"},
		{"", "填空题", "沟通服务", "中", "入户调查至少___人。", "", "", "", "", "", "", "2|两|二"},
		{"-1", "单选题", "x", "4", "", "A", "", "C", "", "", "", "Z"},
		{"abc"},
	} {
		f.Add(strings.Join(r, "\t"))
	}
	f.Fuzz(func(t *testing.T, line string) {
		row := strings.Split(line, "\t")
		q, problems := parseRow(row)
		for _, p := range problems {
			if p.Message == "" || !slices.Contains(SheetColumns, p.Column) && !slices.Contains(SheetColumns, strings.TrimRight(p.Column, "ABCDEF")) && p.Column != "选项" {
				t.Fatalf("problem %+v names no sheet column", p)
			}
		}
		if len(problems) > 0 {
			return
		}
		if err := q.Check(); err != nil {
			t.Fatalf("row %q parsed without problems but Check says %v", row, err)
		}
		back, problems := parseRow(exportRow(q))
		if len(problems) > 0 || !same(q, back) || back.ID != q.ID {
			t.Fatalf("round trip of %+v: %+v %+v", q, back, problems)
		}
	})
}
