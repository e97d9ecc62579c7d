package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/authz"
	"dibao/internal/household"
	"dibao/internal/ledger"
	"dibao/internal/ledger/ledgertest"
	"dibao/internal/ledgerimport"
	"dibao/internal/region"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

func (c *client) ledgerUpload(path, filename string, data []byte) resp {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		c.e.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func (e *env) rows(table string) int {
	e.t.Helper()
	v, err := e.a.DB.QueryStrings(bg, "SELECT COUNT(*) FROM "+table)
	if err != nil {
		e.t.Fatal(err)
	}
	n, _ := strconv.Atoi(v[0])
	return n
}

func TestLedgerPages(t *testing.T) {
	e := setup(t)
	policyClock(e, "2026-11-20")
	h := household.Household{Region: villageA, Address: "老地址", Members: []household.Member{{Name: "已登记",
		Relation: "head", IDNumber: ledgertest.Existing, Labour: "none", Health: "healthy", CoResident: true}}}
	if err := e.a.DB.InTx(bg, authz.System("test-seed"), func(tx *store.Tx) error {
		tx.SetPrincipal(authz.Principal{Username: "seed", Roles: []authz.Role{authz.CountyAdmin}, Region: county})
		if err := tx.CreateHousehold(bg, &h); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "test.household", Object: "household"})
	}); err != nil {
		t.Fatal(err)
	}
	admin := e.login("admin")

	r := admin.get("/ledger")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("index %d %s", r.StatusCode, r.body)
	}
	for _, want := range []string{`id="ledger-template"`, `href="/ledger/template.xlsx"`, `id="ledger-check"`,
		`enctype="multipart/form-data"`, `name="file"`, `id="ledger-empty"`, ledger.ColHeadID} {
		if !strings.Contains(r.body, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	// The template downloads as a workbook with the header.
	r = admin.get("/ledger/template.xlsx")
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != sheet.ContentType {
		t.Fatalf("template %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	rows, err := sheet.Read(strings.NewReader(r.body))
	if err != nil || len(rows) != 2 || rows[0][0] != ledger.ColSeq {
		t.Fatalf("template rows %v %v", err, rows)
	}

	// Not a workbook, or the wrong header: a message, nothing stored.
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"台账.csv", []byte("序号,户主姓名\n1,张三\n"), "无法读取该文件：请上传 Excel 工作簿（.xlsx）"},
		{"空.xlsx", nil, "请选择要上传的台账文件"},
		{"别的表.xlsx", ledgertest.Workbook(t, [][]string{{"姓名", "电话"}, {"张三", "1"}}), "不是台账模板的表头"},
	} {
		r = admin.ledgerUpload("/ledger", c.name, c.data)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="ledger-error"`) ||
			!strings.Contains(r.body, c.want) {
			t.Errorf("%s: %d, want message %q:\n%s", c.name, r.StatusCode, c.want, r.body)
		}
	}
	if n := e.rows("ledger_imports"); n != 0 {
		t.Fatalf("bad uploads stored %d batches", n)
	}

	// The 20-row ledger with six bad rows.
	hh := e.rows("households")
	r = admin.ledgerUpload("/ledger", "平安县台账.xlsx", ledgertest.Workbook(t, ledgertest.Rows(20, villageA, villageB)))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/ledger/1" {
		t.Fatalf("upload %d %s %s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	r = admin.get("/ledger/1")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("report %d %s", r.StatusCode, r.body)
	}
	for _, want := range []string{`id="ledger-rows">20<`, `id="ledger-valid">14<`, `id="ledger-bad">6<`,
		`确认导入有效记录（14条）`, `id="ledger-confirm"`, `id="ledger-cancel"`, `id="ledger-preview"`, "尚未写入任何数据",
		"李家庄村", "王家村"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for row, col := range ledgertest.Bad {
		if !strings.Contains(r.body, `data-row="`+strconv.Itoa(row)+`"><td class="num">第`+strconv.Itoa(row)+`行</td><td class="nowrap">`+col+`</td>`) {
			t.Errorf("report does not name row %d column %s", row, col)
		}
	}
	assertNoSensitive(t, "ledger report", r.body)
	if strings.Contains(r.body, string(ledgertest.HeadID(1))) || strings.Contains(r.body, "户主1<") {
		t.Error("the preview shows an ID number or a full name")
	}
	if n := e.rows("households"); n != hh {
		t.Fatalf("check wrote %d households", n-hh)
	}
	if n := e.rows("recipients"); n != 0 {
		t.Fatalf("check wrote %d recipients", n)
	}

	// A village clerk may not see or confirm it.
	clerk := e.login("clerk")
	if r := clerk.get("/ledger/1"); r.StatusCode != http.StatusForbidden {
		t.Errorf("clerk report: %d", r.StatusCode)
	}
	if r := clerk.post("/ledger/1/confirm", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("clerk confirm: %d", r.StatusCode)
	}

	r = admin.post("/ledger/1/confirm", nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/ledger/1" {
		t.Fatalf("confirm %d %s", r.StatusCode, r.body)
	}
	r = admin.get("/ledger/1")
	for _, want := range []string{`id="ledger-result"`, "已导入 14 户", `id="ledger-imported">14<`, `href="/recipients"`,
		`href="/households/`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("result lacks %q", want)
		}
	}
	if strings.Contains(r.body, `id="ledger-confirm"`) {
		t.Error("the confirm button is still offered after the import")
	}
	if n := e.rows("households"); n != hh+14 {
		t.Fatalf("households %d, want %d", n, hh+14)
	}
	// Posting confirm again (a double click, the back button) imports nothing more.
	if r := admin.post("/ledger/1/confirm", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("second confirm %d", r.StatusCode)
	}
	if n := e.rows("recipients"); n != 14 {
		t.Fatalf("recipients %d after a second confirm", n)
	}
	// Imported households are found by ID number on the household list.
	r = admin.post("/households/search", map[string][]string{"id_number": {string(ledgertest.HeadID(3))}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "户主3") {
		t.Errorf("ID search: %d", r.StatusCode)
	}

	// The ledger case behind an imported recipient opens like any case.
	cs, err := e.a.DB.QueryStrings(bg, "SELECT MIN(id) FROM cases")
	if err != nil {
		t.Fatal(err)
	}
	if r := admin.get("/cases/" + cs[0]); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "台账导入（批次1）") {
		t.Errorf("ledger case page: %d\n%s", r.StatusCode, r.body)
	}
	if r := admin.get("/cases"); r.StatusCode != http.StatusOK {
		t.Errorf("case list: %d", r.StatusCode)
	}

	r = admin.get("/ledger")
	if !strings.Contains(r.body, `id="ledger-batch-1"`) || !strings.Contains(r.body, "已导入") {
		t.Error("the batch is not listed as imported")
	}
	// Cancel: a second upload, cancelled, imports nothing.
	r = admin.ledgerUpload("/ledger", "again.xlsx", ledgertest.Workbook(t, ledgertest.Rows(12, villageA)))
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || loc != "/ledger/2" {
		t.Fatalf("second upload %d %s", r.StatusCode, loc)
	}
	if r := admin.post(loc+"/cancel", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel %d", r.StatusCode)
	}
	if r := admin.get(loc); !strings.Contains(r.body, "已取消") || strings.Contains(r.body, `id="ledger-confirm"`) {
		t.Error("cancelled batch page")
	}
	if r := admin.post(loc+"/confirm", nil); r.StatusCode != http.StatusConflict {
		t.Errorf("confirm after cancel: %d", r.StatusCode)
	}
	if r := admin.get("/ledger/99"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown batch: %d", r.StatusCode)
	}
}

var ledgerAdmin = authz.Principal{Username: "admin", Roles: []authz.Role{authz.CountyAdmin}, Region: county}

func ledgerIndexFixture() ledgerIndexPage {
	return ledgerIndexPage{Error: "第1行不是台账模板的表头：请下载模板，按模板的表头填写", MaxMB: 20,
		Columns: ledgerColumns(), LastMember: 6, Batches: []ledgerimport.Batch{{LedgerImport: store.LedgerImport{ID: 4,
			Filename: "台账.xlsx", UploadedBy: "admin", Status: "checked", Rows: 3, Valid: 1}}}}
}

func ledgerBatchFixture() ledgerBatchPage {
	b := ledgerimport.Batch{LedgerImport: store.LedgerImport{ID: 4, Filename: "台账.xlsx", Status: "checked", Rows: 2, Valid: 1},
		Report: ledger.Report{Rows: 2, Valid: 1, Errors: []ledger.Problem{{Row: 3, Column: ledger.ColHeadID, Message: "身份证号校验位错误，请核对最后一位"}}}}
	return ledgerBatchPage{B: b, Bad: 1, Villages: map[region.Code]string{villageA: "李家庄村"},
		Preview: []ledgerimport.PreviewRow{{Row: 2, Village: villageA, HeadName: "户*1", HeadID: "130199********1018",
			Members: 2, FamilySize: 2, Covered: 2, Category: "B", Amount: 30150, StartMonth: "2025-01"}}}
}
