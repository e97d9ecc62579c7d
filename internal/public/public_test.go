package public_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/household"
	"dibao/internal/public"
	"dibao/internal/region"
	"dibao/internal/registry"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

var ctx = context.Background()

// Everything personal the test household carries; none of it may reach a
// public page.
const (
	headName     = "刘大山"
	headID       = "11010519491231002X"
	childName    = "刘小禾"
	childID      = "11010520150101005X"
	phone        = "13912345678"
	address      = "幸福路17号院"
	bankAccount  = "6222020200112233445"
	notes        = "邻居反映其家中困难"
	healthDetail = "肺癌晚期"
	disability   = "右下肢截肢"
	income       = "3456.78"
	property     = "9876.54"
)

// staff is who drives a case in one township.
type staff struct{ clerk, t1, t2, rev, cnty authz.Principal }

// world is the test county with a movable clock.
type world struct {
	t   *testing.T
	db  *store.DB
	svc *casework.Service
	reg *registry.Service
	now time.Time
}

func newWorld(t *testing.T) *world {
	db := testenv.SQLite(t)
	w := &world{t: t, db: db, now: time.Date(2026, 9, 21, 9, 0, 0, 0, calendar.Location())}
	db.SetClock(func() time.Time { return w.now })
	w.svc = &casework.Service{DB: db, Now: func() time.Time { return w.now }}
	w.reg = &registry.Service{DB: db, Now: func() time.Time { return w.now }}
	testenv.SeedRegions(t, db)
	return w
}

func (w *world) staff(suffix string, village, town region.Code) staff {
	db := w.db
	return staff{
		clerk: testenv.User(w.t, db, "village"+suffix, village, authz.VillageClerk),
		t1:    testenv.User(w.t, db, "township"+suffix, town, authz.TownshipOfficer),
		t2:    testenv.User(w.t, db, "township2"+suffix, town, authz.TownshipOfficer),
		rev:   testenv.User(w.t, db, "reviewer"+suffix, town, authz.TownshipReviewer),
		cnty:  testenv.User(w.t, db, "county"+suffix, testenv.County, authz.CountyApprover),
	}
}

func (w *world) day(n int) string { return w.now.AddDate(0, 0, n).Format(time.DateOnly) }

func (w *world) act(p authz.Principal, c *store.Case, id string, values map[string]string) {
	w.t.Helper()
	in := workflow.Input{Values: map[string][]string{}}
	for k, v := range values {
		in.Values[k] = strings.Split(v, "|")
	}
	out, err := w.svc.Act(ctx, p, casework.Action{CaseID: c.ID, Version: c.Version, Transition: id, Input: in})
	if err != nil {
		w.t.Fatalf("%s by %s in state %s: %v", id, p.Username, c.State, err)
	}
	*c = out.Case
}

// household registers a household with every kind of personal detail.
func (w *world) household(s staff, village region.Code, head, id, child, childID string) int64 {
	w.t.Helper()
	h, err := w.reg.Create(ctx, s.clerk, household.Draft{Region: string(village), Address: address, Urban: "rural",
		Phone: phone, BankName: "农村信用社", BankAccount: bankAccount, Notes: notes,
		Members: []household.MemberDraft{
			{Name: head, IDNumber: id, Labour: "none", Health: "serious", HealthDetail: healthDetail,
				DisabilityGrade: "2", DisabilityDetail: disability, CoResident: "1"},
			{Name: child, Relation: "child", IDNumber: childID, Labour: "none", Health: "healthy", CoResident: "1"},
		}})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.reg.AddIncome(ctx, s.clerk, h.ID, h.Version, household.IncomeDraft{Kind: "wage", Description: "零工",
		Amount: income, Months: "12"}); err != nil {
		w.t.Fatal(err)
	}
	h, err = w.reg.Get(ctx, s.clerk, h.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.reg.AddProperty(ctx, s.clerk, h.ID, h.Version, household.PropertyDraft{Kind: "deposit",
		Description: "活期存款", Value: property}); err != nil {
		w.t.Fatal(err)
	}
	return h.ID
}

// toPublicity opens a case for the household and drives it into publicity.
func (w *world) toPublicity(s staff, hid int64) store.Case {
	w.t.Helper()
	c, err := w.svc.Open(ctx, s.clerk, hid, casework.Declaration{None: true})
	if err != nil {
		w.t.Fatal(err)
	}
	w.act(s.clerk, &c, "intake", map[string]string{"application_date": w.day(0)})
	var items []casework.MaterialInput
	for _, m := range casework.Materials {
		items = append(items, casework.MaterialInput{Code: m.Code, Status: "ok"})
	}
	if c, err = w.svc.SetMaterials(ctx, s.clerk, c.ID, c.Version, items); err != nil {
		w.t.Fatal(err)
	}
	w.act(s.clerk, &c, "accept", nil)
	w.act(s.clerk, &c, "forward", nil)
	w.act(s.t1, &c, "start_investigation", nil)
	w.act(s.t1, &c, "record_home_visit", map[string]string{"visit_date": w.day(0),
		"investigators": strconv.FormatInt(s.t1.UserID, 10) + "|" + strconv.FormatInt(s.t2.UserID, 10),
		"form_filled":   "on", "findings": "两间旧平房"})
	w.act(s.t1, &c, "request_check", map[string]string{"requested_on": w.day(0)})
	w.act(s.t1, &c, "record_check_result", map[string]string{"received_on": w.day(0), "summary": "未发现车辆、房产"})
	w.act(s.t1, &c, "write_report", map[string]string{"report": "家庭无劳动力", "opinion": "eligible", "opinion_reason": "人均收入低于标准"})
	w.act(s.t1, &c, "submit_to_appraisal", nil)
	w.act(s.t1, &c, "appraise", map[string]string{"meeting_date": w.day(0), "participants": "王书记、李主任",
		"attendance": "9", "outcome": "pass", "minutes": "一致同意"})
	w.act(s.t1, &c, "start_publicity", map[string]string{"place": "村务公开栏"})
	if c.State != "publicity" || c.Amount <= 0 {
		w.t.Fatalf("case not in publicity with an amount: %+v", c)
	}
	return c
}

// approve closes the publicity after its period and approves the case.
func (w *world) approve(s staff, c *store.Case) {
	w.t.Helper()
	end, err := time.ParseInLocation(time.DateOnly, c.PublicityEnd, calendar.Location())
	if err != nil {
		w.t.Fatal(err)
	}
	w.now = end.AddDate(0, 0, 1).Add(9 * time.Hour)
	w.act(s.t1, c, "close_publicity", nil)
	w.act(s.rev, c, "review_opinion", map[string]string{"opinion": "agree", "comment": "同意上报"})
	w.act(s.cnty, c, "approve", map[string]string{"category": "A"})
	if c.State != "approved" {
		w.t.Fatalf("not approved: %+v", c)
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, h http.Handler, method, path string) response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	r := response{status: rec.Code, header: rec.Result().Header, body: string(body)}
	if len(r.header.Values("Set-Cookie")) > 0 {
		t.Errorf("%s %s set a cookie: %v", method, path, r.header.Values("Set-Cookie"))
	}
	return r
}

func wantOK(t *testing.T, r response, path string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("GET %s = %d\n%s", path, r.status, r.body)
	}
	if got := r.header.Get("Cache-Control"); got != public.CacheControl {
		t.Errorf("GET %s Cache-Control = %q", path, got)
	}
	if got := r.header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("GET %s Content-Type = %q", path, got)
	}
}

// wantNothingPersonal fails if anything outside the allow-list of SPEC §2.4
// shows on a page: looked for in the raw HTML, in every spelling a screen
// or export elsewhere in the product would use.
func wantNothingPersonal(t *testing.T, path, html string) {
	t.Helper()
	forbidden := []string{
		headName, childName, "王春花", "王小树", // full names
		headID, childID, "110105198001010016", "110105201602020038", "110105", "19491231", "20150101", "********", // ID numbers, full or masked
		phone, "139****5678", // phone, full or masked
		address, "幸福路",
		bankAccount, "3445", "农村信用社",
		notes,
		healthDetail, "肺癌", disability, "截肢", "重病", "残疾",
		income, "3,456.78", "零工", "工资",
		property, "9,876.54", "存款",
		"两间旧平房", "无劳动力", "村务公开栏",
	}
	for _, s := range forbidden {
		if strings.Contains(html, s) {
			t.Errorf("GET %s shows %q, which is not on the public allow-list", path, s)
		}
	}
	if strings.Contains(html, "<script") {
		t.Errorf("GET %s has a script", path)
	}
}

func TestPublicPages(t *testing.T) {
	w := newWorld(t)
	a := w.staff("", testenv.VillageA, testenv.TownA)
	b := w.staff("-b", testenv.VillageB, testenv.TownB)

	h1 := w.household(a, testenv.VillageA, headName, headID, childName, childID)
	c1 := w.toPublicity(a, h1)
	h2 := w.household(b, testenv.VillageB, "王春花", "110105198001010016", "王小树", "110105201602020038")
	c2 := w.toPublicity(b, h2)

	h, err := public.New(w.svc, w.db.RegionNames)
	if err != nil {
		t.Fatal(err)
	}

	// The index: the county's title, both villages under their townships
	// with their counts and links.
	idx := get(t, h, http.MethodGet, "/public/")
	wantOK(t, idx, "/public/")
	for _, s := range []string{"平安县最低生活保障公示", "东湖镇", "南河镇", "李家庄村", "王家村",
		`href="/public/` + string(testenv.VillageA) + `"`, `href="/public/` + string(testenv.VillageB) + `"`,
		"公示中 1 户", "在保 0 户", "异议", "公示期内"} {
		if !strings.Contains(idx.body, s) {
			t.Errorf("index lacks %q", s)
		}
	}
	if strings.Index(idx.body, "东湖镇") > strings.Index(idx.body, "南河镇") {
		t.Error("townships are not in code order")
	}
	wantNothingPersonal(t, "/public/", idx.body)

	// The village page in publicity: masked name, size, amount, period.
	pathA := "/public/" + string(testenv.VillageA)
	pa := get(t, h, http.MethodGet, pathA)
	wantOK(t, pa, pathA)
	pub, stand, _ := strings.Cut(pa.body, `id="standing"`)
	for _, s := range []string{"平安县最低生活保障公示", "东湖镇", "李家庄村", "公示名单", "刘*山", "2 人",
		c1.Amount.Yuan(), c1.PublicityStart + " 至 " + c1.PublicityEnd, "东湖镇人民政府"} {
		if !strings.Contains(pub, s) {
			t.Errorf("publicity list of %s lacks %q", pathA, s)
		}
	}
	if !strings.Contains(stand, "目前无长期公示对象") {
		t.Errorf("empty standing list not said so")
	}
	if strings.Contains(pa.body, "王*花") {
		t.Error("another village's household shows on the page")
	}
	wantNothingPersonal(t, pathA, pa.body)

	// After approval: off the publicity list, onto the standing list.
	w.approve(a, &c1)
	pa = get(t, h, http.MethodGet, pathA)
	wantOK(t, pa, pathA)
	pub, stand, _ = strings.Cut(pa.body, `id="standing"`)
	if !strings.Contains(pub, "目前无公示对象") || strings.Contains(pub, "刘*山") {
		t.Errorf("publicity list after approval:\n%s", pub)
	}
	for _, s := range []string{"长期公示", "刘*山", "2 人", c1.Amount.Yuan(), c1.StartMonth + " 起"} {
		if !strings.Contains(stand, s) {
			t.Errorf("standing list lacks %q", s)
		}
	}
	wantNothingPersonal(t, pathA, pa.body)

	pathB := "/public/" + string(testenv.VillageB)
	pb := get(t, h, http.MethodGet, pathB)
	wantOK(t, pb, pathB)
	for _, s := range []string{"南河镇", "王家村", "王*花", c2.Amount.Yuan()} {
		if !strings.Contains(pb.body, s) {
			t.Errorf("%s lacks %q", pathB, s)
		}
	}
	if strings.Contains(pb.body, "王春花") {
		t.Errorf("%s shows the full name", pathB)
	}

	idx = get(t, h, http.MethodGet, "/public/")
	if !strings.Contains(idx.body, "在保 1 户") {
		t.Error("index does not count the recipient")
	}
	wantNothingPersonal(t, "/public/", idx.body)

	// HEAD is a GET without a body.
	if r := get(t, h, http.MethodHead, pathA); r.status != http.StatusOK || r.body != "" {
		t.Errorf("HEAD %s = %d with %d bytes", pathA, r.status, len(r.body))
	}

	// The stylesheet.
	css := get(t, h, http.MethodGet, public.CSSPath)
	if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") ||
		!strings.Contains(css.body, ".banner") {
		t.Errorf("stylesheet: %d %q", css.status, css.header.Get("Content-Type"))
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	w := newWorld(t)
	h, err := public.New(w.svc, w.db.RegionNames)
	if err != nil {
		t.Fatal(err)
	}

	// An empty county still has a board, which says there is nothing.
	idx := get(t, h, http.MethodGet, "/public/")
	wantOK(t, idx, "/public/")
	if !strings.Contains(idx.body, "平安县最低生活保障公示") || !strings.Contains(idx.body, "目前无公示对象") {
		t.Errorf("empty index:\n%s", idx.body)
	}
	// A known village with nothing public says so for both lists.
	pa := get(t, h, http.MethodGet, "/public/"+string(testenv.VillageA))
	wantOK(t, pa, "village")
	if !strings.Contains(pa.body, "目前无公示对象") || !strings.Contains(pa.body, "目前无长期公示对象") {
		t.Errorf("empty village page:\n%s", pa.body)
	}

	for _, path := range []string{
		"/public/abc",
		"/public/13019910120",    // 11 digits
		"/public/130199101000",   // a township, not a village
		"/public/130199000000",   // the county
		"/public/130199101299",   // well-formed village not in the register
		"/public/130199000201",   // village without a township
		"/public/%3Cscript%3E",   // markup in the path
		"/public/130199101201/x", // deeper paths
		"/public/static/",
		"/public/static/app.js",
		"/elsewhere",
	} {
		r := get(t, h, http.MethodGet, path)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, r.status)
			continue
		}
		if !strings.Contains(r.body, "未找到公示信息") || !strings.Contains(r.body, "返回公示首页") {
			t.Errorf("GET %s: 404 page not in Chinese:\n%s", path, r.body)
		}
		if strings.Contains(r.body, "<script") {
			t.Errorf("GET %s reflects markup", path)
		}
	}

	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		for _, path := range []string{"/public/", "/public/" + string(testenv.VillageA), "/public/abc", public.CSSPath} {
			r := get(t, h, m, path)
			if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, HEAD" ||
				!strings.Contains(r.body, "不支持该请求方式") {
				t.Errorf("%s %s = %d (Allow %q)", m, path, r.status, r.header.Get("Allow"))
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s Cache-Control = %q", m, path, r.header.Get("Cache-Control"))
			}
		}
	}

	// A request carrying a session cookie gets the same public page: the
	// handler never reads it.
	req := httptest.NewRequest(http.MethodGet, "/public/", nil)
	req.AddCookie(&http.Cookie{Name: "dibao_session", Value: "secret"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Set-Cookie") != "" || strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("with a cookie: %d %v", rec.Code, rec.Header())
	}
}

func TestNewNeedsDependencies(t *testing.T) {
	if _, err := public.New(nil, nil); err == nil {
		t.Error("New without dependencies succeeded")
	}
}
