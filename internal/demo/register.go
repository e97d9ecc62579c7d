package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
)

// RegisterMetaKey marks a database whose demo recipient register is loaded.
const RegisterMetaKey = "demo_register_loaded"

// demoPath is the seed profile's main path to approval, with the days each
// step took in a typical case (varied per household below).
var demoPath = []struct {
	state string
	days  int
}{{"draft", 0}, {"submitted", 1}, {"accepted", 2}, {"forwarded", 1}, {"investigating", 3}, {"appraisal", 8},
	{"publicity_ready", 3}, {"publicity", 1}, {"township_review", 7}, {"county_decision", 4}, {"approved", 6}}

// LoadRegister puts the households of the demo county that the benefit
// engine finds eligible (and that have no open application) on the
// recipient register, as approved in the past 18 months: each with a closed
// approved application whose timeline spans the usual steps, its benefit
// decision, the enrolment in its history, for some a later review or
// category change, a few stopped, and an open periodic review task. It
// runs once, and not at all if the register already holds anyone.
func LoadRegister(ctx context.Context, db *store.DB, now time.Time) (int, error) {
	if v, err := db.Meta(ctx, RegisterMetaKey); err != nil || v != "" {
		return 0, err
	}
	scope := region.ScopeOf(CountyCode)
	sys := authz.Principal{Username: "system:demo", Region: CountyCode}
	if n, err := db.RegisterCount(ctx, scope, store.RegisterFilter{Status: "all"}); err != nil || n > 0 {
		if err == nil {
			err = db.InTx(ctx, sys, func(tx *store.Tx) error {
				if err := tx.SetMeta(ctx, RegisterMetaKey, now.Format(time.RFC3339)); err != nil {
					return err
				}
				return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "register", Detail: "已有保障对象，未加载演示名册"})
			})
		}
		return 0, err
	}
	busy := map[int64]bool{}
	open, err := db.Cases(ctx, scope, store.CaseFilter{Open: "open", Limit: 1000})
	if err != nil {
		return 0, err
	}
	for _, c := range open {
		busy[c.HouseholdID] = true
	}
	var rows []store.HouseholdRow
	for page := 1; ; page++ {
		rs, total, err := db.Households(ctx, scope, store.HouseholdFilter{Page: page, PageSize: 200})
		if err != nil {
			return 0, err
		}
		rows = append(rows, rs...)
		if len(rs) == 0 || len(rows) >= total {
			break
		}
	}
	today := calendar.DayOf(now)
	thisMonth := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, calendar.Location())
	sets := map[region.Code]policy.Set{}
	n := 0
	err = db.InTx(ctx, sys, func(tx *store.Tx) error {
		for _, row := range rows {
			if busy[row.ID] {
				continue
			}
			h, err := db.Household(ctx, scope, row.ID)
			if err != nil {
				return err
			}
			k := int(row.ID)
			start := thisMonth.AddDate(0, -(1 + k%18), 0)
			decided := start.AddDate(0, 0, -5).Add(10 * time.Hour)
			set, ok := sets[h.Region]
			if !ok {
				if set, err = policy.Resolve(ctx, db, h.Region, decided); err != nil {
					return err
				}
				sets[h.Region] = set
			}
			r := benefit.Compute(h, set.BenefitParams(), decided)
			if !r.Eligible || r.Amount <= 0 {
				continue
			}
			js, err := json.Marshal(r)
			if err != nil {
				return err
			}
			category := []string{"A", "B", "B", "C"}[k%4]
			// The application, back-dated from the decision through the usual steps.
			total := 0
			for i, st := range demoPath {
				if i > 0 {
					total += st.days + (k+i)%3
				}
			}
			at := decided.AddDate(0, 0, -total)
			c := store.Case{Number: fmt.Sprintf("DEMO-%s-%05d", start.Format("2006"), k), HouseholdID: h.ID, Region: h.Region,
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
				"approved", at, true, string(js), r.Amount, category, start.Format("2006-01")
			if err := tx.SaveCase(ctx, &c, c.Version); err != nil {
				return err
			}
			if err := tx.Enroll(ctx, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: h.Region, Category: category,
				Amount: r.Amount, Members: r.Members, StartMonth: c.StartMonth, Status: "active"}); err != nil {
				return err
			}
			if err := tx.AppendHistoryAt(ctx, &store.HistoryEntry{HouseholdID: h.ID, Kind: "enrolled", NewAmount: r.Amount,
				EffectiveMonth: c.StartMonth, Reason: "经审批纳入最低生活保障", CaseID: c.ID, Actor: "county"}, at); err != nil {
				return err
			}
			e, err := tx.RecipientForUpdate(ctx, scope, h.ID)
			if err != nil {
				return err
			}
			changed := false
			if months := 1 + k%18; months >= 12 && k%3 != 0 {
				// Reviewed a year on: unchanged, or moved to another category.
				rv := start.AddDate(1, 0, -10).Add(9 * time.Hour)
				he := store.HistoryEntry{HouseholdID: h.ID, Kind: "review", OldAmount: r.Amount, NewAmount: r.Amount,
					EffectiveMonth: start.AddDate(1, 0, 0).Format("2006-01"), Reason: "定期复核：家庭收入和财产状况无明显变化", Actor: "county"}
				if k%5 == 0 {
					he.Kind, he.Reason = "category_change", "定期复核：家庭成员患重病，调整保障类别"
					e.Category = "A"
				}
				if err := tx.AppendHistoryAt(ctx, &he, rv); err != nil {
					return err
				}
				e.LastReview, changed = rv.Format(time.DateOnly), true
			}
			if k%17 == 0 && k%18 > 2 {
				end := thisMonth.AddDate(0, -1, 0).Format("2006-01")
				if err := tx.AppendHistoryAt(ctx, &store.HistoryEntry{HouseholdID: h.ID, Kind: "stop", OldAmount: r.Amount,
					EffectiveMonth: thisMonth.Format("2006-01"), Reason: "家庭成员稳定就业，人均收入超过当地低保标准", Actor: "county"},
					thisMonth.AddDate(0, 0, -12).Add(9*time.Hour)); err != nil {
					return err
				}
				e.Status, e.EndMonth, changed = "stopped", end, true
			}
			if changed {
				if err := tx.UpdateRecipient(ctx, &e); err != nil {
					return err
				}
			}
			if e.Status == "active" {
				last := start
				if e.LastReview != "" {
					last, _ = time.Parse(time.DateOnly, e.LastReview)
				}
				every := 12 // stable households yearly, one in three half-yearly
				if k%3 == 0 {
					every = 6
				}
				due := last.AddDate(0, every, 0).Format(time.DateOnly)
				if _, err := tx.CreateReviewTask(ctx, &store.ReviewTask{HouseholdID: h.ID, Region: h.Region, Kind: "periodic",
					Due: due, Reason: "定期复核"}); err != nil {
					return err
				}
			}
			n++
		}
		if err := tx.SetMeta(ctx, RegisterMetaKey, now.Format(time.RFC3339)); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "register", Detail: fmt.Sprintf("%d户保障对象", n)})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
