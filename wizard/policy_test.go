package wizard

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// deviceConfig is testConfig's provider with device passwords, support, its
// own texts and apps, a webmail, and one SMTP server only.
const deviceConfig = `
providers:
  - id: example.net
    display_name: Example Mail
    domains: [example.com]
    incoming:
      - {protocol: imap, host: imap.example.net, port: 993, security: tls}
      - {protocol: pop3, host: pop.example.net, port: 995, security: tls, discouraged: true}
    outgoing:
      - {protocol: smtp, host: smtp.example.net, port: 587, security: starttls}
    webmail_url: https://webmail.example.net/
    passwords: {kind: device, create_url: "https://manager.example.net/passwords"}
    support: {url: "https://help.example.net/", email: help@example.net, phone: "+41 (22) 000-00-00"}
    texts:
      pop3: {en: "Backups keep only the server's copy.", fr: "Les sauvegardes ne gardent que la copie du serveur."}
      passwords: {en: "Manage passwords in the Example manager."}
    apps:
      - {name: Example Mail app, google_play: "https://play.google.com/store/apps/details?id=net.example.mail"}
`

func TestClientPages_DevicePasswordStepComesFirst(t *testing.T) {
	e := newTestEngineOn(t, deviceConfig)
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		msg := cats[lang]
		for _, c := range clients {
			t.Run(lang+"/"+c.ID, func(t *testing.T) {
				body := get(t, e, "/setup/"+c.ID+"?"+q("email", "jane@example.com", "lang", lang)).Body.String()
				assertPage(t, body, lang)
				steps := body[strings.Index(body, "<ol>"):]
				has(t, steps, `<ol>
<li id="step-password">`+inHTML(msg["steps.password.create"])+` <a id="create-password" href="https://manager.example.net/passwords" data-url="manager.example.net/passwords">`+
					inHTML(strings.ReplaceAll(msg["steps.password.create.link"], "{0}", "Example Mail"))+`</a></li>`, "the password step first, linked")
				for _, k := range c.StepKeys() {
					has(t, body, "<li>"+inHTML(strings.NewReplacer("{0}", "jane@example.com", "{1}", msg["password.phrase.device"]).Replace(msg[k])))
				}
				has(t, body, inHTML(msg["password.device.once"]))
				has(t, body, inHTML(msg["settings.password.device"]))
				hasNot(t, body, inHTML(msg["settings.password.account"]))
				has(t, body, inHTML(msg["ts.password.device"]))
				has(t, body, inHTML(msg["ts.changed.device"]))
				// The provider's own words, in the page's language or English.
				pop3 := map[string]string{"fr": "Les sauvegardes ne gardent que la copie du serveur."}[lang]
				if pop3 == "" {
					pop3 = "Backups keep only the server's copy."
				}
				has(t, body, "<p>"+inHTML(pop3)+"</p>")
				has(t, body, "<p>Manage passwords in the Example manager.</p>")
				// Support in the footer and in troubleshooting.
				assert.Equal(t, 2, strings.Count(body, `href="mailto:help@example.net"`))
				has(t, body, `href="tel:&#43;41220000000">&#43;41 (22) 000-00-00</a>`)
				// One SMTP server: no alternative to offer when a port is blocked.
				hasNot(t, body, inHTML(strings.Split(msg["ts.send.fallback"], "{0}")[0]))
			})
		}
	}
}

func TestClientPages_AccountPasswordsNeverMentionDevicePasswords(t *testing.T) {
	e := newTestEngine(t)
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		msg := cats[lang]
		for _, path := range append([]string{"/sheet", "/setup"}, clientPaths()...) {
			body := get(t, e, path+"?"+q("email", "jane@example.com", "lang", lang)).Body.String()
			for _, key := range []string{"password.phrase.device", "password.device.what", "password.device.once", "password.device.per_device",
				"steps.password.create", "settings.password.device", "ts.password.device", "ts.changed.device"} {
				hasNot(t, body, inHTML(strings.TrimSuffix(msg[key], ",")), lang+path+": "+key)
			}
			hasNot(t, body, `id="step-password"`)
		}
	}
}

func clientPaths() []string {
	var paths []string
	for _, c := range clients {
		paths = append(paths, "/setup/"+c.ID)
	}
	return paths
}

// TestTroubleshooting_FieldsInTheClientsOwnWords: the security choice is
// named as each app names it. Samsung Email calls implicit TLS "SSL" and
// STARTTLS "TLS"; eM Client calls implicit TLS "Use SSL/TLS on special port
// (legacy)"; Apple Mail has only a "Use SSL" switch for both.
func TestTroubleshooting_FieldsInTheClientsOwnWords(t *testing.T) {
	e := newTestEngine(t)
	fields := func(pairs ...string) string {
		var b strings.Builder
		b.WriteString(`<dl class="fields">`)
		for i := 0; i+1 < len(pairs); i += 2 {
			b.WriteString("<dt>" + inHTML(pairs[i]) + `</dt><dd class="value">` + inHTML(pairs[i+1]) + "</dd>")
		}
		return b.String() + "</dl>"
	}
	tests := []struct{ client, fallback, outgoing string }{
		{"android",
			fields("Outgoing server (SMTP)", "smtp.example.net", "Port", "465", "Security type", "SSL"),
			fields("Outgoing server (SMTP)", "smtp.example.net", "Port", "587", "Security type", "TLS")},
		{"emclient",
			fields("SMTP: Host", "smtp.example.net", "Port", "465", "Security policy", "Use SSL/TLS on special port (legacy)"),
			fields("SMTP: Host", "smtp.example.net", "Port", "587", "Security policy", "Use SSL/TLS")},
		{"apple-ios",
			fields("Outgoing Mail Server (SMTP): Host Name", "smtp.example.net", "Server Port", "465", "Use SSL", "on"),
			fields("Outgoing Mail Server (SMTP): Host Name", "smtp.example.net", "Server Port", "587", "Use SSL", "on")},
		{"thunderbird",
			fields("Outgoing server: Hostname", "smtp.example.net", "Port", "465", "Connection security", "SSL/TLS"),
			fields("Outgoing server: Hostname", "smtp.example.net", "Port", "587", "Connection security", "STARTTLS")},
	}
	for _, tt := range tests {
		t.Run(tt.client, func(t *testing.T) {
			body := get(t, e, "/setup/"+tt.client+"?email=jane@example.com&lang=en").Body.String()
			trouble := body[strings.Index(body, `id="troubleshooting"`):]
			has(t, trouble, "block port 587. Then change the outgoing server to the alternative:</p>\n"+tt.fallback)
			has(t, trouble, tt.outgoing)
		})
	}
}

func TestTroubleshooting_AdaptedToTheClient(t *testing.T) {
	e := newTestEngine(t)
	cats := testCatalogs(t)
	msg := cats["en"]
	for _, c := range clients {
		body := get(t, e, "/setup/"+c.ID+"?email=jane@example.com&lang=en").Body.String()
		assert.Equal(t, c.cloud, strings.Contains(body, inHTML(msg["ts.cloud.title"])), "%s: Microsoft's cloud", c.ID)
		assert.Equal(t, c.Profile(), strings.Contains(body, inHTML(msg["ts.unverified.title"])), "%s: Not Verified", c.ID)
		has(t, body, inHTML(msg["ts.where."+c.ID]))
		has(t, body, inHTML(msg["ts.support.none"]), "no support contact configured")
		has(t, body, inHTML(msg["ts.password.account.nowebmail"]), "no webmail to check the password with")
		hasNot(t, body, inHTML(msg["ts.password.account"]))
	}
	sheet := get(t, e, "/sheet?email=jane@example.com&lang=en").Body.String()
	for _, key := range []string{"ts.cloud.title", "ts.unverified.title", "ts.where.sheet"} {
		has(t, sheet, inHTML(msg[key]), "the sheet is for every app")
	}
}

func TestAddress_SurroundingSpacesTrimmed(t *testing.T) {
	e := newTestEngine(t)
	for _, path := range []string{"/setup", "/setup/android", "/sheet"} {
		for _, email := range []string{"jane.doe@example.com ", " jane.doe@example.com", "\tjane.doe@example.com\u00a0"} {
			rec := get(t, e, path+"?"+q("email", email, "lang", "de"))
			require.Equal(t, http.StatusOK, rec.Code, "%s %q", path, email)
			has(t, rec.Body.String(), "jane.doe%40example.com&amp;lang=de")
		}
	}
}

func TestChoosePage_WebmailAndProviderApps(t *testing.T) {
	body := get(t, newTestEngineOn(t, deviceConfig), "/setup?email=jane@example.com&lang=en").Body.String()
	has(t, body, `<a class="client" href="https://webmail.example.net/" rel="noopener noreferrer"><span class="name">Webmail in your browser</span>`)
	has(t, body, `<span class="name">Example Mail app</span><span class="stores"><a href="https://play.google.com/store/apps/details?id=net.example.mail" rel="noopener noreferrer" data-url="play.google.com/store/apps/details?id=net.example.mail">Google Play (Android)</a></span>`)
	plain := get(t, newTestEngine(t), "/setup?email=jane@example.com&lang=en").Body.String()
	hasNot(t, plain, "Webmail in your browser", "no webmail_url, no entry")
	hasNot(t, plain, `class="apps"`)
}

func TestChoosePage_MacAlsoSuggestsIPad(t *testing.T) {
	const userAgentMac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	body := get(t, newTestEngine(t), "/setup?email=jane@example.com&lang=en", "User-Agent", userAgentMac).Body.String()
	mac := strings.Index(body, `<a class="client suggested" href="/setup/apple-mac?`)
	ipad := strings.Index(body, `<a class="client suggested" href="/setup/apple-ios?`)
	require.Positive(t, mac)
	require.Positive(t, ipad)
	assert.Less(t, mac, ipad)
	has(t, body, "Apple Mail on iPhone or iPad (iOS, iPadOS)")
	page := get(t, newTestEngine(t), "/setup/apple-mac?email=jane@example.com&lang=en").Body.String()
	has(t, page, `<a href="/setup/apple-ios?email=jane%40example.com&amp;lang=en">Apple Mail on iPhone or iPad (iOS, iPadOS)</a>`)
}

func TestSite_NameLogoAndAccentColour(t *testing.T) {
	dir := t.TempDir()
	logo := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "logo.svg"), logo, 0o644))
	cfg, err := autoconfig.Parse(filepath.Join(dir, "c.yaml"), []byte("site: {name: Example Mail setup, logo: logo.svg, accent_color: \"#7a2e8a\"}\n"+testConfig))
	require.NoError(t, err)
	e := newTestEngineFor(t, cfg)
	body := get(t, e, "/?lang=fr").Body.String()
	has(t, body, "<title>"+inHTML(testCatalogs(t)["fr"]["start.title"])+" · Example Mail setup</title>")
	has(t, body, `<span>Example Mail setup</span>`)
	logoURL := logoPath + ".svg?v=" + cfg.Site.Logo.Sum
	has(t, body, `<img src="`+inHTML(logoURL)+`" alt="" height="32">`)
	has(t, body, `<link rel="stylesheet" href="/static/site-theme.css?v=7a2e8a">`)

	rec := get(t, e, logoURL)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, logo, rec.Body.Bytes())
	assert.Equal(t, "image/svg+xml", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Header().Get("Content-Security-Policy"), "sandbox", "an SVG opened on its own runs no script")
	assert.Equal(t, http.StatusNotModified, get(t, e, logoURL, "If-None-Match", rec.Header().Get("ETag")).Code)
	css := get(t, e, "/static/site-theme.css")
	require.Equal(t, http.StatusOK, css.Code)
	assert.Equal(t, ":root { --accent: #7a2e8a; --accent-dark: #5b2267; }\n", css.Body.String())

	plain := newTestEngine(t)
	body = get(t, plain, "/?lang=de").Body.String()
	has(t, body, "· "+inHTML(testCatalogs(t)["de"]["site.name"])+"</title>", "the translated default name")
	has(t, body, `<img src="/static/icon.svg"`)
	hasNot(t, body, "site-theme.css")
	assert.Equal(t, http.StatusNotFound, get(t, plain, "/static/site-theme.css").Code)
	assert.Equal(t, http.StatusNotFound, get(t, plain, "/static/site-logo.svg").Code)
}

// TestTroubleshooting_OutlookCloudOffersDirectApps: the alternatives to an
// Outlook that syncs through Microsoft's cloud run on the same device.
func TestTroubleshooting_OutlookCloudOffersDirectApps(t *testing.T) {
	e := newTestEngineOn(t, deviceConfig)
	cats := testCatalogs(t)
	for client, alternatives := range map[string][]string{
		"outlook-windows": {"outlook-classic", "thunderbird", "emclient"},
		"outlook-mobile":  {"apple-ios", "android", "thunderbird"},
	} {
		body := get(t, e, "/setup/"+client+"?email=jane@example.com&lang=it").Body.String()
		list := body[strings.Index(body, inHTML(cats["it"]["ts.cloud.instead"])):]
		list = list[:strings.Index(list, "</ul>")]
		for _, id := range alternatives {
			has(t, list, `<li><a href="/setup/`+id+`?email=jane%40example.com&amp;lang=it" data-url="http://example.com/s/`+id+`/jane@example.com">`, client)
		}
		has(t, list, "<li>Example Mail app: ", "the provider's own app")
		has(t, list, `<li><a href="https://webmail.example.net/" data-url="webmail.example.net">`, "the webmail")
	}
}

// TestTroubleshooting_NotVerifiedOnlyForUnsignedProfiles: a signed profile
// shows as Verified, so its pages do not explain "Not Verified".
func TestTroubleshooting_NotVerifiedOnlyForUnsignedProfiles(t *testing.T) {
	title := inHTML(testCatalogs(t)["en"]["ts.unverified.title"])
	for _, path := range []string{"/setup/apple-ios", "/setup/apple-mac", "/sheet"} {
		has(t, get(t, newTestEngine(t), path+"?email=jane@example.com&lang=en").Body.String(), title, path)
		hasNot(t, get(t, newTestEngine(t, withSignedProfiles()), path+"?email=jane@example.com&lang=en").Body.String(), title, path)
	}
}
