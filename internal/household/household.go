// Package household is the pure model of an applicant or recipient
// household: members, income and property, with the validation a village
// clerk's form needs. It parses strings so that the web form and the JSON
// API share one set of rules and one set of Chinese messages.
package household

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/region"
)

// Household is one household with everything SPEC §2.2 needs.
type Household struct {
	ID          int64
	Region      region.Code // the village or community
	Address     string
	Urban       bool
	Phone       string // clear text only in memory; encrypted at rest
	BankName    string
	BankAccount string // clear text only in memory; encrypted at rest
	Notes       string
	Version     int64
	Members     []Member
	Incomes     []Income
	Properties  []Property
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// HeadName is the name of the first member, the head of household.
func (h Household) HeadName() string {
	if len(h.Members) == 0 {
		return ""
	}
	return h.Members[0].Name
}

// Member is one person in the household.
type Member struct {
	ID               int64
	Name             string
	Relation         Relation
	IDNumber         idcard.ID
	DisabilityGrade  int // 0 none, 1–4 as on the disability certificate (一级 most severe)
	DisabilityDetail string
	Labour           Labour
	Health           Health
	HealthDetail     string
	CoResident       bool
}

// Income is one income source over a number of months.
type Income struct {
	ID          int64
	MemberID    int64 // 0 when the income is the household's as a whole
	Kind        IncomeKind
	Description string
	Amount      money.Fen // total received over Months
	Cost        money.Fen // employment or business costs to deduct
	Months      int
}

// Property is one asset.
type Property struct {
	ID          int64
	Kind        PropertyKind
	Description string
	Value       money.Fen
	Quantity    int
	Exempt      bool // e.g. a disability vehicle or an exempted business
}

// Enum is a code with a Chinese label, used for select boxes.
type Enum struct{ Code, Label string }

// Relation to the head of household.
type Relation string

// Labour capacity.
type Labour string

// Health status.
type Health string

// IncomeKind classifies income for the counted / not-counted rule.
type IncomeKind string

// PropertyKind classifies assets for the asset limits.
type PropertyKind string

// Relations, labour, health, income and property kinds with their labels.
var (
	Relations = []Enum{{"head", "户主"}, {"spouse", "配偶"}, {"child", "子女"}, {"parent", "父母"},
		{"grandchild", "孙子女"}, {"grandparent", "祖父母"}, {"sibling", "兄弟姐妹"}, {"other", "其他"}}
	Labours = []Enum{{"full", "有劳动能力"}, {"partial", "部分丧失劳动能力"}, {"none", "无劳动能力"}}
	Healths = []Enum{{"healthy", "健康"}, {"chronic", "慢性病"}, {"serious", "重病"}}
	// IncomeKinds: the first four are counted by default; the rest are the
	// not-counted list of SPEC §2.2 (the benefit engine makes it configurable).
	IncomeKinds = []Enum{{"wage", "工资性收入"}, {"business", "经营净收入"}, {"property", "财产净收入"},
		{"transfer", "转移净收入"}, {"pension", "养老金（个人账户等计入部分）"},
		{"veteran", "优待抚恤金"}, {"family_planning", "计划生育奖励与扶助金"}, {"scholarship", "奖学金、助学金"},
		{"heroism", "见义勇为奖励"}, {"assistance", "社会救助金"}, {"pension_central", "城乡居民基础养老金（中央部分）"}}
	PropertyKinds = []Enum{{"deposit", "存款"}, {"securities", "有价证券、基金"}, {"insurance", "商业保险"},
		{"vehicle", "机动车辆"}, {"house", "房产"}, {"business", "工商登记经营实体"}, {"other", "其他财产"}}
)

// LabelOf returns the label of code in list, or code itself.
func LabelOf(list []Enum, code string) string {
	for _, e := range list {
		if e.Code == code {
			return e.Label
		}
	}
	return code
}

func inEnum(list []Enum, code string) bool {
	for _, e := range list {
		if e.Code == code {
			return true
		}
	}
	return false
}

// Label returns the Chinese label.
func (r Relation) Label() string { return LabelOf(Relations, string(r)) }

// Label returns the Chinese label.
func (l Labour) Label() string { return LabelOf(Labours, string(l)) }

// Label returns the Chinese label.
func (h Health) Label() string { return LabelOf(Healths, string(h)) }

// Label returns the Chinese label.
func (k IncomeKind) Label() string { return LabelOf(IncomeKinds, string(k)) }

// Label returns the Chinese label.
func (k PropertyKind) Label() string { return LabelOf(PropertyKinds, string(k)) }

// Draft is the household as typed into a form or JSON body: all strings, so
// that every mistake can be reported at once with its field.
type Draft struct {
	Region      string        `json:"region_code"`
	Address     string        `json:"address"`
	Urban       string        `json:"urban"` // "urban" or "rural"
	Phone       string        `json:"phone"`
	PhoneClear  bool          `json:"phone_clear,omitempty"` // on edit: remove the stored phone
	BankName    string        `json:"bank_name"`
	BankAccount string        `json:"bank_account"`
	BankClear   bool          `json:"bank_account_clear,omitempty"` // on edit: remove the stored account
	Notes       string        `json:"notes"`
	Members     []MemberDraft `json:"members"`
}

// MemberDraft is one member as typed.
type MemberDraft struct {
	ID               string `json:"id,omitempty"` // set when editing an existing member
	Name             string `json:"name"`
	Relation         string `json:"relation"`
	IDNumber         string `json:"id_number"`
	DisabilityGrade  string `json:"disability_grade"`
	DisabilityDetail string `json:"disability_detail"`
	Labour           string `json:"labour"`
	Health           string `json:"health"`
	HealthDetail     string `json:"health_detail"`
	CoResident       string `json:"co_resident"` // "1"/"true"/"on" or "0"/"false"/""
}

// MaxMembers bounds a household's size; larger input is junk.
const MaxMembers = 30

var (
	phoneRe = regexp.MustCompile(`^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$`)
	bankRe  = regexp.MustCompile(`^\d{12,30}$`)
)

func cleanText(l *errs.List, field, label, s string, required bool, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		l.Add(field, "请填写%s", label)
	case utf8.RuneCountInString(s) > max:
		l.Add(field, "%s不能超过%d个字", label, max)
	case strings.ContainsAny(s, "\x00<>"):
		l.Add(field, "%s含有不允许的字符", label)
	}
	return s
}

func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "on", "yes", "是":
		return true
	}
	return false
}

// Parse validates a draft and returns the household, or every problem at
// once. today bounds birth dates.
func Parse(d Draft, today time.Time) (Household, error) {
	var l errs.List
	h := Household{}
	if rc, err := region.Parse(strings.TrimSpace(d.Region)); err != nil {
		l.Add("region_code", "%s", errs.As(err).Message)
	} else if rc.Level() != region.Village {
		l.Add("region_code", "请选择户籍所在的村（社区）")
	} else {
		h.Region = rc
	}
	h.Address = cleanText(&l, "address", "家庭住址", d.Address, true, 200)
	switch strings.TrimSpace(d.Urban) {
	case "urban":
		h.Urban = true
	case "rural":
	default:
		l.Add("urban", "请选择城市或农村")
	}
	h.Phone = strings.ReplaceAll(strings.TrimSpace(d.Phone), " ", "")
	if h.Phone != "" && !phoneRe.MatchString(h.Phone) {
		l.Add("phone", "联系电话格式不正确（11位手机号或区号-座机号）")
	}
	h.BankName = cleanText(&l, "bank_name", "开户银行", d.BankName, false, 50)
	h.BankAccount = strings.ReplaceAll(strings.TrimSpace(d.BankAccount), " ", "")
	if h.BankAccount != "" && !bankRe.MatchString(h.BankAccount) {
		l.Add("bank_account", "银行账号应为12至30位数字")
	}
	if h.BankAccount != "" && h.BankName == "" {
		l.Add("bank_name", "填写银行账号时请同时填写开户银行")
	}
	h.Notes = cleanText(&l, "notes", "备注", d.Notes, false, 500)

	switch {
	case len(d.Members) == 0:
		l.Add("members", "请至少登记一名家庭成员（户主）")
	case len(d.Members) > MaxMembers:
		l.Add("members", "家庭成员不能超过%d人", MaxMembers)
	}
	seen := map[idcard.ID]int{}
	for i, md := range d.Members {
		if i >= MaxMembers {
			break
		}
		m := parseMember(&l, i, md, today)
		if m.IDNumber != "" {
			if j, dup := seen[m.IDNumber]; dup {
				l.Add(fmt.Sprintf("members[%d].id_number", i), "与第%d名成员的身份证号重复", j+1)
			}
			seen[m.IDNumber] = i
		}
		h.Members = append(h.Members, m)
	}
	if err := l.Err(); err != nil {
		return Household{}, err
	}
	return h, nil
}

func parseMember(l *errs.List, i int, md MemberDraft, today time.Time) Member {
	f := func(name string) string { return fmt.Sprintf("members[%d].%s", i, name) }
	m := Member{}
	if s := strings.TrimSpace(md.ID); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			l.Add(f("id"), "成员编号无效")
		}
		m.ID = id
	}
	m.Name = cleanText(l, f("name"), "姓名", md.Name, true, 30)
	rel := strings.TrimSpace(md.Relation)
	if i == 0 {
		// The first member is the head, whatever the form said.
		rel = "head"
	}
	switch {
	case rel == "":
		l.Add(f("relation"), "请选择与户主关系")
	case !inEnum(Relations, rel):
		l.Add(f("relation"), "与户主关系无效")
	case rel == "head" && i != 0:
		l.Add(f("relation"), "一户只能有一名户主（第一行）")
	}
	m.Relation = Relation(rel)
	if id, err := idcard.Parse(md.IDNumber, today); err != nil {
		l.Add(f("id_number"), "%s", errs.As(err).Message)
	} else {
		m.IDNumber = id
	}
	if g := strings.TrimSpace(md.DisabilityGrade); g != "" {
		n, err := strconv.Atoi(g)
		if err != nil || n < 0 || n > 4 {
			l.Add(f("disability_grade"), "残疾等级应为0（无）至4级")
		}
		m.DisabilityGrade = n
	}
	m.DisabilityDetail = cleanText(l, f("disability_detail"), "残疾情况说明", md.DisabilityDetail, false, 200)
	if m.DisabilityGrade > 0 && m.DisabilityDetail == "" {
		l.Add(f("disability_detail"), "有残疾等级时请填写残疾类别或说明")
	}
	lab := strings.TrimSpace(md.Labour)
	if !inEnum(Labours, lab) {
		l.Add(f("labour"), "请选择劳动能力")
	}
	m.Labour = Labour(lab)
	hl := strings.TrimSpace(md.Health)
	if !inEnum(Healths, hl) {
		l.Add(f("health"), "请选择健康状况")
	}
	m.Health = Health(hl)
	m.HealthDetail = cleanText(l, f("health_detail"), "病情说明", md.HealthDetail, false, 200)
	if m.Health == "serious" && m.HealthDetail == "" {
		l.Add(f("health_detail"), "重病成员请填写病情说明")
	}
	m.CoResident = truthy(md.CoResident)
	return m
}

// IncomeDraft is an income item as typed.
type IncomeDraft struct {
	MemberID    string `json:"member_id"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Amount      string `json:"amount"`
	Cost        string `json:"cost"`
	Months      string `json:"months"`
}

// ParseIncome validates an income item. members are the household's member
// IDs so that an item cannot point into another household.
func ParseIncome(d IncomeDraft, members []int64) (Income, error) {
	var l errs.List
	in := Income{}
	if k := strings.TrimSpace(d.Kind); !inEnum(IncomeKinds, k) {
		l.Add("kind", "请选择收入类别")
	} else {
		in.Kind = IncomeKind(k)
	}
	if s := strings.TrimSpace(d.MemberID); s != "" && s != "0" {
		id, err := strconv.ParseInt(s, 10, 64)
		ok := err == nil
		if ok {
			ok = false
			for _, m := range members {
				ok = ok || m == id
			}
		}
		if !ok {
			l.Add("member_id", "所选成员不属于本户")
		}
		in.MemberID = id
	}
	in.Description = cleanText(&l, "description", "说明", d.Description, false, 200)
	in.Amount = parseAmount(&l, "amount", "收入金额", d.Amount, true)
	in.Cost = parseAmount(&l, "cost", "扣除费用", d.Cost, false)
	if in.Cost > in.Amount {
		l.Add("cost", "扣除费用不能大于收入金额")
	}
	in.Months = 12
	if s := strings.TrimSpace(d.Months); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 12 {
			l.Add("months", "收入计算月数应为1至12")
		}
		in.Months = n
	}
	if err := l.Err(); err != nil {
		return Income{}, err
	}
	return in, nil
}

// PropertyDraft is a property item as typed.
type PropertyDraft struct {
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Value       string `json:"value"`
	Quantity    string `json:"quantity"`
	Exempt      string `json:"exempt"`
}

// ParseProperty validates a property item.
func ParseProperty(d PropertyDraft) (Property, error) {
	var l errs.List
	p := Property{Quantity: 1}
	if k := strings.TrimSpace(d.Kind); !inEnum(PropertyKinds, k) {
		l.Add("kind", "请选择财产类别")
	} else {
		p.Kind = PropertyKind(k)
	}
	p.Description = cleanText(&l, "description", "说明", d.Description, false, 200)
	p.Value = parseAmount(&l, "value", "价值", d.Value, true)
	if s := strings.TrimSpace(d.Quantity); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			l.Add("quantity", "数量应为1至1000")
		}
		p.Quantity = n
	}
	p.Exempt = truthy(d.Exempt)
	if err := l.Err(); err != nil {
		return Property{}, err
	}
	return p, nil
}

// maxItemAmount bounds a single income or property value (100 million
// yuan); anything above is a typing error in a dibao file.
const maxItemAmount = money.Fen(100_000_000_00)

func parseAmount(l *errs.List, field, label, s string, required bool) money.Fen {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			l.Add(field, "请填写%s", label)
		}
		return 0
	}
	f, err := money.Parse(s)
	if err != nil {
		l.Add(field, "%s：%s", label, errs.As(err).Message)
		return 0
	}
	if f > maxItemAmount {
		l.Add(field, "%s过大，请核对（单项不超过1亿元）", label)
		return 0
	}
	return f
}
