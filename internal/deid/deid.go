// Package deid turns a closed case's snapshot into a de-identified library
// case (issue 7 item 3, SPEC §3.3 case seminars). It is pure: no I/O.
//
// Names, ID numbers, phones, addresses and bank accounts are replaced
// consistently within one case (the same original always gets the same
// pseudonym); free text is scrubbed of every occurrence of them, including
// the usual masked and partial forms; dates become days relative to the
// application date; amounts and the procedure (the steps of the timeline)
// are kept.
package deid

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/idcard"
)

// Person is one household member as recorded.
type Person struct {
	Name     string
	IDNumber string
	Relation string // label, e.g. 户主, 配偶
	Age      int
	Notes    string // free text: disability, labour, health details
}

// Income is one income source; Member is the earner's name ("" = household).
type Income struct {
	Kind        string `json:"kind"`
	Member      string `json:"member,omitempty"`
	Description string `json:"description"`
	AmountFen   int64  `json:"amount_fen"`
	CostFen     int64  `json:"cost_fen"`
	Months      int    `json:"months"`
}

// Property is one asset.
type Property struct {
	Kind        string `json:"kind"`
	Description string `json:"description"`
	ValueFen    int64  `json:"value_fen"`
	Quantity    int    `json:"quantity"`
	Exempt      bool   `json:"exempt"`
}

// Event is one step of the case's timeline.
type Event struct {
	At         time.Time
	Transition string
	From, To   string
	Reason     string
	Data       string // JSON or free text of the recorded values
}

// Source is the closed case as read from the store.
type Source struct {
	Applied     time.Time // the application date: day 0
	Profile     string
	Outcome     string // final state
	Category    string
	AmountFen   int64
	Urban       bool
	Address     string
	Phone       string
	BankName    string
	BankAccount string
	Notes       string
	Places      []string // names of the village, town and county, scrubbed from free text
	Members     []Person
	Incomes     []Income
	Properties  []Property
	Events      []Event
	Texts       []string // further free text (documents), scrubbed
}

// Member is a de-identified household member.
type Member struct {
	Alias    string `json:"alias"`
	IDNumber string `json:"id_number"`
	Relation string `json:"relation"`
	Age      int    `json:"age"`
	Notes    string `json:"notes,omitempty"`
}

// Step is one de-identified timeline entry.
type Step struct {
	Day        int    `json:"day"` // days after the application date
	Transition string `json:"transition"`
	From       string `json:"from"`
	To         string `json:"to"`
	Reason     string `json:"reason,omitempty"`
	Data       string `json:"data,omitempty"`
}

// Case is a de-identified library case: safe to store, show and export.
type Case struct {
	Profile     string     `json:"profile"`
	Outcome     string     `json:"outcome"`
	Category    string     `json:"category,omitempty"`
	AmountFen   int64      `json:"amount_fen"`
	Urban       bool       `json:"urban"`
	Address     string     `json:"address"`
	Phone       string     `json:"phone"`
	BankName    string     `json:"bank_name,omitempty"`
	BankAccount string     `json:"bank_account,omitempty"`
	Notes       string     `json:"notes,omitempty"`
	Members     []Member   `json:"members"`
	Incomes     []Income   `json:"incomes"`
	Properties  []Property `json:"properties"`
	Steps       []Step     `json:"steps"`
	Texts       []string   `json:"texts,omitempty"`
}

// Fixed pseudonyms. They are clearly fictitious on sight.
const (
	FakeAddress = "某县某镇某村"
	FakePhone   = "138****0000"
	FakeAccount = "6222********0000"
	FakePlace   = "某地"
	// FakeRegion is the address code of every synthetic ID number: 99 is no
	// province, so the number is valid-looking but cannot be anyone's.
	FakeRegion = "990000"
)

var stems = []string{"甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"}

// Alias returns the pseudonym of the i-th member (0 = head).
func Alias(i int) string {
	s := stems[i%len(stems)]
	if i >= len(stems) {
		s += fmt.Sprint(i / len(stems))
	}
	if i == 0 {
		return "户主" + s
	}
	return "成员" + s
}

// FakeID returns a synthetic, checksum-valid ID number for the i-th member
// with the given age on the application date (so the age is kept).
func FakeID(i, age int, applied time.Time) string {
	y := applied.Year() - age
	if y < 1000 {
		y = 1000
	}
	return string(idcard.Make(FakeRegion, time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), (i+1)%1000))
}

// Make de-identifies the source case.
func Make(src Source) Case {
	sc := newScrubber(src)
	out := Case{Profile: src.Profile, Outcome: src.Outcome, Category: src.Category, AmountFen: src.AmountFen,
		Urban: src.Urban, Address: FakeAddress, BankName: src.BankName, Notes: sc.text(src.Notes)}
	if src.Phone != "" {
		out.Phone = FakePhone
	}
	if src.BankAccount != "" {
		out.BankAccount = FakeAccount
	}
	for i, m := range src.Members {
		out.Members = append(out.Members, Member{Alias: Alias(i), IDNumber: FakeID(i, m.Age, src.Applied),
			Relation: m.Relation, Age: m.Age, Notes: sc.text(m.Notes)})
	}
	out.Incomes = []Income{}
	for _, in := range src.Incomes {
		in.Description = sc.text(in.Description)
		if in.Member != "" {
			in.Member = sc.text(in.Member)
		}
		out.Incomes = append(out.Incomes, in)
	}
	out.Properties = []Property{}
	for _, p := range src.Properties {
		p.Description = sc.text(p.Description)
		out.Properties = append(out.Properties, p)
	}
	out.Steps = []Step{}
	for _, e := range src.Events {
		out.Steps = append(out.Steps, Step{Day: Days(src.Applied, e.At), Transition: e.Transition, From: e.From, To: e.To,
			Reason: sc.text(e.Reason), Data: sc.text(e.Data)})
	}
	for _, t := range src.Texts {
		out.Texts = append(out.Texts, sc.text(t))
	}
	return out
}

// Days is the number of calendar days from the application date to t, in
// the application date's location.
func Days(applied, t time.Time) int {
	a := time.Date(applied.Year(), applied.Month(), applied.Day(), 0, 0, 0, 0, time.UTC)
	t = t.In(applied.Location())
	b := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}

type scrubber struct {
	applied time.Time
	lit     *strings.Replacer
	res     []*regexp.Regexp
	reTo    []string
}

type pair struct{ from, to string }

func newScrubber(src Source) *scrubber {
	var pairs []pair
	add := func(from, to string) {
		if strings.TrimSpace(from) != "" && utf8.RuneCountInString(from) >= 2 {
			pairs = append(pairs, pair{from, to})
		}
	}
	s := &scrubber{applied: src.Applied}
	addRe := func(expr, to string) {
		s.res = append(s.res, regexp.MustCompile(expr))
		s.reTo = append(s.reTo, to)
	}
	for i, m := range src.Members {
		alias := Alias(i)
		name := []rune(strings.TrimSpace(m.Name))
		if len(name) >= 2 {
			add(string(name), alias)
			stars := strings.Repeat("*", len(name)-1)
			add(string(name[0])+stars, alias)                                // 张**
			add(string(name[0])+"某"+strings.Repeat("某", len(name)-2), alias) // 张某某
			add("*"+string(name[1:]), alias)                                 // *建国
			if len(name) >= 3 {
				add(string(name[0])+"*"+string(name[len(name)-1]), alias) // 张*国
				add(string(name[1:]), alias)                              // 建国 (given name)
			}
		}
		id := strings.ToUpper(strings.TrimSpace(m.IDNumber))
		fake := FakeID(i, m.Age, src.Applied)
		if len(id) >= 8 {
			add(id, fake)
			add(strings.ToLower(id), fake)
			last4 := id[len(id)-4:]
			addRe(`[0-9]{0,14}\*+`+regexp.QuoteMeta(last4)+`|`+regexp.QuoteMeta(id[:len(id)-4])+`\*{4}`, fake)
			if len(id) >= 14 {
				add(id[len(id)-6:], fake[len(fake)-6:])
			}
		}
	}
	if p := digits(src.Phone); len(p) >= 7 {
		add(src.Phone, FakePhone)
		add(p, FakePhone)
		if len(p) == 11 {
			add(p[:3]+"-"+p[3:7]+"-"+p[7:], FakePhone)
			add(p[:3]+" "+p[3:7]+" "+p[7:], FakePhone)
			add(p[3:], FakePhone[3:])
		}
		addRe(`[0-9]{0,3}\*{2,}`+regexp.QuoteMeta(p[len(p)-4:]), FakePhone)
	}
	if a := digits(src.BankAccount); len(a) >= 8 {
		add(src.BankAccount, FakeAccount)
		add(a, FakeAccount)
		add(group4(a), FakeAccount)
		add(a[len(a)-8:], FakeAccount[len(FakeAccount)-8:])
		addRe(`[0-9]{0,6}[\* ]*\*{2,}[\* ]*`+regexp.QuoteMeta(a[len(a)-4:]), FakeAccount)
	}
	if addr := strings.TrimSpace(src.Address); addr != "" {
		add(addr, FakeAddress)
		for _, part := range addressParts(addr) {
			add(part, FakePlace)
		}
	}
	for _, pl := range src.Places {
		add(pl, FakePlace)
	}
	// Longest first so that a name's given-name part never pre-empts the
	// full name; strings.Replacer tries the pairs in argument order.
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i].from) > len(pairs[j].from) })
	var args []string
	for _, p := range pairs {
		args = append(args, p.from, p.to)
	}
	s.lit = strings.NewReplacer(args...)
	return s
}

var (
	reDay      = regexp.MustCompile(`(\d{4})-(\d{2})-(\d{2})`)
	reDayCN    = regexp.MustCompile(`(\d{4})年(\d{1,2})月(\d{1,2})日`)
	reMonth    = regexp.MustCompile(`(\d{4})-(0[1-9]|1[0-2])([^\d]|$)`)
	reMonthCN  = regexp.MustCompile(`(\d{4})年(\d{1,2})月`)
	reAddrPart = regexp.MustCompile(`[^省市县区镇乡村组号路街巷道]+(?:省|市|县|区|镇|乡|街道|社区|村|组|号|路|街|巷)`)
)

func (s *scrubber) text(t string) string {
	if t == "" {
		return t
	}
	t = s.lit.Replace(t)
	for i, re := range s.res {
		t = re.ReplaceAllString(t, s.reTo[i])
	}
	return s.dates(t)
}

func (s *scrubber) dates(t string) string {
	day := func(y, m, d string) string {
		var yy, mm, dd int
		fmt.Sscan(y, &yy)
		fmt.Sscan(m, &mm)
		fmt.Sscan(d, &dd)
		at := time.Date(yy, time.Month(mm), dd, 12, 0, 0, 0, s.applied.Location())
		return fmt.Sprintf("第%d天", Days(s.applied, at))
	}
	month := func(y, m string) string {
		var yy, mm int
		fmt.Sscan(y, &yy)
		fmt.Sscan(m, &mm)
		return fmt.Sprintf("第%d月", (yy-s.applied.Year())*12+mm-int(s.applied.Month()))
	}
	t = reDay.ReplaceAllStringFunc(t, func(x string) string { m := reDay.FindStringSubmatch(x); return day(m[1], m[2], m[3]) })
	t = reDayCN.ReplaceAllStringFunc(t, func(x string) string { m := reDayCN.FindStringSubmatch(x); return day(m[1], m[2], m[3]) })
	t = reMonth.ReplaceAllStringFunc(t, func(x string) string { m := reMonth.FindStringSubmatch(x); return month(m[1], m[2]) + m[3] })
	return reMonthCN.ReplaceAllStringFunc(t, func(x string) string { m := reMonthCN.FindStringSubmatch(x); return month(m[1], m[2]) })
}

// addressParts splits an address into its named parts (城关镇, 东风村,
// 3组12号 …) so that a partial mention is scrubbed too.
func addressParts(addr string) []string {
	var out []string
	for _, p := range reAddrPart.FindAllString(addr, -1) {
		if utf8.RuneCountInString(p) >= 3 {
			out = append(out, p)
		}
	}
	return out
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func group4(s string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), " ")
}
