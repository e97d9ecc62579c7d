package household

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"dibao/internal/errs"
	"dibao/internal/region"
)

var fieldRe = regexp.MustCompile(`^([a-z_]+|members|members\[\d+\]\.[a-z_]+)$`)

// checkRefusal: a refusal is a list of Invalid errors, each under a field
// the form or API can point at, with a Chinese message.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var l errs.List
	if !errors.As(err, &l) || len(l) == 0 {
		t.Fatalf("refusal %#v is not a field list", err)
	}
	for _, e := range l {
		if e.Code != errs.Invalid || !fieldRe.MatchString(e.Field) || e.Message == "" {
			t.Fatalf("error %+v", e)
		}
	}
}

// FuzzParse reads a household typed into the form or sent as JSON. Fields
// are separated by "|", members by "\n": region, address, urban, phone,
// bank name, bank account, notes, then per member name, relation, ID
// number, disability grade, labour, health, co-resident.
func FuzzParse(f *testing.F) {
	f.Add("130199101201|李家庄1组|rural|13800000000|信用社|6228480000000000000|", "张三|head|130199197001010011|0|full|healthy|1\n李四|spouse||2|none|sick|0")
	f.Add("130199000000|<b>|city|010-1234567|| 1234 5678 9012 ||", "|head|x|9|||maybe")
	f.Add("1301991012|\x00|urban|12345||123|"+strings.Repeat("长", 501), "")
	f.Fuzz(func(t *testing.T, hh, members string) {
		p := strings.Split(hh, "|")
		get := func(s []string, i int) string {
			if i < len(s) {
				return s[i]
			}
			return ""
		}
		d := Draft{Region: get(p, 0), Address: get(p, 1), Urban: get(p, 2), Phone: get(p, 3), BankName: get(p, 4),
			BankAccount: get(p, 5), Notes: get(p, 6)}
		if members != "" {
			for _, line := range strings.Split(members, "\n") {
				m := strings.Split(line, "|")
				d.Members = append(d.Members, MemberDraft{Name: get(m, 0), Relation: get(m, 1), IDNumber: get(m, 2),
					DisabilityGrade: get(m, 3), Labour: get(m, 4), Health: get(m, 5), CoResident: get(m, 6)})
			}
		}
		today := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
		h, err := Parse(d, today)
		if err != nil {
			checkRefusal(t, err)
			if h.Region != "" || h.Members != nil {
				t.Fatalf("refused with a household: %+v", h)
			}
			return
		}
		if h.Region.Level() != region.Village || h.Address == "" || len(h.Members) == 0 || len(h.Members) > MaxMembers {
			t.Fatalf("household %+v", h)
		}
		if h.Phone != "" && !phoneRe.MatchString(h.Phone) || h.BankAccount != "" && (!bankRe.MatchString(h.BankAccount) || h.BankName == "") {
			t.Fatalf("phone %q bank %q %q", h.Phone, h.BankName, h.BankAccount)
		}
		for _, s := range []string{h.Address, h.BankName, h.Notes} {
			if strings.ContainsAny(s, "\x00<>") || s != strings.TrimSpace(s) {
				t.Fatalf("text %q kept", s)
			}
		}
		seen := map[string]bool{}
		for _, m := range h.Members {
			if m.Name == "" || m.IDNumber == "" || seen[string(m.IDNumber)] || m.DisabilityGrade < 0 || m.DisabilityGrade > 4 {
				t.Fatalf("member %+v", m)
			}
			seen[string(m.IDNumber)] = true
		}
	})
}

// FuzzParseItems reads income and property items: amounts are never
// negative nor above the item bound, deductions never exceed the income,
// months are 1 to 12 and quantities 1 to 1000.
func FuzzParseItems(f *testing.F) {
	f.Add("wage", "", "1,234.50", "100", "12", "3", "1")
	f.Add("pension", "7", "-5", "", "0", "1001", "是")
	f.Add("", "x", "1e9", "abc", "13", "-1", "")
	f.Add("deposit", "", "100000000.01", "", "", "", "")
	f.Fuzz(func(t *testing.T, kind, member, amount, cost, months, quantity, exempt string) {
		in, err := ParseIncome(IncomeDraft{Kind: kind, MemberID: member, Amount: amount, Cost: cost, Months: months}, []int64{7, 8})
		if err != nil {
			checkRefusal(t, err)
			if in != (Income{}) {
				t.Fatalf("refused with %+v", in)
			}
		} else if in.Amount < 0 || in.Amount > maxItemAmount || in.Cost < 0 || in.Cost > in.Amount || in.Months < 1 || in.Months > 12 ||
			(in.MemberID != 0 && in.MemberID != 7 && in.MemberID != 8) {
			t.Fatalf("income %+v", in)
		}
		p, err := ParseProperty(PropertyDraft{Kind: kind, Value: amount, Quantity: quantity, Exempt: exempt})
		if err != nil {
			checkRefusal(t, err)
			if p != (Property{}) {
				t.Fatalf("refused with %+v", p)
			}
		} else if p.Value < 0 || p.Value > maxItemAmount || p.Quantity < 1 || p.Quantity > 1000 {
			t.Fatalf("property %+v", p)
		}
	})
}
