package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"dibao/internal/store"
	"dibao/internal/testenv"
)

// enrollCase puts the case environment's household on the register, as an
// approval would.
func (ce *caseEnv) enrollHousehold() {
	ce.t.Helper()
	err := ce.a.DB.InTx(bg, testenv.Admin(), func(tx *store.Tx) error {
		c := store.Case{Number: "T-1", HouseholdID: ce.hid, Region: testenv.VillageA, Profile: "seed", State: "approved", Policy: "{}"}
		if err := tx.CreateCase(bg, &c); err != nil {
			return err
		}
		if err := tx.Enroll(bg, store.Recipient{HouseholdID: ce.hid, CaseID: c.ID, Region: testenv.VillageA, Category: "A",
			Amount: 65000, Members: 2, StartMonth: "2026-01", Status: "active"}); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "test.enroll", Object: "household"})
	})
	if err != nil {
		ce.t.Fatal(err)
	}
}

func (ce *caseEnv) rows(q string) int {
	ce.t.Helper()
	xs, err := ce.a.DB.QueryStrings(bg, q)
	if err != nil {
		ce.t.Fatal(err)
	}
	return len(xs)
}

var (
	reReportForm = regexp.MustCompile(`id="form-([a-z_]+)"[^>]*>\s*<input type="hidden" name="version" value="(\d+)">\s*<input type="hidden" name="idempotency_key" value="([0-9a-f]+)">`)
	reFormKey    = regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]+)"`)
)

// reportForms maps each enabled action on a report page to its version and key.
func reportForms(body string) map[string][2]string {
	out := map[string][2]string{}
	for _, m := range reReportForm.FindAllStringSubmatch(body, -1) {
		out[m[1]] = [2]string{m[2], m[3]}
	}
	return out
}

func TestChangeReportPages(t *testing.T) {
	ce := setupCases(t)
	ce.enrollHousehold()
	clerk := ce.loginAs("village")

	page := clerk.get("/reviews/reports")
	if page.StatusCode != 200 || !strings.Contains(page.body, `id="report-form"`) || !strings.Contains(page.body, "刘大山（户号") {
		t.Fatalf("list for the clerk: %d %s", page.StatusCode, page.body)
	}
	key := reFormKey.FindStringSubmatch(page.body)[1]
	// Bad input: Chinese messages beside the fields, input kept, nothing written.
	bad := url.Values{"household_id": {strconv.FormatInt(ce.hid, 10)}, "kind": {""}, "changed_on": {"2099-01-01"}, "detail": {"长子外出务工"},
		"idempotency_key": {key}}
	r := clerk.post("/reviews/reports", bad)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请选择变化类型") ||
		!strings.Contains(r.body, "变化发生日期不能晚于今天") || !strings.Contains(r.body, ">长子外出务工</textarea>") {
		t.Fatalf("bad report: %d %s", r.StatusCode, r.body)
	}
	if n := ce.rows("SELECT id FROM change_reports"); n != 0 {
		t.Fatalf("%d reports written from bad input", n)
	}
	good := url.Values{"household_id": {strconv.FormatInt(ce.hid, 10)}, "kind": {"income_up"}, "changed_on": {"2026-09-01"},
		"detail": {"长子外出务工，月收入约3000元"}, "idempotency_key": {key}}
	r = clerk.post("/reviews/reports", good)
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/reviews/reports/\d+$`).MatchString(loc) {
		t.Fatalf("report: %d %s", r.StatusCode, r.body)
	}
	// The same form submitted twice reports once.
	if again := clerk.post("/reviews/reports", good); again.Header.Get("Location") != loc || ce.rows("SELECT id FROM change_reports") != 1 {
		t.Fatalf("double submission: %s, %d reports", again.Header.Get("Location"), ce.rows("SELECT id FROM change_reports"))
	}
	// The clerk of another village neither sees it nor can report the household.
	other := ce.loginAs("villageb")
	if r := other.get(loc); r.StatusCode != http.StatusNotFound {
		t.Fatalf("other village viewing: %d", r.StatusCode)
	}
	if r := other.post("/reviews/reports", url.Values{"household_id": {strconv.FormatInt(ce.hid, 10)}, "kind": {"other"},
		"changed_on": {"2026-09-01"}, "detail": {"x"}}); r.StatusCode == http.StatusSeeOther || !strings.Contains(r.body, "不在您的管辖范围内") {
		t.Fatalf("other village reporting: %d", r.StatusCode)
	}

	town := ce.loginAs("township")
	page = town.get(loc)
	forms := reportForms(page.body)
	if page.StatusCode != 200 || len(forms) != 2 || !strings.Contains(page.body, "长子外出务工") {
		t.Fatalf("township's report page: %d forms %v\n%s", page.StatusCode, forms, page.body)
	}
	// Missing verification record: field messages, nothing changes.
	f := forms["confirm"]
	r = town.post(loc+"/act/confirm", url.Values{"version": {f[0]}, "idempotency_key": {f[1]}, "method": {""}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请填写核实方式") || !strings.Contains(r.body, "请填写核实情况") {
		t.Fatalf("confirm without record: %d %s", r.StatusCode, r.body)
	}
	r = town.post(loc+"/act/confirm", url.Values{"version": {f[0]}, "idempotency_key": {f[1]}, "method": {"home_visit"},
		"verified_on": {ce.day()}, "note": {"入户核实属实"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", r.StatusCode, r.body)
	}
	page = town.get(loc)
	f = reportForms(page.body)["forward"]
	if f[0] == "" || !strings.Contains(page.body, `data-state="confirmed"`) || !strings.Contains(page.body, "入户核查") {
		t.Fatalf("after confirm: %s", page.body)
	}
	fwd := url.Values{"version": {f[0]}, "idempotency_key": {f[1]}, "comment": {"请复核"}}
	if r = town.post(loc+"/act/forward", fwd); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("forward: %d %s", r.StatusCode, r.body)
	}
	if r = town.post(loc+"/act/forward", fwd); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("double forward: %d %s", r.StatusCode, r.body)
	}
	if n := ce.rows("SELECT id FROM review_tasks WHERE kind = 'change_report'"); n != 1 {
		t.Fatalf("%d review tasks, want 1", n)
	}
	page = town.get(loc)
	if !strings.Contains(page.body, `data-state="forwarded"`) || !strings.Contains(page.body, `id="report-task"`) ||
		!strings.Contains(page.body, `id="no-actions"`) {
		t.Fatalf("after forward: %s", page.body)
	}
	list := town.get("/reviews/reports?state=forwarded&kind=income_up")
	if !strings.Contains(list.body, `<strong id="report-total">1</strong>`) {
		t.Fatalf("filtered list: %s", list.body)
	}
	if list = town.get("/reviews/reports?state=open"); !strings.Contains(list.body, `<strong id="report-total">0</strong>`) ||
		strings.Contains(list.body, `id="report-form"`) {
		t.Fatalf("open list for the township: %s", list.body)
	}
}

func TestSpotCheckPages(t *testing.T) {
	ce := setupCases(t)
	ce.enrollHousehold()
	county := ce.loginAs("county")
	page := county.get("/reviews/spot-checks")
	if page.StatusCode != 200 || !strings.Contains(page.body, `id="spot-form"`) || !strings.Contains(page.body, `id="spot-empty"`) {
		t.Fatalf("list: %d %s", page.StatusCode, page.body)
	}
	r := county.post("/reviews/spot-checks", url.Values{"seed": {"abc"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "随机种子应为正整数") || ce.rows("SELECT id FROM spot_checks") != 0 {
		t.Fatalf("bad seed: %d %s", r.StatusCode, r.body)
	}
	r = county.post("/reviews/spot-checks", url.Values{"seed": {"42"}})
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/reviews/spot-checks/\d+$`).MatchString(loc) {
		t.Fatalf("draw: %d %s", r.StatusCode, r.body)
	}
	page = county.get(loc)
	if page.StatusCode != 200 || !strings.Contains(page.body, `id="spot-seed">42<`) || !strings.Contains(page.body, "刘*山") ||
		strings.Contains(page.body, "刘大山") || !strings.Contains(page.body, "随机抽取") {
		t.Fatalf("detail: %d %s", page.StatusCode, page.body)
	}
	res := loc + "/results/" + strconv.FormatInt(ce.hid, 10)
	r = county.post(res, url.Values{"finding": {"unverifiable"}, "note": {""}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请写明核查情况") ||
		!strings.Contains(r.body, `<option value="unverifiable" selected>`) {
		t.Fatalf("bad result: %d %s", r.StatusCode, r.body)
	}
	if r = county.post(res, url.Values{"finding": {"confirmed"}, "note": {"入户查看与申报一致"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("result: %d %s", r.StatusCode, r.body)
	}
	if n := ce.rows("SELECT seq FROM audit_log WHERE action = 'spot_check.result'"); n != 1 {
		t.Fatalf("result audited %d times", n)
	}
	page = county.get("/reviews/spot-checks")
	if !strings.Contains(page.body, "1 / 1") || !strings.Contains(page.body, "已完成") || !strings.Contains(page.body, ">42<") {
		t.Fatalf("list after result: %s", page.body)
	}
	// The same seed again: the same sample.
	r = county.post("/reviews/spot-checks", url.Values{"seed": {"42"}})
	again := county.get(r.Header.Get("Location"))
	if !strings.Contains(again.body, `id="sample-`+strconv.FormatInt(ce.hid, 10)+`"`) {
		t.Fatalf("same seed, household missing: %s", again.body)
	}
	// A township officer has no spot-check pages.
	if r := ce.loginAs("township").get("/reviews/spot-checks"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("township: %d", r.StatusCode)
	}
}
