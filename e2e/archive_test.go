package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dibao/internal/calendar"
	"dibao/internal/demo"
	"dibao/internal/region"
	"dibao/internal/store"
)

// A trainer asks for access to last quarter's scores, the custodian
// approves for 2 days, the trainer reads them, the read appears in the
// custodian's access log; three days later the trainer is refused.
func TestArchiveAccessThroughTheBrowser(t *testing.T) {
	w := newCaseWorld(t)
	ctx := context.Background()

	// Last quarter's theory scores of a plan: one trainee, 83 points.
	loc := calendar.Location()
	n := w.now.In(loc)
	qStart := time.Date(n.Year(), time.Month((int(n.Month())-1)/3*3+1), 1, 0, 0, 0, 0, loc)
	lastQ := qStart.AddDate(0, -3, 15)
	period := store.PeriodOf(lastQ)
	if err := w.db.ExecRaw(ctx, `INSERT INTO training_plans (kind, title, region_code, period_start, period_end, required_minutes, categories, created_at)
		VALUES ('quarterly', '上季度档案演练培训', ?, ?, ?, 240, 'policy_law', ?)`, string(demo.CountyCode),
		qStart.AddDate(0, -3, 0).Format(time.DateOnly), qStart.AddDate(0, 0, -1).Format(time.DateOnly), lastQ.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	ids, err := w.db.QueryStrings(ctx, "SELECT CAST(id AS TEXT) FROM training_plans WHERE title = '上季度档案演练培训'")
	if err != nil || len(ids) != 1 {
		t.Fatalf("plan: %v %v", ids, err)
	}
	trainee := w.users["township"]
	if err := w.db.ExecRaw(ctx, `INSERT INTO assessment_results (person_id, plan_id, kind, attempt, score, passed, recorded_by, recorded_at)
		VALUES (?, ?, 'theory', 'first', 83, 1, 'trainer', ?)`, trainee.ID, ids[0], lastQ.UnixMilli()); err != nil {
		t.Fatal(err)
	}

	// The custodian brings the catalogue up to date with the button.
	w.as("custodian")
	w.do("archive", chromedp.Navigate(w.base+"/archive"), chromedp.WaitVisible(chromedp.CSS("#catalogue-submit")))
	w.submitTo("catalogue", "#catalogue-submit", "#archive-notice")
	recs, err := w.db.ArchiveRecords(ctx, store.ArchiveFilter{Scope: region.All(), Period: period, Type: store.ArchiveScore})
	if err != nil || len(recs) == 0 {
		t.Fatalf("no score records for %s: %v", period, err)
	}
	var rec store.ArchiveRecord
	for _, r := range recs {
		if strings.Contains(r.Title, "上季度档案演练培训") {
			rec = r
		}
	}
	if rec.ID == 0 {
		t.Fatalf("the plan's scores are not catalogued: %+v", recs)
	}
	recURL := w.base + "/archive/records/" + strconv.FormatInt(rec.ID, 10)

	// The trainer sees the title but not the content, and asks.
	w.as("trainer")
	w.do("record without grant", chromedp.Navigate(recURL), chromedp.WaitVisible(chromedp.CSS("#access-refused")))
	w.do("archive", chromedp.Navigate(w.base+"/archive"), chromedp.WaitVisible(chromedp.CSS("#access-form")),
		chromedp.SendKeys(chromedp.CSS("#access-purpose"), "复盘上季度考核情况，准备本季度培训"),
		chromedp.SetValue(chromedp.CSS("#access-period"), period),
		chromedp.SetValue(chromedp.CSS("#access-type"), store.ArchiveScore),
		chromedp.SetValue(chromedp.CSS("#access-days"), "2"))
	w.submitTo("request", "#access-submit", "#archive-notice")
	reqs, err := w.db.ArchiveRequests(ctx, region.All(), w.users["trainer"].ID, "pending")
	if err != nil || len(reqs) != 1 || reqs[0].Period != period || reqs[0].Type != store.ArchiveScore {
		t.Fatalf("pending requests %+v %v", reqs, err)
	}
	rid := strconv.FormatInt(reqs[0].ID, 10)

	// The custodian approves for 2 days.
	w.as("custodian")
	w.do("queue", chromedp.Navigate(w.base+"/archive/requests"), chromedp.WaitVisible(chromedp.CSS("#approve-"+rid)),
		chromedp.SetValue(chromedp.CSS("#approve-days-"+rid), "2"))
	w.submitTo("approve", "#approve-"+rid+" button[type=submit]", "#archive-notice")

	// The trainer reads the scores.
	w.as("trainer")
	w.do("record with grant", chromedp.Navigate(recURL), chromedp.WaitVisible(chromedp.CSS("#record-content")))
	if c := w.text("#record-content"); !strings.Contains(c, "83") || !strings.Contains(c, trainee.DisplayName) {
		t.Fatalf("record content: %s", c)
	}

	// The read is in the custodian's access log.
	w.as("custodian")
	w.do("access log", chromedp.Navigate(w.base+"/archive/reads"), chromedp.WaitVisible(chromedp.CSS("#access-log")))
	if l := w.text("#access-log"); !strings.Contains(l, "trainer") || !strings.Contains(l, rec.Title) || !strings.Contains(l, "查阅申请 "+rid) {
		t.Fatalf("access log: %s", l)
	}

	// Three days on, the grant has run out.
	w.now = w.now.Add(72 * time.Hour)
	w.as("trainer")
	w.do("record after expiry", chromedp.Navigate(recURL), chromedp.WaitVisible(chromedp.CSS("#access-refused")))
	if s := w.text("#access-refused"); !strings.Contains(s, "已过期") {
		t.Fatalf("refusal: %s", s)
	}
	if ok, _ := chromedp.Run(w.ctx, chromedp.Evaluate[bool](`!!document.getElementById("record-content")`)); ok {
		t.Fatal("content shown after expiry")
	}
	if _, err := w.db.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}
