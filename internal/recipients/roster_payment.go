package recipients

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/mask"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

// The monthly payment roster beyond building and approving it (issue 4
// item 6): the list of a county's rosters, the difference from last month,
// the Excel export, the bank file in the county's format and the bank's
// result file.

// Pay statuses of a roster row.
const (
	PayPending = "pending"
	PayPaid    = "paid"
	PayFailed  = "failed"
)

// PayStatusLabel is the Chinese name of a row's payment status in a roster
// of status rosterStatus.
func PayStatusLabel(rosterStatus, pay string) string {
	switch {
	case pay == PayPaid:
		return "已发放"
	case pay == PayFailed:
		return "发放失败"
	case rosterStatus != "approved":
		return "待审批"
	}
	return "待发放"
}

// RosterStatusLabel is the Chinese name of a roster's status.
func RosterStatusLabel(status string) string {
	if status == "approved" {
		return "已审批锁定"
	}
	return "草稿"
}

func canSeeRosters(p authz.Principal) error {
	if !countyStaff(p) {
		return forbidden("只有县级业务管理员或审批人可以查看发放名册")
	}
	return nil
}

// Rosters lists a county's rosters, newest month first, with how many rows
// the bank paid and failed; month "" lists every month.
func (s *Service) Rosters(ctx context.Context, p authz.Principal, county region.Code, month string) ([]store.RosterSummary, error) {
	if err := canSeeRosters(p); err != nil {
		return nil, err
	}
	scope, err := countyScope(p, county)
	if err != nil {
		return nil, err
	}
	if month != "" {
		if _, err := roster.ParseMonth(month); err != nil {
			return nil, err
		}
	}
	return s.DB.Rosters(ctx, scope, county, month)
}

// RosterDetail is a roster with its rows as the pages show them and the
// bank result files imported for it.
type RosterDetail struct {
	store.Roster
	Rows    []store.RosterRowDetail
	Imports []store.BankImport
}

// Paid, Failed and Pending count the rows by payment status.
func (d RosterDetail) count(st string) int {
	n := 0
	for _, r := range d.Rows {
		if r.PayStatus == st {
			n++
		}
	}
	return n
}

// Paid counts the rows the bank paid.
func (d RosterDetail) Paid() int { return d.count(PayPaid) }

// Failed counts the rows the bank could not pay.
func (d RosterDetail) Failed() int { return d.count(PayFailed) }

// FailedRows are the rows still failed, for re-payment.
func (d RosterDetail) FailedRows() []store.RosterRowDetail {
	var out []store.RosterRowDetail
	for _, r := range d.Rows {
		if r.PayStatus == PayFailed {
			out = append(out, r)
		}
	}
	return out
}

// Detail returns a roster with every row (head's name, members, payment
// status) and its imported result files.
func (s *Service) Detail(ctx context.Context, p authz.Principal, rosterID int64) (RosterDetail, error) {
	if err := canSeeRosters(p); err != nil {
		return RosterDetail{}, err
	}
	var d RosterDetail
	err := s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		var err error
		if d.Roster, err = tx.RosterRead(ctx, p.Scope(), rosterID); err != nil {
			return err
		}
		if d.Rows, err = tx.RosterDetails(ctx, rosterID); err != nil {
			return err
		}
		d.Imports, err = tx.BankImports(ctx, rosterID)
		return err
	})
	return d, err
}

// RosterDiff is a roster compared with the same county's roster of the
// month before.
type RosterDiff struct {
	Roster   store.Roster
	Previous store.Roster // zero when HasPrev is false
	HasPrev  bool
	Changes  roster.Changes   // against an empty roster when there is no previous one
	Names    map[int64]string // head of household of every household in either roster
}

// Diff compares a roster with the county's roster of the previous month
// (draft or approved): new households, stopped ones, changed amounts and
// the totals.
func (s *Service) Diff(ctx context.Context, p authz.Principal, rosterID int64) (RosterDiff, error) {
	if err := canSeeRosters(p); err != nil {
		return RosterDiff{}, err
	}
	var d RosterDiff
	err := s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		var err error
		if d.Roster, err = tx.RosterRead(ctx, p.Scope(), rosterID); err != nil {
			return err
		}
		m, err := roster.ParseMonth(d.Roster.Month)
		if err != nil {
			return err
		}
		d.Names = map[int64]string{}
		rowsOf := func(r store.Roster) ([]roster.Row, error) {
			xs, err := tx.RosterDetails(ctx, r.ID)
			rows := make([]roster.Row, len(xs))
			for i, x := range xs {
				rows[i] = roster.Row{HouseholdID: x.HouseholdID, Region: x.Region, Month: r.Month, Amount: x.Amount, Note: x.Note}
				d.Names[x.HouseholdID] = x.HeadName
			}
			return rows, err
		}
		var prev []roster.Row
		if d.Previous, d.HasPrev, err = tx.RosterOfMonth(ctx, d.Roster.County, m.Add(-1).String()); err != nil {
			return err
		}
		if d.HasPrev {
			if prev, err = rowsOf(d.Previous); err != nil {
				return err
			}
		}
		cur, err := rowsOf(d.Roster)
		if err != nil {
			return err
		}
		d.Changes = roster.Diff(prev, cur)
		return nil
	})
	return d, err
}

// XLSXColumns are the columns of the roster's Excel export.
var XLSXColumns = []string{"序号", "乡镇", "村（社区）", "户主姓名", "保障人数", "类别", "月份", "金额(元)", "备注", "发放状态"}

// XLSXName is the export's file name, e.g. 平安县-2027-01-发放名册.xlsx.
func XLSXName(countyName, month string) string {
	return fmt.Sprintf("%s-%s-发放名册.xlsx", countyName, month)
}

// RosterXLSX writes a roster as an Excel workbook to w, one row per
// household (names masked unless the user may see them in full) and a
// totals row, and returns the file name. The export is audited as
// roster.export; the workbook is produced completely and the audit
// committed before anything reaches w.
func (s *Service) RosterXLSX(ctx context.Context, p authz.Principal, rosterID int64, w io.Writer) (string, error) {
	if err := canSeeRosters(p); err != nil {
		return "", err
	}
	names, err := s.DB.RegionNames(ctx)
	if err != nil {
		return "", err
	}
	reveal := p.Can(authz.SensitiveReveal)
	var buf bytes.Buffer
	var file string
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		r, err := tx.RosterByID(ctx, p.Scope(), rosterID)
		if err != nil {
			return err
		}
		// One read of the roster, without the heads' ID numbers (the sheet
		// does not show them).
		var rows []store.RosterRowDetail
		var total money.Fen
		members := 0
		err = tx.EachRosterDetail(ctx, r.ID, false, func(x store.RosterRowDetail) error {
			rows = append(rows, x)
			total += x.Amount
			members += x.Members
			return nil
		})
		if err != nil {
			return err
		}
		i := 0
		next := func() ([]any, bool) {
			switch {
			case i < len(rows):
				x := rows[i]
				i++
				name := x.HeadName
				if !reveal {
					name = mask.Name(name)
				}
				return []any{i, names[x.Region.Township()], names[x.Region], name, x.Members, UrbanLabel(x.Urban), r.Month,
					x.Amount, x.Note, PayStatusLabel(r.Status, x.PayStatus)}, true
			case i == len(rows):
				i++
				return []any{roster.TotalLabel, "", "", fmt.Sprintf("共%d户", len(rows)), members, "", r.Month, total, "", ""}, true
			}
			return nil, false
		}
		if _, err := sheet.Write(&buf, "发放名册", sheet.Cols(XLSXColumns...), next); err != nil {
			return err
		}
		file = XLSXName(names[r.County], r.Month)
		return tx.Audit(ctx, store.Entry{Action: "roster.export", Object: rosterObj(r.ID),
			Detail: fmt.Sprintf("导出%s %s发放名册Excel：%d户，合计%s元", r.County, r.Month, r.Rows, r.Total.Yuan())})
	})
	if err != nil {
		return "", err
	}
	_, err = w.Write(buf.Bytes())
	return file, err
}

// UrbanLabel is 城市 or 农村.
func UrbanLabel(urban bool) string {
	if urban {
		return "城市"
	}
	return "农村"
}

// bankFormat is the county's bank file format in force on the first day of
// the roster's month.
func (s *Service) bankFormat(ctx context.Context, r store.Roster) (roster.BankFormat, error) {
	m, err := roster.ParseMonth(r.Month)
	if err != nil {
		return roster.BankFormat{}, err
	}
	set, err := policy.Resolve(ctx, s.DB, r.County, firstDay(m))
	if err != nil {
		return roster.BankFormat{}, err
	}
	return set.BankFormat(), nil
}

// rosterBankFormat reads roster rosterID within p's scope and its bank
// format, before the write transaction that uses them: a writer reading
// the policy on the pool could wait forever for a connection on
// PostgreSQL (see store.Tx.UserByID). A roster's county and month never
// change.
func (s *Service) rosterBankFormat(ctx context.Context, p authz.Principal, rosterID int64) (roster.BankFormat, store.Roster, error) {
	var r store.Roster
	err := s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		var err error
		r, err = tx.RosterRead(ctx, p.Scope(), rosterID)
		return err
	})
	if err != nil {
		return roster.BankFormat{}, r, err
	}
	f, err := s.bankFormat(ctx, r)
	return f, r, err
}

// BankFileName is the bank file's name, e.g. 平安县-2027-01-银行代发.csv.
func BankFileName(countyName, month string) string {
	return fmt.Sprintf("%s-%s-银行代发.csv", countyName, month)
}

// MaxBankResult bounds an uploaded bank result file.
const MaxBankResult = 20 << 20

// BankImportResult is what importing a bank result file did.
type BankImportResult struct {
	store.BankImport
	Repeated bool // the same file was imported before: nothing changed
}

// ImportBankResult reads the bank's result file for an approved roster
// (the payment file with 处理结果 and 失败原因 appended, in the county's
// format) and marks each row paid or failed. Every line must match the
// roster by 序号, 银行账号 and 金额; any mismatch is reported line by line and
// nothing is written. Importing the same file again (same SHA-256) changes
// nothing and says so. Only a county approver may import.
func (s *Service) ImportBankResult(ctx context.Context, p authz.Principal, rosterID int64, fileName string, data []byte) (BankImportResult, error) {
	if !p.Has(authz.CountyApprover) {
		return BankImportResult{}, forbidden("只有县级审批人可以导入银行回盘文件")
	}
	if len(data) > MaxBankResult {
		return BankImportResult{}, errs.Invalidf("file", "银行回盘文件超过 %d MB", MaxBankResult>>20)
	}
	if len(data) == 0 {
		return BankImportResult{}, errs.Invalidf("file", "请选择银行回盘文件")
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	var res BankImportResult
	err := s.DB.ReadTx(ctx, p, func(tx *store.Tx) error {
		if _, err := tx.RosterRead(ctx, p.Scope(), rosterID); err != nil {
			return err
		}
		var err error
		res.BankImport, res.Repeated, err = tx.BankImportByHash(ctx, rosterID, hash)
		return err
	})
	if err != nil || res.Repeated {
		return res, err
	}
	f, r0, err := s.rosterBankFormat(ctx, p, rosterID)
	if err != nil {
		return res, err
	}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		r, err := tx.RosterByID(ctx, p.Scope(), rosterID)
		if err != nil {
			return err
		}
		if r.Status != "approved" {
			return errs.New(errs.Conflict, "status", "发放名册审批后方可导入银行回盘文件")
		}
		if r.County != r0.County || r.Month != r0.Month {
			return errs.New(errs.Conflict, "", "发放名册已变更，请刷新后重试")
		}
		results, err := roster.ReadBankResult(bytes.NewReader(data), f)
		if err != nil {
			return err
		}
		rows, err := tx.RosterDetails(ctx, r.ID)
		if err != nil {
			return err
		}
		accts, err := tx.RosterAccounts(ctx, r.ID)
		if err != nil {
			return err
		}
		pays := make([]roster.Payment, len(rows))
		for i, x := range rows {
			pays[i] = roster.Payment{Seq: i + 1, HouseholdID: x.HouseholdID, Account: accts[x.HouseholdID].Account,
				Amount: x.Amount, Paid: x.PayStatus == PayPaid}
		}
		outs, err := roster.MatchBankResult(pays, results)
		if err != nil {
			return err
		}
		marks := make([]store.PayMark, len(outs))
		res.BankImport = store.BankImport{RosterID: r.ID, SHA256: hash, FileName: fileName}
		for i, o := range outs {
			marks[i] = store.PayMark{HouseholdID: o.HouseholdID, Paid: o.Paid, Note: o.Reason}
			if o.Paid {
				res.Paid++
			} else {
				res.Failed++
			}
		}
		if err := tx.MarkRosterPayments(ctx, r.ID, marks); err != nil {
			return err
		}
		if err := tx.RecordBankImport(ctx, &res.BankImport); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Entry{Action: "roster.bank_result", Object: rosterObj(r.ID),
			Detail: fmt.Sprintf("导入%s %s银行回盘文件（SHA-256 %s）：成功%d户，失败%d户", r.County, r.Month, hash[:16], res.Paid, res.Failed)})
	})
	return res, err
}
