package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"dibao/internal/demo"
)

// cspProbe is run in every document before the page's own scripts (by
// DevTools, which the CSP does not govern): it keeps every
// securitypolicyviolation the page raises.
const cspProbe = `window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
    e.sourceFile + ":" + e.lineNumber + " sample " + JSON.stringify(e.sample));
}, true);`

// TestNoCSPViolationsForAnyRole signs in as every demo role and opens
// every page of the role's menu and the detail pages those link to, in
// headless Chromium under the server's real CSP: no page may raise a CSP
// violation, log an error to the console, or throw.
func TestNoCSPViolationsForAnyRole(t *testing.T) {
	w := newCaseWorld(t)
	// The demo applications too (as serve --demo loads them), so that the
	// lists have cases with documents to open.
	if _, err := demo.LoadCases(context.Background(), w.db, w.a.Cases); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var console []string
	refused := map[string]bool{}   // pages answered 403, by path
	navigated := map[string]bool{} // every path the browser was sent to
	cctx, stop := context.WithCancel(w.ctx)
	defer stop()
	var where string // the page being checked, for the messages
	go func() {
		for m, err := range chromedp.Console(cctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() || m.Source == "security" ||
				strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				// A page the role may not open answers 403/404, and the
				// browser logs that of the document itself: not a CSP matter.
				// (Messages may arrive after the next navigation began, so
				// the page is told by the message's URL.)
				page := strings.TrimPrefix(m.URL, w.base)
				document := strings.HasPrefix(m.Text, "Failed to load resource") && navigated[page]
				if document && strings.Contains(m.Text, "403") {
					refused[page] = true
				}
				if where != "canary" && !document {
					console = append(console, fmt.Sprintf("%s: %s (%s:%d) on %s", m.Type, m.Text, m.URL, m.Line, where))
				}
				mu.Unlock()
			}
		}
	}()
	w.do("install the CSP probe", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
		return err
	}))

	// violations reads the probe after the page's load event and one more
	// turn of its event loop (violations are reported in a task).
	violations := func(path string) []string {
		t.Helper()
		v, err := chromedp.Run(w.ctx, chromedp.Evaluate[[]string](
			`new Promise(r => setTimeout(() => r(window.__csp || ["probe missing"]), 0))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("read the probe on %s: %v", path, err)
		}
		return v
	}
	visited := 0
	var linked []string // detail pages reached by a link on a page
	visit := func(path string) {
		t.Helper()
		mu.Lock()
		where = path
		navigated[path] = true
		mu.Unlock()
		w.do("open "+path, chromedp.Navigate(w.base+path), chromedp.WaitReady(chromedp.CSS("body")))
		for _, v := range violations(path) {
			t.Errorf("CSP violation on %s: %s", path, v)
		}
		visited++
	}
	// links lists the same-site pages a page links to, downloads left out
	// (a download is no page, and exports are rate-limited).
	links := func(sel string) []string {
		t.Helper()
		hrefs, err := chromedp.Run(w.ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll(`+fmt.Sprintf("%q", sel)+`)).map(a => a.getAttribute("href") || "")`))
		if err != nil {
			t.Fatalf("links %s: %v", sel, err)
		}
		var out []string
		for _, h := range hrefs {
			u, err := url.Parse(h)
			if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
				continue
			}
			skip := false
			for _, s := range []string{"export", ".xlsx", ".csv", "/files/", "/content", "logout", ".json", ".svg"} {
				skip = skip || strings.Contains(u.Path, s)
			}
			if !skip {
				out = append(out, u.Path)
			}
		}
		return out
	}

	visit("/login")
	visit("/public/")
	for _, user := range []string{"village", "township", "reviewer", "county", "countyadmin", "trainadmin", "trainer",
		"custodian", "auditor", "secadmin", "sysadmin"} {
		w.as(user)
		seen := map[string]bool{}
		nav := links(`a[id^="nav-"]`)
		if len(nav) < 3 {
			t.Fatalf("%s: menu has %d entries", user, len(nav))
		}
		for _, p := range nav {
			if seen[p] {
				continue
			}
			seen[p] = true
			visit(p)
			// Two detail pages from each list: cases, households,
			// documents, sessions, exams…
			n := 0
			for _, d := range links(`main a[href^="/"]`) {
				if n == 2 || seen[d] || strings.Count(d, "/") < 2 {
					continue
				}
				seen[d] = true
				linked = append(linked, user+" "+d)
				visit(d)
				n++
			}
		}
	}
	// A printable document (its own <style>, served with the document
	// policy) shows without violations too.
	w.as("county")
	docs := 0
	for id := int64(1); id < 2000 && docs == 0; id++ {
		ds, err := w.db.Documents(context.Background(), id)
		if err != nil || len(ds) == 0 {
			continue
		}
		visit(fmt.Sprintf("/cases/%d", id))
		for _, d := range links(`a[href*="/documents/"]`) {
			visit(d)
			docs++
			break
		}
	}
	if docs == 0 {
		t.Fatal("no case page links a document")
	}

	// The probe works: an inline style attribute written into the page now
	// is refused and reported.
	w.do("inject an inline style", chromedp.Navigate(w.base+"/login"), chromedp.WaitReady(chromedp.CSS("body")))
	mu.Lock()
	where = "canary"
	mu.Unlock()
	if _, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](
		`document.body.insertAdjacentHTML("beforeend", '<p id="csp-canary" style="color: red">x</p>'); true`)); err != nil {
		t.Fatal(err)
	}
	if v := violations("/login (canary)"); len(v) != 1 || !strings.Contains(v[0], "style-src") {
		t.Fatalf("the probe did not see the injected inline style: %q", v)
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	for _, c := range console {
		t.Errorf("console: %s", c)
	}
	// A page shows no link its reader may not follow.
	for _, l := range linked {
		if _, path, _ := strings.Cut(l, " "); refused[path] {
			t.Errorf("%s: linked from a page but refused with 403", l)
		}
	}
	t.Logf("%d pages checked", visited)
	if visited < 60 {
		t.Fatalf("only %d pages visited", visited)
	}
}
