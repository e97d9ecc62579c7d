package exams

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"dibao/internal/authz"
	"dibao/internal/enroll"
	"dibao/internal/errs"
	"dibao/internal/exam"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

// The bank as an Excel sheet: one row per question, the same columns for
// export and import. 编号 empty imports a new question; an existing 编号
// stores the row as a new version of that question when it differs.

// SheetOptions is how many option columns the sheet has.
const SheetOptions = 6

// SheetName is the file name of an export.
const SheetName = "题库.xlsx"

// SheetColumns are the column titles.
var SheetColumns = func() []string {
	c := []string{"编号", "题型", "内容类别", "难度", "题干"}
	for i := 0; i < SheetOptions; i++ {
		c = append(c, "选项"+exam.Letter(i))
	}
	return append(c, "答案")
}()

const colAnswer = 5 + SheetOptions

// answerText writes the answer column: letters for choices, 正确/错误,
// accepted fill-in answers separated by "|".
func answerText(q exam.Question) string {
	if q.Kind == exam.Fill {
		return strings.Join(q.Accepted, "|")
	}
	return exam.CorrectText(q)
}

// ExportBank writes the current bank (retired questions excluded).
func (s *Service) ExportBank(ctx context.Context, p authz.Principal, w io.Writer) error {
	qs, err := s.Questions(ctx, p, false)
	if err != nil {
		return err
	}
	_, err = sheet.Write(w, "题库", sheet.Cols(SheetColumns...), sheet.Rows(qs, func(q store.BankQuestion) []any {
		row := []any{q.ID, q.Kind.Label(), q.Category.Label(), exam.DifficultyLabel(q.Difficulty), q.Stem}
		for i := 0; i < SheetOptions; i++ {
			o := ""
			if i < len(q.Options) {
				o = q.Options[i]
			}
			row = append(row, o)
		}
		return append(row, answerText(q.Question))
	}))
	return err
}

// RowError is one problem of an imported row; Row is the Excel row number
// (the header is row 1).
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// ImportResult reports an import. With any error nothing was written.
type ImportResult struct {
	Rows      int        `json:"rows"`
	Created   int        `json:"created"`
	Revised   int        `json:"revised"`
	Unchanged int        `json:"unchanged"`
	Errors    []RowError `json:"errors"`
}

func categoryOf(s string) (enroll.Category, bool) {
	for _, c := range enroll.Categories {
		if s == c.Label() || s == string(c) {
			return c, true
		}
	}
	return "", false
}

func difficultyOf(s string) (int, bool) {
	switch s {
	case "1", "易":
		return 1, true
	case "2", "中":
		return 2, true
	case "3", "难":
		return 3, true
	}
	return 0, false
}

var fieldColumn = map[string]string{"kind": "题型", "category": "内容类别", "difficulty": "难度", "stem": "题干",
	"options": "选项", "correct": "答案", "accepted": "答案"}

// parseRow reads one data row into a question (ID set when 编号 is given).
func parseRow(row []string) (exam.Question, []RowError) {
	cell := func(i int) string {
		if i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var q exam.Question
	var out []RowError
	add := func(col, msg string) { out = append(out, RowError{Column: col, Message: msg}) }
	if v := cell(0); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			add("编号", "编号应为题库中已有试题的编号，新题留空")
		}
		q.ID = id
	}
	k, ok := exam.KindByLabel(cell(1))
	if !ok {
		add("题型", "题型应为单选题、多选题、判断题或填空题")
	}
	q.Kind = k
	if c, ok := categoryOf(cell(2)); ok {
		q.Category = c
	} else {
		add("内容类别", "内容类别应为政策法规、业务技能、沟通服务或职业道德与廉政")
	}
	if d, ok := difficultyOf(cell(3)); ok {
		q.Difficulty = d
	} else {
		add("难度", "难度应为易、中、难（或 1、2、3）")
	}
	q.Stem = cell(4)
	for i := 0; i < SheetOptions; i++ {
		if o := cell(5 + i); o != "" {
			if len(q.Options) != i {
				add("选项"+exam.Letter(i), "选项应从A起连续填写，中间不能留空")
			}
			q.Options = append(q.Options, o)
		}
	}
	ans := cell(colAnswer)
	switch k {
	case exam.Single, exam.Multiple:
		for _, r := range strings.ToUpper(ans) {
			if r == ',' || r == '，' || r == '、' || r == ' ' {
				continue
			}
			if r < 'A' || r >= 'A'+SheetOptions {
				add("答案", "选择题的答案应为选项字母，如 A 或 ACD")
				q.Correct = nil
				break
			}
			q.Correct = append(q.Correct, int(r-'A'))
		}
	case exam.TrueFalse:
		q.Options = nil
		switch ans {
		case "正确", "对", "√", "是", "T", "true":
			q.Correct = []int{0}
		case "错误", "错", "×", "否", "F", "false":
			q.Correct = []int{1}
		default:
			add("答案", "判断题的答案应为“正确”或“错误”")
		}
	case exam.Fill:
		q.Options = nil
		q.Accepted = strings.FieldsFunc(ans, func(r rune) bool { return r == '|' || r == '｜' })
	}
	// The rules of a question, for columns that read well so far.
	reported := map[string]bool{}
	for _, e := range out {
		reported[strings.TrimRight(e.Column, "ABCDEF")] = true
	}
	q.Clean()
	if err := q.Check(); err != nil {
		var l errs.List
		if !errors.As(err, &l) {
			l = errs.List{errs.As(err)}
		}
		for _, e := range l {
			if col := fieldColumn[e.Field]; !reported[col] {
				reported[col] = true
				add(col, e.Message)
			}
		}
	}
	return q, out
}

func same(a, b exam.Question) bool {
	return a.Kind == b.Kind && a.Category == b.Category && a.Difficulty == b.Difficulty && a.Stem == b.Stem &&
		slices.Equal(a.Options, b.Options) && slices.Equal(a.Correct, b.Correct) && slices.Equal(a.Accepted, b.Accepted)
}

// ImportBank checks every row of an uploaded bank sheet. If any row is
// wrong, nothing is written and the result lists every problem by row and
// column; otherwise all rows are written in one transaction.
func (s *Service) ImportBank(ctx context.Context, p authz.Principal, data []byte) (ImportResult, error) {
	var res ImportResult
	if err := mustManage(p); err != nil {
		return res, err
	}
	rows, err := sheet.Read(bytes.NewReader(data))
	if err != nil {
		return res, err
	}
	if len(rows) == 0 || !slices.Equal(trimHeader(rows[0]), SheetColumns) {
		return res, errs.Invalidf("file", "表头与题库模板不一致：请先导出题库，按导出的表格填写")
	}
	current, err := s.DB.Questions(ctx, true)
	if err != nil {
		return res, err
	}
	byID := map[int64]exam.Question{}
	for _, q := range current {
		byID[q.ID] = q.Question
	}
	var news, revs []exam.Question
	seen := map[int64]int{}
	for i, row := range rows[1:] {
		n := i + 2
		if isBlank(row) {
			continue
		}
		res.Rows++
		q, problems := parseRow(row)
		if q.ID != 0 && len(problems) == 0 {
			if _, ok := byID[q.ID]; !ok {
				problems = append(problems, RowError{Column: "编号", Message: fmt.Sprintf("题库中没有编号为 %d 的试题", q.ID)})
			} else if first, dup := seen[q.ID]; dup {
				problems = append(problems, RowError{Column: "编号", Message: fmt.Sprintf("编号 %d 与第 %d 行重复", q.ID, first)})
			}
			seen[q.ID] = n
		}
		for _, e := range problems {
			e.Row = n
			res.Errors = append(res.Errors, e)
		}
		if len(problems) > 0 {
			continue
		}
		switch {
		case q.ID == 0:
			news = append(news, q)
		case same(q, byID[q.ID]):
			res.Unchanged++
		default:
			revs = append(revs, q)
		}
	}
	if res.Rows == 0 {
		return res, errs.Invalidf("file", "表格中没有试题")
	}
	if len(res.Errors) > 0 {
		return res, nil
	}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		for i := range news {
			if err := tx.CreateQuestion(ctx, &news[i]); err != nil {
				return err
			}
		}
		for i := range revs {
			if err := tx.ReviseQuestion(ctx, &revs[i]); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, store.Entry{Action: "exam.question.import", Object: "exam_bank",
			Detail: fmt.Sprintf("rows=%d created=%d revised=%d unchanged=%d", res.Rows, len(news), len(revs), res.Unchanged)})
	})
	if err != nil {
		return res, err
	}
	res.Created, res.Revised = len(news), len(revs)
	return res, nil
}

func trimHeader(row []string) []string {
	out := slices.Clone(row)
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func isBlank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
