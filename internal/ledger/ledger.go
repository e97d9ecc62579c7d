// Package ledger reads a county's existing recipient register (台账) as
// typed into the import template, and checks every row before anything is
// written. It is pure: the caller passes the sheet's rows, the villages of
// the importing county, today's date and a look-up of ID numbers already
// in the database, and gets back a row-by-row report in Chinese and the
// households of the valid rows.
//
// The template has one row per recipient household:
//
//	序号                    optional, the ledger's own number (kept in the household's notes)
//	村（社区）代码          required, 12 digits, a village or community of the importing county
//	户主姓名                required
//	户主公民身份号码        required, 18 characters with a valid check digit and birth date
//	联系电话                optional, a mobile number or 区号-座机号
//	家庭人口                required, 1–30, not fewer than the members listed in the row
//	保障人口                required, 1–家庭人口, stored as the recipient's covered members
//	城乡类别                required, 城市 or 农村
//	保障类别                optional, A, B or C (as on the approval form); empty stays empty
//	月保障金额（元）        required, more than 0 and at most MaxAmount
//	保障起始年月            required, YYYY-MM (also 2024/03, 2024.03, 2024年3月, 202403, or a date
//	                        such as 2024-03-01 or 2024/3/1 as Excel shows one), not after next month
//	开户银行                required when 银行账号 is given
//	银行账号                optional, 12–30 digits
//	住址                    required
//	成员N姓名, 成员N公民身份号码, 成员N与户主关系   optional, N = 2 … 1+MaxExtra
//
// Members: the household model (internal/household) keeps named members
// with an ID number each and has no place for unnamed ones, so the head is
// imported as the first member and up to MaxExtra further members may be
// listed in the row. A ledger that lists only the head still imports: the
// family size (家庭人口) is kept in the household's notes and the covered
// count (保障人口) on the recipient, and the remaining members are added
// later through the household form. Ledgers do not record labour capacity
// or health, which the model requires: an imported member under 16 or aged
// 60 and over is recorded as 无劳动能力, everyone else as 有劳动能力, and
// everyone as 健康 and living in the household — to be corrected at the
// first periodic review.
//
// Headers are matched by exact title after trimming spaces and treating
// full-width and half-width brackets alike, in any column order; columns
// with other titles are ignored. Blank rows are skipped. Row numbers in the
// report are the spreadsheet's own (the header is row 1).
package ledger

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
)

// MaxExtra is how many members besides the head a row may list.
const MaxExtra = 5

// MaxAmount is the default upper bound of a household's monthly amount: a
// larger figure is a typing error (fen typed as yuan, a stray digit).
const MaxAmount = money.Fen(20000_00)

// Column titles of the template.
const (
	ColSeq        = "序号"
	ColVillage    = "村（社区）代码"
	ColHeadName   = "户主姓名"
	ColHeadID     = "户主公民身份号码"
	ColPhone      = "联系电话"
	ColFamily     = "家庭人口"
	ColCovered    = "保障人口"
	ColUrban      = "城乡类别"
	ColCategory   = "保障类别"
	ColAmount     = "月保障金额（元）"
	ColStartMonth = "保障起始年月"
	ColBankName   = "开户银行"
	ColBank       = "银行账号"
	ColAddress    = "住址"
)

// Column describes one template column.
type Column struct {
	Title    string
	Required bool
	Rule     string // the rule shown on the template's 填写说明 sheet
	Example  string // the example row's value
	Width    float64
	Text     bool // formatted as text in the template (codes, ID and account numbers, months)
}

// The example row's ID numbers: valid, in the demo county, never issued.
var (
	exampleHead   = string(idcard.Make("130199", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), 1))
	exampleSpouse = string(idcard.Make("130199", time.Date(1952, 3, 4, 0, 0, 0, 0, time.UTC), 2))
)

// MemberName, MemberID and MemberRelation are the titles of extra member n (2 …).
func MemberName(n int) string     { return fmt.Sprintf("成员%d姓名", n) }
func MemberID(n int) string       { return fmt.Sprintf("成员%d公民身份号码", n) }
func MemberRelation(n int) string { return fmt.Sprintf("成员%d与户主关系", n) }

// Columns lists the template's columns in order.
func Columns() []Column {
	cols := []Column{
		{ColSeq, false, "可选，台账原有序号，导入后记入家庭备注", "1", 6, false},
		{ColVillage, true, "必填，12位行政区划代码，必须是本县（市、区）的村（社区）", "130199101201", 16, true},
		{ColHeadName, true, "必填，不超过30个字", "张三", 10, false},
		{ColHeadID, true, "必填，18位居民身份证号（校验位与出生日期须正确）；请将该列设为“文本”，避免 Excel 改成科学计数法", exampleHead, 22, true},
		{ColPhone, false, "可选，11位手机号或“区号-座机号”", "13800000000", 14, true},
		{ColFamily, true, "必填，1至30的整数，不少于本行登记的成员人数", "2", 8, false},
		{ColCovered, true, "必填，1至家庭人口的整数", "2", 8, false},
		{ColUrban, true, "必填，填“城市”或“农村”", "农村", 8, false},
		{ColCategory, false, "可选，填 A、B 或 C（A类为重点保障）", "B", 8, false},
		{ColAmount, true, fmt.Sprintf("必填，大于0且不超过%s元，最多两位小数", MaxAmount.Yuan()), "560.00", 12, false},
		{ColStartMonth, true, "必填，格式 YYYY-MM（如 2024-03），不晚于下个月", "2024-03", 12, true},
		{ColBankName, false, "填写银行账号时必填", "平安县农村信用社", 18, false},
		{ColBank, false, "可选，12至30位数字；请将该列设为“文本”", "6228480000000000000", 22, true},
		{ColAddress, true, "必填，不超过200个字", "平安县东湖镇李家庄村1组", 24, false},
	}
	for n := 2; n <= 1+MaxExtra; n++ {
		ex := [3]string{}
		if n == 2 {
			ex = [3]string{"李四", exampleSpouse, "配偶"}
		}
		cols = append(cols,
			Column{MemberName(n), false, "可选，其他家庭成员姓名", ex[0], 10, false},
			Column{MemberID(n), false, "填写成员姓名时必填，18位居民身份证号", ex[1], 22, true},
			Column{MemberRelation(n), false, "填写成员姓名时必填：" + strings.Join(relationWords(), "、"), ex[2], 10, false})
	}
	return cols
}

// Rules are the general rules printed on the template's 填写说明 sheet
// before the per-column rules.
var Rules = []string{
	"每个保障家庭填写一行；第一行为表头，请勿修改表头文字（列的顺序可以调整）。",
	"同一身份证号在文件中只能出现一次（户主和成员都算），已登记在系统中的身份证号不能再次导入。",
	"导入前系统逐行检查并列出全部错误；只有确认后才导入有效行，有错误的行不会导入，可修改后重新上传。",
	"台账不记录劳动能力和健康状况：导入时未满16周岁或60周岁以上的成员记为无劳动能力，其余记为有劳动能力，均记为健康，请在首次复核时更正。",
	"示例行仅供参考，导入前请删除。",
}

var relations = []struct {
	code  household.Relation
	words []string
}{
	{"spouse", []string{"配偶", "妻", "妻子", "夫", "丈夫"}},
	{"child", []string{"子女", "子", "儿子", "女", "女儿", "长子", "次子", "长女", "次女"}},
	{"parent", []string{"父母", "父亲", "母亲", "父", "母"}},
	{"grandchild", []string{"孙子女", "孙子", "孙女", "外孙", "外孙女", "外孙子"}},
	{"grandparent", []string{"祖父母", "祖父", "祖母", "外祖父", "外祖母"}},
	{"sibling", []string{"兄弟姐妹", "兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹"}},
	{"other", []string{"其他"}},
}

func relationWords() []string {
	var out []string
	for _, r := range relations {
		out = append(out, r.words[0])
	}
	return out
}

func parseRelation(s string) (household.Relation, bool) {
	for _, r := range relations {
		for _, w := range r.words {
			if s == w {
				return r.code, true
			}
		}
	}
	return "", false
}

// Categories are the accepted 保障类别 values (the approval form's).
var Categories = []string{"A", "B", "C"}

// Problem is one error in the report: the spreadsheet row (0 for the file
// as a whole), the column title and a Chinese message.
type Problem struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// Report is the outcome of a check.
type Report struct {
	Rows   int       `json:"rows"`  // data rows (blank rows not counted)
	Valid  int       `json:"valid"` // rows without any error
	Errors []Problem `json:"errors"`
}

// BadRows is the number of rows with at least one error.
func (r Report) BadRows() int { return r.Rows - r.Valid }

// Entry is one valid row, ready to be stored.
type Entry struct {
	Row        int // spreadsheet row
	Seq        string
	Household  household.Household // region, address, urban, phone, bank, notes, members
	FamilySize int
	Covered    int
	Category   string // "", A, B or C
	Amount     money.Fen
	StartMonth string // YYYY-MM
}

// Options are the facts a check needs from outside.
type Options struct {
	County   region.Code
	Villages map[region.Code]bool // every village or community of County
	Today    time.Time
	// Known reports whether an ID number is already registered (the
	// members' blind index); nil means none is.
	Known     func(idcard.ID) (bool, error)
	MaxAmount money.Fen // 0 = MaxAmount
}

// normTitle makes header matching tolerant of spaces and bracket width.
func normTitle(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u3000', '\n', '\r':
			return -1
		case '(':
			return '（'
		case ')':
			return '）'
		}
		return r
	}, s)
	return s
}

// Header maps each known column title to its index in the header row, or
// fails with a Chinese message naming the missing required columns.
func Header(row []string) (map[string]int, error) {
	known := map[string]string{}
	for _, c := range Columns() {
		known[normTitle(c.Title)] = c.Title
	}
	idx := map[string]int{}
	for i, cell := range row {
		t, ok := known[normTitle(cell)]
		if !ok {
			continue
		}
		if _, dup := idx[t]; dup {
			return nil, errs.Invalidf("file", "表头中“%s”列出现了两次", t)
		}
		idx[t] = i
	}
	var missing []string
	for _, c := range Columns() {
		if _, ok := idx[c.Title]; c.Required && !ok {
			missing = append(missing, c.Title)
		}
	}
	if len(missing) == len(requiredTitles()) {
		return nil, errs.Invalidf("file", "第1行不是台账模板的表头：请下载模板，按模板的表头填写")
	}
	if len(missing) > 0 {
		return nil, errs.Invalidf("file", "表头缺少必填列：%s（请使用台账导入模板）", strings.Join(missing, "、"))
	}
	for n := 2; n <= 1+MaxExtra; n++ {
		_, a := idx[MemberName(n)]
		_, b := idx[MemberID(n)]
		_, c := idx[MemberRelation(n)]
		if (a || b || c) && !(a && b && c) {
			return nil, errs.Invalidf("file", "表头中成员%d的列不完整：姓名、公民身份号码、与户主关系三列须同时存在", n)
		}
	}
	return idx, nil
}

func requiredTitles() []string {
	var out []string
	for _, c := range Columns() {
		if c.Required {
			out = append(out, c.Title)
		}
	}
	return out
}

// Check reads the sheet (row 0 the header) and validates every data row.
// A sheet that is empty or whose header is not the template's is refused
// as a whole with an error; otherwise the report lists every problem and
// entries holds the valid rows in sheet order. An error from Known is
// returned as is.
func Check(rows [][]string, o Options) (Report, []Entry, error) {
	if len(rows) == 0 {
		return Report{}, nil, errs.Invalidf("file", "工作表是空的：请按模板填写后上传")
	}
	idx, err := Header(rows[0])
	if err != nil {
		return Report{}, nil, err
	}
	if o.MaxAmount == 0 {
		o.MaxAmount = MaxAmount
	}
	c := checker{o: o, idx: idx, seen: map[idcard.ID]int{}}
	rep := Report{Errors: []Problem{}}
	var out []Entry
	for i := 1; i < len(rows); i++ {
		if blank(rows[i]) {
			continue
		}
		rep.Rows++
		e, probs, err := c.row(i+1, rows[i])
		if err != nil {
			return Report{}, nil, err
		}
		if len(probs) > 0 {
			rep.Errors = append(rep.Errors, probs...)
			continue
		}
		rep.Valid++
		out = append(out, e)
	}
	if rep.Rows == 0 {
		return Report{}, nil, errs.Invalidf("file", "表中没有数据行：请在表头下方逐行填写保障家庭")
	}
	return rep, out, nil
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

type checker struct {
	o    Options
	idx  map[string]int
	seen map[idcard.ID]int // ID number → first row
}

type rowCheck struct {
	n     int
	cells []string
	idx   map[string]int
	probs []Problem
}

func (r *rowCheck) get(title string) string {
	i, ok := r.idx[title]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

func (r *rowCheck) add(col, format string, args ...any) {
	r.probs = append(r.probs, Problem{Row: r.n, Column: col, Message: fmt.Sprintf(format, args...)})
}

func (r *rowCheck) has(col string) bool {
	for _, p := range r.probs {
		if p.Column == col {
			return true
		}
	}
	return false
}

func (r *rowCheck) text(col, label string, required bool, max int) string {
	s := r.get(col)
	switch {
	case s == "" && required:
		r.add(col, "请填写%s", label)
	case utf8.RuneCountInString(s) > max:
		r.add(col, "%s不能超过%d个字", label, max)
	case strings.ContainsAny(s, "\x00<>"):
		r.add(col, "%s含有不允许的字符", label)
	}
	return s
}

func (r *rowCheck) count(col string, lo, hi int) int {
	s := r.get(col)
	if s == "" {
		r.add(col, "请填写%s", col)
		return 0
	}
	s = strings.TrimSuffix(s, "人")
	s = strings.TrimSuffix(s, ".0")
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		r.add(col, "%s应为%d至%d的整数", col, lo, hi)
		return 0
	}
	return n
}

// scientific reports a number Excel turned into 1.30199E+17.
func scientific(s string) bool {
	return strings.ContainsAny(s, "Ee") && strings.Contains(s, "+") && strings.Contains(s, ".")
}

func (c *checker) id(r *rowCheck, col, s string, required bool) (idcard.ID, error) {
	if s == "" {
		if required {
			r.add(col, "%s", idcard.MsgEmpty)
		}
		return "", nil
	}
	if scientific(s) {
		r.add(col, "身份证号被 Excel 存成了科学计数法（%s），请把该列设为“文本”后重新填写", s)
		return "", nil
	}
	id, err := idcard.Parse(s, c.o.Today)
	if err != nil {
		r.add(col, "%s", errs.As(err).Message)
		return "", nil
	}
	if first, dup := c.seen[id]; dup {
		if first == r.n {
			r.add(col, "与本行另一成员的身份证号重复")
		} else {
			r.add(col, "与第%d行的身份证号重复（同一人只能导入一次）", first)
		}
		return id, nil
	}
	c.seen[id] = r.n
	if c.o.Known != nil {
		known, err := c.o.Known(id)
		if err != nil {
			return "", err
		}
		if known {
			r.add(col, "该身份证号已登记在系统的家庭档案中，不能重复导入")
		}
	}
	return id, nil
}

// labour is the imported labour capacity: none under 16 and from 60.
func labour(id idcard.ID, today time.Time) household.Labour {
	if a := id.Age(today); a < 16 || a >= 60 {
		return "none"
	}
	return "full"
}

func (c *checker) row(n int, cells []string) (Entry, []Problem, error) {
	r := &rowCheck{n: n, cells: cells, idx: c.idx}
	e := Entry{Row: n}
	h := &e.Household
	e.Seq = r.text(ColSeq, "序号", false, 20)

	// Village of the importing county.
	if s := r.get(ColVillage); s == "" {
		r.add(ColVillage, "请填写村（社区）代码")
	} else if code, err := region.Parse(s); err != nil {
		r.add(ColVillage, "%s", errs.As(err).Message)
	} else if !code.Within(c.o.County) {
		r.add(ColVillage, "村（社区）代码 %s 不在本县（市、区）范围内", s)
	} else if code.Level() != region.Village {
		r.add(ColVillage, "%s 不是村（社区）代码，请填写户籍所在村（社区）的12位代码", s)
	} else if !c.o.Villages[code] {
		r.add(ColVillage, "本县没有代码为 %s 的村（社区）", s)
	} else {
		h.Region = code
	}

	headName := r.text(ColHeadName, "户主姓名", true, 30)
	var idErr error
	checkID := func(col, s string, required bool) idcard.ID {
		if idErr != nil {
			return ""
		}
		id, err := c.id(r, col, s, required)
		idErr = err
		return id
	}
	headID := checkID(ColHeadID, r.get(ColHeadID), true)
	h.Members = append(h.Members, household.Member{Name: headName, Relation: "head", IDNumber: headID,
		Labour: labour(headID, c.o.Today), Health: "healthy", CoResident: true})

	for k := 2; k <= 1+MaxExtra; k++ {
		if _, ok := c.idx[MemberName(k)]; !ok {
			continue
		}
		name, idS, rel := r.get(MemberName(k)), r.get(MemberID(k)), r.get(MemberRelation(k))
		if name == "" && idS == "" && rel == "" {
			continue
		}
		name = r.text(MemberName(k), fmt.Sprintf("成员%d姓名", k), true, 30)
		id := checkID(MemberID(k), idS, true)
		relCode, ok := parseRelation(rel)
		switch {
		case rel == "":
			r.add(MemberRelation(k), "请填写成员%d与户主关系", k)
		case rel == "户主" || rel == "本人":
			r.add(MemberRelation(k), "一户只能有一名户主：成员%d请填写与户主的关系", k)
		case !ok:
			r.add(MemberRelation(k), "与户主关系%s无法识别，可填：%s", echo(rel), strings.Join(relationWords(), "、"))
		}
		h.Members = append(h.Members, household.Member{Name: name, Relation: relCode, IDNumber: id,
			Labour: labour(id, c.o.Today), Health: "healthy", CoResident: true})
	}
	if idErr != nil {
		return Entry{}, nil, idErr
	}

	h.Phone = strings.ReplaceAll(r.get(ColPhone), " ", "")
	if h.Phone != "" && !phoneRe(h.Phone) {
		r.add(ColPhone, "联系电话格式不正确（11位手机号或区号-座机号）")
	}
	e.FamilySize = r.count(ColFamily, 1, household.MaxMembers)
	if e.FamilySize > 0 && e.FamilySize < len(h.Members) {
		r.add(ColFamily, "家庭人口（%d人）少于本行登记的成员人数（%d人）", e.FamilySize, len(h.Members))
	}
	e.Covered = r.count(ColCovered, 1, household.MaxMembers)
	if e.Covered > 0 && e.FamilySize > 0 && e.Covered > e.FamilySize {
		r.add(ColCovered, "保障人口（%d人）不能多于家庭人口（%d人）", e.Covered, e.FamilySize)
	}
	switch u := r.get(ColUrban); u {
	case "城市", "城镇", "城市低保":
		h.Urban = true
	case "农村", "农村低保":
	case "":
		r.add(ColUrban, "请填写城乡类别（城市或农村）")
	default:
		r.add(ColUrban, "城乡类别%s无效，只能填“城市”或“农村”", echo(u))
	}
	cat := strings.ToUpper(r.get(ColCategory))
	cat = strings.TrimSuffix(strings.TrimSuffix(cat, "（重点保障）"), "类")
	switch cat {
	case "", "A", "B", "C":
		e.Category = cat
	default:
		r.add(ColCategory, "保障类别%s无效，只能填 A、B 或 C", echo(r.get(ColCategory)))
	}
	e.Amount = c.amount(r)
	e.StartMonth = c.month(r)
	h.BankName = r.text(ColBankName, "开户银行", false, 50)
	bank := strings.ReplaceAll(r.get(ColBank), " ", "")
	switch {
	case bank == "":
	case scientific(bank):
		r.add(ColBank, "银行账号被 Excel 存成了科学计数法（%s），请把该列设为“文本”后重新填写", bank)
	case !allDigits(bank) || len(bank) < 12 || len(bank) > 30:
		r.add(ColBank, "银行账号应为12至30位数字")
	default:
		h.BankAccount = bank
		if h.BankName == "" && !r.has(ColBankName) {
			r.add(ColBankName, "填写银行账号时请同时填写开户银行")
		}
	}
	h.Address = r.text(ColAddress, "住址", true, 200)
	h.Notes = fmt.Sprintf("台账导入：家庭人口%d人，保障人口%d人", e.FamilySize, e.Covered)
	if e.Seq != "" {
		h.Notes += "，台账序号" + e.Seq
	}

	// Last: the household model's own rules, so that an imported household
	// is one the household form would accept.
	if len(r.probs) == 0 {
		if _, err := household.Parse(draftOf(*h), c.o.Today); err != nil {
			for _, fe := range listOf(err) {
				r.add(columnOf(fe.Field), "%s", fe.Message)
			}
		}
	}
	return e, r.probs, nil
}

func (c *checker) amount(r *rowCheck) money.Fen {
	s := r.get(ColAmount)
	if s == "" {
		r.add(ColAmount, "请填写月保障金额")
		return 0
	}
	f, err := money.ParseSigned(s)
	switch {
	case err != nil:
		r.add(ColAmount, "月保障金额%s不是有效金额（%s）", echo(s), errs.As(err).Message)
	case f < 0:
		r.add(ColAmount, "月保障金额不能为负数")
	case f == 0:
		r.add(ColAmount, "月保障金额必须大于0")
	case f > c.o.MaxAmount:
		r.add(ColAmount, "月保障金额 %s 元超过上限 %s 元，请核对", f.Yuan(), c.o.MaxAmount.Yuan())
	default:
		return f
	}
	return 0
}

// ParseMonth reads a month as ledgers write it and returns YYYY-MM.
func ParseMonth(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "月")
	var y, m int
	var ok bool
	for _, sep := range []string{"-", "/", ".", "年"} {
		if a, b, found := strings.Cut(s, sep); found {
			y, ok = atoi(a, 4)
			if !ok {
				return "", false
			}
			// A date typed or formatted by Excel (2024-03-01, 2024/3/1,
			// 2024年3月1日): the month is what counts.
			if mm, d, hasDay := strings.Cut(strings.TrimSuffix(b, "日"), sep2(sep)); hasDay {
				if day, dok := atoi(d, 0); !dok || day < 1 || day > 31 {
					return "", false
				}
				b = mm
			}
			m, ok = atoi(b, 0)
			break
		}
	}
	if y == 0 && len(s) == 6 {
		if y, ok = atoi(s[:4], 4); ok {
			m, ok = atoi(s[4:], 2)
		}
	}
	if !ok || y < 1900 || m < 1 || m > 12 {
		return "", false
	}
	return fmt.Sprintf("%04d-%02d", y, m), true
}

// sep2 is the separator between month and day after sep.
func sep2(sep string) string {
	if sep == "年" {
		return "月"
	}
	return sep
}

func atoi(s string, width int) (int, bool) {
	if s == "" || !allDigits(s) || (width > 0 && len(s) != width) || len(s) > 4 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func (c *checker) month(r *rowCheck) string {
	s := r.get(ColStartMonth)
	if s == "" {
		r.add(ColStartMonth, "请填写保障起始年月")
		return ""
	}
	m, ok := ParseMonth(s)
	if !ok {
		r.add(ColStartMonth, "保障起始年月%s格式不正确，应为 YYYY-MM（如 2024-03）", echo(s))
		return ""
	}
	if m < "1997-01" {
		r.add(ColStartMonth, "保障起始年月 %s 早于1997年，请核对", m)
		return ""
	}
	if next := c.o.Today.AddDate(0, 1, 1-c.o.Today.Day()).Format("2006-01"); m > next {
		r.add(ColStartMonth, "保障起始年月 %s 晚于下个月（%s）", m, next)
		return ""
	}
	return m
}

// echo quotes a cell's value in a message, unless it is long: the report
// is stored and shown unsealed, and a long value in the wrong column may
// be an ID or account number.
func echo(s string) string {
	if utf8.RuneCountInString(s) > 12 {
		return ""
	}
	return "“" + s + "”"
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func phoneRe(s string) bool {
	if len(s) == 11 && s[0] == '1' && s[1] >= '3' && allDigits(s) {
		return true
	}
	if s == "" || s[0] != '0' {
		return false
	}
	area, num, found := strings.Cut(s, "-")
	if !found {
		return allDigits(s) && len(s) >= 10 && len(s) <= 12
	}
	return allDigits(area) && len(area) >= 3 && len(area) <= 4 && allDigits(num) && len(num) >= 7 && len(num) <= 8
}

// draftOf turns the checked household back into the form's draft.
func draftOf(h household.Household) household.Draft {
	d := household.Draft{Region: string(h.Region), Address: h.Address, Urban: "rural", Phone: h.Phone,
		BankName: h.BankName, BankAccount: h.BankAccount, Notes: h.Notes}
	if h.Urban {
		d.Urban = "urban"
	}
	for _, m := range h.Members {
		d.Members = append(d.Members, household.MemberDraft{Name: m.Name, Relation: string(m.Relation),
			IDNumber: string(m.IDNumber), Labour: string(m.Labour), Health: string(m.Health), CoResident: "1"})
	}
	return d
}

func listOf(err error) []*errs.Error {
	var l errs.List
	if e, ok := err.(errs.List); ok {
		l = e
	} else {
		l = errs.List{errs.As(err)}
	}
	return l
}

// columnOf maps a household form field to the template column.
func columnOf(field string) string {
	switch field {
	case "region_code":
		return ColVillage
	case "address":
		return ColAddress
	case "urban":
		return ColUrban
	case "phone":
		return ColPhone
	case "bank_name":
		return ColBankName
	case "bank_account":
		return ColBank
	case "members":
		return ColFamily
	}
	var i int
	var rest string
	if _, err := fmt.Sscanf(field, "members[%d].%s", &i, &rest); err == nil {
		n := i + 1
		switch {
		case rest == "name" && i == 0:
			return ColHeadName
		case rest == "id_number" && i == 0:
			return ColHeadID
		case rest == "name":
			return MemberName(n)
		case rest == "id_number":
			return MemberID(n)
		case rest == "relation":
			return MemberRelation(n)
		}
	}
	return ColSeq
}
