package web

import (
	"bytes"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/casework"
	"dibao/internal/household"
	"dibao/internal/store"
	"dibao/internal/testenv"
	"dibao/internal/workflow"
)

// caseEnv is the test county of testenv with its case-handling staff, one
// applicant household and a fixed clock.
type caseEnv struct {
	*env
	now                                   time.Time
	clerk, clerkB, t1, t2, reviewer, cnty authz.Principal
	hid                                   int64
}

// Full ID numbers of the applicant household; no case page may show them.
var caseIDs = []string{"11010519491231002X", "11010520150101005X"}

func setupCases(t *testing.T) *caseEnv {
	t.Helper()
	db := testenv.SQLite(t)
	ce := &caseEnv{now: time.Date(2026, 9, 21, 9, 0, 0, 0, calendar.Location())}
	db.SetClock(func() time.Time { return ce.now })
	testenv.SeedRegions(t, db)
	ce.clerk = testenv.User(t, db, "village", testenv.VillageA, authz.VillageClerk)
	ce.clerkB = testenv.User(t, db, "villageb", testenv.VillageB, authz.VillageClerk)
	ce.t1 = testenv.User(t, db, "township", testenv.TownA, authz.TownshipOfficer)
	ce.t2 = testenv.User(t, db, "township2", testenv.TownA, authz.TownshipOfficer)
	ce.reviewer = testenv.User(t, db, "reviewer", testenv.TownA, authz.TownshipReviewer)
	ce.cnty = testenv.User(t, db, "county", testenv.County, authz.CountyApprover)
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ce.env = &env{t: t, a: a, srv: srv}
	hh, err := a.Registry.Create(bg, ce.clerk, household.Draft{Region: string(testenv.VillageA), Address: "李家庄村一组",
		Urban: "rural", Members: []household.MemberDraft{
			{Name: "刘大山", IDNumber: caseIDs[0], Labour: "none", Health: "serious", HealthDetail: "肺癌", CoResident: "1"},
			{Name: "刘小禾", Relation: "child", IDNumber: caseIDs[1], Labour: "none", Health: "healthy", CoResident: "1"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	ce.hid = hh.ID
	return ce
}

func (ce *caseEnv) loginAs(username string) *client {
	ce.t.Helper()
	c := ce.client()
	r := c.secondFactor(c.post("/login", url.Values{"username": {username}, "password": {testenv.Password}}), username)
	if r.StatusCode != http.StatusSeeOther {
		ce.t.Fatalf("login %s: status %d", username, r.StatusCode)
	}
	return c
}

func (ce *caseEnv) day() string { return ce.now.Format(time.DateOnly) }

// open starts an application through the service.
func (ce *caseEnv) open() store.Case {
	ce.t.Helper()
	c, err := ce.a.Cases.Open(bg, ce.clerk, ce.hid, casework.Declaration{None: true})
	if err != nil {
		ce.t.Fatal(err)
	}
	return c
}

// act moves a case through the service (for steps the test does not
// exercise through the page).
func (ce *caseEnv) act(p authz.Principal, c *store.Case, id string, values map[string]string) {
	ce.t.Helper()
	in := workflow.Input{Values: map[string][]string{}}
	for k, v := range values {
		in.Values[k] = strings.Split(v, "|")
	}
	out, err := ce.a.Cases.Act(bg, p, casework.Action{CaseID: c.ID, Version: c.Version, Transition: id, Input: in})
	if err != nil {
		ce.t.Fatalf("%s: %v", id, err)
	}
	*c = out.Case
}

func (ce *caseEnv) materialsOK(c *store.Case) {
	ce.t.Helper()
	var items []casework.MaterialInput
	for _, m := range casework.Materials {
		items = append(items, casework.MaterialInput{Code: m.Code, Status: "ok"})
	}
	got, err := ce.a.Cases.SetMaterials(bg, ce.clerk, c.ID, c.Version, items)
	if err != nil {
		ce.t.Fatal(err)
	}
	*c = got
}

// toInvestigation takes a new case to the township's investigation.
func (ce *caseEnv) toInvestigation() store.Case {
	ce.t.Helper()
	c := ce.open()
	ce.act(ce.clerk, &c, "intake", map[string]string{"application_date": ce.day()})
	ce.materialsOK(&c)
	ce.act(ce.clerk, &c, "accept", nil)
	ce.act(ce.clerk, &c, "forward", nil)
	ce.act(ce.t1, &c, "start_investigation", nil)
	return c
}

func casePath(id int64) string { return "/cases/" + strconv.FormatInt(id, 10) }

var (
	reVersion = regexp.MustCompile(`name="version" value="(\d+)"`)
	reKey     = regexp.MustCompile(`id="form-([a-z_0-9]+)"[^>]*>\s*(?:<div[^>]*>[\s\S]*?</div>\s*)?<input type="hidden" name="version" value="\d+">\s*<input type="hidden" name="idempotency_key" value="([0-9a-f]+)">`)
)

// formOf returns the version and idempotency key of an action form.
func formOf(t *testing.T, body, transition string) (version, key string) {
	t.Helper()
	for _, m := range reKey.FindAllStringSubmatch(body, -1) {
		if m[1] == transition {
			v := reVersion.FindStringSubmatch(body)
			return v[1], m[2]
		}
	}
	t.Fatalf("no enabled form for %s", transition)
	return "", ""
}

func assertNoFullIDs(t *testing.T, page, body string) {
	t.Helper()
	for _, id := range caseIDs {
		if strings.Contains(body, id) {
			t.Errorf("%s shows the full ID number %s", page, id)
		}
	}
	if strings.Contains(body, "肺癌") {
		t.Errorf("%s shows a health detail", page)
	}
}

func TestCaseIntakeDeficiencyRoundTrip(t *testing.T) {
	ce := setupCases(t)
	c := ce.loginAs("village")
	hpath := "/households/" + strconv.FormatInt(ce.hid, 10)

	// The household page offers the application to the village clerk.
	hp := c.get(hpath)
	if !strings.Contains(hp.body, `href="`+hpath+`/apply" id="apply-case"`) {
		t.Fatalf("no apply button on the household page:\n%s", hp.body)
	}
	form := c.get(hpath + "/apply")
	if form.StatusCode != 200 || !strings.Contains(form.body, `id="rel-none"`) || !strings.Contains(form.body, `id="rel_member_0"`) {
		t.Fatalf("apply form: %d", form.StatusCode)
	}
	assertNoFullIDs(t, "apply form", form.body)

	// Not answering the relatives question is refused in Chinese.
	r := c.post(hpath+"/apply", url.Values{})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "近亲属关系") ||
		!strings.Contains(r.body, `class="error-msg"`) {
		t.Fatalf("unanswered relatives: %d\n%s", r.StatusCode, r.body)
	}
	// "有" with an incomplete row names the row.
	r = c.post(hpath+"/apply", url.Values{"relatives": {"some"}, "rel_member": {"刘大山", ""}, "rel_relative": {"", ""},
		"rel_relation": {"", ""}, "rel_user": {"", ""}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "第1条近亲属登记不完整") {
		t.Fatalf("incomplete relative row: %d", r.StatusCode)
	}
	r = c.post(hpath+"/apply", url.Values{"relatives": {"none"}})
	if r.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/cases/\d+$`).MatchString(r.Header.Get("Location")) {
		t.Fatalf("apply: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	cpath := r.Header.Get("Location")
	page := c.get(cpath)
	if page.StatusCode != 200 || !strings.Contains(page.body, "低保申请已登记") || !strings.Contains(page.body, `id="act-intake"`) {
		t.Fatalf("case page: %d\n%s", page.StatusCode, page.body)
	}
	assertNoFullIDs(t, "case page", page.body)
	// A second application for the same household is not offered.
	if again := c.get(hpath + "/apply"); !strings.Contains(again.body, `id="open-case-link"`) || strings.Contains(again.body, `id="apply-form"`) {
		t.Error("apply form offered while an application is open")
	}

	// Intake, through the generated form.
	version, key := formOf(t, page.body, "intake")
	if !strings.Contains(page.body, `type="date" id="f-intake-application_date" name="application_date" value="2026-09-21"`) {
		t.Error("application date input does not default to today")
	}
	intake := url.Values{"version": {version}, "idempotency_key": {key}, "application_date": {ce.day()}}
	r = c.post(cpath+"/act/intake", intake)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("intake: %d\n%s", r.StatusCode, r.body)
	}
	page = c.get(cpath)
	if !strings.Contains(page.body, "已办理：登记完成，提交受理审查") || !strings.Contains(page.body, `data-state="submitted"`) {
		t.Fatalf("after intake:\n%s", page.body)
	}
	// The same form submitted again (a double click) acts once.
	r = c.post(cpath+"/act/intake", intake)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("double submit: %d\n%s", r.StatusCode, r.body)
	}
	if page = c.get(cpath); !strings.Contains(page.body, "本次未重复办理") {
		t.Error("replay not reported")
	}
	id := mustAtoi(t, strings.TrimPrefix(cpath, "/cases/"))
	evs, _ := ce.a.DB.Events(bg, id)
	if len(evs) != 2 {
		t.Fatalf("%d events after a double submit, want 2 (open, intake)", len(evs))
	}

	// Accepting needs a complete checklist: greyed, with the reason.
	if !regexp.MustCompile(`id="reason-accept">[^<]*请先逐项核对申请材料清单`).MatchString(page.body) {
		t.Error("the accept option is not shown greyed with its reason")
	}
	version = reVersion.FindStringSubmatch(page.body)[1]

	// The checklist: one item missing, one wrong without a note first.
	mat := url.Values{"version": {version}}
	for _, m := range casework.Materials {
		mat.Set("status_"+m.Code, "ok")
	}
	mat.Set("status_income_proof", "missing")
	mat.Set("note_income_proof", "缺近三个月工资流水")
	mat.Set("status_promise", "wrong")
	r = c.post(cpath+"/materials", mat)
	if r.StatusCode != http.StatusUnprocessableEntity ||
		!regexp.MustCompile(`id="mat-promise-wrong" value="wrong" checked>有误</label>\s*</div>\s*<div class="error-msg">“承诺书”有误时请写明错误之处</div>`).MatchString(r.body) {
		t.Fatalf("wrong without a note: %d\n%s", r.StatusCode, r.body)
	}
	mat.Set("status_promise", "ok")
	if r = c.post(cpath+"/materials", mat); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("materials: %d\n%s", r.StatusCode, r.body)
	}
	page = c.get(cpath)
	if !strings.Contains(page.body, "材料核对结果已保存") || !strings.Contains(page.body, `id="materials-problems">1 项缺少或有误`) {
		t.Error("materials not saved")
	}

	// Return with the deficiency notice.
	version, key = formOf(t, page.body, "return")
	r = c.post(cpath+"/act/return", url.Values{"version": {version}, "idempotency_key": {key}, "note": {"请尽快补齐"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("return: %d\n%s", r.StatusCode, r.body)
	}
	page = c.get(cpath)
	if !strings.Contains(page.body, "已出具：补正材料一次性告知书 DB-BZ-") {
		t.Errorf("flash does not name the notice:\n%s", page.body)
	}
	link := regexp.MustCompile(`<a class="doc-link" href="(/cases/\d+/documents/(DB-BZ-[0-9-]+))" target="_blank" rel="noopener">`).FindStringSubmatch(page.body)
	if link == nil {
		t.Fatalf("no deficiency notice link in the timeline:\n%s", page.body)
	}
	doc := c.get(link[1])
	if doc.StatusCode != 200 || !strings.HasPrefix(doc.Header.Get("Content-Type"), "text/html") ||
		doc.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("document: %d %v", doc.StatusCode, doc.Header)
	}
	if !strings.Contains(doc.body, "收入证明") || !strings.Contains(doc.body, "缺近三个月工资流水") || !strings.Contains(doc.body, link[2]) {
		t.Errorf("the notice does not list the missing item:\n%s", doc.body)
	}
	assertNoFullIDs(t, "deficiency notice", doc.body)
	// The timeline names the step, the states and the recorded note.
	for _, want := range []string{"退回补正（一次性告知）", "待受理审查 → <b>退回补正（待申请人补齐）</b>", "请尽快补齐", "测试village"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	// The case is in the list.
	if l := c.get("/cases?open=open"); !strings.Contains(l.body, `id="case-row-`+strconv.FormatInt(id, 10)+`"`) ||
		!strings.Contains(l.body, "退回补正") {
		t.Error("case not in the list")
	}
	// Another village's clerk sees nothing of it.
	other := ce.loginAs("villageb")
	if r := other.get(cpath); r.StatusCode != http.StatusNotFound {
		t.Errorf("other village case page: %d", r.StatusCode)
	}
	if r := other.get(link[1]); r.StatusCode != http.StatusNotFound || strings.Contains(r.body, "缺近三个月工资流水") {
		t.Errorf("other village document: %d", r.StatusCode)
	}
}

func multipartBody(t *testing.T, material, name string, data []byte) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("material", material)
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = w.Close()
	return &b, w.FormDataContentType()
}

func (c *client) upload(path, material, name string, data []byte) resp {
	c.e.t.Helper()
	body, ct := multipartBody(c.e.t, material, name, data)
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, body)
	req.Header.Set("Content-Type", ct)
	return c.do(req)
}

func TestCaseUploadAndDownload(t *testing.T) {
	ce := setupCases(t)
	cs := ce.open()
	cpath := casePath(cs.ID)
	c := ce.loginAs("village")
	page := c.get(cpath)
	if !strings.Contains(page.body, `enctype="multipart/form-data"`) || !strings.Contains(page.body, `id="upload-file"`) {
		t.Fatal("no upload form")
	}

	// An executable renamed to .pdf is refused by its content.
	r := c.upload(cpath+"/files", "income_proof", "收入证明.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"))
	if r.StatusCode != http.StatusUnprocessableEntity ||
		!regexp.MustCompile(`id="upload-file"[^>]*class="field-error">\s*<div class="error-msg">文件类型不支持`).MatchString(r.body) {
		t.Fatalf("renamed exe: %d\n%s", r.StatusCode, r.body)
	}
	files, _ := ce.a.DB.Files(bg, cs.ID)
	if len(files) != 0 {
		t.Fatal("a refused upload was stored")
	}
	// No category chosen.
	if r := c.upload(cpath+"/files", "", "a.pdf", []byte("%PDF-1.4\n%%EOF\n")); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "请选择材料类别") {
		t.Errorf("no category: %d", r.StatusCode)
	}

	pdf := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	r = c.upload(cpath+"/files", "income_proof", "收入证明.pdf", pdf)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("pdf upload: %d\n%s", r.StatusCode, r.body)
	}
	page = c.get(cpath)
	m := regexp.MustCompile(`href="(/files/[A-Za-z0-9_-]+)" class="file-link"`).FindStringSubmatch(page.body)
	if m == nil || !strings.Contains(page.body, "扫描件已上传") || !strings.Contains(page.body, "收入证明.pdf") {
		t.Fatalf("uploaded file not listed:\n%s", page.body)
	}
	d := c.get(m[1])
	if d.StatusCode != 200 || d.body != string(pdf) {
		t.Fatalf("download: %d", d.StatusCode)
	}
	h := d.Header
	if h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(h.Get("Content-Disposition"), "%E6%94%B6%E5%85%A5") ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("download headers: %v", h)
	}
	// A clerk of another village gets nothing, not even a hint.
	other := ce.loginAs("villageb")
	if r := other.get(m[1]); r.StatusCode != http.StatusNotFound || strings.Contains(r.body, "%PDF") {
		t.Errorf("other village download: %d", r.StatusCode)
	}
	if r := c.get("/files/not-a-token"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown token: %d", r.StatusCode)
	}
	// An oversize body is cut off with the Chinese message.
	big := make([]byte, 11<<20)
	copy(big, "%PDF-1.4\n")
	if r := c.upload(cpath+"/files", "income_proof", "big.pdf", big); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "文件过大") {
		t.Errorf("oversize: %d", r.StatusCode)
	}
}

func TestHomeVisitNeedsTwoInvestigators(t *testing.T) {
	ce := setupCases(t)
	cs := ce.toInvestigation()
	cpath := casePath(cs.ID)
	c := ce.loginAs("township")
	page := c.get(cpath)
	id1, id2 := strconv.FormatInt(ce.t1.UserID, 10), strconv.FormatInt(ce.t2.UserID, 10)
	for _, want := range []string{`id="act-record_home_visit"`, `id="f-record_home_visit-investigators-` + id1 + `"`,
		`id="f-record_home_visit-investigators-` + id2 + `"`, "至少 2 名不同的工作人员", `id="f-record_home_visit-form_filled"`} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("home visit form lacks %s", want)
		}
	}
	// Submitting the investigation before any visit is greyed with the reason.
	if !regexp.MustCompile(`id="reason-submit_to_appraisal">[^<]*尚未记录入户调查`).MatchString(page.body) {
		t.Error("submit option not greyed with its reason")
	}
	version, key := formOf(t, page.body, "record_home_visit")
	visit := url.Values{"version": {version}, "idempotency_key": {key}, "visit_date": {ce.day()},
		"investigators": {id1}, "form_filled": {"on"}, "findings": {"两间旧平房，无大件家电"}}
	r := c.post(cpath+"/act/record_home_visit", visit)
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("one investigator: %d", r.StatusCode)
	}
	re := regexp.MustCompile(`<div class="staff-list field-error" id="f-record_home_visit-investigators"[^>]*>[\s\S]*?</div>\s*<div class="error-msg">入户调查人员不足 2 人</div>`)
	if !re.MatchString(r.body) {
		t.Fatalf("no message beside the investigators:\n%s", r.body)
	}
	if !strings.Contains(r.body, `value="`+id1+`" checked`) || !strings.Contains(r.body, "两间旧平房，无大件家电") {
		t.Error("input not kept after the error")
	}
	if vs, _ := ce.a.DB.Visits(bg, cs.ID); len(vs) != 0 {
		t.Fatal("a refused visit was stored")
	}
	visit["investigators"] = []string{id1, id2}
	visit.Set("idempotency_key", newKey())
	if r = c.post(cpath+"/act/record_home_visit", visit); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("two investigators: %d\n%s", r.StatusCode, r.body)
	}
	page = c.get(cpath)
	if !strings.Contains(page.body, "测试township、测试township2") || !strings.Contains(page.body, "家庭经济状况入户调查表") {
		t.Errorf("visit not shown with its investigators and form:\n%s", page.body)
	}
	assertNoFullIDs(t, "case page", page.body)

	// The old version is stale now: the conflict message, nothing written.
	r = c.post(cpath+"/act/record_interview", url.Values{"version": {version}, "idempotency_key": {newKey()},
		"interview_date": {ce.day()}, "interviewees": {"邻居王某"}, "content": {"情况属实"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "该案件已被他人处理，请刷新页面查看最新状态后再操作") {
		t.Fatalf("stale version: %d\n%s", r.StatusCode, r.body)
	}
	if vs, _ := ce.a.DB.Visits(bg, cs.ID); len(vs) != 1 {
		t.Fatalf("%d visits after a stale post", len(vs))
	}
	// A reason is required for termination; the message sits by the field.
	version = reVersion.FindStringSubmatch(page.body)[1]
	r = c.post(cpath+"/act/terminate", url.Values{"version": {version}, "idempotency_key": {newKey()}})
	if r.StatusCode != http.StatusUnprocessableEntity ||
		!regexp.MustCompile(`id="f-terminate-reason"[^>]*class="field-error"></textarea>\s*<div class="error-msg">请填写原因</div>`).MatchString(r.body) ||
		!strings.Contains(r.body, `<details class="more-actions" id="more-actions" open>`) {
		t.Errorf("terminate without reason: %d", r.StatusCode)
	}
	// The village clerk cannot take the township's step: 403 in Chinese.
	clerk := ce.loginAs("village")
	r = clerk.post(cpath+"/act/record_interview", url.Values{"version": {version}, "interview_date": {ce.day()},
		"interviewees": {"x"}, "content": {"y"}})
	if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, workflow.MsgRole) {
		t.Errorf("clerk acting for the township: %d", r.StatusCode)
	}
}

func TestWorkflowPageAndDiagram(t *testing.T) {
	ce := setupCases(t)
	c := ce.loginAs("township")
	r := c.get("/workflow")
	if r.StatusCode != 200 {
		t.Fatalf("workflow page: %d", r.StatusCode)
	}
	for _, d := range workflow.Profiles() {
		for _, want := range []string{d.Title, `<img src="/workflow/` + d.Name + `.svg"`, `id="transitions-` + d.Name + `"`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("workflow page lacks %q", want)
			}
		}
	}
	for _, want := range []string{"入户调查人数达到要求", "家庭经济状况入户调查表", "公示期 7 个工作日", "乡镇/街道级"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("workflow page lacks %q", want)
		}
	}
	svg := c.get("/workflow/seed.svg?state=investigating")
	if svg.StatusCode != 200 || svg.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(svg.body, "<svg") ||
		!strings.Contains(svg.body, "当前") {
		t.Fatalf("svg: %d %s", svg.StatusCode, svg.Header.Get("Content-Type"))
	}
	if r := c.get("/workflow/national-2021.svg?state=<script>"); r.StatusCode != 200 || strings.Contains(r.body, "<script>") {
		t.Errorf("svg with a bad state: %d", r.StatusCode)
	}
	if r := c.get("/workflow/nope.svg"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown profile: %d", r.StatusCode)
	}
	// The menu of a case role.
	for _, want := range []string{`id="nav-dashboard"`, `id="nav-households"`, `id="nav-cases"`, `id="nav-workflow"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("menu lacks %s", want)
		}
	}
	// The case page embeds the diagram with its current state.
	cs := ce.toInvestigation()
	page := c.get(casePath(cs.ID))
	if !strings.Contains(page.body, `src="/workflow/seed.svg?state=investigating"`) {
		t.Error("case page has no diagram of its state")
	}
}

func TestQueueShowsOverdueCase(t *testing.T) {
	ce := setupCases(t)
	cs := ce.open()
	ce.act(ce.clerk, &cs, "intake", map[string]string{"application_date": ce.day()})
	ce.materialsOK(&cs)
	ce.act(ce.clerk, &cs, "accept", nil) // forward within 3 working days
	c := ce.loginAs("village")
	row := `id="queue-row-` + strconv.FormatInt(cs.ID, 10) + `"`
	home := c.get("/")
	if !strings.Contains(home.body, row) || !strings.Contains(home.body, `badge-soon">即将到期`) ||
		strings.Contains(home.body, `badge-overdue">逾期`) {
		t.Fatalf("queue before the deadline:\n%s", home.body)
	}
	if !strings.Contains(home.body, `id="stat-households">1`) {
		t.Error("household count missing from the home page")
	}
	// Thirty days later the case is overdue.
	later := ce.now.AddDate(0, 0, 30)
	ce.a.Cases.Now = func() time.Time { return later }
	home = c.get("/")
	if !strings.Contains(home.body, `badge-overdue">逾期`) || !strings.Contains(home.body, `id="stat-overdue">1`) {
		t.Fatalf("queue after the deadline:\n%s", home.body)
	}
	if !regexp.MustCompile(row + ` class="row-overdue"`).MatchString(home.body) {
		t.Error("overdue row not marked")
	}
	page := c.get(casePath(cs.ID))
	if !strings.Contains(page.body, `class="clock clock-over" id="case-due"`) {
		t.Error("case page does not mark the overdue step")
	}
	// The township has nothing waiting yet; the auditor has no queue at all.
	if r := ce.loginAs("township").get("/"); !strings.Contains(r.body, `id="queue-empty"`) {
		t.Error("township queue not empty")
	}
	testenv.User(t, ce.a.DB, "auditor", testenv.County, authz.Auditor)
	if r := ce.loginAs("auditor").get("/"); strings.Contains(r.body, `id="queue"`) || strings.Contains(r.body, `id="nav-cases"`) {
		t.Error("auditor sees a work queue")
	}
	// Only the village clerk may open the application form.
	if r := ce.loginAs("township").get("/households/" + strconv.FormatInt(ce.hid, 10) + "/apply"); r.StatusCode != http.StatusForbidden {
		t.Errorf("township apply form: %d", r.StatusCode)
	}
}

func TestActFlash(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"act~accept~DB-SL-130199-2026-000001~", "已办理：受理（出具回执）。已出具：受理回执 DB-SL-130199-2026-000001"},
		{"act~intake~~rw", "本次未重复办理"},
		{"act~intake~~w", "岗位认证缺失或已过期"},
		{"act~accept~<script>~", ""},
		{"act~nope~~", ""},
		{"act~accept~~~x", ""},
	} {
		if got := actFlash(tc.code); (tc.want == "" && got != "") || !strings.Contains(got, tc.want) {
			t.Errorf("actFlash(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

// step submits an action form the way a browser would: the page's own
// version and idempotency key, the given values, and expects the redirect.
func (ce *caseEnv) step(c *client, cpath, transition string, values url.Values) string {
	ce.t.Helper()
	page := c.get(cpath)
	version, key := formOf(ce.t, page.body, transition)
	if values == nil {
		values = url.Values{}
	}
	values.Set("version", version)
	values.Set("idempotency_key", key)
	r := c.post(cpath+"/act/"+transition, values)
	if r.StatusCode != http.StatusSeeOther {
		ce.t.Fatalf("%s: status %d\n%s", transition, r.StatusCode, r.body)
	}
	return c.get(cpath).body
}

func TestFullCaseThroughPages(t *testing.T) {
	ce := setupCases(t)
	cs := ce.toInvestigation()
	cpath := casePath(cs.ID)
	town := ce.loginAs("township")
	id1, id2 := strconv.FormatInt(ce.t1.UserID, 10), strconv.FormatInt(ce.t2.UserID, 10)
	day := ce.day()
	report := url.Values{"report": {"家庭无劳动力，户主重病"}, "opinion": {"eligible"}, "opinion_reason": {"人均收入低于标准"}}
	appraisal := url.Values{"meeting_date": {day}, "participants": {"王书记、李主任、张代表"}, "attendance": {"9"},
		"outcome": {"pass"}, "minutes": {"一致同意"}}
	ce.step(town, cpath, "record_home_visit", url.Values{"visit_date": {day}, "investigators": {id1, id2},
		"form_filled": {"on"}, "findings": {"两间旧平房"}})
	ce.step(town, cpath, "request_check", url.Values{"requested_on": {day}})
	ce.step(town, cpath, "record_check_result", url.Values{"received_on": {day}, "summary": {"未发现车辆、房产、存款"}})
	ce.step(town, cpath, "write_report", report)
	ce.step(town, cpath, "submit_to_appraisal", nil)
	ce.step(town, cpath, "appraise", appraisal)
	page := ce.step(town, cpath, "start_publicity", url.Values{"place": {"村务公开栏"}})
	if !strings.Contains(page, `id="publicity-period"`) || !strings.Contains(page, "最低生活保障对象公示名单") {
		t.Fatal("publicity not shown")
	}
	// Closing before the period ends is greyed with the date.
	if !regexp.MustCompile(`id="reason-close_publicity">[^<]*公示期未满，截止 \d{4}年`).MatchString(page) {
		t.Error("close_publicity not greyed with the end date")
	}
	page = ce.step(town, cpath, "record_objection", url.Values{"received_on": {day}, "content": {"其子在外打工有收入"}})
	if !strings.Contains(page, "其子在外打工有收入") || !strings.Contains(page, "待处理") {
		t.Error("objection not listed")
	}
	ce.step(town, cpath, "objection_reinvestigate", url.Values{"reason": {"核实异议"}})
	page = town.get(cpath).body
	// The objection to settle is picked from a list of the open ones.
	if !strings.Contains(page, `<option value="1">第 1 条（`+day+`）其子在外打工有收入</option>`) {
		t.Fatalf("objection select missing:\n%s", page)
	}
	ce.step(town, cpath, "resolve_objection", url.Values{"objection_no": {"1"}, "finding": {"其子未成年，在校就读"},
		"outcome": {"dismissed"}})
	ce.step(town, cpath, "write_report", report)
	ce.step(town, cpath, "submit_to_appraisal", nil)
	ce.step(town, cpath, "appraise", appraisal)
	page = ce.step(town, cpath, "start_publicity", url.Values{"place": {"村务公开栏"}})
	if !strings.Contains(page, "异议不成立") {
		t.Error("resolved objection not shown")
	}

	// After the period (a fresh login: the clock jumped).
	ce.now = ce.now.AddDate(0, 0, 20)
	town = ce.loginAs("township")
	ce.step(town, cpath, "close_publicity", nil)
	rev := ce.loginAs("reviewer")
	ce.step(rev, cpath, "review_opinion", url.Values{"opinion": {"agree"}, "comment": {"同意上报"}})
	cnty := ce.loginAs("county")
	page = cnty.get(cpath).body
	if !strings.Contains(page, `id="act-approve"`) || !strings.Contains(page, "提交时计算结果") {
		t.Fatalf("county page:\n%s", page)
	}
	page = ce.step(cnty, cpath, "approve", url.Values{"category": {"A"}})
	for _, want := range []string{`data-state="approved"`, "最低生活保障审批通知书", `id="no-actions"`, "A类（重点保障）"} {
		if !strings.Contains(page, want) {
			t.Errorf("approved case page lacks %q", want)
		}
	}
	assertNoFullIDs(t, "approved case page", page)
}
