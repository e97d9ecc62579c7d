package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/policy"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// policyClock fixes the store's clock at 10:00 Beijing time on date, so
// "today" and "the future" do not depend on when the tests run.
func policyClock(e *env, date string) {
	t, err := time.ParseInLocation(time.DateOnly, date, cst)
	if err != nil {
		e.t.Fatal(err)
	}
	e.a.DB.SetClock(func() time.Time { return t.Add(10 * time.Hour) })
}

// loginAs signs in an account made with testenv.User (testenv.Password).
func (e *env) loginAs(username string) *client {
	e.t.Helper()
	c := e.client()
	r := c.secondFactor(c.post("/login", url.Values{"username": {username}, "password": {testenv.Password}}), username)
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: status %d", username, r.StatusCode)
	}
	return c
}

// paramRow is the table row of one parameter on the list page.
func paramRow(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr id="param-` + regexp.QuoteMeta(name) + `">.*?</tr>`).FindString(body)
	if m == "" {
		t.Fatalf("no row for %s", name)
	}
	return m
}

func versionsOf(t *testing.T, e *env, r region.Code, name string) []policy.HistoryEntry {
	t.Helper()
	h, err := policy.History(bg, e.a.DB, r, name)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestPolicyPages(t *testing.T) {
	e := setup(t)
	policyClock(e, "2026-03-10")
	admin := e.login("admin")
	detail := "/policy/" + policy.PublicityWD + "?region=" + string(county)

	// Today: the default, its source and the link to adjust it.
	r := admin.get("/policy")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", r.StatusCode, r.body)
	}
	row := paramRow(t, r.body, policy.PublicityWD)
	for _, want := range []string{"公示期", "7 工作日", "默认值", "制度文件[X]", "县/区", ">调整<", `href="` + strings.ReplaceAll(detail, "&", "&amp;") + `"`} {
		if !strings.Contains(row, want) {
			t.Errorf("publicity row lacks %q:\n%s", want, row)
		}
	}
	for _, want := range []string{`value="2026-03-10"`, `<option value="130123100000">`, string(policy.GroupSystem), `id="nav-policy" class="active"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("list page lacks %q", want)
		}
	}
	if strings.Contains(r.body, `id="nav-dashboard" class="active"`) {
		t.Error("the dashboard is marked as the current menu item on the policy page")
	}

	// A new version from a future date.
	form := url.Values{"region_code": {string(county)}, "value": {"10"}, "effective_from": {"2026-04-01"},
		"note": {"县民政局〔2026〕3号"}}
	r = admin.post("/policy/"+policy.PublicityWD, form)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != detail {
		t.Fatalf("set: %d %s %s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	hist := versionsOf(t, e, county, policy.PublicityWD)
	if len(hist) != 1 || hist[0].Value != "10" || hist[0].EffectiveFrom != "2026-04-01" || hist[0].CreatedByName != "admin" {
		t.Fatalf("stored: %+v", hist)
	}
	version := hist[0].Version
	r = admin.get(detail)
	for _, want := range []string{"已登记新版本，自生效日起适用；已作出的决定不受影响", "10 工作日", "待生效", version,
		"县民政局〔2026〕3号", "<td>admin</td>", `id="param-current"><strong>7 工作日</strong>`, "7 至 30 工作日"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("detail after set lacks %q", want)
		}
	}

	// Today still the default; on the effective date the new version.
	row = paramRow(t, admin.get("/policy").body, policy.PublicityWD)
	if !strings.Contains(row, "7 工作日") || !strings.Contains(row, "默认值") || strings.Contains(row, "10 工作日") {
		t.Errorf("today changed by a future version:\n%s", row)
	}
	r = admin.get("/policy?region=" + string(county) + "&date=2026-04-01")
	row = paramRow(t, r.body, policy.PublicityWD)
	if !strings.Contains(row, "10 工作日") || !strings.Contains(row, version) || strings.Contains(row, "默认值") {
		t.Errorf("2026-04-01 does not show the new version:\n%s", row)
	}
	if !strings.Contains(r.body, `id="policy-future"`) {
		t.Error("no notice that a future date is shown")
	}
	if row := paramRow(t, admin.get("/policy?date=2026-03-31").body, policy.PublicityWD); !strings.Contains(row, "7 工作日") {
		t.Errorf("the day before:\n%s", row)
	}
	if r := admin.get("/policy?date=2026-13-01"); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, `<div class="error-msg">日期格式应为`) {
		t.Errorf("bad date: %d", r.StatusCode)
	}

	// Refusals: each message beside its field, nothing stored.
	for _, tc := range []struct {
		name, field, value, want string
	}{
		{"backdated", "effective_from", "2026-03-09", policy.MsgBackdated},
		{"out of range", "value", "5", "「公示期」不能为 5，取值范围为 7 至 30 工作日"},
		{"not a number", "value", "十", "「公示期」应为整数"},
		{"no note", "note", " ", msgPolicyNote},
	} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set(tc.field, tc.value)
		r := admin.post("/policy/"+policy.PublicityWD, f)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `<div class="error-msg">`+tc.want) {
			t.Errorf("%s: %d, want %q beside the field", tc.name, r.StatusCode, tc.want)
		}
		if !strings.Contains(r.body, `name="`+tc.field+`"`) || !strings.Contains(r.body, "field-error") {
			t.Errorf("%s: field not marked", tc.name)
		}
		if n := len(versionsOf(t, e, county, policy.PublicityWD)); n != 1 {
			t.Fatalf("%s: %d versions stored", tc.name, n)
		}
	}

	// A township: a county-only parameter is not offered, a delegated one is.
	town := "/policy/" + policy.PublicityWD + "?region=" + string(townA)
	if r := admin.get(town); strings.Contains(r.body, `id="policy-form"`) || !strings.Contains(r.body, "只能由县（区）统一设置") {
		t.Error("county-only parameter offered at a township")
	}
	r = admin.post("/policy/"+policy.MinInvestigators, url.Values{"region_code": {string(townA)}, "value": {"3"},
		"effective_from": {"2026-03-10"}, "note": {"山区乡镇入户需3人"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("township set: %d %s", r.StatusCode, r.body)
	}
	if row := paramRow(t, admin.get("/policy?region="+string(townA)).body, policy.MinInvestigators); !strings.Contains(row, "3 人") || !strings.Contains(row, "东湖镇") {
		t.Errorf("township override not shown:\n%s", row)
	}
	if row := paramRow(t, admin.get("/policy").body, policy.MinInvestigators); !strings.Contains(row, "2 人") {
		t.Errorf("township override leaked to the county:\n%s", row)
	}

	// The system group is the system administrator's.
	gate := "/policy/" + policy.CertificationGate
	if r := admin.get(gate); strings.Contains(r.body, `id="policy-form"`) || !strings.Contains(r.body, "只能由系统管理员修改") {
		t.Error("county admin offered a system parameter")
	}
	gf := url.Values{"region_code": {string(county)}, "value": {policy.GateEnforce}, "effective_from": {"2026-03-11"}, "note": {"持证上岗"}}
	if r := admin.post(gate, gf); r.StatusCode != http.StatusForbidden {
		t.Errorf("county admin set a system parameter: %d", r.StatusCode)
	}
	testenv.User(t, e.a.DB, "sys", county, authz.SystemAdmin)
	sys := e.loginAs("sys")
	if r := sys.get(gate); !strings.Contains(r.body, `<option value="enforce">强制</option>`) {
		t.Error("no choice select for an enum parameter")
	}
	if r := sys.post(gate, gf); r.StatusCode != http.StatusSeeOther {
		t.Errorf("system admin set the gate: %d %s", r.StatusCode, r.body)
	}
	if r := sys.post("/policy/"+policy.PublicityWD, form); r.StatusCode != http.StatusForbidden {
		t.Errorf("system admin set a workflow parameter: %d", r.StatusCode)
	}

	// The county approver reads only.
	testenv.User(t, e.a.DB, "approver", county, authz.CountyApprover)
	appr := e.loginAs("approver")
	r = appr.get("/policy")
	if r.StatusCode != http.StatusOK || strings.Contains(paramRow(t, r.body, policy.PublicityWD), ">调整<") {
		t.Errorf("approver list: %d", r.StatusCode)
	}
	if r := appr.get(detail); r.StatusCode != http.StatusOK || strings.Contains(r.body, `id="policy-form"`) ||
		!strings.Contains(r.body, version) {
		t.Errorf("approver detail: %d", r.StatusCode)
	}
	if r := appr.post("/policy/"+policy.PublicityWD, form); r.StatusCode != http.StatusForbidden {
		t.Errorf("approver set: %d", r.StatusCode)
	}

	// Other roles: 403, no menu item, nothing stored.
	clerk := e.login("clerk")
	for _, path := range []string{"/policy", detail} {
		if r := clerk.get(path); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "没有访问权限") {
			t.Errorf("clerk %s: %d", path, r.StatusCode)
		}
	}
	if r := clerk.post("/policy/"+policy.PublicityWD, form); r.StatusCode != http.StatusForbidden {
		t.Errorf("clerk set: %d", r.StatusCode)
	}
	if strings.Contains(clerk.get("/").body, `id="nav-policy"`) {
		t.Error("clerk sees the policy menu item")
	}
	if n := len(versionsOf(t, e, county, policy.PublicityWD)); n != 1 {
		t.Errorf("%d versions after the refusals", n)
	}

	// Out of scope and unknown.
	if r := admin.get("/policy?region=130124000000"); r.StatusCode != http.StatusForbidden {
		t.Errorf("other county: %d", r.StatusCode)
	}
	if r := admin.get("/policy/no_such_param"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown parameter: %d", r.StatusCode)
	}
}

// A parameter change gives the staff it affects a policy-update item.
func TestPolicyChangeCreatesUpdateItems(t *testing.T) {
	e := setup(t)
	users, err := e.a.DB.Users(bg, region.All())
	if err != nil {
		t.Fatal(err)
	}
	var admin store.User
	for _, u := range users {
		if u.Username == "admin" {
			admin = u
		}
	}
	today := policy.DateOf(e.a.DB.Now())
	warn, err := e.a.Training.SetPolicyValue(bg, admin.Principal(), county, policy.PublicityWD, "10", today, "按新规定延长公示期")
	if err != nil || warn != nil {
		t.Fatalf("set: %v / %v", err, warn)
	}
	plans, err := e.a.DB.QueryStrings(bg, "SELECT title FROM training_plans WHERE kind = 'policy_update'")
	if err != nil || len(plans) != 1 {
		t.Fatalf("policy-update plans: %v %v", plans, err)
	}
}
