package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/calendar"
	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// setupReviews is a county with an enrolled one-person household paid 1000
// yuan a month whose income has since risen, and the review staff.
func setupReviews(t *testing.T, db *store.DB) (*env, int64) {
	t.Helper()
	now := time.Date(2026, 12, 15, 9, 0, 0, 0, calendar.Location())
	db.SetClock(func() time.Time { return now })
	testenv.SeedRegions(t, db)
	testenv.User(t, db, "cadmin", testenv.County, authz.CountyAdmin)
	town := testenv.User(t, db, "township", testenv.TownA, authz.TownshipOfficer)
	testenv.User(t, db, "county", testenv.County, authz.CountyApprover)
	h := household.Household{Region: testenv.VillageA, Address: "幸福路1号", BankName: "农村信用社", BankAccount: "6228480012345678901",
		Members: []household.Member{{Name: "王老汉", Relation: "head",
			IDNumber: idcard.Make("130199", time.Date(1950, 3, 1, 0, 0, 0, 0, time.UTC), 1),
			Labour:   "none", Health: "healthy", CoResident: true}}}
	err := db.InTx(bg, testenv.Admin(), func(tx *store.Tx) error {
		if err := tx.CreateHousehold(bg, &h); err != nil {
			return err
		}
		c := store.Case{Number: "TEST-1", HouseholdID: h.ID, Region: testenv.VillageA, Profile: "seed", State: "approved", Policy: "{}"}
		if err := tx.CreateCase(bg, &c); err != nil {
			return err
		}
		if err := tx.Enroll(bg, store.Recipient{HouseholdID: h.ID, CaseID: c.ID, Region: testenv.VillageA, Category: "A",
			Amount: money.FromYuan(1000), Members: 1, StartMonth: "2025-06", Status: "active"}); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "test.enroll", Object: fmt.Sprint("household:", h.ID)})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(bg, town, func(tx *store.Tx) error {
		cur, err := tx.Household(bg, h.ID)
		if err != nil {
			return err
		}
		if _, err := tx.AddIncome(bg, h.ID, cur.Version, household.Income{Kind: "transfer", Description: "子女赡养",
			Amount: money.FromYuan(3600), Months: 12}); err != nil {
			return err
		}
		return tx.Audit(bg, store.Entry{Action: "household.income", Object: fmt.Sprint("household:", h.ID)})
	})
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if testing.Verbose() {
		a.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	hd, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hd)
	t.Cleanup(srv.Close)
	return &env{t: t, a: a, srv: srv}, h.ID
}

func loginTest(e *env, username string) *client {
	e.t.Helper()
	c := e.client()
	r := c.post("/login", url.Values{"username": {username}, "password": {testenv.Password}})
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d", username, r.StatusCode)
	}
	return c
}

var versionRe = regexp.MustCompile(`name="version" value="(\d+)"`)

func formVersionOf(t *testing.T, body string) string {
	t.Helper()
	m := versionRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no version in form:\n%s", body)
	}
	return m[1]
}

func TestReviewPages(t *testing.T) {
	testenv.Stores(t, func(t *testing.T, db *store.DB) {
		e, hid := setupReviews(t, db)
		admin := loginTest(e, "cadmin")
		r := admin.get("/reviews")
		if r.StatusCode != 200 || !strings.Contains(r.body, "生成到期复核任务") || !strings.Contains(r.body, "review-empty") {
			t.Fatalf("empty queue: %d", r.StatusCode)
		}
		r = admin.post("/reviews/generate", url.Values{})
		if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "generated=1") {
			t.Fatalf("generate: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		tasks, err := db.ReviewTasks(bg, region.ScopeOf(testenv.County), recipients.TaskPeriodic, "open")
		if err != nil || len(tasks) != 1 {
			t.Fatalf("tasks %+v %v", tasks, err)
		}
		id := strconv.FormatInt(tasks[0].ID, 10)
		path := "/reviews/" + id
		r = admin.get("/reviews?status=undecided&kind=periodic&township=" + string(testenv.TownA))
		if !strings.Contains(r.body, "review-row-"+id) || !strings.Contains(r.body, "定期复核") || strings.Contains(r.body, "王老汉") {
			t.Fatalf("queue lacks the task or shows the name unmasked:\n%s", r.body)
		}
		// Bad filter input: a Chinese message, 400.
		r = admin.get("/reviews?due_before=tomorrow")
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "到期日期应写作") {
			t.Fatalf("bad due date: %d", r.StatusCode)
		}

		town := loginTest(e, "township")
		r = town.get(path)
		if r.StatusCode != 200 || !strings.Contains(r.body, `action="`+path+`/act/propose"`) ||
			!strings.Contains(r.body, fmt.Sprintf(`href="/households/%d"`, hid)) || strings.Contains(r.body, "王老汉") ||
			!strings.Contains(r.body, "1000.00") && !strings.Contains(r.body, "1,000.00") {
			t.Fatalf("task page for the township: %d\n%s", r.StatusCode, r.body)
		}
		v := formVersionOf(t, r.body)
		// Bad input: the page again with the messages, nothing written.
		r = town.post(path+"/act/propose", url.Values{"version": {v}, "verified_on": {"2026-12-10"}, "effective_month": {"2027-13"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请填写收入核查情况") {
			t.Fatalf("bad propose: %d", r.StatusCode)
		}
		if cur, _ := db.ReviewTasks(bg, region.ScopeOf(testenv.County), "", "open"); len(cur) != 1 || cur[0].Version != tasks[0].Version {
			t.Fatal("a refused proposal wrote")
		}
		r = town.post(path+"/act/propose", url.Values{"version": {v}, "verified_on": {"2026-12-10"},
			"income_check": {"子女每月给付300元"}, "property_check": {"无变化"}, "idempotency_key": {"k1"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("propose: %d\n%s", r.StatusCode, r.body)
		}
		// The same form submitted twice acts once.
		r = town.post(path+"/act/propose", url.Values{"version": {v}, "verified_on": {"2026-12-10"},
			"income_check": {"子女每月给付300元"}, "property_check": {"无变化"}, "idempotency_key": {"k1"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("double submit: %d", r.StatusCode)
		}

		cnty := loginTest(e, "county")
		r = cnty.get(path)
		if !strings.Contains(r.body, "减发") || !strings.Contains(r.body, `action="`+path+`/act/decide"`) ||
			!strings.Contains(r.body, `action="`+path+`/act/send_back"`) || !strings.Contains(r.body, "子女每月给付300元") {
			t.Fatalf("county page:\n%s", r.body)
		}
		v = formVersionOf(t, r.body)
		r = cnty.post(path+"/act/decide", url.Values{"version": {v}, "comment": {"同意"}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("decide: %d\n%s", r.StatusCode, r.body)
		}
		r = cnty.get(path)
		if !strings.Contains(r.body, strings.Replace(path, "/reviews/", "/reviews/notices/", 1)) || !strings.Contains(r.body, "DB-BG-130199-2026-") ||
			!strings.Contains(r.body, "no-actions") {
			t.Fatalf("decided page:\n%s", r.body)
		}
		r = cnty.get(strings.Replace(path, "/reviews/", "/reviews/notices/", 1))
		if r.StatusCode != 200 || !strings.Contains(r.body, "申请人对决定不服的，可以依法申请行政复议或者提起行政诉讼") {
			t.Fatalf("notice: %d", r.StatusCode)
		}
		// A stale form: conflict, shown on the page.
		r = cnty.post(path+"/act/decide", url.Values{"version": {v}})
		if r.StatusCode != http.StatusConflict {
			t.Fatalf("stale decide: %d", r.StatusCode)
		}
		var n int
		if xs, err := db.QueryStrings(bg, "SELECT transition FROM review_task_events"); err == nil {
			n = len(xs)
		}
		if n != 2 {
			t.Fatalf("%d events, want 2 (propose once, decide once)", n)
		}
	})
}
