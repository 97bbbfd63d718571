package wizard

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"howett.net/plist"

	"github.com/mailautoconf/mailautoconf/profiles"
)

// Viewport widths of the screenshots: a current phone and a laptop.
var viewports = []struct {
	name          string
	width, height int64
}{
	{"phone", 390, 844},
	{"desktop", 1280, 900},
}

// findChromium returns Debian's chromium. Outside CI a machine without it
// skips the test; in CI (CI=true, where .ci/run installs it) it must run.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: the real-browser test must run in CI (.ci/run installs chromium)")
	}
	t.Skip("chromium is not installed: skipping the real-browser test (apt-get install chromium to run it; it always runs in CI)")
	return ""
}

// browserDeadline bounds one browser's whole life in a test.
const browserDeadline = 8 * time.Minute

// newBrowser starts a headless Chromium with a fresh profile and the
// extra options given.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(findChromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelCtx)
	// A guard against a hung browser, not a speed check: a test that walks
	// every page takes most of a minute on a quiet 2-core machine and
	// several under load (speed belongs in benchmarks).
	ctx, cancelTimeout := context.WithTimeout(ctx, browserDeadline)
	t.Cleanup(cancelTimeout)
	require.NoError(t, chromedp.Do(ctx), "starting chromium")
	return ctx
}

// screenshotDir is where screenshots go: a temporary folder, or
// MAILAUTOCONF_SCREENSHOTS to keep them for a look.
func screenshotDir(t *testing.T) string {
	if dir := os.Getenv("MAILAUTOCONF_SCREENSHOTS"); dir != "" {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		return dir
	}
	return t.TempDir()
}

// screenshots captures the whole page at every viewport width, then
// returns to the desktop width.
func screenshots(ctx context.Context, t *testing.T, dir, name string) {
	t.Helper()
	for _, vp := range viewports {
		require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(vp.width, vp.height)))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err, "screenshot %s at %s width", name, vp.name)
		require.NotEmpty(t, png)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+"-"+vp.name+".png"), png, 0o644))
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)))
}

// text is the visible text (innerText) of the first element matching css.
func text(ctx context.Context, t *testing.T, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	require.NoError(t, err, "text of %s", css)
	return s
}

// TestBrowser_WalkThroughInTwoLanguages is a user's path in a real browser:
// start page, address, client list, then the steps of Apple iOS,
// Thunderbird and Outlook, in English and German, checking what is visible.
func TestBrowser_WalkThroughInTwoLanguages(t *testing.T) {
	ctx := newBrowser(t)
	srv := httptest.NewServer(newTestEngine(t))
	t.Cleanup(srv.Close)
	cats := testCatalogs(t)
	dir := screenshotDir(t)
	const email = "jane.doe@example.com"
	// The status of every response for the Thunderbird import code: the
	// image must load, not just be named in the page.
	var mu sync.Mutex
	tbStatuses := map[string][]int64{}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if r, ok := ev.(*network.EventResponseReceived); ok && strings.Contains(r.Response.URL, ThunderbirdQRPath) {
			mu.Lock()
			tbStatuses[r.Response.URL] = append(tbStatuses[r.Response.URL], r.Response.Status)
			mu.Unlock()
		}
	}))

	for _, lang := range []string{"en", "de"} {
		msg := cats[lang]
		require.NoError(t, chromedp.Do(ctx,
			chromedp.EmulateViewport(1280, 900),
			chromedp.Navigate(srv.URL+"/?lang="+lang),
			chromedp.WaitVisible(chromedp.CSS("#email")),
		))
		assert.Equal(t, msg["start.title"], text(ctx, t, "h1"))
		screenshots(ctx, t, dir, lang+"-1-start")

		require.NoError(t, chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("ul.clients")),
		))
		assert.Equal(t, msg["choose.title"], text(ctx, t, "h1"))
		list := text(ctx, t, "ul.clients")
		for _, c := range clients {
			assert.Contains(t, list, msg[c.NameKey()])
		}
		screenshots(ctx, t, dir, lang+"-2-choose")

		for _, id := range []string{"apple-ios", "thunderbird", "outlook-windows"} {
			t.Run(lang+"/"+id, func(t *testing.T) {
				c, _ := clientByID(id)
				require.NoError(t, chromedp.Do(ctx,
					chromedp.Click(chromedp.CSS(`a.client[href^="/setup/`+id+`?"]`)),
					chromedp.WaitVisible(chromedp.CSS("#steps-title")),
				))
				assert.Equal(t, msg[c.NameKey()], text(ctx, t, "h1"))
				visible := text(ctx, t, "main")
				for _, k := range c.StepKeys() {
					assert.Contains(t, visible, strings.NewReplacer("{0}", email, "{1}", msg["password.phrase.account"]).Replace(msg[k]))
				}
				for _, value := range []string{"imap.example.net", "993", "smtp.example.net", "587", "465", "STARTTLS", "SSL/TLS",
					msg["settings.username.note"], msg["settings.password.account"], msg["pop3.summary"]} {
					assert.Contains(t, visible, value)
				}
				// Folded: the POP3 values are in the page but not visible.
				assert.NotContains(t, visible, "pop.example.net")

				if c.Profile() {
					href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#profile"), "href"))
					require.NoError(t, err)
					assert.Equal(t, profiles.DownloadPath+"?email=jane.doe%40example.com&lang="+lang, href.Value)
					assert.Equal(t, msg["apple.download"], text(ctx, t, "#profile"))
					assertProfileDownloads(t, srv.URL+href.Value, "jane.doe@example.com")
				}
				if c.Mobile {
					_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector(".qr img").complete`))
					require.NoError(t, err)
					width, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[int](chromedp.CSS(".qr img"), "naturalWidth"))
					require.NoError(t, err)
					assert.Equal(t, qrDefaultSize, width, "the QR code image loads on the desktop page")
				}
				if c.importCode {
					src, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[string](chromedp.CSS(".qr img"), "src"))
					require.NoError(t, err)
					assert.Equal(t, srv.URL+ThunderbirdQRPath+"?email=jane.doe%40example.com", src, "the Thunderbird page shows the import code")
					mu.Lock()
					statuses := tbStatuses[src]
					mu.Unlock()
					// The first load is a 200; the other language's page may
					// revalidate the same image (304).
					require.NotEmpty(t, statuses, "the import code was requested")
					assert.Equal(t, int64(200), statuses[0], "the import code loads")
					for _, st := range statuses[1:] {
						assert.Contains(t, []int64{200, 304}, st)
					}
					assert.Contains(t, visible, msg["tbimport.title"])
				}
				screenshots(ctx, t, dir, lang+"-3-"+id)
				// Back to the list the way a user does, by its link.
				require.NoError(t, chromedp.Do(ctx,
					chromedp.Click(chromedp.CSS(".crumbs a")),
					chromedp.WaitVisible(chromedp.CSS("ul.clients")),
				))
			})
		}
	}
	t.Logf("screenshots in %s", dir)
}

// assertProfileDownloads fetches a profile link as Safari would and checks
// that it is an installable profile for the address.
func assertProfileDownloads(t *testing.T, url, address string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	assert.Equal(t, profiles.ContentType, resp.Header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename="example.com-mail.mobileconfig"`, resp.Header.Get("Content-Disposition"))
	var profile struct {
		PayloadType    string
		PayloadContent []struct {
			PayloadType  string
			EmailAddress string
		}
	}
	_, err = plist.Unmarshal(body, &profile)
	require.NoError(t, err)
	assert.Equal(t, "Configuration", profile.PayloadType)
	require.NotEmpty(t, profile.PayloadContent)
	assert.Equal(t, "com.apple.mail.managed", profile.PayloadContent[0].PayloadType)
	assert.Equal(t, address, profile.PayloadContent[0].EmailAddress)
}
