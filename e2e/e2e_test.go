// Package e2e drives the real server in headless Debian Chromium with
// chromedp: what a village clerk does, checked the way the clerk sees it.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"dibao/internal/app"
	"dibao/internal/authz"
	"dibao/internal/region"
	"dibao/internal/server"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// browser starts the app on 127.0.0.1 and a headless Chromium; on failure
// the test keeps a screenshot in e2e/screenshots/.
func browser(t *testing.T) (context.Context, string, *store.DB) {
	t.Helper()
	chromium := testenv.Chromium(t)
	db := testenv.SQLite(t)
	testenv.SeedRegions(t, db)
	testenv.User(t, db, "village", testenv.VillageA, authz.VillageClerk)
	a := app.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h, err := server.Handler(a)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	return startBrowser(t, chromium), srv.URL, db
}

// startBrowser launches headless Chromium for the test; on failure the
// test keeps a screenshot in e2e/screenshots/.
func startBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelC := chromedp.NewContext(actx)
	// The first call starts the browser and must not carry a timeout (it
	// would stop the browser); later steps share a 90-second budget.
	if err := chromedp.Do(bctx); err != nil {
		cancelC()
		cancelA()
		testenv.Missing(t, "chromium at %s does not start: %v", chromium, err)
	}
	ctx, cancelT := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(func() {
		if t.Failed() {
			screenshot(t, bctx)
		}
		cancelT()
		cancelC()
		cancelA()
	})
	return ctx
}

func screenshot(t *testing.T, ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	dir := "screenshots"
	_ = os.MkdirAll(dir, 0o755)
	name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+".png")
	if err := os.WriteFile(name, buf, 0o644); err == nil {
		t.Logf("screenshot kept: e2e/%s", name)
	}
}

func count(t *testing.T, db *store.DB) int {
	t.Helper()
	n, _, err := db.CountHouseholds(context.Background(), region.ScopeOf(testenv.County))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestVillageClerkCreatesHousehold(t *testing.T) {
	ctx, base, db := browser(t)
	const (
		wrongID = "110105194912310021" // check digit should be X
		rightID = "11010519491231002x" // lowercase x is accepted and normalised
	)

	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/households"),
		chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "village"),
		chromedp.SendKeys(css("#password"), testenv.Password),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitVisible(css(`a[href="/households/new"]`)),
		chromedp.Click(css(`a[href="/households/new"]`)),
		chromedp.WaitVisible(css("#household-form")),
		chromedp.SetValue(css("#region_code"), string(testenv.VillageA)),
		chromedp.Click(css("#urban_rural")),
		chromedp.SendKeys(css("#address"), "李家庄村三组12号"),
		chromedp.SendKeys(css("#member_name_0"), "张三"),
		chromedp.SendKeys(css("#member_id_number_0"), wrongID),
		chromedp.SetValue(css("#member_labour_0"), "partial"),
		chromedp.SetValue(css("#member_health_0"), "chronic"),
		chromedp.Click(css("#save")),
		chromedp.WaitVisible(css("#member_id_number_0.field-error")),
	)
	if err != nil {
		t.Fatalf("first submission: %v", err)
	}
	errText, err := chromedp.Run(ctx, chromedp.Text(css("#member_id_number_0 ~ .error-msg")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errText, "校验位错误") {
		t.Fatalf("error next to the ID field = %q, want the Chinese check-digit message", errText)
	}
	if n := count(t, db); n != 0 {
		t.Fatalf("%d households saved after a rejected form", n)
	}

	// The form kept what the clerk typed; fix the ID only.
	keptName, err := chromedp.Run(ctx, chromedp.Value(css("#member_name_0")))
	if err != nil {
		t.Fatal(err)
	}
	if keptName != "张三" {
		t.Fatalf("form lost the typed name: %q", keptName)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(css("#member_id_number_0"), rightID),
		chromedp.Click(css("#save")),
		chromedp.WaitNotPresent(css("#household-form")),
	)
	if err != nil {
		t.Fatalf("second submission: %v", err)
	}
	location, _ := chromedp.Run(ctx, chromedp.Location())
	if n := count(t, db); n != 1 {
		t.Fatalf("%d households after a valid submission, want 1 (now at %s)", n, location)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/households"), chromedp.WaitVisible(css("table"))); err != nil {
		t.Fatal(err)
	}
	listHTML, err := chromedp.Run(ctx, chromedp.OuterHTML(css("body")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(listHTML, "110105********002X") {
		t.Fatalf("list does not show the masked ID")
	}
	if strings.Contains(listHTML, "11010519491231002X") {
		t.Fatalf("list shows the full ID number")
	}
	if !strings.Contains(listHTML, "张三") {
		t.Fatalf("list does not show the new household")
	}
}
