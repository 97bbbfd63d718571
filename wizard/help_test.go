package wizard

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// siteConfig is testConfig with the site's own contact and a well-known
// domain to suggest.
const siteConfig = `
site:
  support: {email: help@example.net, url: "https://help.example.net/"}
  suggest_domains: [gmail.com]
` + testConfig

// TestUnservedDomain_SiteContactAndSuggestion: the page for an unserved
// domain gives the site's contact and, for a near-miss, the address meant.
func TestUnservedDomain_SiteContactAndSuggestion(t *testing.T) {
	e := newTestEngineOn(t, siteConfig)
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		rec := get(t, e, "/setup?"+q("email", "jane@exmaple.com", "name", "Jane", "lang", lang))
		require.Equal(t, http.StatusNotFound, rec.Code)
		body := rec.Body.String()
		has(t, body, `<p class="suggest">`+inHTML(cats[lang]["notfound.domain.suggest"])+` <a href="/setup?email=jane%40example.com&amp;lang=`+lang+`&amp;name=Jane">jane@example.com</a>`+inHTML(cats[lang]["notfound.domain.suggest.end"])+`</p>`, lang)
		has(t, body, `<a href="mailto:help@example.net">help@example.net</a>`, lang)

		body = get(t, e, "/setup?"+q("email", "jane@gmial.com", "lang", lang)).Body.String()
		has(t, body, ">jane@gmail.com</a>", "the site's list: %s", lang)

		body = get(t, e, "/setup?"+q("email", "jane@far-away.test", "lang", lang)).Body.String()
		hasNot(t, body, `class="suggest"`, "nothing near: %s", lang)
		has(t, body, "help@example.net", lang)

		// The start page, without an address, has the contact too.
		has(t, get(t, e, "/?lang="+lang).Body.String(), `<a href="mailto:help@example.net">help@example.net</a>`, lang)
	}
}

// TestAppleSteps_DownloadAndNotVerifiedWhereTheyHappen: the profile's
// button is inside the step that says to tap it, and the install step
// explains "Not Verified" unless the profiles are signed.
func TestAppleSteps_DownloadAndNotVerifiedWhereTheyHappen(t *testing.T) {
	cats := testCatalogs(t)
	for _, signed := range []bool{false, true} {
		var opts []engineOption
		if signed {
			opts = append(opts, withSignedProfiles())
		}
		e := newTestEngine(t, opts...)
		for _, id := range []string{"apple-ios", "apple-mac"} {
			for _, lang := range langCodes {
				msg := cats[lang]
				body := get(t, e, "/setup/"+id+"?"+q("email", "jane@example.com", "lang", lang)).Body.String()
				steps := body[strings.Index(body, "<ol>"):strings.Index(body, "</ol>")]
				has(t, steps, inHTML(msg["steps."+id+".1"])+`<p><a class="button" id="profile"`, "%s %s: the button in its step", id, lang)
				note := inHTML(strings.ReplaceAll(msg["steps.apple.unverified"], "{0}", "example.com"))
				if signed {
					hasNot(t, body, note, "%s %s", id, lang)
					continue
				}
				has(t, steps, inHTML(msg["steps."+id+".3"])+`<p class="note step-note">`+note+`</p></li>`, "%s %s: Not Verified at the install step", id, lang)
			}
		}
	}
}

// TestTroubleshooting_CertificateConnectionAndLockout: every client page
// and the sheet explain certificate errors (with the right server name),
// blocked ports (with the ports) and a locked account.
func TestTroubleshooting_CertificateConnectionAndLockout(t *testing.T) {
	e := newTestEngine(t)
	cats := testCatalogs(t)
	for _, path := range append(clientPaths(), "/sheet") {
		for _, lang := range langCodes {
			msg := cats[lang]
			body := get(t, e, path+"?"+q("email", "jane@example.com", "lang", lang)).Body.String()
			has(t, body, inHTML(strings.ReplaceAll(msg["ts.cert.text"], "{0}", "imap.example.net")), path)
			has(t, body, inHTML(strings.NewReplacer("{0}", "993", "{1}", "587").Replace(msg["ts.connect.text"])), path)
			has(t, body, inHTML(msg["ts.locked.text"]), path)
		}
	}
}

// idnConfig serves an internationalised domain.
const idnConfig = `
providers:
  - id: example.net
    display_name: Example Mail
    domains: ["bücher.ch"]
    incoming:
      - {protocol: imap, host: imap.example.net, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: smtp.example.net, port: 587, security: starttls}
`

// TestIDN_WhichFormToType: the settings say the ASCII username is the
// same address; Thunderbird's steps give the ASCII form to type (it
// refuses a Unicode domain there), other apps' the Unicode one; the link
// to type on the phone shows the domain in Unicode, not percent-encoded.
func TestIDN_WhichFormToType(t *testing.T) {
	e := newTestEngineOn(t, idnConfig, withPublicURL("https://autoconfig.example.net"))
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		msg := cats[lang]
		tb := get(t, e, "/setup/thunderbird?"+q("email", "jane@bücher.ch", "lang", lang), "User-Agent", userAgentWindows).Body.String()
		has(t, tb, `<span class="value">jane@xn--bcher-kva.ch</span>`, lang)
		has(t, tb, inHTML(strings.ReplaceAll(msg["settings.username.idn"], "{0}", "jane@bücher.ch")), lang)
		has(t, tb, inHTML(strings.NewReplacer("{0}", "jane@xn--bcher-kva.ch", "{1}", msg["password.phrase.account"]).Replace(msg["steps.thunderbird.2"])), "%s: Thunderbird gets the ASCII form", lang)
		has(t, tb, inHTML(strings.NewReplacer("{0}", msg["client.thunderbird.name"], "{1}", "jane@bücher.ch").Replace(msg["steps.address.ascii"])), lang)
		has(t, tb, "<code>autoconfig.example.net/<wbr>s/<wbr>thunderbird/<wbr>jane@bücher.ch</code>", "%s: the link to type, in Unicode, without https://", lang)

		em := get(t, e, "/setup/emclient?"+q("email", "jane@bücher.ch", "lang", lang)).Body.String()
		has(t, em, inHTML(strings.ReplaceAll(msg["steps.emclient.2"], "{0}", "jane@bücher.ch")), "%s: other apps take the Unicode form", lang)
		hasNot(t, em, inHTML(strings.ReplaceAll(strings.ReplaceAll(msg["steps.address.ascii"], "{0}", msg["client.emclient.name"]), "{1}", "jane@bücher.ch")), lang)
	}
}
