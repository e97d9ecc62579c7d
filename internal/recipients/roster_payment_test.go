package recipients_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"dibao/internal/errs"
	"dibao/internal/mask"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/recipients"
	"dibao/internal/roster"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

func (w *world) exec(q string, args ...any) {
	w.t.Helper()
	if err := w.db.ExecRaw(ctx, q, args...); err != nil {
		w.t.Fatal(err)
	}
}

// payStatuses maps household id → pay status of a roster's rows.
func (w *world) payStatuses(rosterID int64) map[int64]string {
	w.t.Helper()
	d, err := w.svc.Detail(ctx, w.county, rosterID)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[int64]string{}
	for _, r := range d.Rows {
		out[r.HouseholdID] = r.PayStatus
	}
	return out
}

// resultFile turns a bank payment file (GBK) into the bank's result file:
// every line 成功 except the failed sequence numbers, the totals row kept.
func resultFile(t *testing.T, bank []byte, edit func(line int, rec []string) []string) []byte {
	t.Helper()
	text, err := simplifiedchinese.GBK.NewDecoder().Bytes(bank)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
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
		default:
			rec = edit(i+1, append(rec, roster.ResultPaid, ""))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// messages joins every message of an error list.
func messages(err error) string {
	var l errs.List
	if errors.As(err, &l) {
		var out []string
		for _, e := range l {
			out = append(out, e.Message)
		}
		return strings.Join(out, "\n")
	}
	if err == nil {
		return ""
	}
	return errs.As(err).Message
}

func TestRosterPayments(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)

		// Building a month twice: one roster, one row per household, the same total.
		dec1, err := w.svc.BuildRoster(ctx, w.admin, testenv.County, "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		dec2, err := w.svc.BuildRoster(ctx, w.admin, testenv.County, "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		if dec1.ID != dec2.ID || dec2.Rows != 5 || dec2.Total != dec1.Total || dec2.Total != money.FromYuan(5000) {
			t.Fatalf("December built twice: %+v then %+v", dec1, dec2)
		}
		if ids, err := db.QueryStrings(ctx, "SELECT household_id FROM roster_rows WHERE roster_id = ?", dec2.ID); err != nil || len(ids) != 5 {
			t.Fatalf("December rows %v (err %v), want 5", ids, err)
		}
		if _, err := w.svc.ApproveRoster(ctx, w.county, dec2.ID); err != nil {
			t.Fatal(err)
		}

		// January: household 1 stopped after December, household 2 raised to
		// 1 250 yuan, a new household from January at 800 yuan.
		w.exec("UPDATE recipients SET status = 'stopped', end_month = '2026-12' WHERE household_id = ?", w.hids[1])
		w.exec("UPDATE recipients SET amount_fen = ? WHERE household_id = ?", int64(money.FromYuan(1250)), w.hids[2])
		nh := w.enroll(testenv.VillageA, false, money.FromYuan(800))
		w.exec("UPDATE recipients SET start_month = '2027-01' WHERE household_id = ?", nh)
		jan, err := w.svc.BuildRoster(ctx, w.admin, testenv.County, "2027-01")
		if err != nil {
			t.Fatal(err)
		}
		want := money.FromYuan(3000 + 1250 + 800)
		if jan.Rows != 5 || jan.Total != want {
			t.Fatalf("January %d rows, total %s; want 5 and %s", jan.Rows, jan.Total.Yuan(), want.Yuan())
		}

		// The difference from last month.
		d, err := w.svc.Diff(ctx, w.county, jan.ID)
		if err != nil {
			t.Fatal(err)
		}
		c := d.Changes
		if !d.HasPrev || d.Previous.ID != dec2.ID || c.Added != 1 || c.Removed != 1 || c.Increased != 1 || c.Decreased != 0 ||
			c.Unchanged != 3 || c.OldTotal != money.FromYuan(5000) || c.NewTotal != want || c.Delta != money.FromYuan(50) {
			t.Fatalf("diff %+v", d)
		}
		kinds := map[int64]roster.ChangeKind{}
		for _, x := range c.Items {
			kinds[x.HouseholdID] = x.Kind
		}
		if kinds[nh] != roster.Added || kinds[w.hids[1]] != roster.Removed || kinds[w.hids[2]] != roster.Increased {
			t.Fatalf("diff items %+v", c.Items)
		}
		if d.Names[w.hids[1]] == "" || d.Names[nh] == "" {
			t.Fatalf("diff names %v", d.Names)
		}
		if first, err := w.svc.Diff(ctx, w.county, dec2.ID); err != nil || first.HasPrev || first.Changes.Added != 5 {
			t.Fatalf("diff of the first month: %+v, %v", first, err)
		}

		// The Excel export: header, one row per household, the totals row;
		// names masked for the county admin (no SensitiveReveal).
		var xb bytes.Buffer
		name, err := w.svc.RosterXLSX(ctx, w.admin, jan.ID, &xb)
		if err != nil {
			t.Fatal(err)
		}
		if name != "平安县-2027-01-发放名册.xlsx" {
			t.Fatalf("file name %q", name)
		}
		rows, err := sheet.Read(&xb)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rows[0], ",") != strings.Join(recipients.XLSXColumns, ",") || len(rows) != 1+5+1 {
			t.Fatalf("sheet header %v, %d rows", rows[0], len(rows))
		}
		var sum money.Fen
		for i, r := range rows[1:6] {
			a, err := money.Parse(r[7])
			if err != nil || r[0] != strconv.Itoa(i+1) || r[6] != "2027-01" || r[5] != "农村" || r[4] != "1" {
				t.Fatalf("sheet row %d: %v (%v)", i+1, r, err)
			}
			if !strings.Contains(r[3], "*") || r[1] == "" || r[2] == "" {
				t.Fatalf("sheet row %d: name not masked or region missing: %v", i+1, r)
			}
			sum += a
		}
		last := rows[6]
		if tot, err := money.Parse(last[7]); err != nil || last[0] != roster.TotalLabel || tot != want || sum != want {
			t.Fatalf("totals row %v, sum %s", last, sum.Yuan())
		}
		if w.audits("roster.export") != 1 {
			t.Fatal("the Excel export must be audited")
		}
		var ab bytes.Buffer
		if _, err := w.svc.RosterXLSX(ctx, w.county, jan.ID, &ab); err != nil {
			t.Fatal(err)
		}
		if rows, err := sheet.Read(&ab); err != nil || strings.Contains(rows[1][3], "*") || mask.Name(rows[1][3]) == rows[1][3] {
			t.Fatalf("an approver sees names in full: %v (%v)", rows[1], err)
		}

		// The bank file format: columns and encoding are county policy.
		if err := policy.SetValue(ctx, db, w.admin, testenv.County, policy.BankCSVColumns, "seq,name", "2026-12-15", "试"); !isCode(err, errs.Invalid) {
			t.Fatalf("columns without account and amount: %v", err)
		}
		if err := policy.SetValue(ctx, db, w.admin, testenv.County, policy.BankCSVColumns, "seq,phone,amount", "2026-12-15", "试"); !isCode(err, errs.Invalid) ||
			!strings.Contains(errs.As(err).Message, "phone") {
			t.Fatalf("unknown column: %v", err)
		}
		if err := policy.SetValue(ctx, db, w.admin, testenv.County, policy.BankCSVColumns, "seq, region，name、account,amount,id_masked",
			"2026-12-15", "与农信社约定"); err != nil {
			t.Fatal(err)
		}
		if err := policy.SetValue(ctx, db, w.admin, testenv.County, policy.BankCSVEncoding, "gbk", "2026-12-15", "与农信社约定"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ApproveRoster(ctx, w.county, jan.ID); err != nil {
			t.Fatal(err)
		}
		// A name GBK cannot hold is refused naming the household.
		w.exec("UPDATE households SET head_name = ? WHERE id = ?", "王\U00020000", nh)
		var bank bytes.Buffer
		if _, err := w.svc.BankCSV(ctx, w.county, jan.ID, &bank); !isCode(err, errs.Invalid) || bank.Len() != 0 ||
			!strings.Contains(messages(err), "无法用GBK编码") || !strings.Contains(messages(err), "王\U00020000") {
			t.Fatalf("non-GBK name: %v", err)
		}
		w.exec("UPDATE households SET head_name = ? WHERE id = ?", "欧阳明", nh)
		file, err := w.svc.BankCSV(ctx, w.county, jan.ID, &bank)
		if err != nil {
			t.Fatal(err)
		}
		if file != "平安县-2027-01-银行代发.csv" || bytes.HasPrefix(bank.Bytes(), []byte("\uFEFF")) {
			t.Fatalf("file %q or a BOM in a GBK file", file)
		}
		text, err := simplifiedchinese.GBK.NewDecoder().Bytes(bank.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(text), "\r\n"), "\r\n")
		if len(lines) != 7 || lines[0] != "序号,村（社区）,户主姓名,银行账号,金额(元),身份证号(脱敏)" ||
			lines[6] != "合计,,,,"+want.String()+",共5户" || !strings.Contains(string(text), "欧阳明") ||
			!strings.Contains(string(text), "李家庄村") || !strings.Contains(lines[1], "****") {
			t.Fatalf("GBK bank file:\n%s", text)
		}

		// The bank's result file: a mismatch anywhere writes nothing.
		bad := resultFile(t, bank.Bytes(), func(line int, rec []string) []string {
			switch line {
			case 3:
				rec[4] = "999.00"
			case 5:
				rec[3] = "6228000000000000000"
			}
			return rec
		})
		if _, err := w.svc.ImportBankResult(ctx, w.county, jan.ID, "bad.csv", bad); !isCode(err, errs.Invalid) ||
			!strings.Contains(messages(err), "第3行（序号 2）：金额 999.00 元与名册") || !strings.Contains(messages(err), "第5行（序号 4）：银行账号") {
			t.Fatalf("mismatching result file: %v", err)
		}
		for id, st := range w.payStatuses(jan.ID) {
			if st != recipients.PayPending {
				t.Fatalf("household %d marked %s by a rejected file", id, st)
			}
		}
		good := resultFile(t, bank.Bytes(), func(line int, rec []string) []string {
			if line == 3 {
				rec[6], rec[7] = roster.ResultFailed, "账户已冻结"
			}
			return rec
		})
		if _, err := w.svc.ImportBankResult(ctx, w.admin, jan.ID, "r.csv", good); !isCode(err, errs.Forbidden) {
			t.Fatalf("county admin importing: %v", err)
		}
		if _, err := w.svc.ImportBankResult(ctx, w.county, dec2.ID, "r.csv", good); !isCode(err, errs.Invalid) {
			t.Fatalf("January's result for December: %v", err)
		}
		res, err := w.svc.ImportBankResult(ctx, w.county, jan.ID, "回盘.csv", good)
		if err != nil {
			t.Fatal(err)
		}
		if res.Repeated || res.Paid != 4 || res.Failed != 1 {
			t.Fatalf("import %+v", res)
		}
		det, err := w.svc.Detail(ctx, w.county, jan.ID)
		if err != nil {
			t.Fatal(err)
		}
		failed := det.FailedRows()
		if det.Paid() != 4 || len(failed) != 1 || failed[0].PayNote != "账户已冻结" || failed[0].HouseholdID != det.Rows[1].HouseholdID {
			t.Fatalf("after import: paid %d, failed %+v", det.Paid(), failed)
		}
		// The same file again changes nothing.
		again, err := w.svc.ImportBankResult(ctx, w.county, jan.ID, "回盘.csv", good)
		if err != nil || !again.Repeated || again.ID != res.ID {
			t.Fatalf("second import %+v, %v", again, err)
		}
		if n, _ := db.QueryStrings(ctx, "SELECT sha256 FROM roster_bank_imports WHERE roster_id = ?", jan.ID); len(n) != 1 {
			t.Fatalf("imports recorded: %v", n)
		}
		if w.audits("roster.bank_result") != 1 {
			t.Fatal("one audited import")
		}
		// A paid row cannot turn failed; a failed one is paid on re-payment.
		flip := resultFile(t, bank.Bytes(), func(line int, rec []string) []string {
			if line == 2 {
				rec[6], rec[7] = roster.ResultFailed, "超时"
			}
			return rec
		})
		if _, err := w.svc.ImportBankResult(ctx, w.county, jan.ID, "flip.csv", flip); !isCode(err, errs.Invalid) ||
			!strings.Contains(messages(err), "不能改为失败") {
			t.Fatalf("paid turned failed: %v", err)
		}
		var repay bytes.Buffer
		if _, err := w.svc.RepaymentCSV(ctx, w.county, dec2.ID, &repay); !isCode(err, errs.Conflict) || repay.Len() != 0 {
			t.Fatalf("re-payment file without failures: %v", err)
		}
		if _, err := w.svc.RepaymentCSV(ctx, w.admin, jan.ID, &repay); !isCode(err, errs.Forbidden) {
			t.Fatalf("county admin exporting a re-payment file: %v", err)
		}
		rfile, err := w.svc.RepaymentCSV(ctx, w.county, jan.ID, &repay)
		if err != nil {
			t.Fatal(err)
		}
		rtext, _ := simplifiedchinese.GBK.NewDecoder().Bytes(repay.Bytes())
		rlines := strings.Split(strings.TrimSuffix(string(rtext), "\r\n"), "\r\n")
		if rfile != "平安县-2027-01-银行代发-重新发放.csv" || len(rlines) != 3 || !strings.HasPrefix(rlines[1], "2,") ||
			rlines[2] != "合计,,,,1250.00,共1户" {
			t.Fatalf("re-payment file %q:\n%s", rfile, rtext)
		}
		repaid := resultFile(t, repay.Bytes(), func(line int, rec []string) []string { return rec })
		if res, err := w.svc.ImportBankResult(ctx, w.county, jan.ID, "补发回盘.csv", repaid); err != nil || res.Paid != 1 || res.Failed != 0 {
			t.Fatalf("re-payment %+v, %v", res, err)
		}
		list, err := w.svc.Rosters(ctx, w.county, testenv.County, "")
		if err != nil || len(list) != 2 || list[0].Month != "2027-01" || list[0].Paid != 5 || list[0].Failed != 0 ||
			list[1].Month != "2026-12" || list[1].Paid != 0 {
			t.Fatalf("roster list %+v, %v", list, err)
		}
		if _, err := w.svc.Rosters(ctx, w.town, testenv.County, ""); !isCode(err, errs.Forbidden) {
			t.Fatalf("township listing rosters: %v", err)
		}
	})
}
