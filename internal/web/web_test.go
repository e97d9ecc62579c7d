package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/access"
	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/errs"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

const (
	county   = region.Code("130123000000")
	townA    = region.Code("130123100000")
	villageA = region.Code("130123100201")
	villageC = region.Code("130123100202")
	townB    = region.Code("130123101000")
	villageB = region.Code("130123101201")
	password = "correct-horse-42"
)

var bg = context.Background()

// validID builds an ID number with a correct ISO 7064 check digit.
func validID(area string, birth string, seq int) string {
	s := fmt.Sprintf("%s%s%03d", area, birth, seq)
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * w[i]
	}
	return s + string("10X98765432"[sum%11])
}

// wrongCheck returns id with a different, wrong check digit.
func wrongCheck(id string) string {
	last := id[17]
	for _, c := range "0123456789X" {
		if byte(c) != last {
			return id[:17] + string(c)
		}
	}
	return id
}

type env struct {
	t   *testing.T
	a   *app.App
	srv *httptest.Server
}

func setup(t *testing.T) *env {
	t.Helper()
	db := testenv.SQLite(t)
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.Demo = true
	hash, err := access.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	seed := authz.System("test-seed")
	err = db.InTx(bg, seed, func(tx *store.Tx) error {
		for _, r := range []store.Region{
			{Code: county, Name: "平安县", Level: region.County},
			{Code: townA, Name: "东湖镇", Level: region.Township, Parent: county},
			{Code: villageA, Name: "李家庄村", Level: region.Village, Parent: townA},
			{Code: villageC, Name: "幸福社区", Level: region.Village, Parent: townA, Urban: true},
			{Code: townB, Name: "南河镇", Level: region.Township, Parent: county},
			{Code: villageB, Name: "王家村", Level: region.Village, Parent: townB},
		} {
			if err := tx.PutRegion(bg, r); err != nil {
				return err
			}
		}
		for _, u := range []store.User{
			{Username: "clerk", DisplayName: "李村官", Region: villageA, Roles: []authz.Role{authz.VillageClerk}},
			{Username: "townb", DisplayName: "王乡干", Region: townB, Roles: []authz.Role{authz.TownshipOfficer}},
			{Username: "auditor", DisplayName: "赵审计", Region: county, Roles: []authz.Role{authz.Auditor}},
			{Username: "admin", DisplayName: "钱管理", Region: county, Roles: []authz.Role{authz.CountyAdmin}},
		} {
			u.PasswordHash, u.Active = hash, true
			id, err := tx.CreateUser(bg, u)
			if err != nil {
				return err
			}
			if access.RequiresTOTP(u.Roles) {
				if err := tx.SetTOTPPending(bg, id, testenv.TOTPSecret); err != nil {
					return err
				}
				if err := tx.EnableTOTP(bg, id, 0); err != nil {
					return err
				}
			}
		}
		return tx.Audit(bg, store.Entry{Action: "test.seed", Object: "users"})
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, a: a, srv: srv}
}

// client is a browser: a cookie jar, redirects not followed so that tests
// can see them.
type client struct {
	e *env
	c *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type resp struct {
	*http.Response
	body string
}

func (c *client) do(req *http.Request) resp {
	c.e.t.Helper()
	r, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return resp{r, string(b)}
}

func (c *client) get(path string) resp {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.srv.URL+path, nil)
	return c.do(req)
}

func (c *client) post(path string, v url.Values) resp {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (e *env) login(username string) *client {
	e.t.Helper()
	c := e.client()
	r := c.secondFactor(c.post("/login", url.Values{"username": {username}, "password": {password}}), username)
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: status %d, body %s", username, r.StatusCode, r.body)
	}
	return c
}

// secondFactor completes a login the server answered with the code step
// (an administrator: testenv.TOTPCode knows their second factor).
func (c *client) secondFactor(r resp, username string) resp {
	c.e.t.Helper()
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login/totp") {
		return r
	}
	return c.post("/login/totp", url.Values{"code": {testenv.TOTPCode(c.e.t, c.e.a.DB, username)}})
}

func householdForm1(head, spouse string) url.Values {
	return url.Values{
		"region_code": {string(villageA)}, "address": {"李家庄村幸福路12号"}, "urban": {"rural"},
		"phone": {"13812345678"}, "bank_name": {"农村信用社"}, "bank_account": {"6228480012345678901"}, "notes": {""},
		"member_id": {"", ""}, "member_name": {"张三", "李四"}, "member_relation": {"head", "spouse"},
		"member_id_number": {head, spouse}, "member_disability_grade": {"0", "2"},
		"member_disability_detail": {"", "右腿截肢"}, "member_labour": {"full", "partial"},
		"member_health": {"healthy", "serious"}, "member_health_detail": {"", "尿毒症透析"},
		"member_co_resident": {"1", "1"},
	}
}

func (e *env) count() int {
	e.t.Helper()
	n, _, err := e.a.DB.CountHouseholds(bg, region.ScopeOf(county))
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

var (
	headID   = validID("130123", "19650312", 123)
	spouseID = validID("130123", "19680704", 224)
)

// createHousehold creates the sample household through the form and returns
// its detail path.
func (e *env) createHousehold(c *client) string {
	e.t.Helper()
	r := c.post("/households", householdForm1(headID, spouseID))
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("create: status %d\n%s", r.StatusCode, r.body)
	}
	return r.Header.Get("Location")
}

func assertNoSensitive(t *testing.T, page, body string) {
	t.Helper()
	for _, s := range []string{headID, spouseID, "13812345678", "6228480012345678901", "尿毒症透析", "右腿截肢"} {
		if strings.Contains(body, s) {
			t.Errorf("%s shows the sensitive value %q", page, s)
		}
	}
}

func TestLoginWrongPasswordShowsChineseMessage(t *testing.T) {
	e := setup(t)
	c := e.client()
	r := c.post("/login", url.Values{"username": {"clerk"}, "password": {"wrong"}})
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", r.StatusCode)
	}
	if !strings.Contains(r.body, "用户名或密码错误") {
		t.Errorf("no Chinese error message in\n%s", r.body)
	}
	if !strings.Contains(r.body, `value="clerk"`) {
		t.Error("username not kept")
	}
	for _, ck := range r.Cookies() {
		if ck.Name == SessionCookie && ck.Value != "" {
			t.Error("a failed login set a session cookie")
		}
	}
	// Demo mode lists the demo accounts with their role labels.
	if !strings.Contains(r.body, "township2") || !strings.Contains(r.body, authz.SecurityAdmin.Label()) {
		t.Error("demo accounts missing from the login page")
	}
}

func TestLoginSetsHttpOnlyCookieAndHonoursNext(t *testing.T) {
	e := setup(t)
	c := e.client()
	r := c.post("/login", url.Values{"username": {"clerk"}, "password": {password}, "next": {"/households?name=张"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", r.StatusCode)
	}
	if loc, _ := url.QueryUnescape(r.Header.Get("Location")); loc != "/households?name=张" {
		t.Errorf("redirect to %q", loc)
	}
	var got *http.Cookie
	for _, ck := range r.Cookies() {
		if ck.Name == SessionCookie {
			got = ck
		}
	}
	if got == nil || got.Value == "" {
		t.Fatal("no session cookie")
	}
	if !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Path != "/" || got.Secure {
		t.Errorf("cookie flags: %+v", got)
	}
	home := c.get("/")
	if home.StatusCode != 200 || !strings.Contains(home.body, "李村官") || !strings.Contains(home.body, "李家庄村") {
		t.Errorf("dashboard: %d\n%s", home.StatusCode, home.body)
	}
	// An open redirect is refused.
	r = e.client().post("/login", url.Values{"username": {"clerk"}, "password": {password}, "next": {"//evil.example/x"}})
	if loc := r.Header.Get("Location"); loc != "/" {
		t.Errorf("open redirect: %q", loc)
	}
}

func TestAnonymousIsRedirectedToLogin(t *testing.T) {
	e := setup(t)
	r := e.client().get("/households?page=2")
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", r.StatusCode)
	}
	if loc := r.Header.Get("Location"); loc != "/login?next="+url.QueryEscape("/households?page=2") {
		t.Errorf("location %q", loc)
	}
	r = e.client().post("/households", householdForm1(headID, spouseID))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("anonymous POST: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if e.count() != 0 {
		t.Error("anonymous POST created a household")
	}
}

func TestCreateHouseholdWrongCheckDigitThenFix(t *testing.T) {
	e := setup(t)
	c := e.login("clerk")
	bad := wrongCheck(headID)
	_, perr := idcard.Parse(bad, time.Now())
	if perr == nil {
		t.Fatal("test ID unexpectedly valid")
	}
	msg := template.HTMLEscapeString(errs.As(perr).Message)

	r := c.post("/households", householdForm1(bad, spouseID))
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", r.StatusCode)
	}
	if !strings.Contains(r.body, "请修正以下问题") {
		t.Error("no error summary")
	}
	// The message sits right after the first member's ID input, which is
	// marked as the field in error and keeps what the clerk typed.
	re := regexp.MustCompile(`<input[^>]*id="member_id_number_0"[^>]*>\s*<div class="error-msg">([^<]*)</div>`)
	m := re.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no error message after member_id_number_0 in\n%s", r.body)
	}
	if m[1] != msg {
		t.Errorf("message %q, want %q", m[1], msg)
	}
	input := regexp.MustCompile(`<input[^>]*id="member_id_number_0"[^>]*>`).FindString(r.body)
	if !strings.Contains(input, "field-error") || !strings.Contains(input, `value="`+bad+`"`) {
		t.Errorf("input not marked or input lost: %s", input)
	}
	if regexp.MustCompile(`<input[^>]*id="member_id_number_1"[^>]*field-error`).MatchString(r.body) {
		t.Error("the valid second ID is marked as an error")
	}
	if !strings.Contains(r.body, `value="李家庄村幸福路12号"`) || !strings.Contains(r.body, `value="李四"`) {
		t.Error("user input not kept")
	}
	if e.count() != 0 {
		t.Fatal("a household was saved despite the error")
	}

	r = c.post("/households", householdForm1(headID, spouseID))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("fixed form: status %d\n%s", r.StatusCode, r.body)
	}
	loc := r.Header.Get("Location")
	if !regexp.MustCompile(`^/households/\d+$`).MatchString(loc) {
		t.Fatalf("location %q", loc)
	}
	if e.count() != 1 {
		t.Fatal("household not saved")
	}
	d := c.get(loc)
	if d.StatusCode != 200 {
		t.Fatalf("detail: %d", d.StatusCode)
	}
	if !strings.Contains(d.body, "已保存") {
		t.Error("no flash on the detail page")
	}
	if !strings.Contains(d.body, idcard.Mask(headID)) || !strings.Contains(d.body, "138****5678") ||
		!strings.Contains(d.body, "**** **** **** 8901") {
		t.Errorf("masked values missing:\n%s", d.body)
	}
	assertNoSensitive(t, "detail page", d.body)
	if again := c.get(loc); strings.Contains(again.body, "已保存") {
		t.Error("flash shown twice")
	}

	list := c.get("/households")
	if !strings.Contains(list.body, idcard.Mask(headID)) || !strings.Contains(list.body, "张三") ||
		!strings.Contains(list.body, "东湖镇 / 李家庄村") {
		t.Errorf("list:\n%s", list.body)
	}
	assertNoSensitive(t, "list page", list.body)
}

func TestOtherTownshipCannotOpenHousehold(t *testing.T) {
	e := setup(t)
	loc := e.createHousehold(e.login("clerk"))
	other := e.login("townb")
	for _, path := range []string{loc, loc + "/edit"} {
		r := other.get(path)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, r.StatusCode)
		}
		if !strings.Contains(r.body, "不存在") {
			t.Errorf("%s: no Chinese 404 page", path)
		}
		assertNoSensitive(t, path, r.body)
	}
	r := other.post(loc+"/reveal", url.Values{"field": {"phone"}})
	if r.StatusCode != http.StatusNotFound || strings.Contains(r.body, "13812345678") {
		t.Errorf("reveal by another township: %d", r.StatusCode)
	}
	if list := other.get("/households"); strings.Contains(list.body, "张三") {
		t.Error("household listed for another township")
	}
}

func revealCount(t *testing.T, a *app.App, object string) int {
	t.Helper()
	recs, err := a.DB.AuditRecords(bg, store.AuditFilter{Action: "sensitive.reveal", Object: object})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func TestRevealWritesAuditRecord(t *testing.T) {
	e := setup(t)
	c := e.login("clerk")
	loc := e.createHousehold(c)
	object := "household:" + strings.TrimPrefix(loc, "/households/")
	h, err := e.a.Registry.Get(bg, authz.Principal{Roles: []authz.Role{authz.CountyApprover}, Region: county},
		mustAtoi(t, strings.TrimPrefix(loc, "/households/")))
	if err != nil {
		t.Fatal(err)
	}
	memberID := strconv.FormatInt(h.Members[0].ID, 10)

	d := c.get(loc)
	if !strings.Contains(d.body, `id="reveal-member-`+memberID+`"`) {
		t.Fatal("no reveal button for the clerk")
	}
	if n := revealCount(t, e.a, object); n != 0 {
		t.Fatalf("%d reveal records before any reveal", n)
	}
	r := c.post(loc+"/reveal", url.Values{"field": {"member_id_number"}, "member_id": {memberID}})
	if r.StatusCode != 200 {
		t.Fatalf("reveal: %d", r.StatusCode)
	}
	if !strings.Contains(r.body, headID) || !strings.Contains(r.body, "已记录查看日志") {
		t.Error("revealed value or audit note missing")
	}
	if strings.Contains(r.body, spouseID) || strings.Contains(r.body, "13812345678") {
		t.Error("reveal showed more than the one value asked for")
	}
	if n := revealCount(t, e.a, object); n != 1 {
		t.Fatalf("%d reveal records, want 1", n)
	}
	// The fetch variant answers JSON and is audited too.
	req, _ := http.NewRequest("POST", e.srv.URL+loc+"/reveal", strings.NewReader("field=phone"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	jr := c.do(req)
	if jr.StatusCode != 200 || !strings.Contains(jr.body, `"value":"13812345678"`) {
		t.Errorf("json reveal: %d %s", jr.StatusCode, jr.body)
	}
	if n := revealCount(t, e.a, object); n != 2 {
		t.Fatalf("%d reveal records, want 2", n)
	}
	// A role without the permission sees no button and cannot reveal.
	admin := e.login("admin")
	if d := admin.get(loc); d.StatusCode != 200 || strings.Contains(d.body, "reveal-member-") {
		t.Errorf("county admin detail: %d, reveal button shown", d.StatusCode)
	}
	if r := admin.post(loc+"/reveal", url.Values{"field": {"phone"}}); r.StatusCode != http.StatusForbidden ||
		strings.Contains(r.body, "13812345678") {
		t.Errorf("county admin reveal: %d", r.StatusCode)
	}
	if n := revealCount(t, e.a, object); n != 2 {
		t.Errorf("denied reveal wrote a record: %d", n)
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLogoutKillsSession(t *testing.T) {
	e := setup(t)
	c := e.login("clerk")
	u, _ := url.Parse(e.srv.URL)
	var token string
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == SessionCookie {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("no session cookie in the jar")
	}
	r := c.post("/logout", nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	// Replay the old cookie from a fresh client: the server session is gone.
	old := e.client()
	old.c.Jar.SetCookies(u, []*http.Cookie{{Name: SessionCookie, Value: token, Path: "/"}})
	if r := old.get("/households"); r.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("old cookie still works: %d", r.StatusCode)
	}
	if lp := c.get("/login"); !strings.Contains(lp.body, "您已安全退出") {
		t.Error("no logout flash")
	}
}

func TestEditKeepsHiddenSensitiveValues(t *testing.T) {
	e := setup(t)
	c := e.login("clerk")
	loc := e.createHousehold(c)
	ed := c.get(loc + "/edit")
	if ed.StatusCode != 200 {
		t.Fatalf("edit: %d", ed.StatusCode)
	}
	assertNoSensitive(t, "edit form", ed.body)
	if !strings.Contains(ed.body, idcard.Mask(headID)) {
		t.Error("edit form lacks the masked ID placeholder")
	}
	version := regexp.MustCompile(`name="version" id="version" value="(\d+)"`).FindStringSubmatch(ed.body)
	ids := regexp.MustCompile(`name="member_id" id="member_id_\d" value="(\d+)"`).FindAllStringSubmatch(ed.body, -1)
	if version == nil || len(ids) != 2 {
		t.Fatalf("version %v, member ids %v", version, ids)
	}
	f := householdForm1("", "")
	f.Set("address", "李家庄村幸福路14号")
	f.Set("phone", "")
	f.Set("bank_account", "")
	f["member_disability_detail"] = []string{"", ""}
	f["member_health_detail"] = []string{"", ""}
	f["member_id"] = []string{ids[0][1], ids[1][1]}
	f.Set("version", version[1])
	r := c.post(strings.TrimSuffix(loc, "/edit"), f)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d\n%s", r.StatusCode, r.body)
	}
	h, err := e.a.Registry.Get(bg, authz.Principal{Roles: []authz.Role{authz.VillageClerk}, Region: villageA},
		mustAtoi(t, strings.TrimPrefix(loc, "/households/")))
	if err != nil {
		t.Fatal(err)
	}
	if h.Address != "李家庄村幸福路14号" || string(h.Members[0].IDNumber) != headID ||
		string(h.Members[1].IDNumber) != spouseID || h.Phone != "13812345678" ||
		h.BankAccount != "6228480012345678901" || h.Members[1].HealthDetail != "尿毒症透析" ||
		h.Members[1].DisabilityDetail != "右腿截肢" {
		t.Errorf("update lost values: %+v", h)
	}
	// The same stale version now conflicts, and the page says so in Chinese.
	r = c.post(loc, f)
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "该家庭信息已被他人修改") {
		t.Errorf("stale update: %d", r.StatusCode)
	}
	assertNoSensitive(t, "conflict page", r.body)
	// Ticking "delete" removes the phone.
	f.Set("version", strconv.FormatInt(h.Version, 10))
	f.Set("phone_clear", "1")
	if r := c.post(loc, f); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("clear phone: %d", r.StatusCode)
	}
	h, _ = e.a.Registry.Get(bg, authz.Principal{Roles: []authz.Role{authz.VillageClerk}, Region: villageA}, h.ID)
	if h.Phone != "" || h.BankAccount == "" {
		t.Errorf("phone %q bank %q", h.Phone, h.BankAccount)
	}
}

func TestIncomeAndPropertyForms(t *testing.T) {
	e := setup(t)
	c := e.login("clerk")
	loc := e.createHousehold(c)
	d := c.get(loc)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(d.body)[1]

	r := c.post(loc+"/income", url.Values{"version": {version}, "kind": {""}, "amount": {"abc"}})
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad income: %d", r.StatusCode)
	}
	if !regexp.MustCompile(`id="income_kind"[^>]*class="field-error"`).MatchString(r.body) ||
		!strings.Contains(r.body, "请选择收入类别") || !strings.Contains(r.body, `value="abc"`) {
		t.Errorf("income errors not shown:\n%s", r.body)
	}
	r = c.post(loc+"/income", url.Values{"version": {version}, "kind": {"wage"}, "amount": {"12000"}, "cost": {"1200"},
		"months": {"12"}, "member_id": {"0"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("income: %d\n%s", r.StatusCode, r.body)
	}
	d = c.get(loc)
	if !strings.Contains(d.body, "工资性收入") || !strings.Contains(d.body, "已添加") {
		t.Errorf("income not listed")
	}
	// The old version is stale now.
	r = c.post(loc+"/property", url.Values{"version": {version}, "kind": {"deposit"}, "value": {"5000"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "该家庭信息已被他人修改，请刷新页面后重新操作") {
		t.Errorf("stale property add: %d", r.StatusCode)
	}
	version = regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(d.body)[1]
	r = c.post(loc+"/property", url.Values{"version": {version}, "kind": {"deposit"}, "value": {"5000"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("property: %d\n%s", r.StatusCode, r.body)
	}
	d = c.get(loc)
	del := regexp.MustCompile(`action="(/households/\d+/income/\d+/delete)"`).FindStringSubmatch(d.body)
	version = regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(d.body)[1]
	if del == nil {
		t.Fatal("no income delete form")
	}
	if r := c.post(del[1], url.Values{"version": {version}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete income: %d", r.StatusCode)
	}
	if d := c.get(loc); strings.Contains(d.body, "工资性收入</td>") {
		t.Error("income still listed after delete")
	}
}

func TestIDSearch(t *testing.T) {
	e := setup(t)
	c := e.login("clerk")
	e.createHousehold(c)
	r := c.post("/households/search", url.Values{"id_number": {wrongCheck(headID)}})
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid search: %d", r.StatusCode)
	}
	if !regexp.MustCompile(`id="filter_id_number"[^>]*class="field-error">\s*<div class="error-msg"`).MatchString(r.body) {
		t.Errorf("no error beside the ID filter:\n%s", r.body)
	}
	r = c.post("/households/search", url.Values{"id_number": {spouseID}})
	if r.StatusCode != 200 || !strings.Contains(r.body, "张三") || !strings.Contains(r.body, idcard.Mask(spouseID)) {
		t.Errorf("search by member ID: %d", r.StatusCode)
	}
	assertNoSensitive(t, "search result", r.body)
	r = c.post("/households/search", url.Values{"id_number": {validID("130123", "19900101", 555)}})
	if strings.Contains(r.body, "张三") {
		t.Error("unrelated ID matched")
	}
	r = c.post("/households/search", url.Values{"name": {"张"}, "urban": {"rural"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/households?name=%E5%BC%A0&urban=rural" {
		t.Errorf("plain search: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestListPagination(t *testing.T) {
	e := setup(t)
	c := e.login("clerk")
	p := authz.Principal{Username: "clerk", Roles: []authz.Role{authz.VillageClerk}, Region: villageA}
	for i := range 45 {
		_, err := e.a.Registry.Create(bg, p, household.Draft{Region: string(villageA), Address: "村东" + strconv.Itoa(i),
			Urban: "rural", Members: []household.MemberDraft{{Name: "户主" + strconv.Itoa(i), Relation: "head",
				IDNumber: validID("130123", "19700101", i), Labour: "full", Health: "healthy", CoResident: "1"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	r := c.get("/households?urban=rural&page=2")
	if !strings.Contains(r.body, `<strong id="household-total">45</strong>`) || !strings.Contains(r.body, "第 2 / 3 页") {
		t.Errorf("totals:\n%s", r.body)
	}
	if !strings.Contains(r.body, `href="/households?page=3&amp;urban=rural"`) {
		t.Error("page links do not keep the filter")
	}
	if n := strings.Count(r.body, `class="mono id-masked"`); n != pageSize {
		t.Errorf("%d rows on page 2", n)
	}
}

func TestPermissionsAndPages(t *testing.T) {
	e := setup(t)
	clerk := e.login("clerk")
	e.createHousehold(clerk)
	for _, path := range []string{"/audit", "/users"} {
		if r := clerk.get(path); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "没有访问权限") {
			t.Errorf("clerk %s: %d", path, r.StatusCode)
		}
	}
	if d := clerk.get("/"); strings.Contains(d.body, `href="/audit"`) || !strings.Contains(d.body, `href="/households"`) {
		t.Error("clerk menu wrong")
	}
	aud := e.login("auditor")
	r := aud.get("/audit")
	if r.StatusCode != 200 || !strings.Contains(r.body, "新建家庭") || !strings.Contains(r.body, "clerk") {
		t.Errorf("audit page: %d", r.StatusCode)
	}
	assertNoSensitive(t, "audit page", r.body)
	if r := aud.get("/audit?action=household.create"); strings.Contains(r.body, ">登录<") {
		t.Error("action filter ignored")
	}
	if r := aud.get("/households"); r.StatusCode != http.StatusForbidden {
		t.Errorf("auditor households: %d", r.StatusCode)
	}
	u := aud.get("/users")
	if u.StatusCode != 200 || !strings.Contains(u.body, "王乡干") || !strings.Contains(u.body, authz.VillageClerk.Label()) {
		t.Errorf("users page: %d", u.StatusCode)
	}
	if r := clerk.get("/no/such/page"); r.StatusCode != 404 || !strings.Contains(r.body, "页面或记录不存在") {
		t.Errorf("404 page: %d", r.StatusCode)
	}
	if r := clerk.get("/households/99999"); r.StatusCode != 404 {
		t.Errorf("missing household: %d", r.StatusCode)
	}
	if r := clerk.get("/static/app.css"); r.StatusCode != 200 || !strings.Contains(r.Header.Get("Content-Type"), "css") {
		t.Errorf("static: %d", r.StatusCode)
	}
	if r := clerk.get("/static/"); r.StatusCode != 404 || strings.Contains(r.body, `<a href="app.js">`) {
		t.Errorf("static directory listed: %d", r.StatusCode)
	}
	// The reveal script gets JSON, not a login page, when the session is gone.
	req, _ := http.NewRequest("POST", e.srv.URL+"/households/1/reveal", strings.NewReader("field=phone"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if r := e.client().do(req); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "登录已失效") {
		t.Errorf("anonymous json reveal: %d %s", r.StatusCode, r.body)
	}
}

func TestNoJSRowButtons(t *testing.T) {
	e := setup(t)
	c := e.login("clerk")
	f := householdForm1(headID, spouseID)
	f.Set("_action", "add_member")
	r := c.post("/households", f)
	if r.StatusCode != 200 || !strings.Contains(r.body, `id="member_name_2"`) || e.count() != 0 {
		t.Fatalf("add row: %d", r.StatusCode)
	}
	f.Set("_action", "remove_member:1")
	r = c.post("/households", f)
	if strings.Contains(r.body, `id="member_name_1"`) || e.count() != 0 {
		t.Error("remove row did not remove")
	}
	// A blank added row is dropped on save instead of failing validation.
	f = householdForm1(headID, spouseID)
	for _, k := range []string{"member_id", "member_name", "member_relation", "member_id_number", "member_disability_detail",
		"member_health_detail"} {
		f[k] = append(f[k], "")
	}
	f["member_disability_grade"] = append(f["member_disability_grade"], "0")
	f["member_co_resident"] = append(f["member_co_resident"], "1")
	f["member_labour"] = append(f["member_labour"], "")
	f["member_health"] = append(f["member_health"], "")
	if r := c.post("/households", f); r.StatusCode != http.StatusSeeOther {
		t.Errorf("blank row: %d", r.StatusCode)
	}
}

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/households?page=2", "/households?page=2"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"/login", "/"},
		{"/login/totp?next=/x", "/"},
		{"/loginx", "/loginx"},
		{"households", "/"},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		form bool
		want int
	}{
		{"invalid page", errs.Invalidf("x", "bad"), false, 400},
		{"invalid form", errs.Invalidf("x", "bad"), true, 422},
		{"list form", errs.List{errs.Invalidf("a", "x"), errs.Invalidf("b", "y")}, true, 422},
		{"not found", errs.New(errs.NotFound, "", "x"), false, 404},
		{"forbidden", errs.New(errs.Forbidden, "", "x"), false, 403},
		{"conflict", errs.New(errs.Conflict, "", "x"), true, 409},
		{"unauthorized", errs.New(errs.Unauthorized, "", "x"), false, 401},
		{"foreign", errors.New("boom"), false, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := statusOf(tc.err, tc.form); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestRevealHealthAndDisabilityDetails(t *testing.T) {
	e := setup(t)
	c := e.login("clerk")
	loc := e.createHousehold(c)
	h, err := e.a.Registry.Get(bg, authz.Principal{Roles: []authz.Role{authz.CountyApprover}, Region: county},
		mustAtoi(t, strings.TrimPrefix(loc, "/households/")))
	if err != nil {
		t.Fatal(err)
	}
	d := c.get(loc)
	assertNoSensitive(t, "detail", d.body)
	for _, m := range h.Members {
		id := strconv.FormatInt(m.ID, 10)
		for field, want := range map[string]string{"member_health_detail": m.HealthDetail, "member_disability_detail": m.DisabilityDetail} {
			if want == "" {
				continue
			}
			btn := map[string]string{"member_health_detail": "reveal-health-", "member_disability_detail": "reveal-disability-"}[field] + id
			if !strings.Contains(d.body, `id="`+btn+`"`) {
				t.Errorf("no %s button", btn)
			}
			r := c.post(loc+"/reveal", url.Values{"field": {field}, "member_id": {id}})
			if r.StatusCode != 200 || !strings.Contains(r.body, want) || !strings.Contains(r.body, "已记录查看日志") {
				t.Errorf("reveal %s of member %s: %d", field, id, r.StatusCode)
			}
		}
	}
	if n := revealCount(t, e.a, "household:"+strings.TrimPrefix(loc, "/households/")); n != 2 {
		t.Fatalf("%d reveal records, want one per detail (2)", n)
	}
}
