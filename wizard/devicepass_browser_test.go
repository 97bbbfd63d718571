package wizard

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/smallstep/pkcs7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"howett.net/plist"

	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport/tbimporttest"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass/devicepasstest"
)

// TestBrowser_OneStepSetup is the one-step setup in Chromium, over TLS,
// against a real OpenID provider: sign in, name the device, download the
// signed profile with the password, scan the Thunderbird for Android code
// with the password; a second download is refused; the password is in no
// log line.
func TestBrowser_OneStepSetup(t *testing.T) {
	ctx := newBrowser(t, chromedp.Flag("ignore-certificate-errors", true))
	const secret = "Br0wser-Dp-Secret"
	logs := &testkit.LogBuffer{}
	setup := devicepasstest.Start(t, secret, "")
	srv, api := setup.Server, setup.API
	deps := testkit.Deps(setup.Config)
	deps.PublicURL = setup.PublicURL
	deps.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	pki := testkit.MustPKI(t, testkit.LeafOptions{})
	signer, err := profiles.NewSigner(pki.MustWriteFiles(t, t.TempDir()))
	require.NoError(t, err)
	ph := profiles.New(deps, signer)
	e := testkit.Engine(t, ph)
	w, err := New(deps, Options{ProfilesSigned: true, DevicePasswords: &devicepass.Options{Profiles: ph}})
	require.NoError(t, err)
	w.Register(e, e)
	setup.Serve(e)

	shots := screenshotDir(t)
	signIn := func(client string) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/setup/"+client+"?email=jane.doe%40example.com&name=Jane"),
			chromedp.Click(chromedp.CSS("#signin")),
			chromedp.WaitVisible(chromedp.CSS("#device")),
		))
	}

	t.Run("Apple profile", func(t *testing.T) {
		signIn("apple-ios")
		device, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#device")))
		require.NoError(t, err)
		assert.Equal(t, "Jane’s iPhone", device)
		screenshots(ctx, t, shots, "devicepass-1-device")
		dir := t.TempDir()
		progress := chromedp.Events(ctx, browser.DownloadProgress)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#make-password")),
			chromedp.WaitVisible(chromedp.CSS("#profile-password")),
		))
		screenshots(ctx, t, shots, "devicepass-2-apple")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
					Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true),
				})
				return err
			}),
			chromedp.Click(chromedp.CSS("#profile-password")),
		))
		var file string
		for ev, err := range progress {
			require.NoError(t, err)
			if ev.State == browser.DownloadProgressStateCompleted {
				file = filepath.Join(dir, ev.GUID)
				break
			}
		}
		body, err := os.ReadFile(file)
		require.NoError(t, err)
		p7, err := pkcs7.Parse(body)
		require.NoError(t, err)
		require.NoError(t, p7.VerifyWithChain(pki.Pool()))
		var profile struct{ PayloadContent []map[string]any }
		_, err = plist.Unmarshal(p7.Content, &profile)
		require.NoError(t, err)
		assert.Equal(t, secret, profile.PayloadContent[0]["IncomingPassword"])
		assert.Equal(t, secret, profile.PayloadContent[0]["OutgoingPassword"])
		assert.Equal(t, []devicepasstest.Call{{Address: "jane.doe@example.com", Device: "Jane’s iPhone"}}, api.Calls())

		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+devicepass.ProfilePath),
			chromedp.WaitVisible(chromedp.CSS("main h1")),
		))
		assert.Equal(t, testCatalogs(t)["en"]["devicepass.error.used.title"], text(ctx, t, "main h1"), "a second download is refused")
	})

	t.Run("Thunderbird for Android code", func(t *testing.T) {
		signIn("thunderbird")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#make-password")),
			chromedp.WaitVisible(chromedp.CSS("#import-code")),
		))
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#import-code").complete && document.querySelector("#import-code").naturalWidth > 0`))
		require.NoError(t, err)
		screenshots(ctx, t, shots, "devicepass-3-thunderbird")
		shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#import-code")))
		require.NoError(t, err)
		payload, _ := testkit.DecodeQR(t, shot)
		got, err := tbimporttest.Read([]byte(payload))
		require.NoError(t, err, "the app's strict reader accepts the scanned code: %s", payload)
		assert.Equal(t, secret, got.IncomingPassword, "the scanned code holds the password")
		assert.Equal(t, secret, got.SMTPPassword)
		assert.Equal(t, "jane.doe@example.com", got.Email)

		// Shown once: a reload draws nothing.
		require.NoError(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main h1"))))
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#import-code").complete`))
		require.NoError(t, err)
		width, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[int](chromedp.CSS("#import-code"), "naturalWidth"))
		require.NoError(t, err)
		assert.Zero(t, width, "the second load of the code is refused")
	})

	for _, line := range logs.Lines() {
		assert.NotContains(t, line, secret)
	}
}
