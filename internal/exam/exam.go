// Package exam holds the pure rules of theory exams (issue 6 items 1, 2;
// SPEC §3.4): question types and their checks, papers fixed or drawn by
// rule from a seed, the per-candidate shuffle of questions and options, and
// grading to 100 points. It does no I/O.
//
// Grading: each question carries points; the score is the points earned
// scaled to 100 (rounded half up). A multiple-choice question earns its
// points only when exactly the correct options are chosen (all or nothing,
// no partial credit). A fill-in answer is right when, normalised (trimmed,
// full-width folded to half-width, case folded, inner blanks collapsed), it
// equals one of the accepted answers normalised the same way.
package exam

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"dibao/internal/enroll"
	"dibao/internal/errs"
)

// Kind is a question type.
type Kind string

// Question types.
const (
	Single    Kind = "single"    // 单选题
	Multiple  Kind = "multiple"  // 多选题
	TrueFalse Kind = "truefalse" // 判断题
	Fill      Kind = "fill"      // 填空题
)

// Kinds lists the types in display order.
var Kinds = []Kind{Single, Multiple, TrueFalse, Fill}

var kindLabels = map[Kind]string{Single: "单选题", Multiple: "多选题", TrueFalse: "判断题", Fill: "填空题"}

// Label is the Chinese name of the type.
func (k Kind) Label() string { return kindLabels[k] }

// Valid reports whether k is a known type.
func (k Kind) Valid() bool { _, ok := kindLabels[k]; return ok }

// KindByLabel finds a type by its Chinese name or code (for imports).
func KindByLabel(s string) (Kind, bool) {
	s = strings.TrimSpace(s)
	for k, l := range kindLabels {
		if s == l || s == string(k) {
			return k, true
		}
	}
	return "", false
}

// TrueFalse options: a true/false question has these two fixed options;
// Correct is {0} for 正确 and {1} for 错误.
var TrueFalseOptions = []string{"正确", "错误"}

// Limits.
const (
	MaxStem     = 500
	MaxOption   = 200
	MaxOptions  = 8
	MaxAnswer   = 200 // a fill-in answer, in characters
	MaxAccepted = 10
)

// Question is one version of a bank question.
type Question struct {
	ID         int64           `json:"id"`
	Version    int             `json:"version"`
	Kind       Kind            `json:"kind"`
	Category   enroll.Category `json:"category"`
	Difficulty int             `json:"difficulty"` // 1 easy … 3 hard
	Stem       string          `json:"stem"`
	Options    []string        `json:"options,omitempty"`  // single and multiple
	Correct    []int           `json:"correct,omitempty"`  // indices into Options (true/false: 0 正确, 1 错误)
	Accepted   []string        `json:"accepted,omitempty"` // fill-in
}

// DifficultyLabel names a difficulty.
func DifficultyLabel(d int) string {
	switch d {
	case 1:
		return "易"
	case 2:
		return "中"
	case 3:
		return "难"
	}
	return ""
}

// Clean trims the texts and sorts Correct; Check then validates.
func (q *Question) Clean() {
	q.Stem = strings.TrimSpace(q.Stem)
	for i := range q.Options {
		q.Options[i] = strings.TrimSpace(q.Options[i])
	}
	var acc []string
	for _, a := range q.Accepted {
		if a = strings.TrimSpace(a); a != "" {
			acc = append(acc, a)
		}
	}
	q.Accepted = acc
	slices.Sort(q.Correct)
	q.Correct = slices.Compact(q.Correct)
	switch q.Kind {
	case TrueFalse:
		q.Options, q.Accepted = nil, nil
	case Fill:
		q.Options, q.Correct = nil, nil
	default:
		q.Accepted = nil
	}
}

// Check validates a question with Chinese messages per field.
func (q Question) Check() error {
	var l errs.List
	if !q.Kind.Valid() {
		l.Add("kind", "请选择题型（单选题、多选题、判断题、填空题）")
	}
	if !q.Category.Valid() {
		l.Add("category", "请选择内容类别")
	}
	if q.Difficulty < 1 || q.Difficulty > 3 {
		l.Add("difficulty", "难度应为 1（易）、2（中）或 3（难）")
	}
	if q.Stem == "" || utf8.RuneCountInString(q.Stem) > MaxStem {
		l.Add("stem", "请填写题干（不超过%d字）", MaxStem)
	}
	switch q.Kind {
	case Single, Multiple:
		if len(q.Options) < 2 || len(q.Options) > MaxOptions {
			l.Add("options", "选择题应有 2 至 %d 个选项", MaxOptions)
		}
		for i, o := range q.Options {
			if o == "" || utf8.RuneCountInString(o) > MaxOption {
				l.Add("options", "选项%s为空或超过%d字", Letter(i), MaxOption)
				break
			}
		}
		for _, c := range q.Correct {
			if c < 0 || c >= len(q.Options) {
				l.Add("correct", "正确答案不在选项之中")
				break
			}
		}
		if q.Kind == Single && len(q.Correct) != 1 {
			l.Add("correct", "单选题应有且只有一个正确答案")
		}
		if q.Kind == Multiple && len(q.Correct) < 2 {
			l.Add("correct", "多选题应有至少两个正确答案")
		}
	case TrueFalse:
		if len(q.Correct) != 1 || q.Correct[0] < 0 || q.Correct[0] > 1 {
			l.Add("correct", "判断题的答案应为“正确”或“错误”")
		}
	case Fill:
		if len(q.Accepted) == 0 || len(q.Accepted) > MaxAccepted {
			l.Add("accepted", "填空题应有 1 至 %d 个可接受答案", MaxAccepted)
		}
		for _, a := range q.Accepted {
			if utf8.RuneCountInString(a) > MaxAnswer {
				l.Add("accepted", "可接受答案不超过%d字", MaxAnswer)
				break
			}
		}
	}
	return l.Err()
}

// Letter is the label of option i: A, B, C …
func Letter(i int) string { return string(rune('A' + i)) }

// Normalize folds a fill-in answer for comparison: trim, full-width to
// half-width, case fold, runs of blanks to one space.
func Normalize(s string) string {
	s = width.Fold.String(s)
	s = strings.ToLower(s)
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// Review says what a candidate may see after submitting.
type Review string

// Review settings.
const (
	ReviewNone    Review = "none"    // nothing but that it was submitted
	ReviewScore   Review = "score"   // the score and pass/fail
	ReviewAnswers Review = "answers" // also their answers and the correct answers
)

var reviewLabels = map[Review]string{ReviewNone: "不公布成绩", ReviewScore: "只公布成绩", ReviewAnswers: "公布成绩、作答和正确答案"}

// Reviews lists the settings in display order.
var Reviews = []Review{ReviewNone, ReviewScore, ReviewAnswers}

// Label names the setting.
func (r Review) Label() string { return reviewLabels[r] }

// Valid reports whether r is a known setting.
func (r Review) Valid() bool { _, ok := reviewLabels[r]; return ok }

// Pick is one fixed question of a paper.
type Pick struct {
	QuestionID int64 `json:"question_id"`
	Points     int   `json:"points"`
}

// Rule draws Count questions of a category and difficulty, each worth
// Points.
type Rule struct {
	Category   enroll.Category `json:"category"`
	Difficulty int             `json:"difficulty"`
	Count      int             `json:"count"`
	Points     int             `json:"points"`
}

// Paper is a fixed list of questions, or rules to draw them; not both.
type Paper struct {
	Fixed []Pick `json:"fixed,omitempty"`
	Rules []Rule `json:"rules,omitempty"`
}

// MaxQuestions bounds a paper.
const MaxQuestions = 200

// Check validates the paper's shape (the bank is checked by Draw).
func (p Paper) Check() error {
	var l errs.List
	switch {
	case len(p.Fixed) == 0 && len(p.Rules) == 0:
		l.Add("paper", "请选择试题或填写抽题规则")
	case len(p.Fixed) > 0 && len(p.Rules) > 0:
		l.Add("paper", "试卷只能是固定试题或按规则抽题，不能同时使用")
	}
	n := 0
	seen := map[int64]bool{}
	for _, f := range p.Fixed {
		if f.Points < 1 || f.Points > 100 {
			l.Add("paper", "每题分值应为 1 至 100 分")
			break
		}
		if seen[f.QuestionID] {
			l.Add("paper", "试题 %d 重复选择", f.QuestionID)
			break
		}
		seen[f.QuestionID] = true
		n++
	}
	type key struct {
		c enroll.Category
		d int
	}
	rules := map[key]bool{}
	for _, r := range p.Rules {
		switch {
		case !r.Category.Valid():
			l.Add("paper", "抽题规则的内容类别无效")
		case r.Difficulty < 1 || r.Difficulty > 3:
			l.Add("paper", "抽题规则的难度应为 1 至 3")
		case r.Count < 1:
			l.Add("paper", "抽题数量应至少为 1")
		case r.Points < 1 || r.Points > 100:
			l.Add("paper", "每题分值应为 1 至 100 分")
		case rules[key{r.Category, r.Difficulty}]:
			l.Add("paper", "抽题规则重复：%s · 难度%s", r.Category.Label(), DifficultyLabel(r.Difficulty))
		}
		rules[key{r.Category, r.Difficulty}] = true
		n += r.Count
	}
	if n > MaxQuestions {
		l.Add("paper", "试卷题量不能超过 %d 题", MaxQuestions)
	}
	return l.Err()
}

// Item is one question of a paper or attempt as given: the question
// version, its points and, in an attempt, its position and option order.
type Item struct {
	N        int      `json:"n"` // 1-based position in the attempt
	Question Question `json:"question"`
	Points   int      `json:"points"`
	Order    []int    `json:"order,omitempty"` // option display order (original indices)
}

// Draw builds a paper from the current versions in bank: the fixed picks in
// their order, or for each rule Count questions of its category and
// difficulty chosen reproducibly from seed (the same bank, rules and seed
// always give the same questions).
func Draw(bank []Question, p Paper, seed int64) ([]Item, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	byID := map[int64]Question{}
	for _, q := range bank {
		byID[q.ID] = q
	}
	var out []Item
	for _, f := range p.Fixed {
		q, ok := byID[f.QuestionID]
		if !ok {
			return nil, errs.Invalidf("paper", "试题 %d 不存在或已停用", f.QuestionID)
		}
		out = append(out, Item{Question: q, Points: f.Points})
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x6578616d))
	for _, rule := range p.Rules {
		var pool []Question
		for _, q := range bank {
			if q.Category == rule.Category && q.Difficulty == rule.Difficulty {
				pool = append(pool, q)
			}
		}
		if len(pool) < rule.Count {
			return nil, errs.Invalidf("paper", "题库中「%s · 难度%s」只有 %d 题，不足 %d 题", rule.Category.Label(),
				DifficultyLabel(rule.Difficulty), len(pool), rule.Count)
		}
		sort.Slice(pool, func(i, j int) bool { return pool[i].ID < pool[j].ID })
		r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		for _, q := range pool[:rule.Count] {
			out = append(out, Item{Question: q, Points: rule.Points})
		}
	}
	return out, nil
}

// Shuffle gives a paper to one candidate: the questions in an order and
// each choice question's options in an order drawn from seed, numbered
// 1…n. The paper is not changed.
func Shuffle(paper []Item, seed int64) []Item {
	r := rand.New(rand.NewPCG(uint64(seed), 0x73687566))
	out := make([]Item, len(paper))
	copy(out, paper)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for i := range out {
		out[i].N = i + 1
		out[i].Order = nil
		if k := out[i].Question.Kind; k == Single || k == Multiple {
			out[i].Order = r.Perm(len(out[i].Question.Options))
		}
	}
	return out
}

// Canon turns the submitted values of one question into the stored answer:
// choice questions send original option indices ("0", "2"), stored sorted
// and comma-joined; true/false sends "true" or "false"; fill-in sends text.
// An empty answer ("") means not answered.
func Canon(it Item, values []string) (string, error) { return it.Slot().Canon(values) }

// Slot is what turning submitted values into a stored answer needs of an
// item: its position, kind and number of options. An attempt's items are
// a snapshot, so its slots never change and a server may keep them.
type Slot struct {
	N       int
	Kind    Kind
	Options int
}

// Slot is the item's slot.
func (it Item) Slot() Slot {
	return Slot{N: it.N, Kind: it.Question.Kind, Options: len(it.Question.Options)}
}

// Canon is Canon for the item of slot s.
func (s Slot) Canon(values []string) (string, error) {
	switch s.Kind {
	case Single, Multiple:
		var idx []int
		for _, v := range values {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n >= s.Options {
				return "", errs.Invalidf(fmt.Sprintf("q-%d", s.N), "第%d题的选项无效", s.N)
			}
			idx = append(idx, n)
		}
		slices.Sort(idx)
		idx = slices.Compact(idx)
		if s.Kind == Single && len(idx) > 1 {
			return "", errs.Invalidf(fmt.Sprintf("q-%d", s.N), "第%d题是单选题，只能选一个选项", s.N)
		}
		parts := make([]string, len(idx))
		for i, n := range idx {
			parts[i] = strconv.Itoa(n)
		}
		return strings.Join(parts, ","), nil
	case TrueFalse:
		v := ""
		if len(values) > 0 {
			v = strings.TrimSpace(values[len(values)-1])
		}
		if v != "" && v != "true" && v != "false" {
			return "", errs.Invalidf(fmt.Sprintf("q-%d", s.N), "第%d题的答案应为“正确”或“错误”", s.N)
		}
		return v, nil
	default:
		v := ""
		if len(values) > 0 {
			v = strings.TrimSpace(values[len(values)-1])
		}
		if utf8.RuneCountInString(v) > MaxAnswer {
			return "", errs.Invalidf(fmt.Sprintf("q-%d", s.N), "第%d题的答案不能超过%d字", s.N, MaxAnswer)
		}
		return v, nil
	}
}

// Chosen reads a stored choice answer back as option indices.
func Chosen(answer string) []int {
	var out []int
	for _, p := range strings.Split(answer, ",") {
		if n, err := strconv.Atoi(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// Right reports whether a stored answer is right.
func Right(q Question, answer string) bool {
	if answer == "" {
		return false
	}
	switch q.Kind {
	case Single, Multiple:
		return slices.Equal(Chosen(answer), q.Correct) // all or nothing
	case TrueFalse:
		return len(q.Correct) == 1 && (answer == "true") == (q.Correct[0] == 0)
	case Fill:
		a := Normalize(answer)
		for _, acc := range q.Accepted {
			if Normalize(acc) == a {
				return true
			}
		}
	}
	return false
}

// CorrectText shows the correct answer of a question.
func CorrectText(q Question) string {
	switch q.Kind {
	case Single, Multiple:
		var s []string
		for _, c := range q.Correct {
			s = append(s, Letter(c))
		}
		return strings.Join(s, "")
	case TrueFalse:
		if len(q.Correct) == 1 {
			return TrueFalseOptions[q.Correct[0]]
		}
	case Fill:
		return strings.Join(q.Accepted, " / ")
	}
	return ""
}

// Mark is the grading of one item.
type Mark struct {
	N      int
	Right  bool
	Earned int
}

// Result is a graded attempt.
type Result struct {
	Score  int // 0–100
	Passed bool
	Earned int // raw points
	Total  int
	Marks  []Mark
}

// Grade grades items against answers (by position n; a missing answer is
// wrong) and scales the points earned to 100, rounding half up; passed is
// score ≥ passMark.
func Grade(items []Item, answers map[int]string, passMark int) Result {
	var res Result
	for _, it := range items {
		res.Total += it.Points
		ok := Right(it.Question, answers[it.N])
		m := Mark{N: it.N, Right: ok}
		if ok {
			m.Earned = it.Points
			res.Earned += it.Points
		}
		res.Marks = append(res.Marks, m)
	}
	if res.Total > 0 {
		res.Score = (res.Earned*200 + res.Total) / (2 * res.Total)
	}
	res.Passed = res.Score >= passMark
	return res
}
