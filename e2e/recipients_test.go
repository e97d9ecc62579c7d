package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"dibao/internal/demo"
	"dibao/internal/money"
	"dibao/internal/policy"
	"dibao/internal/recipients"
	"dibao/internal/region"
	"dibao/internal/roster"
	"dibao/internal/sheet"
	"dibao/internal/store"
)

// TestStandardChangeAndRosterThroughTheBrowser is issue 4's browser test:
// the county approver enters a new standard, sees the preview, confirms it,
// watches it applied, generates next month's roster, approves it and
// downloads its Excel file, which the test then opens and checks against
// the register.
func TestStandardChangeAndRosterThroughTheBrowser(t *testing.T) {
	w := newCaseWorld(t)
	ctx := context.Background()
	if _, err := demo.LoadRecipients(ctx, w.db, w.now); err != nil {
		t.Fatal(err)
	}
	scope := region.ScopeOf(demo.CountyCode)
	before, err := w.db.Register(ctx, scope, store.RegisterFilter{})
	if err != nil || len(before) < 20 {
		t.Fatalf("demo register: %d recipients, %v", len(before), err)
	}
	set, err := policy.Resolve(ctx, w.db, demo.CountyCode, w.now)
	if err != nil {
		t.Fatal(err)
	}
	params := set.BenefitParams()
	urban, rural := params.UrbanStandard+money.FromYuan(50), params.RuralStandard+money.FromYuan(50)
	next := roster.MonthOf(w.now.Year(), w.now.Month()).Next().String()

	w.as("county")
	w.do("open the standard page", chromedp.Navigate(w.base+"/standard"), chromedp.WaitVisible(chromedp.CSS("#standard-form")),
		chromedp.SetValue(chromedp.CSS("#standard_urban"), urban.Yuan()),
		chromedp.SetValue(chromedp.CSS("#standard_rural"), rural.Yuan()),
		chromedp.SetValue(chromedp.CSS("#standard_effective"), next))
	w.submitTo("preview", "#preview", "#confirm")
	if got := w.text("#count-recipients"); !strings.HasPrefix(got, strconv.Itoa(len(before))) {
		t.Fatalf("preview recomputes %q households, the register has %d active", got, len(before))
	}
	if inc, _ := strconv.Atoi(w.text("#count-increases")); inc == 0 {
		t.Fatal("a higher standard raises no household in the preview")
	}
	if n := len(w.history(next)); n != 0 {
		t.Fatalf("the preview changed %d recipients", n)
	}

	w.submitTo("confirm", "#confirm", "#standard-status")
	w.waitVisible("applied", "#standard-done") // the page polls its progress and reloads when done
	raised := w.history(next)
	if len(raised) == 0 {
		t.Fatal("no recipient adjusted from " + next)
	}
	for id, n := range raised {
		if n != 1 {
			t.Fatalf("household %d adjusted %d times", id, n)
		}
	}
	after, err := w.db.Register(ctx, scope, store.RegisterFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var want money.Fen
	for _, e := range after {
		want += e.Amount
	}

	// Next month's roster, built and approved in the browser.
	w.do("open rosters", chromedp.Navigate(w.base+"/rosters"), chromedp.WaitVisible(chromedp.CSS("#build-form")),
		chromedp.SetValue(chromedp.CSS("#roster_month"), next))
	w.submitTo("build the roster", "#build-roster", "#approve-roster")
	w.submitTo("approve the roster", "#approve-roster", "#export-xlsx")

	dir := t.TempDir()
	progress := chromedp.Events(w.ctx, cdpbrowser.DownloadProgress)
	w.do("download the Excel file", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptr(true)})
		return err
	}), chromedp.Click(chromedp.CSS("#export-xlsx")))
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("download cancelled")
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := sheet.Read(f)
	if err != nil {
		t.Fatalf("the downloaded file is not a workbook: %v", err)
	}
	if strings.Join(rows[0], ",") != strings.Join(recipients.XLSXColumns, ",") {
		t.Fatalf("header %v", rows[0])
	}
	body, total := rows[1:len(rows)-1], rows[len(rows)-1]
	if len(body) != len(after) {
		t.Fatalf("the Excel roster has %d households, the register %d", len(body), len(after))
	}
	var sum money.Fen
	for _, r := range body {
		if r[6] != next {
			t.Fatalf("row %v is not for %s", r, next)
		}
		fen, err := money.Parse(r[7])
		if err != nil {
			t.Fatalf("amount %q: %v", r[7], err)
		}
		sum += fen
	}
	if total[0] != roster.TotalLabel || sum != want || total[7] != want.String() {
		t.Fatalf("Excel total row %v, rows sum to %s, the register pays %s", total, sum, want)
	}
}

// history counts, per household, the recipient history entries taking
// effect in month.
func (w *caseWorld) history(month string) map[int64]int {
	w.t.Helper()
	ctx := context.Background()
	scope := region.ScopeOf(demo.CountyCode)
	regs, err := w.db.Register(ctx, scope, store.RegisterFilter{Status: "all"})
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[int64]int{}
	for _, e := range regs {
		hs, err := w.db.History(ctx, scope, e.HouseholdID)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, h := range hs {
			if h.EffectiveMonth == month {
				out[h.HouseholdID]++
			}
		}
	}
	return out
}

// waitVisible waits for sel on whatever page the browser shows, also one
// that script reloads.
func (w *caseWorld) waitVisible(what, sel string) {
	w.t.Helper()
	js := `document.readyState === "complete" && !!document.querySelector(` + strconv.Quote(sel) + `)`
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if ok, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
	}
	w.t.Fatalf("%s: %s never appeared", what, sel)
}

func ptr[T any](v T) *T { return &v }
