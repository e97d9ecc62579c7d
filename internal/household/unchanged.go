package household

import (
	"strconv"
	"strings"
)

// FillUnchanged implements "blank means unchanged" for the sensitive fields
// of an edit, which are never sent back to the editor: an empty ID number,
// phone, bank account or detail on an existing record keeps the stored
// value. Phone and bank account are removed only with their explicit clear
// flag; a detail is dropped when it no longer applies (grade 0, healthy).
// Members are matched by ID within cur, so a draft cannot pull another
// household's values.
func FillUnchanged(d *Draft, cur Household) {
	if strings.TrimSpace(d.Phone) == "" && !d.PhoneClear {
		d.Phone = cur.Phone
	}
	if strings.TrimSpace(d.BankAccount) == "" && !d.BankClear {
		d.BankAccount = cur.BankAccount
	}
	byID := make(map[string]Member, len(cur.Members))
	for _, m := range cur.Members {
		byID[strconv.FormatInt(m.ID, 10)] = m
	}
	for i := range d.Members {
		md := &d.Members[i]
		m, ok := byID[strings.TrimSpace(md.ID)]
		if !ok {
			continue
		}
		if strings.TrimSpace(md.IDNumber) == "" {
			md.IDNumber = string(m.IDNumber)
		}
		if g, _ := strconv.Atoi(strings.TrimSpace(md.DisabilityGrade)); g > 0 && strings.TrimSpace(md.DisabilityDetail) == "" {
			md.DisabilityDetail = m.DisabilityDetail
		}
		if h := strings.TrimSpace(md.Health); h != "" && h != "healthy" && strings.TrimSpace(md.HealthDetail) == "" {
			md.HealthDetail = m.HealthDetail
		}
	}
}
