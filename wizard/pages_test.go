package wizard

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/profiles"
)

const (
	userAgentIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	userAgentWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)

// assertWizardHeaders checks the headers every wizard page carries.
func assertWizardHeaders(t *testing.T, rec interface{ Header() http.Header }) {
	t.Helper()
	h := rec.Header()
	csp := h.Get("Content-Security-Policy")
	assert.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.NotContains(t, csp, "unsafe-inline")
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
}

// assertPage checks what every HTML page must be.
func assertPage(t *testing.T, body, lang string) {
	t.Helper()
	has(t, body, `<html lang="`+lang+`">`)
	hasNot(t, body, missingMarker, "a message key is missing from the catalogs")
	hasNot(t, body, "<script", "pages have no script at all")
	hasNot(t, body, `src="http`, "no external assets")
	// The only absolute links are the service's own short links (tests
	// answer as http://example.com); the provider's are https.
	hasNot(t, strings.ReplaceAll(body, `href="http://example.com/s/`, ""), `href="http://`, "no plain-HTTP links")
	hasNot(t, body, `type="password"`, "never asks for a password")
	for _, landmark := range []string{"<header", "<nav", "<main", "<footer", "<h1>"} {
		has(t, body, landmark)
	}
}

func TestStartPage_EveryLanguage(t *testing.T) {
	e := newTestEngine(t)
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		t.Run(lang, func(t *testing.T) {
			rec := get(t, e, "/?lang="+lang)
			require.Equal(t, http.StatusOK, rec.Code)
			assertWizardHeaders(t, rec)
			body := rec.Body.String()
			assertPage(t, body, lang)
			has(t, body, inHTML(cats[lang]["start.title"]))
			has(t, body, `<form class="card" method="get" action="/setup">`)
			has(t, body, `<label for="email">`+inHTML(cats[lang]["start.label"])+`</label>`)
			has(t, body, `<input type="hidden" name="lang" value="`+lang+`">`)
		})
	}
}

func TestStartPage_AcceptLanguage(t *testing.T) {
	rec := get(t, newTestEngine(t), "/", "Accept-Language", "de-CH,de;q=0.9,en;q=0.5")
	assert.Contains(t, rec.Body.String(), `<html lang="de">`)
	assert.Equal(t, "de", rec.Header().Get("Content-Language"))
	assert.Contains(t, rec.Header().Get("Vary"), "Accept-Language")
}

func TestChoosePage_EveryLanguageListsEveryClient(t *testing.T) {
	e := newTestEngine(t)
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		t.Run(lang, func(t *testing.T) {
			rec := get(t, e, "/setup?"+q("email", "Jane.Doe@Example.COM", "lang", lang))
			require.Equal(t, http.StatusOK, rec.Code)
			assertWizardHeaders(t, rec)
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			body := rec.Body.String()
			assertPage(t, body, lang)
			has(t, body, inHTML(cats[lang]["choose.title"]))
			has(t, body, "jane.doe@example.com", "the mailbox as the provider treats it: case-insensitive local parts")
			for _, c := range clients {
				has(t, body, inHTML(cats[lang][c.NameKey()]))
				has(t, body, `href="/setup/`+c.ID+`?email=jane.doe%40example.com&amp;lang=`+lang+`"`)
			}
			has(t, body, `href="/sheet?email=jane.doe%40example.com&amp;lang=`+lang+`"`)
		})
	}
}

func TestChoosePage_GuessedDeviceFirstAndMarked(t *testing.T) {
	tests := []struct{ userAgent, first string }{
		{userAgentIPhone, "apple-ios"},
		{userAgentWindows, "outlook-windows"},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36", "android"},
	}
	e := newTestEngine(t)
	cats := testCatalogs(t)
	for _, tt := range tests {
		t.Run(tt.first, func(t *testing.T) {
			body := get(t, e, "/setup?email=jane@example.com&lang=en", "User-Agent", tt.userAgent).Body.String()
			first := strings.Index(body, `<li><a class="client`)
			require.GreaterOrEqual(t, first, 0)
			assert.True(t, strings.HasPrefix(body[first:], `<li><a class="client suggested" href="/setup/`+tt.first+`?`), body[first:first+120])
			assert.Equal(t, 1, strings.Count(body, cats["en"]["choose.suggested"]))
		})
	}
	body := get(t, e, "/setup?email=jane@example.com", "User-Agent", "curl/8.0").Body.String()
	hasNot(t, body, "suggested", "nothing is marked when the device is unknown")
}

// TestClientPages_EveryClientEveryLanguage walks the whole matrix: every
// step text, every settings value from the configuration, POP3 only folded.
func TestClientPages_EveryClientEveryLanguage(t *testing.T) {
	e := newTestEngine(t)
	cats := testCatalogs(t)
	const email = "jane.doe@example.com"
	for _, lang := range langCodes {
		for _, c := range clients {
			t.Run(lang+"/"+c.ID, func(t *testing.T) {
				rec := get(t, e, "/setup/"+c.ID+"?"+q("email", email, "lang", lang), "User-Agent", userAgentWindows)
				require.Equal(t, http.StatusOK, rec.Code)
				assertWizardHeaders(t, rec)
				assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
				body := rec.Body.String()
				assertPage(t, body, lang)
				msg := cats[lang]
				has(t, body, "<h1>"+inHTML(msg[c.NameKey()])+"</h1>")
				for _, k := range c.StepKeys() {
					has(t, body, "<li>"+inHTML(strings.NewReplacer("{0}", email, "{1}", msg["password.phrase.account"]).Replace(msg[k])))
				}
				assertSettingsTable(t, body, msg)
				has(t, body, `<details class="pop3">`, "folded on a client page")
				has(t, body, `<section class="trouble" id="troubleshooting"`)
				if c.Profile() {
					has(t, body, `href="`+profiles.DownloadPath+`?email=jane.doe%40example.com&amp;lang=`+lang+`"`)
					has(t, body, inHTML(msg["apple.download"]))
				} else {
					hasNot(t, body, profiles.DownloadPath)
				}
				// What to do when the app finds nothing, said once.
				if c.FallbackNote() {
					has(t, body, inHTML(msg["steps.fallback"]))
				} else {
					hasNot(t, body, inHTML(msg["steps.fallback"]))
				}
				if c.ID == "thunderbird" || c.ID == "emclient" {
					assert.False(t, c.FallbackNote(), "its last step says it")
				}
				switch {
				case c.importCode:
					// The code Thunderbird for Android imports replaces the
					// one that only opens this page on the phone.
					has(t, body, `<img id="tbimport-code" src="`+ThunderbirdQRPath+`?email=jane.doe%40example.com"`)
					hasNot(t, body, "/qr.png")
				case c.Mobile:
					has(t, body, `<img src="/qr.png?client=`+c.ID+`&amp;email=jane.doe%40example.com&amp;lang=`+lang+`"`)
				default:
					hasNot(t, body, "/qr.png")
				}
			})
		}
	}
}

// assertSettingsTable checks the values of testConfig, the password
// explanation, and that POP3 appears only inside the folded section.
func assertSettingsTable(t *testing.T, body string, msg catalog) {
	t.Helper()
	for _, row := range []string{
		`<th scope="row">` + inHTML(strings.ReplaceAll(msg["settings.incoming"], "{0}", "IMAP")) + `</th>` + serverCells(msg, "imap.example.net", "993", "SSL/TLS"),
		`<span class="role">(` + inHTML(msg["settings.role.recommended"]) + `)</span></th>` + serverCells(msg, "smtp.example.net", "587", "STARTTLS"),
		`<span class="role">(` + inHTML(msg["settings.role.fallback"]) + `)</span></th>` + serverCells(msg, "smtp.example.net", "465", "SSL/TLS"),
	} {
		has(t, body, row)
	}
	for _, key := range []string{"settings.auth.value", "settings.username.note", "settings.password.account"} {
		has(t, body, inHTML(msg[key]))
	}
	has(t, body, inHTML(strings.Split(msg["password.account.what"], "{0}")[0]), "testConfig's provider uses the account's password")
	details := strings.Index(body, `<details class="pop3"`)
	require.Greater(t, details, 0, "the POP3 section is there, folded")
	hasNot(t, body[:details], "pop.example.net")
	hasNot(t, body[:details], "995")
	folded := body[details:strings.Index(body, "</details>")]
	has(t, folded, "<summary>"+inHTML(msg["pop3.summary"])+"</summary>")
	has(t, folded, inHTML(msg["pop3.why"]))
	has(t, folded, serverCells(msg, "pop.example.net", "995", "SSL/TLS"))
}

func TestClientPage_NoQRCodeOnPhones(t *testing.T) {
	body := get(t, newTestEngine(t), "/setup/apple-ios?email=jane@example.com", "User-Agent", userAgentIPhone).Body.String()
	hasNot(t, body, "/qr.png")
	has(t, body, `href="/apple/mail.mobileconfig?email=jane%40example.com&amp;lang=en"`)
}

func TestClientPage_AppleProfileLinkCarriesName(t *testing.T) {
	body := get(t, newTestEngine(t), "/setup/apple-mac?"+q("email", "jane@example.com", "name", "Jane Doe")).Body.String()
	has(t, body, `href="/apple/mail.mobileconfig?email=jane%40example.com&amp;lang=en&amp;name=Jane&#43;Doe"`)
}

func TestSheetPage_EveryLanguage(t *testing.T) {
	e := newTestEngine(t)
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		t.Run(lang, func(t *testing.T) {
			rec := get(t, e, "/sheet?"+q("email", "jane@example.com", "lang", lang))
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			body := rec.Body.String()
			assertPage(t, body, lang)
			has(t, body, "<h1>"+inHTML(cats[lang]["sheet.title"])+"</h1>")
			assertSettingsTable(t, body, cats[lang])
			has(t, body, `<details class="pop3" open>`, "the sheet prints every section open")
			has(t, body, `<section class="trouble" id="troubleshooting"`)
		})
	}
}

func TestStyleSheet_HasPrintAndPhoneRules(t *testing.T) {
	body := get(t, newTestEngine(t), "/static/style.css").Body.String()
	has(t, body, "@media print")
	has(t, body, "@media (max-width:")
	has(t, body, ":focus-visible")
	hasNot(t, body, "@import")
	hasNot(t, body, "url(", "no external fonts or images")
}

func TestInvalidAddress_FormAgainWithReason(t *testing.T) {
	e := newTestEngine(t)
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		for _, path := range []string{"/setup", "/setup/thunderbird", "/sheet"} {
			t.Run(lang+path, func(t *testing.T) {
				rec := get(t, e, path+"?"+q("email", "jane.example.com", "lang", lang))
				require.Equal(t, http.StatusBadRequest, rec.Code)
				assertWizardHeaders(t, rec)
				body := rec.Body.String()
				assertPage(t, body, lang)
				reason := cats[lang]["reason.it has no @"]
				has(t, body, `role="alert">`+inHTML(strings.ReplaceAll(cats[lang]["start.invalid"], "{0}", reason))+`</p>`)
				has(t, body, `value="jane.example.com"`, "the form keeps what was typed")
				has(t, body, `aria-invalid="true"`)
			})
		}
	}
	rec := get(t, e, "/setup")
	assert.Equal(t, http.StatusBadRequest, rec.Code, "no address at all")
	assert.Contains(t, rec.Body.String(), cats["en"]["reason.it is empty"])
}

func TestUnservedDomain_404Page(t *testing.T) {
	e := newTestEngine(t)
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		for _, path := range []string{"/setup", "/setup/apple-ios", "/sheet"} {
			t.Run(lang+path, func(t *testing.T) {
				rec := get(t, e, path+"?"+q("email", "jane@unserved.example", "lang", lang))
				require.Equal(t, http.StatusNotFound, rec.Code)
				body := rec.Body.String()
				assertPage(t, body, lang)
				has(t, body, "<h1>"+inHTML(cats[lang]["notfound.domain.title"])+"</h1>")
				has(t, body, inHTML(strings.ReplaceAll(cats[lang]["notfound.domain.text"], "{0}", "unserved.example")))
			})
		}
	}
}

func TestWildcardDomain_Served(t *testing.T) {
	rec := get(t, newTestEngine(t), "/setup/other?email=jane@mail.example.org")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "imap.example.net")
}

func TestUnknownClient_404(t *testing.T) {
	e := newTestEngine(t)
	cats := testCatalogs(t)
	for _, path := range []string{"/setup/blackberry?email=jane@example.com", "/setup/%3Cscript%3E?email=jane@example.com"} {
		rec := get(t, e, path+"&lang=fr")
		assert.Equal(t, http.StatusNotFound, rec.Code)
		body := rec.Body.String()
		assertPage(t, body, "fr")
		has(t, body, inHTML(cats["fr"]["notfound.client.title"]))
	}
}

func TestInvalidName_400(t *testing.T) {
	e := newTestEngine(t)
	for _, name := range []string{strings.Repeat("n", profiles.MaxNameLength+1), "Jane\x00Doe", "Jane\u202eDoe"} {
		rec := get(t, e, "/setup/apple-ios?"+q("email", "jane@example.com", "name", name))
		assert.Equal(t, http.StatusBadRequest, rec.Code)
		body := rec.Body.String()
		hasNot(t, body[strings.Index(body, "<main"):], "Jane", "the refused name is not echoed")
	}
}

// TestHostileInput_EscapedEverywhere sends an address whose quoted local
// part is markup (ParseAddress accepts it) and a name that tries to leave
// its attribute, to every page in every language.
func TestHostileInput_EscapedEverywhere(t *testing.T) {
	const (
		hostileEmail = `"<script>alert(1)</script>"@example.com`
		hostileName  = `"><script>alert(2)</script><x y='`
	)
	e := newTestEngine(t)
	paths := []string{"/", "/setup", "/sheet"}
	for _, c := range clients {
		paths = append(paths, "/setup/"+c.ID)
	}
	for _, lang := range langCodes {
		for _, path := range paths {
			for _, email := range []string{hostileEmail, `"<script>"@example.com`, `<script>@example.com`} {
				t.Run(lang+path, func(t *testing.T) {
					rec := get(t, e, path+"?"+q("email", email, "name", hostileName, "lang", lang), "User-Agent", userAgentWindows)
					assert.Contains(t, []int{http.StatusOK, http.StatusBadRequest}, rec.Code)
					body := rec.Body.String()
					hasNot(t, body, "<script")
					hasNot(t, body, `"><script>alert(2)`)
					hasNot(t, body, "<x y=")
					has(t, body, "&lt;script&gt;", "the address is shown, escaped")
				})
			}
		}
	}
	body := get(t, e, "/setup/apple-ios?"+q("email", `"<script>"@example.com`, "lang", "en")).Body.String()
	has(t, body, "&#34;&lt;script&gt;&#34;@example.com")
	has(t, body, `href="/apple/mail.mobileconfig?email=%22%3Cscript%3E%22%40example.com&amp;lang=en"`)
}

func TestPages_MethodsOtherThanGET(t *testing.T) {
	e := newTestEngine(t)
	e.HandleMethodNotAllowed = true
	for _, path := range []string{"/", "/setup", "/setup/thunderbird", "/sheet", "/qr.png"} {
		req, rec := newRequest(http.MethodPost, path), newRecorder()
		e.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, path)
	}
}

// serverCells is the markup of one server's host, port and security cells.
func serverCells(msg catalog, host, port, security string) string {
	cell := func(labelKey, value string) string {
		return `<td class="value" data-label="` + inHTML(msg[labelKey]) + `">` + value + `</td>`
	}
	return cell("settings.server", host) + cell("settings.port", port) + cell("settings.security", security)
}
