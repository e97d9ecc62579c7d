package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
)

// RostersMetaKey marks the demo county's payment rosters as loaded.
const RostersMetaKey = "demo_rosters_loaded"

// RostersResult says what LoadRosters did.
type RostersResult struct {
	AlreadyLoaded bool
	Enrolled      int      // households LoadRecipients put on the register first (0 if it had run)
	Months        []string // rosters built and approved
}

// LoadRosters gives the demo county a payment history, once: after the
// demo register (LoadRecipients, with a few joining and one leaving
// recently, one raised) the county approver builds and approves the rosters of the
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
	rs, err := LoadRecipients(ctx, db, now)
	if err != nil {
		return res, err
	}
	res.Enrolled = rs.Recipients
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
