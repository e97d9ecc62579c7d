package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"dibao/internal/access"
	"dibao/internal/authz"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/recipients"
	"dibao/internal/store"
)

// enrollStandard enrolls n rural one-person elderly households without
// income, paid 1000 yuan, alternating between two villages.
func enrollStandard(t *testing.T, db *store.DB, n int) []int64 {
	t.Helper()
	var ids []int64
	seed := authz.Principal{Username: "system:test-seed", Region: county}
	err := db.InTx(bg, seed, func(tx *store.Tx) error {
		for i := range n {
			v := villageA
			if i%2 == 1 {
				v = villageB
			}
			h := household.Household{Region: v, Address: "幸福路1号", BankName: "农村信用社",
				BankAccount: fmt.Sprintf("62284800123456%05d", i),
				Members: []household.Member{{Name: fmt.Sprintf("张三%d", i), Relation: "head",
					IDNumber: idcard.Make("130123", time.Date(1948, 2, 1+i, 0, 0, 0, 0, time.UTC), i+1),
					Labour:   "none", Health: "healthy", CoResident: true}}}
			if err := tx.CreateHousehold(bg, &h); err != nil {
				return err
			}
			c := store.Case{Number: fmt.Sprintf("STD-%d", i), HouseholdID: h.ID, Region: v, Profile: "seed",
				State: "approved", Policy: "{}"}
			if err := tx.CreateCase(bg, &c); err != nil {
				return err
			}
			if err := tx.Enroll(bg, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: v, Category: "A",
				Amount: money.FromYuan(1000), Members: 1, StartMonth: "2025-06", Status: "active"}); err != nil {
				return err
			}
			ids = append(ids, h.ID)
		}
		return tx.Audit(bg, store.Entry{Action: "test.enroll", Object: "households"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func (e *env) standardCount() string {
	e.t.Helper()
	xs, err := e.a.DB.QueryStrings(bg, "SELECT COUNT(*) FROM standard_changes")
	if err != nil {
		e.t.Fatal(err)
	}
	return xs[0]
}

func TestStandardChangePages(t *testing.T) {
	e := setup(t)
	policyClock(e, "2026-12-15")
	hash, err := access.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	err = e.a.DB.InTx(bg, authz.System("test-seed"), func(tx *store.Tx) error {
		if _, err := tx.CreateUser(bg, store.User{Username: "approver", DisplayName: "孙审批", Region: county,
			Roles: []authz.Role{authz.CountyApprover}, PasswordHash: hash, Active: true}); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "test.seed", Object: "approver"})
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := enrollStandard(t, e.a.DB, 6)
	appr := e.login("approver")
	admin := e.login("admin")

	r := appr.get("/standard")
	for _, want := range []string{`name="county"`, `name="urban"`, `name="rural"`, `name="effective"`, `id="preview"`,
		"现行标准", "城市 900.00 元/人·月，农村 650.00 元/人·月", `<option value="130123000000" selected>`, "尚无标准调整记录"} {
		if r.StatusCode != http.StatusOK || !strings.Contains(r.body, want) {
			t.Fatalf("index (%d) lacks %q", r.StatusCode, want)
		}
	}
	if r := e.login("clerk").get("/standard"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("village clerk: %d", r.StatusCode)
	}

	// Bad input: a message per field, nothing written.
	r = appr.post("/standard", url.Values{"county": {string(county)}, "urban": {"abc"}, "rural": {"-5"}, "effective": {"2027-13"}})
	if r.StatusCode != http.StatusUnprocessableEntity || e.standardCount() != "0" {
		t.Fatalf("bad input: %d, %s changes", r.StatusCode, e.standardCount())
	}
	for _, want := range []string{`id="error-summary"`, "城市低保标准", "农村低保标准", "生效月份格式应为", `value="abc"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("bad input page lacks %q", want)
		}
	}
	r = appr.post("/standard", url.Values{"county": {string(county)}, "urban": {"1000"}, "rural": {"800"}, "effective": {"2026-10"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "生效月份不能早于本月") || e.standardCount() != "0" {
		t.Fatalf("past month: %d", r.StatusCode)
	}

	// Preview.
	r = appr.post("/standard", url.Values{"county": {string(county)}, "urban": {"1000"}, "rural": {"800"}, "effective": {"2027-01"}})
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^/standard/\d+$`).MatchString(loc) {
		t.Fatalf("preview: %d %q %s", r.StatusCode, loc, r.body)
	}
	r = appr.get(loc)
	for _, want := range []string{`id="count-recipients">6`, `id="count-decreases">6`, `id="count-crossing">0`, `id="delta">-720.00`,
		`id="confirm"`, `id="town-130123100000"`, `id="town-130123101000"`, "东湖镇", "南河镇",
		fmt.Sprintf(`href="/households/%d"`, ids[0]), "张*0", `data-status="preview"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("preview page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "张三0") {
		t.Error("preview page shows an unmasked name")
	}
	// The county administrator sees why not and cannot confirm.
	r = admin.get(loc)
	if strings.Contains(r.body, `id="confirm"`) || !strings.Contains(r.body, recipients.MsgStandardConfirm) {
		t.Errorf("admin sees the confirm button or no reason")
	}
	if r := admin.post(loc+"/confirm", nil); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, recipients.MsgStandardConfirm) {
		t.Fatalf("admin confirming: %d", r.StatusCode)
	}

	// Confirmed but not yet run: the page shows the progress bar.
	var id int64
	fmt.Sscanf(loc, "/standard/%d", &id)
	p := authz.Principal{Username: "approver", Roles: []authz.Role{authz.CountyApprover}, Region: county}
	if _, err := e.a.Payments.ConfirmStandardChange(bg, p, id); err != nil {
		t.Fatal(err)
	}
	r = appr.get(loc)
	for _, want := range []string{`id="progress"`, `data-done="0"`, `data-total="6"`, `src="/static/standard.js`,
		`<noscript><meta http-equiv="refresh"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("applying page lacks %q", want)
		}
	}
	var pr struct {
		Status      string
		Done, Total int
	}
	r = appr.get(loc + "/progress")
	if err := json.Unmarshal([]byte(r.body), &pr); err != nil || pr.Status != "applying" || pr.Done != 0 || pr.Total != 6 {
		t.Fatalf("progress %s (%v)", r.body, err)
	}
	if _, err := e.a.Payments.RunStandardChange(bg, p, id, nil); err != nil {
		t.Fatal(err)
	}
	r = appr.get(loc)
	if !strings.Contains(r.body, `id="standard-done"`) || strings.Contains(r.body, `id="progress"`) ||
		!strings.Contains(r.body, "共处理 6 户，增加 0 户，减少 6 户，不再符合条件 0 户已列入复核") {
		t.Fatalf("applied page:\n%s", r.body)
	}
	r = appr.get(loc + "/progress")
	if err := json.Unmarshal([]byte(r.body), &pr); err != nil || pr.Status != "applied" || pr.Done != 6 {
		t.Fatalf("progress %s (%v)", r.body, err)
	}

	// A second change confirmed on the page runs in the background.
	r = appr.post("/standard", url.Values{"county": {string(county)}, "urban": {"1100"}, "rural": {"900"}, "effective": {"2027-07"}})
	loc2 := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || loc2 == loc {
		t.Fatalf("second preview: %d %s", r.StatusCode, r.body)
	}
	r = appr.post(loc2+"/confirm", nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != loc2 {
		t.Fatalf("confirm: %d %s", r.StatusCode, r.body)
	}
	standardRuns.Wait()
	r = appr.get(loc2)
	if !strings.Contains(r.body, `id="standard-done"`) {
		t.Fatalf("second change not applied:\n%s", r.body)
	}
	for _, hid := range ids {
		hs, err := e.a.Payments.History(bg, p, hid)
		if err != nil || len(hs) != 2 || hs[1].EffectiveMonth != "2027-07" || hs[1].NewAmount != money.FromYuan(990) {
			t.Fatalf("history of %d: %+v (%v)", hid, hs, err)
		}
	}
	// Confirming again is refused on the page.
	if r := appr.post(loc2+"/confirm", nil); r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "不能再次确认") {
		t.Fatalf("confirming twice: %d", r.StatusCode)
	}
	r = appr.get("/standard")
	for _, want := range []string{"standard-row-", "已执行", "2027-07", "1,100.00"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
}

// standardFixtureIndex and standardFixtureChange feed TestEveryTemplateRenders.
func standardFixtureIndex() standardIndexPage {
	return standardIndexPage{F: standardForm{County: string(county), Urban: "1000", Rural: "-5", Effective: "2027-13"},
		Counties: []regionOption{{Code: string(county), Label: "平安县", Selected: true}}, CountyName: "平安县",
		Current: "城市 900.00 元/人·月，农村 650.00 元/人·月",
		Err:     map[string]string{"rural": "「农村低保标准」不能为负数", "effective": "生效月份格式应为“2027-01”"},
		Summary: []string{"「农村低保标准」不能为负数", "生效月份格式应为“2027-01”"},
		Rows: []standardRow{{ID: 3, County: string(county), CountyName: "平安县", Urban: "1,000.00", Rural: "800.00",
			Effective: "2027-01", Status: "applying", StatusLabel: "执行中", Recipients: 500, Applied: 120, Increased: 480,
			Delta: "+72,000.00", CreatedBy: "approver", CreatedAt: "2026-12-15 10:00"}}}
}

func standardFixtureChange() standardPageData {
	c := recipients.StandardSummary{StandardChange: store.StandardChange{ID: 3, County: county, Urban: money.FromYuan(1000),
		Rural: money.FromYuan(800), EffectiveMonth: "2027-01", Status: "applying", Recipients: 500, Applied: 120,
		OldTotal: money.FromYuan(300000), Delta: money.FromYuan(72000), CreatedBy: "approver", ConfirmedBy: "approver",
		PolicyFrom: "2027-01-01"}}
	return standardPageData{C: c, CountyName: "平安县", StatusLabel: "执行中", Delta: "+72,000.00", NewTotal: "372,000.00",
		Percent: 24, CanConfirm: true,
		Increases: itemTable{ID: "increase-table", Items: []standardItemView{{HouseholdID: 9, Name: "张*三", Region: "李家庄村",
			Old: "500.00", New: "650.00", Diff: "+150.00"}}, More: 3},
		Crossing: itemTable{ID: "crossing-table"}, Decreases: itemTable{ID: "decrease-table"},
		Towns: []townRow{{Code: string(townA), Name: "东湖镇", Recipients: 500, Increased: 480, OldTotal: "300,000.00", Delta: "+72,000.00"}}}
}
