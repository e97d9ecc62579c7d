package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/recipients"
	"dibao/internal/roster"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// enrollN creates n one-person households in villageA and enrolls each at
// 600 yuan from 2026-06.
func enrollN(t *testing.T, e *env, n int) {
	t.Helper()
	seed := authz.Principal{Username: "test-admin", Roles: []authz.Role{authz.CountyAdmin}, Region: county}
	err := e.a.DB.InTx(bg, seed, func(tx *store.Tx) error {
		for i := 1; i <= n; i++ {
			h := household.Household{Region: villageA, Address: "幸福路", BankName: "农村信用社",
				BankAccount: fmt.Sprintf("62284800%011d", i),
				Members: []household.Member{{Name: fmt.Sprintf("刘%02d", i), Relation: "head",
					IDNumber: idcard.Make("130123", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), i),
					Labour:   "none", Health: "healthy", CoResident: true}}}
			if err := tx.CreateHousehold(bg, &h); err != nil {
				return err
			}
			c := store.Case{Number: fmt.Sprintf("W-%d", i), HouseholdID: h.ID, Region: villageA, Profile: "seed",
				State: "approved", Policy: "{}"}
			if err := tx.CreateCase(bg, &c); err != nil {
				return err
			}
			if err := tx.Enroll(bg, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: villageA, Category: "A",
				Amount: money.FromYuan(600), Members: 1, StartMonth: "2026-06", Status: "active"}); err != nil {
				return err
			}
		}
		return tx.Audit(bg, store.Entry{Action: "test.enroll", Object: "households"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (c *client) uploadFile(path, field, name string, data []byte) resp {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile(field, name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func rosterCount(t *testing.T, e *env) int {
	t.Helper()
	ids, err := e.a.DB.QueryStrings(bg, "SELECT id FROM rosters")
	if err != nil {
		t.Fatal(err)
	}
	return len(ids)
}

// bankResult appends 处理结果/失败原因 to a UTF-8 bank file; fail marks
// sequence numbers failed and edit may change a line.
func bankResult(t *testing.T, bank string, fail map[string]string, edit func([]string)) []byte {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(bank, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	for i, rec := range recs {
		switch {
		case i == 0:
			rec = append(rec, roster.ResultColumn, roster.ReasonColumn)
		case rec[0] == roster.TotalLabel:
			rec = append(rec, "", "")
		case fail[rec[0]] != "":
			rec = append(rec, roster.ResultFailed, fail[rec[0]])
		default:
			rec = append(rec, roster.ResultPaid, "")
		}
		if edit != nil && i > 0 {
			edit(rec)
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return buf.Bytes()
}

func TestRosterPages(t *testing.T) {
	e := setup(t)
	policyClock(e, "2026-12-15")
	testenv.User(t, e.a.DB, "capprover", county, authz.CountyApprover)
	enrollN(t, e, 52)
	ap := e.loginAs("capprover")
	admin := e.login("admin")

	// The list: the user's county and next month by default.
	r := ap.get("/rosters")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", r.StatusCode, r.body)
	}
	for _, want := range []string{`id="build-roster"`, `name="month" value="2027-01"`, `<option value="130123000000" selected>平安县</option>`,
		`id="roster-empty"`, `id="nav-rosters" class="active"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("list lacks %q", want)
		}
	}

	// Bad input: a Chinese message on the page, nothing built.
	r = ap.post("/rosters", url.Values{"county": {string(county)}, "month": {"2027-13"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, roster.MsgMonth) ||
		!strings.Contains(r.body, `value="2027-13"`) || rosterCount(t, e) != 0 {
		t.Fatalf("bad month: %d, rosters %d\n%s", r.StatusCode, rosterCount(t, e), r.body)
	}
	r = ap.post("/rosters", url.Values{"county": {"13012"}, "month": {"2027-01"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请选择县（市、区）") || rosterCount(t, e) != 0 {
		t.Fatalf("bad county: %d\n%s", r.StatusCode, r.body)
	}

	// Build, rebuild the draft, approve.
	r = ap.post("/rosters", url.Values{"county": {string(county)}, "month": {"2027-01"}})
	loc := r.Header.Get("Location")
	m := regexp.MustCompile(`^/rosters/(\d+)\?built=1$`).FindStringSubmatch(loc)
	if r.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("build: %d %q %s", r.StatusCode, loc, r.body)
	}
	page := "/rosters/" + m[1]
	if r = ap.post("/rosters", url.Values{"county": {string(county)}, "month": {"2027-01"}}); r.Header.Get("Location") != loc {
		t.Fatalf("rebuilding the draft: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = ap.get(loc)
	for _, want := range []string{"发放名册已生成", `id="approve-roster"`, `href="` + page + `/export.xlsx" id="export-xlsx"`,
		`id="diff-noprev"`, `id="diff-added">52 户`, "31,200.00", `id="row-50"`, "第 1 / 2 页", "李家庄村", "东湖镇", "草稿"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("roster page lacks %q", want)
		}
	}
	if strings.Contains(r.body, `id="row-51"`) || strings.Contains(r.body, `id="export-bank"`) {
		t.Error("page 1 shows row 51, or a bank export before approval")
	}
	if r = ap.get(page + "?page=2"); !strings.Contains(r.body, `id="row-51"`) || !strings.Contains(r.body, `id="row-52"`) ||
		strings.Contains(r.body, `id="row-50"`) {
		t.Error("page 2 does not show rows 51–52 only")
	}
	// The county admin sees masked names and cannot approve.
	r = admin.get(page)
	if r.StatusCode != http.StatusOK || strings.Contains(r.body, `id="approve-roster"`) || strings.Contains(r.body, "刘01") ||
		!strings.Contains(r.body, "刘*") {
		t.Errorf("admin view: %d", r.StatusCode)
	}
	if r = admin.post(page+"/approve", nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("admin approving: %d", r.StatusCode)
	}
	if r = ap.post(page+"/approve", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", r.StatusCode, r.body)
	}
	r = ap.post("/rosters", url.Values{"county": {string(county)}, "month": {"2027-01"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, recipients.MsgRosterApproved) {
		t.Fatalf("rebuilding an approved month: %d", r.StatusCode)
	}
	r = ap.get(page)
	if !strings.Contains(r.body, `href="`+page+`/bank.csv" id="export-bank"`) || strings.Contains(r.body, `id="approve-roster"`) ||
		!strings.Contains(r.body, "已审批锁定") || !strings.Contains(r.body, `id="bank-result-form"`) {
		t.Error("approved roster page: no bank export or upload, or still an approve button")
	}

	// The Excel export.
	r = ap.get(page + "/export.xlsx")
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != sheet.ContentType ||
		r.Header.Get("Content-Disposition") != `attachment; filename="roster-`+m[1]+`.xlsx"; filename*=utf-8''`+url.PathEscape("平安县-2027-01-发放名册.xlsx") {
		t.Fatalf("xlsx: %d %q %q", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	rows, err := sheet.Read(strings.NewReader(r.body))
	if err != nil || len(rows) != 54 || rows[0][3] != "户主姓名" || rows[53][0] != roster.TotalLabel {
		t.Fatalf("sheet: %d rows, %v", len(rows), err)
	}

	// The county sets the bank file's columns on the policy page (the list
	// takes Chinese separators and labels); a list without the account is refused.
	if r = admin.get("/policy/bank_csv_columns?region=" + string(county)); !strings.Contains(r.body, `maxlength="200"`) ||
		!strings.Contains(r.body, `value="seq,name,bank,account,amount,month,note"`) {
		t.Fatal("policy page cannot hold the column list")
	}
	cols := url.Values{"region_code": {string(county)}, "value": {"序号，银行账号、金额(元),name,region"}, "effective_from": {"2026-12-15"},
		"note": {"与农信社约定"}}
	if r = admin.post("/policy/bank_csv_columns", cols); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("set columns: %d %s", r.StatusCode, r.body)
	}
	cols.Set("value", "seq,amount,name")
	if r = admin.post("/policy/bank_csv_columns", cols); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "须包含序号、银行账号和金额") {
		t.Fatalf("columns without the account: %d", r.StatusCode)
	}

	// The bank file and its result.
	r = ap.get(page + "/bank.csv")
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.body, "\uFEFF序号,银行账号,金额(元),户主姓名,村（社区）\r\n1,62284800") ||
		!strings.Contains(r.Header.Get("Content-Disposition"), url.PathEscape("平安县-2027-01-银行代发.csv")) {
		t.Fatalf("bank: %d %q", r.StatusCode, r.Header.Get("Content-Disposition"))
	}
	bad := bankResult(t, r.body, nil, func(rec []string) {
		if rec[0] == "7" {
			rec[2] = "1.00"
		}
	})
	res := ap.uploadFile(page+"/bank-result", "file", "回盘.csv", bad)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.body, "名册未作任何更改") ||
		!strings.Contains(res.body, "第8行（序号 7）：金额 1.00 元与名册 600.00 元不符") {
		t.Fatalf("mismatching upload: %d\n%s", res.StatusCode, res.body)
	}
	if ids, _ := e.a.DB.QueryStrings(bg, "SELECT household_id FROM roster_rows WHERE pay_status <> 'pending'"); len(ids) != 0 {
		t.Fatalf("a rejected file marked %d rows", len(ids))
	}
	if res = ap.uploadFile(page+"/bank-result", "file", "empty.csv", nil); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, "请选择银行回盘文件") {
		t.Fatalf("empty upload: %d", res.StatusCode)
	}
	good := bankResult(t, r.body, map[string]string{"3": "账户已销户"}, nil)
	res = ap.uploadFile(page+"/bank-result", "file", "回盘.csv", good)
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "?imported=1#payments") {
		t.Fatalf("upload: %d %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	r = ap.get(page + "?imported=1")
	for _, want := range []string{"银行回盘文件已导入", "已发放 51 户", "发放失败 1 户", `id="failed-table"`, "账户已销户", "回盘.csv"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("after import the page lacks %q", want)
		}
	}
	res = ap.uploadFile(page+"/bank-result", "file", "回盘.csv", good)
	if !strings.HasSuffix(res.Header.Get("Location"), "?imported=repeat#payments") {
		t.Fatalf("repeat upload: %q", res.Header.Get("Location"))
	}
	// Re-payment: the failed row alone, with its original 序号.
	if !strings.Contains(r.body, `href="`+page+`/repay.csv" id="export-repay"`) {
		t.Fatal("no re-payment export for the failed row")
	}
	rp := ap.get(page + "/repay.csv")
	if rp.StatusCode != http.StatusOK || !strings.Contains(rp.body, "\r\n3,62284800") || !strings.Contains(rp.body, "共1户") ||
		!strings.Contains(rp.Header.Get("Content-Disposition"), url.PathEscape("平安县-2027-01-银行代发-重新发放.csv")) {
		t.Fatalf("re-payment file: %d %q\n%s", rp.StatusCode, rp.Header.Get("Content-Disposition"), rp.body)
	}
	if res = ap.uploadFile(page+"/bank-result", "file", "补发回盘.csv", bankResult(t, rp.body, nil, nil)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-payment result: %d\n%s", res.StatusCode, res.body)
	}
	if r = ap.get(page); !strings.Contains(r.body, "已发放 52 户") || strings.Contains(r.body, `id="failed-table"`) {
		t.Error("the re-paid row is still failed")
	}
	if r = ap.get("/rosters"); !strings.Contains(r.body, `id="roster-2027-01"`) || !strings.Contains(r.body, `<td class="num">52</td>`) {
		t.Error("list lacks the month or its paid count")
	}
	// Outside the county office: no access.
	if r = e.login("clerk").get(page); r.StatusCode != http.StatusForbidden {
		t.Errorf("village clerk: %d", r.StatusCode)
	}
	if r = ap.get("/rosters/999999"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown roster: %d", r.StatusCode)
	}
}
