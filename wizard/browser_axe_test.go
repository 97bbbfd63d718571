package wizard

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// axeViolation is one rule axe-core found broken, with the elements.
type axeViolation struct {
	ID      string   `json:"id"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeRunJS runs axe-core (injected before) on the page and lists the
// violations of every rule it runs by default (WCAG 2 A and AA, best
// practices).
const axeRunJS = `axe.run(document).then(r => r.violations.map(v => ({
  id: v.id, help: v.help, targets: v.nodes.map(n => n.target.join(' ')),
})))`

// assertAxe injects axe-core (testdata/axe) into the page and fails on any
// violation.
func assertAxe(ctx context.Context, t *testing.T, axeJS, name string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeJS+";true"))
	require.NoError(t, err, "%s: injecting axe-core", name)
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRunJS, chromedp.EvalAwaitPromise))
	require.NoError(t, err, "%s: running axe-core", name)
	assert.Empty(t, violations, "%s: axe-core violations", name)
}

// The helpdesk page with its result (links, tables, commands) and the live
// DNS check's report, at 320 px in every language, 768 px in English and
// desktop width in English and German: axe-core finds nothing, and nothing is wider than the screen
// outside a scrolling region the keyboard can reach. Each width and
// language gets its own browser, and so its own minute.
func TestBrowser_HelpdeskAndDNSCheckPassAxe(t *testing.T) {
	axeJS, err := os.ReadFile(testkit.Testdata(t, "axe/axe.min.js"))
	require.NoError(t, err)
	rep := reportWithEveryStatus()
	rep.AlsoOurs = true
	rep.Findings = append(rep.Findings, dnscheck.Finding{Fault: dnscheck.FaultOurs, Code: "service-failed", Subject: "ua-auto-config.example.com.",
		Args: []string{"https://ua-auto-config.example.com/.well-known/user-agent-configuration.json", "the served document differs from the model's"}})
	srv := httptest.NewServer(newTestEngine(t, withHelpdesk(testToken), withDNSCheck(&fakeChecker{report: rep})))
	t.Cleanup(srv.Close)
	shots := screenshotDir(t)
	for _, width := range []int64{320, 768, 1280} {
		for _, lang := range langCodes {
			// Every language where space is short; English and German
			// (the longest words) on wider screens.
			if (width == 768 && lang != "en") || (width == 1280 && lang != "en" && lang != "de") {
				continue
			}
			name := itoa(int(width)) + "/" + lang
			t.Run(name, func(t *testing.T) {
				ctx := newBrowser(t)
				sendHelpdeskToken(ctx, t)
				require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(width, 800),
					chromedp.Navigate(srv.URL+"/helpdesk?lang="+lang), chromedp.WaitReady(chromedp.CSS("#email")),
					chromedp.SendKeys(chromedp.CSS("#email"), "jane.doe-with-a-rather-long-name-here@example.com"),
					chromedp.Submit(chromedp.CSS("#email")), chromedp.WaitReady(chromedp.CSS("section.helpdesk"))))
				assertPageFits(ctx, t, width, name+" helpdesk")
				assertAxe(ctx, t, string(axeJS), name+" helpdesk")
				if lang == "en" {
					shot(ctx, t, shots, "helpdesk-"+itoa(int(width)))
				}

				require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action="/helpdesk/dns"] button`)),
					chromedp.WaitReady(chromedp.CSS("section.dnscheck"))))
				assertPageFits(ctx, t, width, name+" DNS check")
				assertAxe(ctx, t, string(axeJS), name+" DNS check")
				if lang == "en" {
					shot(ctx, t, shots, "dnscheck-"+itoa(int(width)))
				}
			})
		}
	}
	t.Logf("screenshots in %s", shots)
}

// sendHelpdeskToken makes the browser send the helpdesk's token on every
// request, as a helpdesk's browser does.
func sendHelpdeskToken(ctx context.Context, t *testing.T) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders,
			network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": "Bearer " + testToken}})
		return err
	})))
}

// assertPageFits: nothing sideways outside a scrolling region; the
// report's tables drawn as tables, and on a small screen (below 40rem) as
// one block per row with each value under its column's name.
func assertPageFits(ctx context.Context, t *testing.T, width int64, name string) {
	t.Helper()
	r, err := chromedp.Run(ctx, chromedp.Evaluate[pageReport](pageCheckJS))
	require.NoError(t, err, name)
	assert.LessOrEqual(t, r.ScrollWidth, r.ClientWidth, "%s: the page scrolls sideways", name)
	assert.Empty(t, r.Overflowing, "%s: wider than the screen", name)
	assert.Empty(t, r.LowContrast, "%s: text below WCAG AA contrast", name)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tbody tr')].map(tr => getComputedStyle(tr).display + ' ' + getComputedStyle(tr).borderTopWidth)`))
	require.NoError(t, err, name)
	for _, row := range rows {
		if width > 640 || !strings.Contains(name, "DNS check") {
			assert.Equal(t, "table-row 0px", row, "%s: a results row is drawn as a table row, not a card", name)
		} else {
			assert.Equal(t, "block 0px", row, "%s: a results row is one block on a small screen", name)
		}
	}
	if width <= 640 {
		unlabelled, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('table.stack td')].filter(td => getComputedStyle(td, '::before').content === 'none').map(td => td.outerHTML.slice(0, 60))`))
		require.NoError(t, err, name)
		assert.Empty(t, unlabelled, "%s: a value without its column's name", name)
	}
	cut, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth && w.tabIndex < 0).map(w => w.outerHTML.slice(0, 60))`))
	require.NoError(t, err, name)
	assert.Empty(t, cut, "%s: a table scrolls sideways where the keyboard cannot", name)
}

// shot saves a full-page screenshot at the current width.
func shot(ctx context.Context, t *testing.T, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err, name)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}
