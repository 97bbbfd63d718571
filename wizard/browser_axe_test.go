package wizard

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// axeViolation is one rule axe-core finds broken in a page, with the
// first elements that break it.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// axeRunJS runs axe-core's WCAG 2.1 A and AA rules and its best
// practices on the page, and returns the violations; %s is a list of
// rules to leave out (JSON).
const axeRunJS = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
  rules: Object.fromEntries(%s.map(id => [id, {enabled: false}])), resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => ({target: n.target}))})))`

// loadAxe reads the vendored axe-core (testdata/axe).
func loadAxe(t *testing.T) string {
	t.Helper()
	f, err := os.Open("testdata/axe/axe.min.js.gz")
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	src, err := io.ReadAll(zr)
	require.NoError(t, err)
	return string(src)
}

// assertAxe injects axe-core into the page, runs it and fails on any
// violation; skip names rules to leave out.
func assertAxe(ctx context.Context, t *testing.T, axe, name string, skip ...string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axe))
	require.NoError(t, err, "%s: loading axe", name)
	rules, err := json.Marshal(append([]string{}, skip...))
	require.NoError(t, err)
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](fmt.Sprintf(axeRunJS, rules), chromedp.EvalAwaitPromise))
	require.NoError(t, err, name)
	assert.Empty(t, found, "%s: axe finds", name)
}

// TestBrowser_Axe runs axe-core in every page at 320, 768 and 1280 px: the
// start page, the client list, each client's page, the sheet, the
// unserved-domain page, the helpdesk form and answer and the DNS check.
// The pages allow no script: the DevTools protocol injects axe, which a
// page's Content-Security-Policy does not govern.
func TestBrowser_Axe(t *testing.T) {
	ctx := newBrowser(t)
	axe := loadAxe(t)
	srv := httptest.NewServer(newTestEngineOn(t, siteConfig, withHelpdesk(testToken),
		withDNSCheck(&fakeChecker{report: reportWithEveryStatus()})))
	t.Cleanup(srv.Close)
	require.NoError(t, chromedp.Do(ctx, sendBearer(testToken)))
	pages := []string{"/?lang=en", "/setup?email=jane@example.com&lang=fr", "/sheet?email=jane@example.com&lang=de", "/setup?email=jane@exmaple.com&lang=it"}
	for _, c := range clients {
		pages = append(pages, "/setup/"+c.ID+"?email=jane@example.com&lang=en")
	}
	run := func(name string) { assertAxe(ctx, t, axe, name) }
	for _, width := range []int64{320, 768, 1280} {
		require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)))
		for _, p := range pages {
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+p), chromedp.WaitReady(chromedp.CSS("footer"))), p)
			run(itoa(int(width)) + " " + p)
		}
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/helpdesk?lang=en"), chromedp.WaitReady(chromedp.CSS("footer"))))
		run(itoa(int(width)) + " helpdesk form")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#email"), "jane@example.com"),
			chromedp.Click(chromedp.CSS(`form.card button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#send-instructions")),
		))
		run(itoa(int(width)) + " helpdesk links")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`form[action="/helpdesk/dns"] button`)),
			chromedp.WaitVisible(chromedp.CSS(".verdict")),
		))
		run(itoa(int(width)) + " DNS check")
	}
}
