package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/access"
	"dibao/internal/archive"
	"dibao/internal/authz"
	"dibao/internal/region"
	"dibao/internal/store"
)

// The archive pages: catalogue, request form (with bad input), the
// custodian's queue, reading under a grant, the access log, expiry.

func init() {
	renderTestedElsewhere = append(renderTestedElsewhere, "archive_index", "archive_requests", "archive_record", "archive_reads")
}

func setupArchive(t *testing.T) (*env, *time.Time) {
	e := setup(t)
	e.addTrainer()
	now := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	e.a.DB.SetClock(func() time.Time { return now })
	hash, err := access.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	err = e.a.DB.InTx(bg, authz.System("test-seed"), func(tx *store.Tx) error {
		if _, err := tx.CreateUser(bg, store.User{Username: "custodian", DisplayName: "陈淑芳", Region: county,
			Roles: []authz.Role{authz.ArchiveCustodian}, PasswordHash: hash, Active: true}); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "test.seed", Object: "user:custodian"})
	})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 9, 10, 2, 0, 0, 0, time.UTC).UnixMilli()
	for _, q := range []string{
		`INSERT INTO training_plans (kind, title, region_code, period_start, period_end, required_minutes, categories, created_at)
			VALUES ('quarterly', '三季度常规培训', '` + string(county) + `', '2026-07-01', '2026-09-30', 240, 'policy_law', 1)`,
		`INSERT INTO assessment_results (person_id, plan_id, kind, attempt, score, passed, recorded_by, recorded_at)
			SELECT id, 1, 'theory', 'first', 76, 1, 'trainer', ` + strconv.FormatInt(at, 10) + ` FROM users WHERE username = 'clerk'`,
	} {
		if err := e.a.DB.ExecRaw(bg, q); err != nil {
			t.Fatal(err)
		}
	}
	return e, &now
}

var requestIDRE = regexp.MustCompile(`id="approve-(\d+)"`)

func TestArchivePages(t *testing.T) {
	e, now := setupArchive(t)
	cust := e.login("custodian")
	if r := cust.post("/archive/catalogue", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("catalogue: %d %s", r.StatusCode, r.body)
	}
	tr := e.login("trainer")
	r := tr.get("/archive")
	if r.StatusCode != 200 || !strings.Contains(r.body, "考核成绩：三季度常规培训") || !strings.Contains(r.body, `id="access-form"`) {
		t.Fatalf("catalogue page: %d %s", r.StatusCode, r.body)
	}
	recs, _ := e.a.DB.ArchiveRecords(bg, store.ArchiveFilter{Scope: region.All(), Type: store.ArchiveScore})
	if len(recs) != 1 {
		t.Fatalf("records %+v", recs)
	}
	recPath := "/archive/records/" + strconv.FormatInt(recs[0].ID, 10)
	if r := tr.get(recPath); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, `id="access-refused"`) ||
		strings.Contains(r.body, `id="record-content"`) || strings.Contains(r.body, "76") && strings.Contains(r.body, "李村官") {
		t.Fatalf("record without grant: %d %s", r.StatusCode, r.body)
	}
	// Bad input: re-rendered with the message, nothing stored.
	for _, c := range []struct {
		v    url.Values
		want string
	}{
		{url.Values{"purpose": {""}, "period": {"2026-Q3"}, "type": {"score"}, "days": {"2"}}, "请填写查阅目的"},
		{url.Values{"purpose": {"复盘"}, "period": {"2026-Q3"}, "type": {"score"}, "days": {"两天"}}, "申请期限应为天数"},
		{url.Values{"purpose": {"复盘"}, "period": {"上季度"}, "type": {"score"}, "days": {"2"}}, "请选择档案期间"},
		{url.Values{"purpose": {"复盘"}, "record": {"-4"}, "days": {"2"}}, "档案记录编号应为正整数"},
	} {
		r := tr.post("/archive/requests", c.v)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, c.want) || !strings.Contains(r.body, `id="access-form"`) {
			t.Errorf("%v: %d, want message %q", c.v, r.StatusCode, c.want)
		}
	}
	if rs, _ := e.a.DB.ArchiveRequests(bg, region.All(), 0, ""); len(rs) != 0 {
		t.Fatalf("bad input stored %+v", rs)
	}
	if r := tr.post("/archive/requests", url.Values{"purpose": {"复盘三季度考核"}, "period": {"2026-Q3"}, "type": {"score"}, "days": {"5"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("request: %d %s", r.StatusCode, r.body)
	}
	// The trainer may not approve; the custodian's queue has the form.
	if r := tr.get("/archive/requests"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("trainer queue: %d", r.StatusCode)
	}
	q := cust.get("/archive/requests")
	m := requestIDRE.FindStringSubmatch(q.body)
	if q.StatusCode != 200 || m == nil {
		t.Fatalf("queue: %d %s", q.StatusCode, q.body)
	}
	if r := cust.post("/archive/requests/"+m[1]+"/refuse", url.Values{"reason": {""}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "请填写不予批准的理由") {
		t.Fatalf("refuse without reason: %d", r.StatusCode)
	}
	if r := cust.post("/archive/requests/"+m[1]+"/approve", url.Values{"days": {"abc"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("approve bad days: %d", r.StatusCode)
	}
	if r := cust.post("/archive/requests/"+m[1]+"/approve", url.Values{"days": {"2"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", r.StatusCode, r.body)
	}
	r = tr.get(recPath)
	if r.StatusCode != 200 || !strings.Contains(r.body, `id="record-content"`) || !strings.Contains(r.body, "李村官") || !strings.Contains(r.body, "76") {
		t.Fatalf("record with grant: %d %s", r.StatusCode, r.body)
	}
	// The access log: custodian and auditor yes, trainer no.
	if r := tr.get("/archive/reads"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("trainer log: %d", r.StatusCode)
	}
	for _, who := range []*client{cust, e.login("auditor")} {
		r := who.get("/archive/reads")
		if r.StatusCode != 200 || !strings.Contains(r.body, `id="access-log"`) || !strings.Contains(r.body, "trainer") ||
			!strings.Contains(r.body, "考核成绩：三季度常规培训") {
			t.Fatalf("log: %d %s", r.StatusCode, r.body)
		}
	}
	// Export of the catalogue, custodian only, audited.
	if r := tr.get("/archive/export"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("trainer export: %d", r.StatusCode)
	}
	if r := cust.get("/archive/export"); r.StatusCode != 200 || !strings.HasPrefix(r.body, "PK") {
		t.Fatalf("export: %d", r.StatusCode)
	}
	if got, _ := e.a.DB.QueryStrings(bg, "SELECT detail FROM audit_log WHERE action = 'archive.export'"); len(got) != 1 {
		t.Fatalf("export audit %v", got)
	}
	// Three days on the grant has expired.
	*now = now.Add(72 * time.Hour)
	tr = e.login("trainer")
	if r := tr.get(recPath); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, `id="access-refused"`) {
		t.Fatalf("after expiry: %d %s", r.StatusCode, r.body)
	}
	if r := tr.get("/archive"); !strings.Contains(r.body, "已过期") {
		t.Fatalf("my requests do not show the expiry: %s", r.body)
	}
	// A village clerk holds no training role.
	if r := e.login("clerk").get("/archive"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("clerk: %d", r.StatusCode)
	}
	if r := tr.get("/archive/records/abc"); r.StatusCode != http.StatusNotFound && r.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad id: %d", r.StatusCode)
	}
	// A correction by the custodian is a new version shown with its reason.
	svc := &archive.Service{DB: e.a.DB}
	cu := authz.Principal{Username: "custodian", Roles: []authz.Role{authz.ArchiveCustodian}, Region: county}
	us, _ := e.a.DB.QueryStrings(bg, "SELECT CAST(id AS TEXT) FROM users WHERE username = 'custodian'")
	cu.UserID, _ = strconv.ParseInt(us[0], 10, 64)
	c, err := svc.Current(bg, cu, recs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	c.Rows[0][4] = "78"
	if _, err := svc.Correct(bg, cu, recs[0].ID, c, "阅卷复核更正"); err != nil {
		t.Fatal(err)
	}
	cust = e.login("custodian")
	// Through the form: a reason is required, then version 3.
	if r := cust.post(recPath+"/correct", url.Values{"cell-0-4": {"80"}, "note": {" "}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "请填写更正原因") {
		t.Fatalf("correction without reason: %d", r.StatusCode)
	}
	if r := cust.post(recPath+"/correct", url.Values{"cell-0-4": {"79"}, "note": {"二次复核"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("correction form: %d %s", r.StatusCode, r.body)
	}
	if r := tr.post(recPath+"/correct", url.Values{"cell-0-4": {"100"}, "note": {"改分"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("trainer corrects: %d", r.StatusCode)
	}
	r = cust.get(recPath)
	if !strings.Contains(r.body, "<td>79</td>") || !strings.Contains(r.body, "第3版") || !strings.Contains(r.body, "二次复核") {
		t.Fatalf("after form correction: %s", r.body)
	}
	if r.StatusCode != 200 || !strings.Contains(r.body, `id="record-corrected"`) || !strings.Contains(r.body, "阅卷复核更正") ||
		!strings.Contains(r.body, "第2版") {
		t.Fatalf("corrected record: %d %s", r.StatusCode, r.body)
	}
}
