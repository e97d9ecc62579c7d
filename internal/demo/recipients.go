package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
)

// RecipientsMetaKey marks a database whose demo recipient register is loaded.
const RecipientsMetaKey = "demo_recipients_loaded"

// reservedRows is how many of the clerk's eligible households the register
// leaves alone: the demo applications and the cadre's relative use them.
const reservedRows = 8

// RecipientsResult says what LoadRecipients did.
type RecipientsResult struct {
	AlreadyLoaded bool
	Recipients    int
}

// demoPath is the seed profile's main path to approval, with the days each
// step took in a typical case (varied per household).
var demoPath = []struct {
	state string
	days  int
}{{"draft", 0}, {"submitted", 1}, {"accepted", 2}, {"forwarded", 1}, {"investigating", 3}, {"appraisal", 8},
	{"publicity_ready", 3}, {"publicity", 1}, {"township_review", 7}, {"county_decision", 4}, {"approved", 6}}

// LoadRecipients fills the recipient register of the demo county, once:
// every household the benefit engine finds eligible today that has no
// application and is paid through a bank account was approved in the past
// (a closed application whose timeline spans the usual steps, its benefit
// decision, the enrolment in its history), since seven months to three
// years ago, category A, B or C. Those enrolled over a year ago were
// reviewed after a year (unchanged, or a category change); every active one
// has an open periodic review task. So that the rosters differ from month
// to month, the second and third joined two months ago, the fourth and
// fifth last month, the sixth was stopped after two months ago and the
// seventh raised by 60 yuan from last month.
func LoadRecipients(ctx context.Context, db *store.DB, now time.Time) (RecipientsResult, error) {
	if v, err := db.Meta(ctx, RecipientsMetaKey); err != nil || v != "" {
		return RecipientsResult{AlreadyLoaded: v != ""}, err
	}
	users, err := db.Users(ctx, region.All())
	if err != nil {
		return RecipientsResult{}, err
	}
	var clerk store.User
	for _, u := range users {
		if u.Username == "village" {
			clerk = u
		}
	}
	if clerk.ID == 0 {
		return RecipientsResult{}, fmt.Errorf("demo: load the demo county before its recipients")
	}
	today := calendar.DayOf(now)
	skip := map[int64]bool{}
	reserved, err := clerkEligible(ctx, db, clerk, today)
	if err != nil {
		return RecipientsResult{}, err
	}
	for i, r := range reserved {
		if i < reservedRows {
			skip[r.ID] = true
		}
	}
	scope := region.ScopeOf(CountyCode)
	cases, err := db.Cases(ctx, scope, store.CaseFilter{})
	if err != nil {
		return RecipientsResult{}, err
	}
	for _, c := range cases {
		skip[c.HouseholdID] = true
	}
	set, err := policy.Resolve(ctx, db, CountyCode, today)
	if err != nil {
		return RecipientsResult{}, err
	}
	params := set.BenefitParams()
	var all []store.HouseholdRow
	for page := 1; ; page++ {
		rows, total, err := db.Households(ctx, scope, store.HouseholdFilter{Page: page, PageSize: 200})
		if err != nil {
			return RecipientsResult{}, err
		}
		all = append(all, rows...)
		if len(rows) == 0 || len(all) >= total {
			break
		}
	}
	this := roster.MonthOf(today.Year(), today.Month())
	n := 0
	p := authz.Principal{Username: "system:demo", Region: CountyCode}
	err = db.InTx(ctx, p, func(tx *store.Tx) error {
		for _, r := range all {
			if skip[r.ID] {
				continue
			}
			h, err := tx.Household(ctx, r.ID)
			if err != nil {
				return err
			}
			if h.BankName == "" || h.BankAccount == "" {
				continue // paid in cash at the township: the demo keeps to bank payments
			}
			res := benefit.Compute(h, params, today)
			if !res.Eligible || res.Amount <= 0 {
				continue
			}
			k := int(r.ID)
			start := this.Add(-(7 + k*7%29))
			switch n {
			case 1, 2:
				start = this.Add(-2)
			case 3, 4:
				start = this.Add(-1)
			}
			if err := pastRecipient(ctx, tx, h.ID, h.Region, k, res, start, this, today, n); err != nil {
				return err
			}
			n++
		}
		if err := tx.SetMeta(ctx, RecipientsMetaKey, now.Format(time.RFC3339)); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "recipients",
			Detail: fmt.Sprintf("%d existing recipients", n)})
	})
	return RecipientsResult{Recipients: n}, err
}

// pastRecipient records one demo recipient approved for start: the
// back-dated application, the register row, its history and, while
// active, the open periodic review task (see LoadRecipients for n).
func pastRecipient(ctx context.Context, tx *store.Tx, id int64, village region.Code, k int, res benefit.Result,
	start, this roster.Month, today time.Time, n int) error {
	js, err := json.Marshal(res)
	if err != nil {
		return err
	}
	first := func(m roster.Month) time.Time { return calendar.Date(m.Year(), m.Month(), 1) }
	decided := first(start).AddDate(0, 0, -5).Add(10 * time.Hour)
	total := 0
	for i, st := range demoPath {
		if i > 0 {
			total += st.days + (k+i)%3
		}
	}
	at := decided.AddDate(0, 0, -total)
	serial, err := tx.NextSerial(ctx, "case", CountyCode, at.Year())
	if err != nil {
		return err
	}
	category := string("ABC"[k%3])
	c := store.Case{Number: fmt.Sprintf("%s-%d-%06d", CountyCode[:6], at.Year(), serial), HouseholdID: id, Region: village,
		Profile: "seed", State: "draft", Policy: "{}"}
	if err := tx.CreateCase(ctx, &c); err != nil {
		return err
	}
	from := ""
	for i, st := range demoPath {
		if i > 0 {
			at = at.AddDate(0, 0, st.days+(k+i)%3)
		}
		if err := tx.AppendEventAt(ctx, &store.Event{CaseID: c.ID, Transition: "demo", From: from, To: st.state}, at); err != nil {
			return err
		}
		from = st.state
	}
	c.State, c.StateSince, c.Closed, c.Benefit, c.Amount, c.Category, c.StartMonth =
		"approved", at, true, string(js), res.Amount, category, start.String()
	if err := tx.SaveCase(ctx, &c, c.Version); err != nil {
		return err
	}
	if err := tx.Enroll(ctx, store.Recipient{HouseholdID: id, CaseID: c.ID, Region: village, Category: category,
		Amount: res.Amount, Members: res.Members, StartMonth: start.String(), Status: "active"}); err != nil {
		return err
	}
	if err := tx.AppendHistoryAt(ctx, &store.HistoryEntry{HouseholdID: id, Kind: "enrolled", NewAmount: res.Amount,
		EffectiveMonth: start.String(), Reason: "经审批纳入最低生活保障", CaseID: c.ID, Actor: "county"}, at); err != nil {
		return err
	}
	e, err := tx.RecipientForUpdate(ctx, region.ScopeOf(CountyCode), id)
	if err != nil {
		return err
	}
	lastMonth := first(this.Add(-1)).AddDate(0, 0, -8).Add(9 * time.Hour)
	switch {
	case n == 5: // stopped after two months ago
		e.Status, e.EndMonth = "stopped", this.Add(-2).String()
		if err := tx.AppendHistoryAt(ctx, &store.HistoryEntry{HouseholdID: id, Kind: "stop", OldAmount: e.Amount,
			EffectiveMonth: this.Add(-1).String(), Reason: "定期复核：家庭成员稳定就业，人均收入超过当地低保标准，停发", Actor: "county"},
			lastMonth); err != nil {
			return err
		}
	case n == 6: // raised from last month
		old := e.Amount
		e.Amount += money.FromYuan(60)
		if err := tx.AppendHistoryAt(ctx, &store.HistoryEntry{HouseholdID: id, Kind: "increase", OldAmount: old,
			NewAmount: e.Amount, EffectiveMonth: this.Add(-1).String(), Reason: "定期复核：家庭成员患重病，支出增加，增发", Actor: "county"},
			lastMonth); err != nil {
			return err
		}
		e.LastReview = lastMonth.Format(time.DateOnly)
	case start <= this.Add(-12) && k%3 != 0: // reviewed a year on
		rv := first(start.Add(12)).AddDate(0, 0, -10).Add(9 * time.Hour)
		he := store.HistoryEntry{HouseholdID: id, Kind: "review", OldAmount: e.Amount, NewAmount: e.Amount,
			EffectiveMonth: start.Add(12).String(), Reason: "定期复核：家庭收入和财产状况无明显变化", Actor: "county"}
		if k%5 == 0 {
			he.Kind, he.Reason, e.Category = "category_change", "定期复核：家庭成员患重病，调整为A类", "A"
		}
		if err := tx.AppendHistoryAt(ctx, &he, rv); err != nil {
			return err
		}
		e.LastReview = rv.Format(time.DateOnly)
	}
	last := decided
	if e.LastReview != "" {
		last, _ = time.ParseInLocation(time.DateOnly, e.LastReview, calendar.Location())
	}
	every := 12 // stable households yearly, one in three half-yearly
	if k%3 == 0 {
		every = 6
	}
	// A county that keeps up: the latest periodic review within the cycle,
	// so most reviews fall due in the coming months and only a few (one in
	// eleven) are overdue.
	if e.Status == "active" && last.AddDate(0, every, 0).Before(today.AddDate(0, 0, -30)) {
		rv := today.AddDate(0, -(k % every), -(3 + k%20)).Add(10 * time.Hour)
		if k%11 == 0 { // overdue by a few weeks
			rv = today.AddDate(0, -every, -(5 + k%40)).Add(10 * time.Hour)
		}
		if rv.After(last) {
			if err := tx.AppendHistoryAt(ctx, &store.HistoryEntry{HouseholdID: id, Kind: "review", OldAmount: e.Amount,
				NewAmount: e.Amount, EffectiveMonth: roster.MonthOf(rv.Year(), rv.Month()).String(),
				Reason: "定期复核：家庭收入和财产状况无明显变化", Actor: "county"}, rv); err != nil {
				return err
			}
			last, e.LastReview = rv, rv.Format(time.DateOnly)
		}
	}
	if err := tx.UpdateRecipient(ctx, &e); err != nil {
		return err
	}
	if e.Status != "active" {
		return nil
	}
	_, err = tx.CreateReviewTask(ctx, &store.ReviewTask{HouseholdID: id, Region: village, Kind: "periodic",
		Due: last.AddDate(0, every, 0).Format(time.DateOnly), Reason: "定期复核"})
	return err
}
