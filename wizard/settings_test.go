package wizard

import (
	"html/template"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A provider whose SMTP servers take another username (here the local part)
// gets a second username row, and both rows are named by what they are for.
func TestSettings_OutgoingUsernameWhenItDiffers(t *testing.T) {
	const config = `
providers:
  - id: example.net
    display_name: Example Mail
    domains: [example.com]
    incoming:
      - {protocol: imap, host: imap.example.net, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: smtp.example.net, port: 587, security: starttls, username: "%EMAILLOCALPART%"}
`
	cats := testCatalogs(t)
	for _, lang := range []string{"en", "de"} {
		body := get(t, newTestEngineOn(t, config), "/setup/thunderbird?email=jane.doe@example.com&lang="+lang).Body.String()
		incoming := strings.ReplaceAll(cats[lang]["settings.username.incoming"], "{0}", "IMAP")
		assert.Contains(t, body, "<dt>"+template.HTMLEscapeString(incoming)+"</dt><dd><span class=\"value\">jane.doe@example.com</span>", lang)
		assert.Contains(t, body, "<dt>"+template.HTMLEscapeString(cats[lang]["settings.username.outgoing"])+"</dt><dd><span class=\"value\">jane.doe</span></dd>", lang)
	}
}

// With one username for everything (the embedded default, testConfig), the
// table has one row, named plainly.
func TestSettings_OneUsernameRowWhenTheyAreTheSame(t *testing.T) {
	cats := testCatalogs(t)
	body := get(t, newTestEngine(t), "/setup/thunderbird?email=jane.doe@example.com&lang=en").Body.String()
	assert.Contains(t, body, "<dt>"+template.HTMLEscapeString(cats["en"]["settings.username"])+"</dt>")
	assert.NotContains(t, body, template.HTMLEscapeString(cats["en"]["settings.username.outgoing"]))
	assert.NotContains(t, body, template.HTMLEscapeString(strings.ReplaceAll(cats["en"]["settings.username.incoming"], "{0}", "IMAP")))
}
