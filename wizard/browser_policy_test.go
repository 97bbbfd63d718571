package wizard

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// policyConfig has a provider whose users create a password per device and
// one whose users give their account's password, with the operator's name,
// logo and colour.
const policyConfig = `
site:
  name: Example Mail setup
  logo: logo.svg
  accent_color: "#7a2e8a"
  support:
    url: https://help.example.net/mail
    email: help@example.net
providers:
  - id: device.example
    display_name: Device Mail
    domains: [device.example]
    incoming:
      - {protocol: imap, host: imap.device.example, port: 993, security: tls}
      - {protocol: pop3, host: pop.device.example, port: 995, security: tls, discouraged: true}
    outgoing:
      - {protocol: smtp, host: smtp.device.example, port: 587, security: starttls}
      - {protocol: smtp, host: smtp.device.example, port: 465, security: tls}
    webmail_url: https://webmail.device.example/
    passwords:
      kind: device
      create_url: https://manager.device.example/mail/passwords
    support:
      url: https://help.device.example/
      email: support@device.example
      phone: "+41 22 000 00 00"
    texts:
      pop3:
        en: Device Mail backs up only what is on the server.
        de: Device Mail sichert nur, was auf dem Server liegt.
    apps:
      - name: Device Mail app
        app_store: https://apps.apple.com/app/id0000000001
        google_play: https://play.google.com/store/apps/details?id=example.device.mail
  - id: account.example
    display_name: Account Mail
    domains: [account.example]
    incoming:
      - {protocol: imap, host: imap.account.example, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: smtp.account.example, port: 587, security: starttls}
      - {protocol: smtp, host: smtp.account.example, port: 465, security: tls}
    passwords:
      kind: account
    # Calendars and contacts: the section must fit a small screen too.
    caldav_url: https://dav.account.example/calendars-with-a-rather-long-path/
    carddav_url: https://dav.account.example:8443/addressbooks-with-a-rather-long-path/
`

// pageReport is what one evaluation in the page finds; see pageCheckJS.
type pageReport struct {
	Text         string   `json:"text"`
	Overflowing  []string `json:"overflowing"`
	ScrollWidth  int      `json:"scrollWidth"`
	ClientWidth  int      `json:"clientWidth"`
	Headings     []int    `json:"headings"`
	Unlabelled   []string `json:"unlabelled"`
	Nameless     []string `json:"nameless"`
	LowContrast  []string `json:"lowContrast"`
	Trouble      bool     `json:"trouble"`
	FirstStep    string   `json:"firstStep"`
	FirstStepID  string   `json:"firstStepId"`
	CreateHref   string   `json:"createHref"`
	DAV          bool     `json:"dav"`
	QRLink       string   `json:"qrLink"`
	StyleSheets  int      `json:"styleSheets"`
	AccentOnLink string   `json:"accentOnLink"`
}

// pageCheckJS checks, in the rendered page: what overflows the viewport
// (elements inside a scrolling container excepted), the heading levels,
// form fields without a label, links and buttons without a name, and the
// WCAG contrast of every visible text (4.5:1, or 3:1 for large text).
const pageCheckJS = `(() => {
  const vw = document.documentElement.clientWidth;
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).replace(/ /g, '.') : '') + ' "' + (el.innerText || '').slice(0, 40) + '"';
  const visible = el => { const s = getComputedStyle(el); return s.display !== 'none' && s.visibility !== 'hidden' && el.getClientRects().length > 0; };
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } return false; };
  const overflowing = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el) || el.classList.contains('skip')) continue;
    const r = el.getBoundingClientRect();
    if ((r.right > vw + 0.5 || r.left < -0.5) && !scrolls(el)) overflowing.push(describe(el) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  const headings = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].filter(visible).map(h => +h.tagName[1]);
  const unlabelled = [...document.querySelectorAll('input:not([type=hidden]),select,textarea')].filter(el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(describe);
  const nameless = [...document.querySelectorAll('a[href],button')].filter(visible).filter(el => !(el.innerText || '').trim() && !el.getAttribute('aria-label') && !el.querySelector('img[alt]:not([alt=""])')).map(describe);
  const rgb = s => { const m = s.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = el => { for (let p = el; p; p = p.parentElement) { const c = rgb(getComputedStyle(p).backgroundColor); if (c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const lowContrast = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el) || el.classList.contains('skip')) continue;
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(el);
    const l1 = lum(rgb(s.color)), l2 = lum(background(el));
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(s.fontSize), large = size >= 24 || (size >= 18.66 && +s.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) lowContrast.push(describe(el) + ' ' + ratio.toFixed(2));
  }
  const first = document.querySelector('.steps ol li');
  const create = document.querySelector('#create-password');
  const qr = document.querySelector('.qrlink a');
  const link = document.querySelector('main a:not(.button)');
  return {
    text: document.body.innerText, overflowing, scrollWidth: document.documentElement.scrollWidth, clientWidth: vw,
    headings, unlabelled, nameless, lowContrast,
    trouble: !!document.getElementById('troubleshooting'), dav: !!document.getElementById('calendars'),
    firstStep: first ? first.innerText : '', firstStepId: first ? first.id : '',
    createHref: create ? create.href : '', qrLink: qr ? qr.href : '',
    styleSheets: document.styleSheets.length, accentOnLink: link ? getComputedStyle(link).color : '',
  };
})()`

// TestBrowser_PolicyAndSmallScreens walks a device-password provider and an
// account-password provider through every client page and the sheet, in
// every language, at 320 px and at desktop width: the policy's wording
// only, create_url linked, troubleshooting on every page, nothing wider
// than the screen, and the pages accessible (labels, headings, names,
// contrast).
func TestBrowser_PolicyAndSmallScreens(t *testing.T) {
	ctx := newBrowser(t)
	srv := newPolicyServer(t)
	cats := testCatalogs(t)
	shots := screenshotDir(t)

	// A 37-character local part: long addresses must wrap, not overflow.
	const local = "jane.doe-with-a-rather-long-name-here"
	providers := []struct {
		domain string
		device bool
	}{{"device.example", true}, {"account.example", false}}
	pages := []string{"/", "/setup", "/sheet"}
	for _, c := range clients {
		pages = append(pages, "/setup/"+c.ID)
	}
	for _, width := range []int64{320, 1280} {
		require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)))
		for _, p := range providers {
			email := local + "@" + p.domain
			for _, lang := range langCodes {
				msg := cats[lang]
				for _, path := range pages {
					name := itoa(int(width)) + "/" + p.domain + "/" + lang + path
					u := srv.URL + path + "?" + url.Values{"email": {email}, "lang": {lang}}.Encode()
					require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("footer"))), name)
					r, err := chromedp.Run(ctx, chromedp.Evaluate[pageReport](pageCheckJS))
					require.NoError(t, err, name)

					assert.Equal(t, path != "/" && path != "/setup", r.Trouble, "%s: a troubleshooting section on every client page and the sheet", name)
					c, _ := clientByID(strings.TrimPrefix(path, "/setup/"))
					assert.Equal(t, !p.device && (path == "/sheet" || c.dav != ""), r.DAV, "%s: calendars and contacts where the provider and the client have them", name)
					assertFitsAndAccessible(t, name, r)
					assert.Contains(t, r.Text, "Example Mail setup", "%s: the site's own name", name)
					if path == "/" || !p.device {
						assert.Contains(t, r.Text, "help@example.net", "%s: the site's contact where no provider's is", name)
					}
					if strings.HasPrefix(path, "/setup/") || r.AccentOnLink != "" {
						assert.Equal(t, "rgb(122, 46, 138)", r.AccentOnLink, "%s: the site's accent colour", name)
					}

					if p.device {
						if path == "/sheet" || strings.HasPrefix(path, "/setup/") {
							assert.Contains(t, r.Text, msg["password.device.once"], name)
						}
						if path != "/" {
							assert.Contains(t, r.Text, "support@device.example", "%s: the support contact", name)
						}
						if strings.HasPrefix(path, "/setup/") {
							assert.Equal(t, "step-password", r.FirstStepID, "%s: the password step comes first", name)
							assert.Contains(t, r.FirstStep, msg["steps.password.create"], name)
							assert.Equal(t, "https://manager.device.example/mail/passwords", r.CreateHref, "%s: create_url is linked", name)
						}
					} else {
						// Not a word about device passwords for this provider.
						for _, key := range []string{"password.phrase.device", "password.device.what", "password.device.once",
							"steps.password.create", "settings.password.device", "ts.password.device", "ts.changed.device"} {
							assert.NotContains(t, r.Text, strings.TrimSuffix(msg[key], ","), "%s: device wording (%s)", name, key)
						}
						assert.NotEqual(t, "step-password", r.FirstStepID, name)
						assert.Empty(t, r.CreateHref, name)
					}
					if r.QRLink != "" {
						// The sheet's link is the one beside its Thunderbird
						// for Android import code.
						id := strings.TrimPrefix(path, "/setup/")
						if path == "/sheet" {
							id = "thunderbird"
						}
						assert.Equal(t, srv.URL+"/s/"+id+"/"+email, r.QRLink, "%s: the short link", name)
					}
					if path == "/setup/apple-ios" && lang == "en" {
						screenshots(ctx, t, shots, "policy-"+p.domain+"-apple-ios")
						require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)))
					}
				}
			}
		}
	}
	assertKeyboardWalk(ctx, t, srv.URL+"/setup/thunderbird?email="+local+"%40device.example&lang=fr")
	assertSheetPrintsOpen(ctx, t, srv.URL+"/sheet?email="+local+"%40device.example&lang=de", cats["de"])
	t.Logf("screenshots in %s", shots)
}

// newPolicyServer serves policyConfig, with its logo, on loopback.
func newPolicyServer(t *testing.T) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "logo.svg"),
		[]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" fill="#7a2e8a"/></svg>`), 0o644))
	cfg, err := autoconfig.Parse(filepath.Join(dir, "config.yaml"), []byte(policyConfig))
	require.NoError(t, err)
	srv := httptest.NewServer(newTestEngineFor(t, cfg))
	t.Cleanup(srv.Close)
	return srv
}

// assertFitsAndAccessible: nothing wider than the screen, every field
// labelled, every link and button named, text contrast at WCAG AA, and
// the headings in order.
func assertFitsAndAccessible(t *testing.T, name string, r pageReport) {
	t.Helper()
	assert.LessOrEqual(t, r.ScrollWidth, r.ClientWidth, "%s: the page scrolls sideways", name)
	assert.Empty(t, r.Overflowing, "%s: wider than the screen", name)
	assert.Empty(t, r.Unlabelled, "%s: fields without a label", name)
	assert.Empty(t, r.Nameless, "%s: links or buttons without a name", name)
	assert.Empty(t, r.LowContrast, "%s: text below WCAG AA contrast", name)
	assertHeadingOrder(t, name, r.Headings)
}

// assertHeadingOrder: one h1 first, and no level skipped on the way down.
func assertHeadingOrder(t *testing.T, name string, levels []int) {
	t.Helper()
	if !assert.NotEmpty(t, levels, name) {
		return
	}
	assert.Equal(t, 1, levels[0], "%s: the first heading is an h1", name)
	for i := 1; i < len(levels); i++ {
		assert.NotEqual(t, 1, levels[i], "%s: a single h1", name)
		assert.LessOrEqual(t, levels[i], levels[i-1]+1, "%s: heading level skipped at %d: %v", name, i, levels)
	}
}

// focusReport is the focused element: its tag, outline style, and whether
// it is in the troubleshooting section.
type focusReport struct {
	Tag     string `json:"tag"`
	Outline string `json:"outline"`
	Trouble bool   `json:"trouble"`
}

// assertKeyboardWalk tabs through a page as a keyboard user: the first Tab
// reaches the skip link, which shows itself; every focused element shows a
// focus outline; the walk reaches the links of the troubleshooting section.
func assertKeyboardWalk(ctx context.Context, t *testing.T, u string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("footer"))))
	require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("\t")))
	skip, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement.classList.contains('skip') && document.activeElement.getBoundingClientRect().left >= 0`))
	require.NoError(t, err)
	assert.True(t, skip, "the first Tab shows the skip link")
	reachedTrouble := false
	for range 80 {
		require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent("\t")))
		focus, err := chromedp.Run(ctx, chromedp.Evaluate[focusReport](`(() => { const e = document.activeElement; return {tag: e.tagName, outline: getComputedStyle(e).outlineStyle, trouble: !!e.closest('#troubleshooting')}; })()`))
		require.NoError(t, err)
		if focus.Tag == "BODY" {
			break
		}
		assert.NotEqual(t, "none", focus.Outline, "a focused %s shows where the focus is", focus.Tag)
		reachedTrouble = reachedTrouble || focus.Trouble
	}
	assert.True(t, reachedTrouble, "the keyboard reaches the troubleshooting links")
}

// assertSheetPrintsOpen renders the sheet for print: the POP3 section's
// values are printed, not folded away.
func assertSheetPrintsOpen(ctx context.Context, t *testing.T, u string, msg catalog) {
	t.Helper()
	print := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})
	screen := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
		return err
	})
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("footer")), print))
	defer func() { require.NoError(t, chromedp.Do(ctx, screen)) }()
	printed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	require.NoError(t, err)
	assert.Contains(t, printed, "pop.device.example", "the POP3 values are printed")
	assert.Contains(t, printed, msg["ts.title"], "troubleshooting is printed")
	assert.NotContains(t, printed, "Italiano", "no language switcher on paper")
}
