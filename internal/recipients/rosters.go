package recipients

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/store"
)

// MsgRosterApproved refuses rebuilding an approved month: a month is paid
// once.
const MsgRosterApproved = "该月发放名册已审批锁定，不能重新生成（同一月份不重复发放）"

func rosterObj(id int64) string { return "roster:" + strconv.FormatInt(id, 10) }

func countyStaff(p authz.Principal) bool {
	return isSystem(p) || p.Has(authz.CountyAdmin) || p.Has(authz.CountyApprover)
}

// BuildRoster generates the county's payment roster for month ("2027-01"):
// one row per recipient with an amount payable that month (roster.Build on
// the entitlements derived from the register and its history, phase-out
// included; rounding from the county's policy on the first day of the
// month). It is idempotent and resumable: a month with a draft gets its rows
// replaced in one transaction; an approved month is refused with
// MsgRosterApproved. UNIQUE(roster_id, household_id) keeps one row per
// household. Problems in the register (duplicate or invalid entitlements)
// fail the build with every problem listed, so a faulty roster is never
// stored.
func (s *Service) BuildRoster(ctx context.Context, p authz.Principal, county region.Code, month string) (store.Roster, error) {
	if !countyStaff(p) {
		return store.Roster{}, forbidden("只有县级业务管理员或审批人可以生成发放名册")
	}
	scope, err := countyScope(p, county)
	if err != nil {
		return store.Roster{}, err
	}
	m, err := roster.ParseMonth(month)
	if err != nil {
		return store.Roster{}, err
	}
	set, err := policy.Resolve(ctx, s.DB, county, firstDay(m))
	if err != nil {
		return store.Roster{}, err
	}
	var r store.Roster
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		var found bool
		if r, found, err = tx.RosterForMonth(ctx, county, month); err != nil {
			return err
		}
		if found && r.Status == "approved" {
			return errs.New(errs.Conflict, "month", MsgRosterApproved)
		}
		if !found {
			r = store.Roster{County: county, Month: month}
			if err := tx.CreateRoster(ctx, &r); err != nil {
				return err
			}
		}
		regs, err := tx.RosterRegister(ctx, scope)
		if err != nil {
			return err
		}
		hist, err := tx.RosterHistoryIn(ctx, scope)
		if err != nil {
			return err
		}
		ents := make([]roster.Entitlement, 0, len(regs))
		for _, e := range regs {
			ents = append(ents, Entitlements(e, hist[e.HouseholdID])...)
		}
		rows, err := roster.Build(ents, month, set.Rounding())
		if err != nil {
			return err
		}
		out := make([]store.RosterRow, len(rows))
		for i, x := range rows {
			out[i] = store.RosterRow{HouseholdID: x.HouseholdID, Region: x.Region, Amount: x.Amount, Note: x.Note}
		}
		if err := tx.ReplaceRosterRows(ctx, &r, out); err != nil {
			return err
		}
		verb := "生成"
		if found {
			verb = "重新生成"
		}
		return tx.Audit(ctx, store.Entry{Action: "roster.build", Object: rosterObj(r.ID),
			Detail: fmt.Sprintf("%s%s %s发放名册：%d户，合计%s元", verb, county, month, r.Rows, r.Total.Yuan())})
	})
	return r, err
}

// ApproveRoster approves and locks a draft roster; only a county approver
// of its county may.
func (s *Service) ApproveRoster(ctx context.Context, p authz.Principal, rosterID int64) (store.Roster, error) {
	if !p.Has(authz.CountyApprover) {
		return store.Roster{}, forbidden("只有县级审批人可以审批发放名册")
	}
	var r store.Roster
	err := s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		var err error
		if r, err = tx.RosterByID(ctx, p.Scope(), rosterID); err != nil {
			return err
		}
		if err := tx.ApproveRoster(ctx, &r); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "roster.approve", Object: rosterObj(r.ID),
			Detail: fmt.Sprintf("审批%s %s发放名册：%d户，合计%s元", r.County, r.Month, r.Rows, r.Total.Yuan())})
	})
	return r, err
}

// BankCSV writes the bank payment file of an approved roster to w
// (roster.WriteBankCSV in the county's format: the columns and encoding of
// the policy parameters bank_csv_columns and bank_csv_encoding in force on
// the first day of the month) with the accounts decrypted from the
// households, and returns the file name. The export reveals every account
// number, so it is restricted to county approvers and audited as
// roster.export; the file is produced completely and the audit committed
// before anything reaches w.
func (s *Service) BankCSV(ctx context.Context, p authz.Principal, rosterID int64, w io.Writer) (string, error) {
	return s.bankFile(ctx, p, rosterID, w, false)
}

// RepaymentCSV writes the bank file for re-paying the rows of an approved
// roster that the bank failed to pay: the same format, only those rows,
// each keeping its 序号 of the month's file so that the bank's result for
// it is imported like any other (ImportBankResult). The accounts are read
// anew, so a corrected account is used. Restricted and audited like
// BankCSV; a roster without failed rows gives errs.Conflict.
func (s *Service) RepaymentCSV(ctx context.Context, p authz.Principal, rosterID int64, w io.Writer) (string, error) {
	return s.bankFile(ctx, p, rosterID, w, true)
}

func (s *Service) bankFile(ctx context.Context, p authz.Principal, rosterID int64, w io.Writer, failedOnly bool) (string, error) {
	if !p.Has(authz.CountyApprover) || !p.Can(authz.SensitiveReveal) {
		return "", forbidden("只有县级审批人可以导出银行代发文件")
	}
	names, err := s.DB.RegionNames(ctx)
	if err != nil {
		return "", err
	}
	f, r0, err := s.rosterBankFormat(ctx, p, rosterID)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	var file string
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		r, err := tx.RosterByID(ctx, p.Scope(), rosterID)
		if err != nil {
			return err
		}
		if r.Status != "approved" {
			return errs.New(errs.Conflict, "status", "发放名册审批后方可导出银行代发文件")
		}
		if r.County != r0.County || r.Month != r0.Month {
			return errs.New(errs.Conflict, "", "发放名册已变更，请刷新后重试")
		}
		// One streaming read of the roster with the accounts (issue 8), each
		// row checked and formatted as it comes.
		bw, err := roster.NewBankWriter(f)
		if err != nil {
			return err
		}
		seq := 0
		err = tx.EachRosterPayee(ctx, r.ID, bw.Has(roster.ColIDMasked), func(x store.RosterPayee) error {
			seq++ // the row's number in the month's file, kept by a re-payment file
			if failedOnly && x.PayStatus != PayFailed {
				return nil
			}
			bw.Add(roster.Row{HouseholdID: x.HouseholdID, Region: x.Region, Month: r.Month, Amount: x.Amount, Note: x.Note, Seq: seq},
				roster.BankAccount{Name: x.Name, Bank: x.Bank, Account: x.Account, Region: names[x.Region], IDMasked: x.HeadIDMasked},
				x.Found)
			return nil
		})
		if err != nil {
			return err
		}
		what := "银行代发文件"
		if failedOnly {
			what = "重新发放文件"
			if bw.Rows() == 0 {
				return errs.New(errs.Conflict, "status", "该发放名册没有发放失败的户，无需重新发放")
			}
		}
		if err := bw.Finish(&buf); err != nil {
			return err
		}
		file = BankFileName(names[r.County], r.Month)
		if failedOnly {
			file = strings.TrimSuffix(file, ".csv") + "-重新发放.csv"
		}
		return tx.Audit(ctx, store.Entry{Action: "roster.export", Object: rosterObj(r.ID),
			Detail: fmt.Sprintf("导出%s %s%s（%s）：%d户，合计%s元", r.County, r.Month, what, f.Encoding, bw.Rows(), bw.Total().Yuan())})
	})
	if err != nil {
		return "", err
	}
	_, err = w.Write(buf.Bytes())
	return file, err
}

// firstDay is the first day of month m (Asia/Shanghai).
func firstDay(m roster.Month) time.Time { return calendar.Date(m.Year(), m.Month(), 1) }
