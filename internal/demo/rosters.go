package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/money"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
)

// RostersMetaKey marks the demo county's payment rosters as loaded.
const RostersMetaKey = "demo_rosters_loaded"

// demoRecipients is how many households the demo register holds when no
// other part of the demo has put any on it.
const demoRecipients = 36

// RostersResult says what LoadRosters did.
type RostersResult struct {
	AlreadyLoaded bool
	Enrolled      int      // households put on the register for the demo
	Months        []string // rosters built and approved
}

// LoadRosters gives the demo county a payment history, once: if its
// register is empty it first enrols eligible households outside the
// clerk's village (with a few joining and one leaving recently, one
// raised), then the county approver builds and approves the rosters of the
// last three months through the real service, exports the bank files and
// imports the bank's results for the two older months (one payment
// failed), so /rosters shows approved months with paid and failed counts,
// differences between months, and next month left to build.
func LoadRosters(ctx context.Context, db *store.DB, svc *recipients.Service) (RostersResult, error) {
	if v, err := db.Meta(ctx, RostersMetaKey); err != nil || v != "" {
		return RostersResult{AlreadyLoaded: v != ""}, err
	}
	users, err := db.Users(ctx, region.All())
	if err != nil {
		return RostersResult{}, err
	}
	by := map[string]store.User{}
	for _, u := range users {
		by[u.Username] = u
	}
	approver, clerk := by["county"], by["village"]
	if approver.ID == 0 || clerk.ID == 0 {
		return RostersResult{}, fmt.Errorf("demo: load the demo county before its rosters")
	}
	p := approver.Principal()
	now := db.Now().In(calendar.Location())
	this := roster.MonthOf(now.Year(), now.Month())
	var res RostersResult
	regs, err := db.Register(ctx, region.ScopeOf(CountyCode), store.RegisterFilter{Status: "all"})
	if err != nil {
		return res, err
	}
	if len(regs) == 0 {
		if res.Enrolled, err = enrolDemo(ctx, db, clerk.Region, this, now); err != nil {
			return res, err
		}
	}
	for k := 3; k >= 1; k-- {
		month := this.Add(-k).String()
		ro, err := svc.BuildRoster(ctx, p, CountyCode, month)
		if err != nil {
			return res, fmt.Errorf("demo: roster %s: %w", month, err)
		}
		if _, err := svc.ApproveRoster(ctx, p, ro.ID); err != nil {
			return res, err
		}
		res.Months = append(res.Months, month)
		if k == 1 || ro.Rows == 0 {
			continue // last month: the bank has not answered yet
		}
		var bank bytes.Buffer
		if _, err := svc.BankCSV(ctx, p, ro.ID, &bank); err != nil {
			return res, err
		}
		fail := 0
		if k == 2 {
			fail = 3 // the third payment bounced
		}
		result, err := demoBankResult(bank.Bytes(), fail)
		if err != nil {
			return res, err
		}
		if _, err := svc.ImportBankResult(ctx, p, ro.ID, fmt.Sprintf("回盘-%s.csv", month), result); err != nil {
			return res, fmt.Errorf("demo: bank result %s: %w", month, err)
		}
	}
	err = db.InTx(ctx, authz.Principal{Username: "system:demo", Region: CountyCode}, func(tx *store.Tx) error {
		if err := tx.SetMeta(ctx, RostersMetaKey, now.Format(time.RFC3339)); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "demo.load", Object: "rosters",
			Detail: fmt.Sprintf("演示发放名册：%s；演示在册对象%d户", strings.Join(res.Months, "、"), res.Enrolled)})
	})
	return res, err
}

// enrolDemo puts eligible households of the county with a bank account
// (outside the clerk's village, whose households the demo applications
// use) on the register with the amount the benefit engine computes: most
// since half a year ago, two joining two months ago and two last month, one
// stopped after two months ago and one raised last month.
func enrolDemo(ctx context.Context, db *store.DB, skip region.Code, this roster.Month, now time.Time) (int, error) {
	scope := region.ScopeOf(CountyCode)
	type pick struct {
		id      int64
		region  region.Code
		amount  money.Fen
		members int
	}
	var picks []pick
	for page := 1; len(picks) < demoRecipients; page++ {
		rows, total, err := db.Households(ctx, scope, store.HouseholdFilter{Page: page, PageSize: 100})
		if err != nil {
			return 0, err
		}
		for _, r := range rows {
			if r.Region == skip || len(picks) >= demoRecipients {
				continue
			}
			h, err := db.Household(ctx, scope, r.ID)
			if err != nil {
				return 0, err
			}
			if h.BankName == "" || h.BankAccount == "" {
				continue // paid in cash at the township: not in the bank file
			}
			if b := benefit.Compute(h, benefit.DefaultParams(), now); b.Eligible && b.Amount > 0 {
				picks = append(picks, pick{r.ID, r.Region, b.Amount, max(b.Persons, 1)})
			}
		}
		if page*100 >= total {
			break
		}
	}
	sys := authz.Principal{Username: "system:demo", Region: CountyCode}
	err := db.InTx(ctx, sys, func(tx *store.Tx) error {
		for i, x := range picks {
			start := this.Add(-6)
			switch i {
			case 1, 2:
				start = this.Add(-2)
			case 3, 4:
				start = this.Add(-1)
			}
			c := store.Case{Number: fmt.Sprintf("%s-LS-%06d", CountyCode[:6], i+1), HouseholdID: x.id, Region: x.region,
				Profile: "seed", State: "approved", Policy: "{}"}
			if err := tx.CreateCase(ctx, &c); err != nil {
				return err
			}
			cat := "A"
			if i%3 == 2 {
				cat = "B"
			}
			if err := tx.Enroll(ctx, store.Recipient{HouseholdID: x.id, CaseID: c.ID, Region: x.region, Category: cat,
				Amount: x.amount, Members: x.members, StartMonth: start.String(), Status: "active"}); err != nil {
				return err
			}
			if err := tx.Audit(ctx, store.Entry{Action: "demo.load", Object: fmt.Sprintf("household:%d", x.id),
				Detail: fmt.Sprintf("演示在册对象：自%s起每月%s元", start, x.amount.Yuan())}); err != nil {
				return err
			}
			switch i {
			case 5, 6: // stopped after two months ago; raised from last month
				e, err := tx.RecipientForUpdate(ctx, scope, x.id)
				if err != nil {
					return err
				}
				h := store.HistoryEntry{HouseholdID: x.id, OldAmount: e.Amount}
				if i == 5 {
					e.Status, e.EndMonth = "stopped", this.Add(-2).String()
					h.Kind, h.EffectiveMonth, h.Reason = recipients.KindStop, this.Add(-1).String(), "演示：家庭收入超过标准，停保"
				} else {
					e.Amount += money.FromYuan(60)
					h.Kind, h.NewAmount, h.EffectiveMonth, h.Reason = recipients.KindIncrease, e.Amount, this.Add(-1).String(), "演示：复核后增发"
				}
				if err := tx.UpdateRecipient(ctx, &e); err != nil {
					return err
				}
				if err := tx.AppendHistory(ctx, &h); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return len(picks), err
}

// demoBankResult is the bank's answer to a payment file in the default
// format: every line paid except sequence number fail (0 = none).
func demoBankResult(bank []byte, fail int) ([]byte, error) {
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(bank, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	for i, rec := range recs {
		switch {
		case i == 0:
			rec = append(rec, roster.ResultColumn, roster.ReasonColumn)
		case rec[0] == roster.TotalLabel:
			rec = append(rec, "", "")
		case rec[0] == fmt.Sprint(fail):
			rec = append(rec, roster.ResultFailed, "账户已冻结")
		default:
			rec = append(rec, roster.ResultPaid, "")
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return buf.Bytes(), cw.Error()
}
