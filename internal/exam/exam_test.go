package exam

import (
	"reflect"
	"testing"

	"dibao/internal/enroll"
)

func q(id int64, k Kind, cat enroll.Category, diff int) Question {
	x := Question{ID: id, Version: 1, Kind: k, Category: cat, Difficulty: diff, Stem: "题"}
	switch k {
	case Single:
		x.Options, x.Correct = []string{"甲", "乙", "丙", "丁"}, []int{1}
	case Multiple:
		x.Options, x.Correct = []string{"甲", "乙", "丙", "丁"}, []int{0, 2}
	case TrueFalse:
		x.Correct = []int{0}
	case Fill:
		x.Accepted = []string{"7", "七"}
	}
	return x
}

// TestGradeHandWorked grades a paper worked out by hand: single 10, multiple
// 20, true/false 10, fill-in 10 = 50 points. Right single, half-right
// multiple (earns nothing: all or nothing), right true/false, full-width
// fill-in "７" → 30 of 50 = 60 → passes at 60, fails at 61.
func TestGradeHandWorked(t *testing.T) {
	items := []Item{
		{N: 1, Question: q(1, Single, enroll.PolicyLaw, 1), Points: 10},
		{N: 2, Question: q(2, Multiple, enroll.PolicyLaw, 1), Points: 20},
		{N: 3, Question: q(3, TrueFalse, enroll.Ethics, 1), Points: 10},
		{N: 4, Question: q(4, Fill, enroll.BusinessSkills, 2), Points: 10},
	}
	answers := map[int]string{1: "1", 2: "0", 3: "true", 4: " ７ "}
	r := Grade(items, answers, 60)
	if r.Score != 60 || !r.Passed || r.Earned != 30 || r.Total != 50 {
		t.Fatalf("result %+v", r)
	}
	if r.Marks[1].Right || !r.Marks[3].Right {
		t.Fatalf("marks %+v", r.Marks)
	}
	if Grade(items, answers, 61).Passed {
		t.Fatal("60 passed a mark of 61")
	}
	// Both multiple options right, the extra wrong one makes it wrong.
	answers[2] = "0,2"
	if r := Grade(items, answers, 60); r.Score != 100 {
		t.Fatalf("all right: %+v", r)
	}
	answers[2] = "0,1,2"
	if r := Grade(items, answers, 60); r.Score != 60 {
		t.Fatalf("extra option: %+v", r)
	}
	// Scaling rounds half up: 1 of 3 equal questions = 33.3 → 33; 2 of 3 = 66.7 → 67.
	three := items[:1]
	three = append(three, Item{N: 2, Question: q(5, Single, enroll.PolicyLaw, 1), Points: 10},
		Item{N: 3, Question: q(6, Single, enroll.PolicyLaw, 1), Points: 10})
	if r := Grade(three, map[int]string{1: "1"}, 60); r.Score != 33 {
		t.Fatalf("1/3: %d", r.Score)
	}
	if r := Grade(three, map[int]string{1: "1", 2: "1"}, 60); r.Score != 67 {
		t.Fatalf("2/3: %d", r.Score)
	}
	if r := Grade(three, nil, 60); r.Score != 0 || r.Passed {
		t.Fatalf("blank: %+v", r)
	}
}

func TestNormalizeAndFill(t *testing.T) {
	for in, want := range map[string]string{" ABC ": "abc", "ＡＢＣ１２": "abc12", "入户  调查": "入户 调查", "\t七\n": "七"} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	f := Question{Kind: Fill, Accepted: []string{"CPI"}}
	if !Right(f, "ｃｐｉ") || Right(f, "cp") || Right(f, "") {
		t.Fatal("fill-in comparison")
	}
	tf := Question{Kind: TrueFalse, Correct: []int{1}}
	if !Right(tf, "false") || Right(tf, "true") {
		t.Fatal("true/false")
	}
}

func TestCheckQuestion(t *testing.T) {
	ok := q(1, Single, enroll.PolicyLaw, 1)
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	bad := ok
	bad.Correct = []int{0, 1}
	if err := bad.Check(); err == nil {
		t.Fatal("single with two answers accepted")
	}
	m := q(2, Multiple, enroll.PolicyLaw, 1)
	m.Correct = []int{0}
	if err := m.Check(); err == nil {
		t.Fatal("multiple with one answer accepted")
	}
	f := q(3, Fill, enroll.Ethics, 4)
	if err := f.Check(); err == nil {
		t.Fatal("difficulty 4 accepted")
	}
}

// TestDrawAndShuffleReproducible checks that the same seed draws the same
// questions, a different seed (over a big enough pool) differs, and a rule
// the bank cannot fill is refused in Chinese.
func TestDrawAndShuffleReproducible(t *testing.T) {
	var bank []Question
	for i := int64(1); i <= 20; i++ {
		bank = append(bank, q(i, Single, enroll.PolicyLaw, 1))
	}
	bank = append(bank, q(21, TrueFalse, enroll.Ethics, 2), q(22, TrueFalse, enroll.Ethics, 2))
	p := Paper{Rules: []Rule{{Category: enroll.PolicyLaw, Difficulty: 1, Count: 5, Points: 4},
		{Category: enroll.Ethics, Difficulty: 2, Count: 2, Points: 5}}}
	a, err := Draw(bank, p, 42)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Draw(bank, p, 42)
	c, _ := Draw(bank, p, 43)
	ids := func(xs []Item) []int64 {
		var out []int64
		for _, x := range xs {
			out = append(out, x.Question.ID)
		}
		return out
	}
	if len(a) != 7 || !reflect.DeepEqual(ids(a), ids(b)) || reflect.DeepEqual(ids(a), ids(c)) {
		t.Fatalf("draws %v %v %v", ids(a), ids(b), ids(c))
	}
	for _, it := range a[:5] {
		if it.Question.Category != enroll.PolicyLaw || it.Points != 4 {
			t.Fatalf("rule item %+v", it)
		}
	}
	p.Rules[1].Count = 3
	if _, err := Draw(bank, p, 42); err == nil {
		t.Fatal("short pool accepted")
	}
	if _, err := Draw(bank, Paper{Fixed: []Pick{{QuestionID: 99, Points: 10}}}, 1); err == nil {
		t.Fatal("unknown fixed question accepted")
	}
	s1, s2 := Shuffle(a, 7), Shuffle(a, 7)
	if !reflect.DeepEqual(s1, s2) {
		t.Fatal("shuffle not reproducible")
	}
	s3 := Shuffle(a, 8)
	if reflect.DeepEqual(ids(s1), ids(s3)) {
		t.Fatal("different seeds gave the same order")
	}
	for i, it := range s1 {
		if it.N != i+1 || (it.Question.Kind == Single && len(it.Order) != 4) {
			t.Fatalf("item %+v", it)
		}
	}
	if a[0].N != 0 {
		t.Fatal("shuffle changed the paper")
	}
}

func TestCanon(t *testing.T) {
	it := Item{N: 3, Question: q(1, Multiple, enroll.PolicyLaw, 1)}
	if got, err := Canon(it, []string{"2", "0", "2"}); err != nil || got != "0,2" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := Canon(it, []string{"9"}); err == nil {
		t.Fatal("bad option accepted")
	}
	it.Question = q(1, Single, enroll.PolicyLaw, 1)
	if _, err := Canon(it, []string{"0", "1"}); err == nil {
		t.Fatal("two options on a single choice accepted")
	}
}
