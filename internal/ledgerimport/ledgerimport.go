// Package ledgerimport moves a county's existing recipient register (台账)
// onto dibao: an uploaded workbook is checked row by row (internal/ledger)
// and kept, sealed, as a batch; nothing else is written until a county user
// confirms, and then only the rows that are still valid at that moment are
// imported, in one transaction, each as a household (through the store's
// household path: sealed fields, blind index), an approved and closed
// ledger case (台账导入 number, since every recipient hangs off a case), a
// recipient and an enrolled history entry, all audited.
package ledgerimport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/errs"
	"dibao/internal/idcard"
	"dibao/internal/ledger"
	"dibao/internal/mask"
	"dibao/internal/money"
	"dibao/internal/piiscan"
	"dibao/internal/region"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

// Service is the ledger import use case.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

// Batch statuses.
const (
	StatusChecked   = "checked"
	StatusImported  = "imported"
	StatusCancelled = "cancelled"
)

// Batch is a stored import with its parsed report.
type Batch struct {
	store.LedgerImport
	Report     ledger.Report
	Households []int64 // imported household ids
}

// StatusLabel is the Chinese status.
func (b Batch) StatusLabel() string {
	switch b.Status {
	case StatusChecked:
		return "待确认"
	case StatusImported:
		return "已导入"
	case StatusCancelled:
		return "已取消"
	}
	return b.Status
}

// PreviewRow is a valid row as shown before confirming, masked.
type PreviewRow struct {
	Row        int
	Village    region.Code
	HeadName   string // masked
	HeadID     string // masked
	Members    int    // listed members
	FamilySize int
	Covered    int
	Urban      bool
	Category   string
	Amount     money.Fen
	StartMonth string
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func isSystem(p authz.Principal) bool {
	return strings.HasPrefix(p.Username, "system:") && len(p.Roles) == 0
}

// countyOf checks that p may import for its county and returns the county:
// a county administrator or approver of a county, or a batch principal
// (the CLI) whose region is set to the county.
func countyOf(p authz.Principal) (region.Code, error) {
	if !isSystem(p) && !p.Has(authz.CountyAdmin) && !p.Has(authz.CountyApprover) {
		return "", errs.New(errs.Forbidden, "", "只有县级民政部门的管理员或审批人员可以导入台账")
	}
	if p.Region == "" || p.Region.Level() != region.County {
		return "", errs.New(errs.Forbidden, "", "台账按县（市、区）导入：您的账号不属于某个县（市、区）")
	}
	return p.Region, nil
}

func batchObj(id int64) string { return "ledger_import:" + strconv.FormatInt(id, 10) }

// read parses the workbook and checks it against the county's villages
// and the registered ID numbers (known).
func (s *Service) read(ctx context.Context, county region.Code, data []byte, known func(idcard.ID) (bool, error)) (ledger.Report, []ledger.Entry, error) {
	if len(data) == 0 {
		return ledger.Report{}, nil, errs.Invalidf("file", "请选择要上传的台账文件（.xlsx）")
	}
	rows, err := sheet.Read(bytes.NewReader(data))
	if err != nil {
		return ledger.Report{}, nil, err
	}
	regs, err := s.DB.Regions(ctx, region.ScopeOf(county))
	if err != nil {
		return ledger.Report{}, nil, err
	}
	villages := map[region.Code]bool{}
	for _, r := range regs {
		if r.Level == region.Village {
			villages[r.Code] = true
		}
	}
	return ledger.Check(rows, ledger.Options{County: county, Villages: villages, Today: calendar.DayOf(s.now()), Known: known})
}

// cleanName keeps the uploaded file's base name for display, without
// control characters and with any ID or card number in it masked (people
// name files after the household head's ID number; the name is stored and
// shown in clear).
func cleanName(name string) string {
	name = piiscan.Redact(filepath.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/")))
	if name == "." || name == "/" || name == "" {
		name = "台账.xlsx"
	}
	for utf8.RuneCountInString(name) > 100 {
		r := []rune(name)
		name = string(r[len(r)-100:])
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
}

// Inspect checks a workbook like Check but stores nothing (the command
// line's dry run).
func (s *Service) Inspect(ctx context.Context, p authz.Principal, data []byte) (ledger.Report, error) {
	county, err := countyOf(p)
	if err != nil {
		return ledger.Report{}, err
	}
	rep, _, err := s.read(ctx, county, data, func(id idcard.ID) (bool, error) { return s.DB.IDRegistered(ctx, id) })
	return rep, err
}

// Check validates an uploaded workbook and stores it as a batch awaiting
// confirmation. A file that cannot be read as the template (not xlsx,
// empty, another header) is refused and nothing is stored.
func (s *Service) Check(ctx context.Context, p authz.Principal, filename string, data []byte) (Batch, error) {
	b, _, err := s.CheckOnce(ctx, p, "", filename, data)
	return b, err
}

// idemPath names the operation in the idempotency table.
const idemPath = "ledger_imports:check"

// CheckOnce is Check with an idempotency key (the API's Idempotency-Key):
// a retried upload with the same key returns the batch the first one made
// (replayed true) instead of making another. An empty key is Check.
func (s *Service) CheckOnce(ctx context.Context, p authz.Principal, key, filename string, data []byte) (Batch, bool, error) {
	county, err := countyOf(p)
	if err != nil {
		return Batch{}, false, err
	}
	if key != "" {
		if len(key) > 100 {
			return Batch{}, false, errs.Invalidf("Idempotency-Key", "幂等键过长（最多100个字符）")
		}
		prev, ok, err := s.DB.IdempotentGet(ctx, p.UserID, key)
		if err != nil {
			return Batch{}, false, err
		}
		if ok {
			id, perr := strconv.ParseInt(prev.Body, 10, 64)
			if prev.Path != idemPath || perr != nil {
				return Batch{}, false, errs.New(errs.Conflict, "Idempotency-Key", "该幂等键已用于另一项操作")
			}
			b, err := s.Get(ctx, p, id)
			return b, true, err
		}
	}
	rep, _, err := s.read(ctx, county, data, func(id idcard.ID) (bool, error) { return s.DB.IDRegistered(ctx, id) })
	if err != nil {
		return Batch{}, false, err
	}
	sum := sha256.Sum256(data)
	errJSON, _ := json.Marshal(rep.Errors)
	b := Batch{LedgerImport: store.LedgerImport{County: county, Filename: cleanName(filename),
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Rows: rep.Rows, Valid: rep.Valid,
		Errors: string(errJSON)}, Report: rep}
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		if err := tx.CreateLedgerImport(ctx, &b.LedgerImport, data); err != nil {
			return err
		}
		if err := tx.Audit(ctx, store.Entry{Action: "ledger.check", Object: batchObj(b.ID),
			Detail: fmt.Sprintf("county=%s rows=%d valid=%d errors=%d sha256=%s", county, rep.Rows, rep.Valid,
				len(rep.Errors), b.SHA256)}); err != nil {
			return err
		}
		if key == "" {
			return nil
		}
		return tx.IdempotentPut(ctx, key, store.IdempotentReply{Method: "POST", Path: idemPath, Status: 201,
			Body: strconv.FormatInt(b.ID, 10)})
	})
	return b, false, err
}

func toBatch(l store.LedgerImport) Batch {
	b := Batch{LedgerImport: l, Report: ledger.Report{Rows: l.Rows, Valid: l.Valid, Errors: []ledger.Problem{}}}
	_ = json.Unmarshal([]byte(l.Errors), &b.Report.Errors)
	_ = json.Unmarshal([]byte(l.Households), &b.Households)
	return b
}

// Get reads a batch of the principal's county.
func (s *Service) Get(ctx context.Context, p authz.Principal, id int64) (Batch, error) {
	county, err := countyOf(p)
	if err != nil {
		return Batch{}, err
	}
	l, err := s.DB.LedgerImport(ctx, region.ScopeOf(county), id)
	if err != nil {
		return Batch{}, err
	}
	return toBatch(l), nil
}

// List returns the county's recent batches, newest first.
func (s *Service) List(ctx context.Context, p authz.Principal) ([]Batch, error) {
	county, err := countyOf(p)
	if err != nil {
		return nil, err
	}
	ls, err := s.DB.LedgerImports(ctx, region.ScopeOf(county), 50)
	out := make([]Batch, len(ls))
	for i, l := range ls {
		out[i] = toBatch(l)
	}
	return out, err
}

// Preview returns up to n valid rows of a batch, masked, as they would be
// imported now.
func (s *Service) Preview(ctx context.Context, p authz.Principal, id int64, n int) ([]PreviewRow, error) {
	county, err := countyOf(p)
	if err != nil {
		return nil, err
	}
	data, err := s.DB.LedgerFile(ctx, region.ScopeOf(county), id)
	if err != nil {
		return nil, err
	}
	_, es, err := s.read(ctx, county, data, nil)
	if err != nil {
		return nil, err
	}
	var out []PreviewRow
	for _, e := range es {
		if len(out) >= n {
			break
		}
		h := e.Household
		out = append(out, PreviewRow{Row: e.Row, Village: h.Region, HeadName: mask.Name(h.HeadName()),
			HeadID: h.Members[0].IDNumber.Mask(), Members: len(h.Members), FamilySize: e.FamilySize, Covered: e.Covered,
			Urban: h.Urban, Category: e.Category, Amount: e.Amount, StartMonth: e.StartMonth})
	}
	return out, nil
}

// Confirm imports the batch's rows that are valid now (checked again
// against the database inside the transaction) and marks the batch
// imported. Confirming an imported batch returns it unchanged.
func (s *Service) Confirm(ctx context.Context, p authz.Principal, id int64) (Batch, error) {
	county, err := countyOf(p)
	if err != nil {
		return Batch{}, err
	}
	var out Batch
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		l, data, err := tx.LedgerImportForUpdate(ctx, region.ScopeOf(county), id)
		if err != nil {
			return err
		}
		switch l.Status {
		case StatusImported:
			out = toBatch(l)
			return tx.Audit(ctx, store.Entry{Action: "ledger.confirm", Object: batchObj(id),
				Detail: "already imported; nothing written"})
		case StatusCancelled:
			return errs.New(errs.Conflict, "", "该导入批次已取消，不能导入；请重新上传")
		}
		_, es, err := s.read(ctx, county, data, func(x idcard.ID) (bool, error) { return tx.IDRegistered(ctx, x) })
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(es))
		year := calendar.DayOf(s.now()).Year()
		reason := fmt.Sprintf("台账导入（批次%d）", id)
		for _, e := range es {
			hid, err := s.importRow(ctx, tx, county, year, reason, id, e)
			if err != nil {
				return rowError(e.Row, err)
			}
			ids = append(ids, hid)
		}
		l.Status, l.Imported = StatusImported, len(ids)
		if l.Valid > len(ids) {
			l.Skipped = l.Valid - len(ids)
		}
		raw, _ := json.Marshal(ids)
		l.Households = string(raw)
		if err := tx.FinishLedgerImport(ctx, &l); err != nil {
			return err
		}
		out = toBatch(l)
		return tx.Audit(ctx, store.Entry{Action: "ledger.import", Object: batchObj(id),
			Detail: fmt.Sprintf("county=%s imported=%d skipped=%d", county, l.Imported, l.Skipped)})
	})
	return out, err
}

func rowError(row int, err error) error {
	e := errs.As(err)
	if e.Code == errs.Internal {
		return err
	}
	return errs.New(e.Code, "file", fmt.Sprintf("第%d行导入失败：%s（整批未导入）", row, e.Message))
}

// importRow writes one valid row: household and members, the ledger case,
// the recipient and its enrolled history entry.
func (s *Service) importRow(ctx context.Context, tx *store.Tx, county region.Code, year int, reason string, batch int64, e ledger.Entry) (int64, error) {
	h := e.Household
	if err := tx.CreateHousehold(ctx, &h); err != nil {
		return 0, err
	}
	serial, err := tx.NextSerial(ctx, "ledger_case", county, year)
	if err != nil {
		return 0, err
	}
	number := fmt.Sprintf("%s-%d-TZ%06d", county[:6], year, serial)
	if _, err := tx.EnrollExisting(ctx, store.Existing{HouseholdID: h.ID, Region: h.Region, Number: number,
		Category: e.Category, Amount: e.Amount, Members: e.Covered, StartMonth: e.StartMonth,
		Transition: "ledger_import", Reason: reason, Data: fmt.Sprintf(`{"batch":%d,"row":%d}`, batch, e.Row),
		Note: "台账导入，未做近亲属比对"}); err != nil {
		return 0, err
	}
	return h.ID, tx.Audit(ctx, store.Entry{Action: "ledger.import_household", Object: "household:" + strconv.FormatInt(h.ID, 10),
		Detail: fmt.Sprintf("batch=%d row=%d case=%s members=%d amount=%s start=%s", batch, e.Row, number,
			len(h.Members), e.Amount, e.StartMonth)})
}

// Cancel drops a batch that was not imported; cancelling twice is harmless.
func (s *Service) Cancel(ctx context.Context, p authz.Principal, id int64) (Batch, error) {
	county, err := countyOf(p)
	if err != nil {
		return Batch{}, err
	}
	var out Batch
	err = s.DB.InTx(ctx, p, func(tx *store.Tx) error {
		l, _, err := tx.LedgerImportForUpdate(ctx, region.ScopeOf(county), id)
		if err != nil {
			return err
		}
		switch l.Status {
		case StatusImported:
			return errs.New(errs.Conflict, "", "该批次已导入，不能取消")
		case StatusChecked:
			l.Status = StatusCancelled
			if err := tx.FinishLedgerImport(ctx, &l); err != nil {
				return err
			}
		}
		out = toBatch(l)
		return tx.Audit(ctx, store.Entry{Action: "ledger.cancel", Object: batchObj(id)})
	})
	return out, err
}

// TemplateName is the template's file name.
const TemplateName = "低保台账导入模板.xlsx"

// Template writes the import template: the header row with one example
// row, and a second sheet 填写说明 with the rules.
func Template(w io.Writer) error {
	cols := ledger.Columns()
	sc := make([]sheet.Column, len(cols))
	example := make([]any, len(cols))
	var text []int
	for i, c := range cols {
		sc[i] = sheet.Column{Title: c.Title, Width: c.Width}
		example[i] = c.Example
		if c.Text {
			text = append(text, i)
		}
	}
	var notes [][]any
	for i, r := range ledger.Rules {
		notes = append(notes, []any{strconv.Itoa(i + 1), "", r})
	}
	for _, c := range cols {
		req := "可选"
		if c.Required {
			req = "必填"
		}
		notes = append(notes, []any{c.Title, req, c.Rule})
	}
	return sheet.WriteBook(w, []sheet.Sheet{
		{Name: "台账", Cols: sc, Next: sheet.Rows([][]any{example}, func(r []any) []any { return r }), Text: text},
		{Name: "填写说明", Cols: []sheet.Column{{Title: "项目", Width: 22}, {Title: "必填", Width: 8}, {Title: "说明", Width: 90}},
			Next: sheet.Rows(notes, func(r []any) []any { return r })},
	})
}
