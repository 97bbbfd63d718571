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
)

// TestBrowser_HelpdeskAndMessagePages checks, at 320, 768 and 1280 px,
// the pages the policy walk does not reach: the helpdesk form and its
// answer, the DNS check report, and the unserved-domain page with its
// suggestion and the site's contact. Same checks as the walk: nothing
// wider than the screen, labels, names, contrast, heading order.
func TestBrowser_HelpdeskAndMessagePages(t *testing.T) {
	ctx := newBrowser(t)
	srv := httptest.NewServer(newTestEngineOn(t, siteConfig, withHelpdesk(testToken),
		withDNSCheck(&fakeChecker{report: reportWithEveryStatus()})))
	t.Cleanup(srv.Close)
	require.NoError(t, chromedp.Do(ctx, sendBearer(testToken)))
	for _, width := range []int64{320, 768, 1280} {
		require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)))
		check := func(name string) pageReport {
			name = itoa(int(width)) + " " + name
			r, err := chromedp.Run(ctx, chromedp.Evaluate[pageReport](pageCheckJS))
			require.NoError(t, err, name)
			assertFitsAndAccessible(t, name, r)
			if dir := os.Getenv("MAILAUTOCONF_SCREENSHOTS"); dir != "" {
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".png"), png, 0o644))
			}
			return r
		}
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/helpdesk?lang=de"), chromedp.WaitReady(chromedp.CSS("footer"))))
		check("helpdesk form")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#email"), "jane.doe-with-a-rather-long-name-here@example.com"),
			chromedp.SendKeys(chromedp.CSS("#name"), "Jane Doe"),
			chromedp.Click(chromedp.CSS(`form.card button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("#send-instructions")),
		))
		r := check("helpdesk links")
		assert.Contains(t, r.Text, "/s/apple-ios/jane.doe-with-a-rather-long-name-here@example.com?lang=de", "the short links")

		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`form[action="/helpdesk/dns"] button`)),
			chromedp.WaitVisible(chromedp.CSS(".verdict")),
		))
		check("DNS check")

		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/setup?email=jane@exmaple.com&lang=it"), chromedp.WaitReady(chromedp.CSS("footer"))))
		r = check("unserved domain")
		assert.Contains(t, r.Text, "jane@example.com", "the suggestion")
		assert.Contains(t, r.Text, "help@example.net", "the site's contact")
	}
}

// sendBearer sends the token with every request of the tab, as the helpdesk
// needs.
func sendBearer(token string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Authorization": "Bearer " + token}})
		return err
	})
}
