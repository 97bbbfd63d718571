package wizard

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// tbImportSrcRE finds the import code's image in a page.
var tbImportSrcRE = regexp.MustCompile(`<img id="tbimport-code" src="([^"]+)"`)

// tbImportImage is the import code's image URL in body, "" when none.
func tbImportImage(body string) string {
	m := tbImportSrcRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// The Thunderbird page's image decodes to exactly the payload tbimport
// writes for the resolved account, name included (tbimport's own tests
// read that payload field by field with a reader written from the
// format's description).
func TestThunderbirdPage_ImportCodeIsTheAccountsPayload(t *testing.T) {
	e := newTestEngine(t, withPublicURL("https://autoconfig.example.net"))
	cfg := testkit.ParseConfig(t, testConfig)
	tests := []struct{ email, name, want string }{
		{"jane.doe@example.com", "", "jane.doe@example.com"},
		{"Jane.Doe@Example.COM", `Jane "JD" Dœ`, "jane.doe@example.com"},
		{"jane@sub.example.org", "Zoë O'Brien", "jane@sub.example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.email+"/"+tt.name, func(t *testing.T) {
			rec := get(t, e, "/setup/thunderbird?"+q("email", tt.email, "name", tt.name, "lang", "en"), "User-Agent", userAgentWindows)
			require.Equal(t, http.StatusOK, rec.Code)
			src := tbImportImage(rec.Body.String())
			require.NotEmpty(t, src, "the page shows the import code")
			assert.True(t, strings.HasPrefix(src, ThunderbirdQRPath+"?"), src)

			img := get(t, e, src)
			require.Equal(t, http.StatusOK, img.Code, img.Body.String())
			text, width := decodeQR(t, img.Body.Bytes())
			assert.Equal(t, qrDefaultSize, width)

			acct := autoconfig.NewAccount(testkit.Provider(t, cfg, tt.want[strings.IndexByte(tt.want, '@')+1:]), testkit.Address(t, tt.want), tt.name)
			want, err := tbimport.Payload(acct)
			require.NoError(t, err)
			assert.Equal(t, string(want), text)
		})
	}
}

// The section's steps are in the page's language, and the password step
// names the password as the provider's policy does; beside the code, the
// Thunderbird page's short link for those who cannot scan.
func TestThunderbirdPage_ImportStepsFollowLanguageAndPolicy(t *testing.T) {
	cats := testCatalogs(t)
	for _, policy := range []struct {
		name, config, phraseKey, otherKey string
	}{
		{"device", deviceConfig, "password.phrase.device", "password.phrase.account"},
		{"account", testConfig, "password.phrase.account", "password.phrase.device"},
	} {
		e := newTestEngineOn(t, policy.config, withPublicURL("https://autoconfig.example.net"))
		for _, lang := range langCodes {
			t.Run(policy.name+"/"+lang, func(t *testing.T) {
				const email = "jane@example.com"
				body := get(t, e, "/setup/thunderbird?"+q("email", email, "lang", lang), "User-Agent", userAgentWindows).Body.String()
				msg := cats[lang]
				has(t, body, `<aside class="qr tbimport" aria-labelledby="tbimport-title">`)
				has(t, body, `<h2 id="tbimport-title">`+inHTML(msg["tbimport.title"])+`</h2>`)
				for i := 1; i <= tbImportSteps; i++ {
					step := strings.NewReplacer("{0}", email, "{1}", msg[policy.phraseKey]).Replace(msg["tbimport.step."+itoa(i)])
					has(t, body, "<li>"+inHTML(step)+"</li>")
				}
				hasNot(t, body, inHTML(strings.NewReplacer("{1}", msg[policy.otherKey]).Replace(msg["tbimport.step.4"])))
				has(t, body, inHTML(msg["tbimport.link"])+` <a href="https://autoconfig.example.net/s/thunderbird/`+email+`">`)
				hasNot(t, body, "/qr.png", "one code on the page: the import code")
			})
		}
	}
}

// An account the app cannot import gets no import code and no word about
// it: the page keeps the code that opens the steps on the phone. A phone
// gets no code at all (it cannot scan its own screen).
func TestThunderbirdPage_NoImportCodeWhereTheAppCannotImport(t *testing.T) {
	const plainConfig = testConfig + `
  - id: plain.example
    display_name: Plain Mail
    domains: [plain.example]
    incoming:
      - {protocol: imap, host: imap.plain.example, port: 143, security: none}
    outgoing:
      - {protocol: smtp, host: smtp.plain.example, port: 587, security: starttls}
`
	e := newTestEngineOn(t, plainConfig)
	cats := testCatalogs(t)
	tests := []struct{ name, email, userAgent string }{
		{"non-ASCII local part", "jürg@example.com", userAgentWindows},
		{"quoted local part", `"jane.doe"@example.com`, userAgentWindows},
		{"no TLS", "jane@plain.example", userAgentWindows},
		{"phone", "jane@example.com", userAgentIPhone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := ""
			for _, path := range []string{"/setup/thunderbird", "/sheet"} {
				rec := get(t, e, path+"?"+q("email", tt.email, "name", name, "lang", "en"), "User-Agent", tt.userAgent)
				require.Equal(t, http.StatusOK, rec.Code, path)
				body := rec.Body.String()
				if tt.name == "phone" && path == "/sheet" {
					// Paper can be scanned: the sheet has it on any device.
					has(t, body, `id="tbimport-code"`)
					continue
				}
				hasNot(t, body, "tbimport", path)
				hasNot(t, body, inHTML(cats["en"]["tbimport.title"]), path)
				hasNot(t, body, ThunderbirdQRPath, path)
				if path == "/setup/thunderbird" && tt.userAgent == userAgentWindows {
					has(t, body, `<img src="/qr.png?client=thunderbird&amp;`, "the phone code instead")
				}
				// The image route agrees: it refuses these accounts.
				if tt.name != "phone" {
					v := url.Values{"email": {tt.email}, "name": {name}}
					assert.Equal(t, http.StatusUnprocessableEntity, get(t, e, ThunderbirdQRPath+"?"+v.Encode()).Code)
				}
			}
		})
	}
}

// The printable sheet carries the import code with its steps and the
// typed link, in a section that prints (not the screen-only .qr box).
func TestSheet_CarriesTheImportCode(t *testing.T) {
	e := newTestEngine(t, withPublicURL("https://autoconfig.example.net"))
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		body := get(t, e, "/sheet?"+q("email", "jane@example.com", "name", "Jane Doe", "lang", lang)).Body.String()
		has(t, body, `<section class="tbimport" aria-labelledby="tbimport-title">`, lang)
		assert.Equal(t, ThunderbirdQRPath+"?email=jane%40example.com&name=Jane+Doe", tbImportImage(body), lang)
		has(t, body, inHTML(strings.NewReplacer("{0}", "jane@example.com").Replace(cats[lang]["tbimport.step.3"])), lang)
		has(t, body, `<a href="https://autoconfig.example.net/s/thunderbird/jane@example.com?name=Jane&#43;Doe">`, lang)
	}
}

// The helpdesk gets the code's absolute link to send and the image to
// show; for an address the app cannot import, a sentence that says so.
func TestHelpdesk_ThunderbirdImportCode(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken), withPublicURL("https://autoconfig.example.net"))
	cats := testCatalogs(t)
	post := func(email, lang string) string {
		rec := postHelpdesk(t, e, url.Values{"email": {email}, "name": {"Jane Doe"}, "lang": {lang}},
			"Authorization", basicAuth("helpdesk", testToken), "Sec-Fetch-Site", "same-origin")
		require.Equal(t, http.StatusOK, rec.Code)
		return rec.Body.String()
	}
	for _, lang := range langCodes {
		body := post("jane@example.com", lang)
		has(t, body, inHTML(cats[lang]["helpdesk.tbimport"])+` <a href="https://autoconfig.example.net`+ThunderbirdQRPath+`?email=jane%40example.com&amp;name=Jane&#43;Doe">`, lang)
		assert.Equal(t, ThunderbirdQRPath+"?email=jane%40example.com&name=Jane+Doe", tbImportImage(body), lang)
		hasNot(t, body, inHTML(cats[lang]["helpdesk.tbimport.none"]), lang)

		body = post("jürg@example.com", lang)
		has(t, body, inHTML(cats[lang]["helpdesk.tbimport.none"]), lang)
		hasNot(t, body, ThunderbirdQRPath, lang)
	}
}
