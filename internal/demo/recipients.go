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

// LoadRecipients fills the recipient register of the demo county, once:
// every household the benefit engine finds eligible today that has no
// application and is paid through a bank account becomes an existing
// recipient (store.EnrollExisting) with the engine's result stored, since
// seven months to three years ago, category A, B or C. So that the rosters
// differ from month to month, the second and third joined two months ago,
// the fourth and fifth last month, the sixth was stopped after two months
// ago and the seventh raised by 60 yuan from last month.
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
			js, err := json.Marshal(res)
			if err != nil {
				return err
			}
			start := this.Add(-int(7 + r.ID*7%29))
			switch n {
			case 1, 2:
				start = this.Add(-2)
			case 3, 4:
				start = this.Add(-1)
			}
			serial, err := tx.NextSerial(ctx, "existing_case", CountyCode, start.Year())
			if err != nil {
				return err
			}
			e := store.Existing{HouseholdID: r.ID, Region: r.Region, Category: string("ABC"[r.ID%3]),
				Number: fmt.Sprintf("%s-%d-CL%06d", CountyCode[:6], start.Year(), serial),
				Amount: res.Amount, Members: res.Members, StartMonth: start.String(), Benefit: string(js),
				Transition: "existing", Reason: "系统上线前已批准的保障对象（" + start.String() + "起）"}
			if _, err := tx.EnrollExisting(ctx, e); err != nil {
				return err
			}
			if n == 5 || n == 6 {
				if err := demoChange(ctx, tx, r.ID, n == 5, this); err != nil {
					return err
				}
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

// demoChange stops a demo recipient after two months ago, or raises it by
// 60 yuan from last month, with the history entry.
func demoChange(ctx context.Context, tx *store.Tx, id int64, stop bool, this roster.Month) error {
	e, err := tx.RecipientForUpdate(ctx, region.ScopeOf(CountyCode), id)
	if err != nil {
		return err
	}
	h := store.HistoryEntry{HouseholdID: id, OldAmount: e.Amount}
	if stop {
		e.Status, e.EndMonth = "stopped", this.Add(-2).String()
		h.Kind, h.EffectiveMonth, h.Reason = "stop", this.Add(-1).String(), "复核发现家庭收入超过标准，停发"
	} else {
		e.Amount += money.FromYuan(60)
		h.Kind, h.NewAmount, h.EffectiveMonth, h.Reason = "increase", e.Amount, this.Add(-1).String(), "复核后家庭成员患病，增发"
	}
	if err := tx.UpdateRecipient(ctx, &e); err != nil {
		return err
	}
	return tx.AppendHistory(ctx, &h)
}
