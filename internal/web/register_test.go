package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/benefit"
	"dibao/internal/calendar"
	"dibao/internal/money"
	"dibao/internal/region"
	"dibao/internal/sheet"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// regEnv is the test county of testenv on either store with a county
// admin, an auditor and a township A officer, and the register fixture:
// village A 赵一 (A, 300, review due 2026-03-01), 钱二 (urban B, 500, with
// a decision in force and two changes), 孙三 (stopped); village B 李四 (A,
// 800) and 25 households of category C at 100 yuan.
type regEnv struct {
	*env
	ids      []int64
	qianID   int64
	qianCase int64
}

func setupRegister(t *testing.T, db *store.DB) *regEnv {
	t.Helper()
	testenv.SeedRegions(t, db)
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, calendar.Location())
	for _, u := range []struct {
		name string
		reg  string
		role authz.Role
	}{{"admin", string(testenv.County), authz.CountyAdmin}, {"auditor", string(testenv.County), authz.Auditor},
		{"towna", string(testenv.TownA), authz.TownshipOfficer}} {
		testenv.User(t, db, u.name, region.Code(u.reg), u.role)
	}
	re := &regEnv{}
	add := func(s testenv.RecipientSpec) int64 {
		id, c := testenv.Recipient(t, db, s)
		re.ids = append(re.ids, id)
		if s.Head == "钱二" {
			re.qianCase = c
		}
		return id
	}
	decision, _ := json.Marshal(benefit.Result{Outcome: benefit.OutcomeEligible, Eligible: true, Urban: true, Mode: benefit.ModeGap,
		Members: 3, Persons: 3, Standard: money.FromYuan(900), HouseholdIncome: money.FromYuan(2100), PerCapita: money.FromYuan(700),
		Amount: money.FromYuan(520), Lines: []benefit.Line{{Label: "补差金额", Formula: "(900.00 − 700.00) × 3 − 80.00", Amount: money.FromYuan(520)}},
		Used: []string{benefit.ParamStandardUrban}, Versions: map[string]string{benefit.ParamStandardUrban: "pingan/2026-01-01"}})
	add(testenv.RecipientSpec{Village: testenv.VillageA, Head: "赵一", Category: "A", Amount: money.FromYuan(300), Members: 2, ReviewDue: "2026-03-01"})
	re.qianID = add(testenv.RecipientSpec{Village: testenv.VillageA, Head: "钱二", Urban: true, Category: "B", Amount: money.FromYuan(520),
		Members: 3, Benefit: string(decision)})
	add(testenv.RecipientSpec{Village: testenv.VillageA, Head: "孙三", Category: "B", Amount: money.FromYuan(150), Status: "stopped", EndMonth: "2026-04"})
	add(testenv.RecipientSpec{Village: testenv.VillageB, Head: "李四", Category: "A", Amount: money.FromYuan(800), Members: 4})
	for i := range 25 {
		add(testenv.RecipientSpec{Village: testenv.VillageB, Head: fmt.Sprintf("吴%02d", i), Category: "C", Amount: money.FromYuan(100)})
	}
	testenv.History(t, db, time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC), store.HistoryEntry{HouseholdID: re.qianID,
		Kind: "decrease", OldAmount: money.FromYuan(600), NewAmount: money.FromYuan(480), EffectiveMonth: "2026-03",
		Reason: "家庭成员就业收入增加", Actor: "approver1"})
	testenv.History(t, db, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), store.HistoryEntry{HouseholdID: re.qianID,
		Kind: "increase", OldAmount: money.FromYuan(480), NewAmount: money.FromYuan(520), EffectiveMonth: "2026-04",
		Reason: "新增重病患者", Actor: "approver2"})
	db.SetClock(func() time.Time { return now })
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	re.env = &env{t: t, a: a, srv: srv}
	return re
}

func loginAs(e *env, username string) *client {
	e.t.Helper()
	c := e.client()
	r := c.secondFactor(c.post("/login", map[string][]string{"username": {username}, "password": {testenv.Password}}), username)
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %s", username, r.StatusCode, r.body)
	}
	return c
}

var rowHousehold = regexp.MustCompile(`<tr data-household="(\d+)"`)

func householdsOn(body string) []string {
	var out []string
	for _, m := range rowHousehold.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func downloadXLSX(t *testing.T, c *client, path string) (resp, [][]string) {
	t.Helper()
	r := c.get(path)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d\n%s", path, r.StatusCode, r.body)
	}
	// An ASCII fallback name and the Chinese name (RFC 5987), which Go's
	// parser prefers and decodes.
	typ, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
	if r.Header.Get("Content-Type") != sheet.ContentType || r.Header.Get("Cache-Control") != "no-store" ||
		typ != "attachment" || err != nil || !strings.HasSuffix(params["filename"], ".xlsx") ||
		!strings.ContainsFunc(params["filename"], func(c rune) bool { return c > 127 }) ||
		!strings.Contains(r.Header.Get("Content-Disposition"), "filename=\"") {
		t.Fatalf("%s: headers %v", path, r.Header)
	}
	rows, err := sheet.Read(bytes.NewReader([]byte(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	return r, rows
}

func auditCount(t *testing.T, a *app.App, action string) int {
	t.Helper()
	recs, err := a.DB.AuditRecords(bg, store.AuditFilter{Action: action, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func TestRegisterPages(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		e := setupRegister(t, db)
		admin := loginAs(e.env, "admin")

		// The whole register: 28 active, 20 on the first page, masked names.
		r := admin.get("/recipients")
		if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="recipient-total">28<`) {
			t.Fatalf("list: %d\n%s", r.StatusCode, r.body)
		}
		if !strings.Contains(r.body, ">赵*<") || strings.Contains(r.body, "赵一") || strings.Contains(r.body, "钱二") {
			t.Error("the register must show masked names only")
		}
		if !strings.Contains(r.body, "已逾期") || !strings.Contains(r.body, "A类（重点保障）") {
			t.Error("an overdue review and the category label should show")
		}
		p1 := householdsOn(r.body)
		if len(p1) != 20 || !strings.Contains(r.body, `href="/recipients?page=2"`) {
			t.Fatalf("first page: %d rows", len(p1))
		}
		p2 := householdsOn(admin.get("/recipients?page=2").body)
		if len(p2) != 8 {
			t.Fatalf("second page: %d rows", len(p2))
		}

		// Filters, each the SQL's.
		for q, want := range map[string]int{
			"urban=urban": 1, "category=C": 25, "region=" + string(testenv.TownA): 2, "status=all": 29,
			"status=stopped": 1, "min=300": 3, "max=150": 25, "min=200&max=600": 2, "due_by=2026-03-31": 1,
			"region=" + string(testenv.VillageB) + "&category=A": 1,
		} {
			r := admin.get("/recipients?" + q)
			if r.StatusCode != http.StatusOK || !strings.Contains(r.body, fmt.Sprintf(`id="recipient-total">%d<`, want)) {
				t.Errorf("%s: status %d, want %d rows", q, r.StatusCode, want)
			}
		}

		// Bad input: a Chinese message, nothing listed, no export link.
		for q, msg := range map[string]string{
			"min=abc":          "最低月保障金格式不正确",
			"max=12a":          "最高月保障金格式不正确",
			"min=600&max=100":  "最高月保障金不能低于最低月保障金",
			"due_by=2026-13-1": "复核到期日期格式应为",
			"region=999":       "所选地区无效或不在您的管辖范围内",
			"category=Z":       "保障类别无效",
		} {
			r := admin.get("/recipients?" + q)
			if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, msg) ||
				len(householdsOn(r.body)) != 0 || strings.Contains(r.body, "recipient-export") {
				t.Errorf("%s: status %d, message %q shown %v", q, r.StatusCode, msg, strings.Contains(r.body, msg))
			}
		}

		// The export of a filter is exactly that filter's rows, page by page.
		list := admin.get("/recipients?region=" + string(testenv.VillageB) + "&category=C")
		href := regexp.MustCompile(`href="(/recipients/export[^"]*)" id="recipient-export"`).FindStringSubmatch(list.body)
		if href == nil {
			t.Fatal("no export link")
		}
		link := strings.ReplaceAll(href[1], "&amp;", "&")
		pageRows := append(householdsOn(list.body),
			householdsOn(admin.get("/recipients?region="+string(testenv.VillageB)+"&category=C&page=2").body)...)
		before := auditCount(t, e.a, "recipients.export")
		_, rows := downloadXLSX(t, admin, link)
		if len(rows) != 26 || rows[0][0] != "户编号" || rows[0][1] != "户主（脱敏）" {
			t.Fatalf("export: %d rows, header %v", len(rows), rows[0])
		}
		var got []string
		for _, row := range rows[1:] {
			got = append(got, row[0])
			if !strings.HasPrefix(row[1], "吴*") || row[3] != "C类" || row[6] != "100.00" {
				t.Errorf("export row %v", row)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(pageRows) {
			t.Errorf("export %v\npages  %v", got, pageRows)
		}
		if auditCount(t, e.a, "recipients.export") != before+1 {
			t.Error("the export was not audited")
		}
		// A bad filter exports nothing.
		if r := admin.get("/recipients/export?min=abc"); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "最低月保障金格式不正确") {
			t.Errorf("bad export: %d", r.StatusCode)
		}
	})
}

func TestRegisterScopeAndDetail(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		e := setupRegister(t, db)
		town := loginAs(e.env, "towna")
		r := town.get("/recipients?status=all")
		if !strings.Contains(r.body, `id="recipient-total">3<`) {
			t.Fatalf("township A sees:\n%s", r.body)
		}
		for _, id := range householdsOn(r.body) {
			if id != fmt.Sprint(e.ids[0]) && id != fmt.Sprint(e.ids[1]) && id != fmt.Sprint(e.ids[2]) {
				t.Errorf("township A lists household %s", id)
			}
		}
		if r := town.get("/recipients?region=" + string(testenv.VillageB)); r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("another township's village as a filter: %d", r.StatusCode)
		}
		if r := town.get(fmt.Sprintf("/recipients/%d", e.ids[3])); r.StatusCode != http.StatusNotFound {
			t.Errorf("another township's recipient: %d", r.StatusCode)
		}
		_, rows := downloadXLSX(t, town, "/recipients/export?status=all")
		if len(rows) != 4 {
			t.Errorf("township export has %d rows, want header and 3", len(rows))
		}
		if r := town.get("/county"); r.StatusCode != http.StatusForbidden {
			t.Errorf("township officer on the dashboard: %d", r.StatusCode)
		}

		// The detail: amount, decision with explanation and versions, case
		// link, and the history oldest first.
		r = town.get(fmt.Sprintf("/recipients/%d", e.qianID))
		if r.StatusCode != http.StatusOK {
			t.Fatalf("detail: %d\n%s", r.StatusCode, r.body)
		}
		for _, want := range []string{"钱* 户", `id="recipient-amount">520.00 元`, "B类", "补差金额", "(900.00 − 700.00) × 3 − 80.00",
			"pingan/2026-01-01", fmt.Sprintf(`href="/cases/%d" id="approving-case"`, e.qianCase), "家庭成员就业收入增加",
			"600.00 元 → <b>480.00 元</b>", "自 <b>2026-04</b> 起", "approver2"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("detail lacks %q", want)
			}
		}
		if strings.Contains(r.body, "钱二") {
			t.Error("detail shows the full name")
		}
		kinds := regexp.MustCompile(`data-kind="(\w+)"`).FindAllStringSubmatch(r.body, -1)
		var order []string
		for _, k := range kinds {
			order = append(order, k[1])
		}
		if fmt.Sprint(order) != "[enrolled decrease increase]" {
			t.Errorf("timeline order %v", order)
		}
		if r := town.get("/recipients/abc"); r.StatusCode != http.StatusNotFound {
			t.Errorf("bad id: %d", r.StatusCode)
		}
	})
}

func TestCountyDashboardPage(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		e := setupRegister(t, db)
		for _, who := range []string{"admin", "auditor"} {
			c := loginAs(e.env, who)
			r := c.get("/county")
			if r.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d\n%s", who, r.StatusCode, r.body)
			}
			for _, want := range []string{`id="stat-households">28<`, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bar" id="chart-category"`,
				`id="chart-months"`, `id="chart-stages"`, `id="chart-median"`, `<td>南河镇</td><td class="num">26</td>`,
				`id="table-months"`, "按保障对象名册测算", "<title id=\"chart-township-title\">"} {
				if !strings.Contains(r.body, want) {
					t.Errorf("%s: dashboard lacks %q", who, want)
				}
			}
		}
		admin := loginAs(e.env, "admin")
		r := admin.get("/county?region=" + string(testenv.TownA))
		if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `id="stat-households">2<`) {
			t.Errorf("township A view: %d", r.StatusCode)
		}
		if r := admin.get("/county?region=abc"); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "统计范围无效") {
			t.Errorf("bad region: %d", r.StatusCode)
		}
	})
}

func TestListExports(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		e := setupRegister(t, db)
		admin := loginAs(e.env, "admin")

		// Households: the list's filter, IDs masked, names as on the page.
		list := admin.get("/households?region_code=" + string(testenv.VillageA))
		if !strings.Contains(list.body, `href="/households/export?region_code=`+string(testenv.VillageA)+`" id="household-export"`) {
			t.Fatalf("households page has no export link:\n%s", list.body)
		}
		_, rows := downloadXLSX(t, admin, "/households/export?region_code="+string(testenv.VillageA))
		if len(rows) != 4 || rows[0][2] != "身份证号（脱敏）" {
			t.Fatalf("households export: %v", rows)
		}
		for _, row := range rows[1:] {
			if !strings.Contains(row[2], "*") || len(row[2]) != 18 || !strings.Contains(row[4], "李家庄村") {
				t.Errorf("household row %v", row)
			}
		}
		_, all := downloadXLSX(t, admin, "/households/export")
		if len(all) != 30 {
			t.Errorf("all households: %d rows, want 29 and the header", len(all))
		}

		// Cases: the filter of the page.
		if !strings.Contains(admin.get("/cases?open=closed").body, `href="/cases/export?open=closed"`) {
			t.Error("cases page has no export link")
		}
		_, rows = downloadXLSX(t, admin, "/cases/export?open=closed")
		if len(rows) != 30 || rows[1][3] != "已批准（纳入保障）" {
			t.Errorf("cases export: %d rows, first %v", len(rows), rows[1])
		}
		_, rows = downloadXLSX(t, admin, "/cases/export?open=open")
		if len(rows) != 1 {
			t.Errorf("open cases: %d rows", len(rows))
		}

		// Audit log: the auditor exports a filtered log, itself audited.
		aud := loginAs(e.env, "auditor")
		if !strings.Contains(aud.get("/audit?action=test.recipient").body, `href="/audit/export?action=test.recipient"`) {
			t.Error("audit page has no export link")
		}
		_, rows = downloadXLSX(t, aud, "/audit/export?action=test.recipient")
		if len(rows) != 30 || rows[1][6] != "test.recipient" {
			t.Errorf("audit export: %d rows", len(rows))
		}
		for _, action := range []string{"households.export", "cases.export", "audit.export"} {
			if auditCount(t, e.a, action) == 0 {
				t.Errorf("%s not audited", action)
			}
		}
		if r := admin.get("/audit/export"); r.StatusCode != http.StatusForbidden {
			t.Errorf("county admin exporting the audit log: %d", r.StatusCode)
		}
	})
}

func init() {
	// TestRegisterPages, TestRegisterScopeAndDetail and
	// TestCountyDashboardPage render these with a real store, bad input included.
	renderTestedElsewhere = append(renderTestedElsewhere, "recipient_list", "recipient_detail", "county_dashboard")
}
