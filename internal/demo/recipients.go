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

// LoadRecipients fills the recipient register of the demo county with the
// households the benefit engine finds eligible today and that have no
// application: each is an existing recipient (store.EnrollExisting) since a
// month in the last three years, category A, B or C, with the engine's
// result stored; those enrolled before this year had their amount raised
// by 20 yuan in January by the yearly standard change, so the history and
// the rosters of past months differ from today's. It runs once.
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
	thisMonth := roster.MonthOf(today.Year(), today.Month())
	january := roster.MonthOf(today.Year(), time.January).String()
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
			res := benefit.Compute(h, params, today)
			if !res.Eligible || res.Amount <= 0 {
				continue
			}
			js, err := json.Marshal(res)
			if err != nil {
				return err
			}
			start := thisMonth.Add(-int(1 + r.ID*7%35))
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
			if start.String() < january && res.Amount > 2000 {
				if err := tx.AppendHistory(ctx, &store.HistoryEntry{HouseholdID: r.ID, Kind: "increase",
					OldAmount: res.Amount - 2000, NewAmount: res.Amount, EffectiveMonth: january,
					Reason: "低保标准提高，月保障金额相应增加" + money.Fen(2000).Yuan() + "元"}); err != nil {
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
