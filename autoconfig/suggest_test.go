package autoconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// suggestProvider is a provider of a few domains for the site tests.
const suggestProvider = `
providers:
  - id: example.ch
    display_name: Example
    domains: [example.ch, "bücher.ch", "*.example.org"]
    incoming:
      - {protocol: imap, host: imap.example.ch, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: smtp.example.ch, port: 587, security: starttls}
`

func TestNearDomain(t *testing.T) {
	cfg, err := Parse("test", []byte(`
site:
  suggest_domains: [gmail.com, outlook.com]
`+suggestProvider))
	require.NoError(t, err)
	for typed, want := range map[string]string{
		"exmaple.ch":          "example.ch", // two letters swapped: one edit
		"exampl.ch":           "example.ch",
		"eksample.ch":         "example.ch", // two edits
		"xmpl.ch":             "",           // three
		"example.ch":          "",           // served: nothing to suggest
		"gmial.com":           "gmail.com",  // the site's list
		"gmail.com":           "",
		"outlok.com":          "outlook.com",
		"xn--bcher-kva.com":   "bücher.ch", // bücher.com: shown in Unicode
		"bucher.ch":           "bücher.ch",
		"example.org":         "", // the wildcard's suffix is not served
		"completely-else.net": "",
	} {
		assert.Equal(t, want, cfg.NearDomain(typed), typed)
	}
}

func TestSiteSupport(t *testing.T) {
	cfg, err := Parse("test", []byte(`
site:
  support: {url: "https://help.example.net/", email: help@example.net, phone: "+41 22 000 00 00"}
`+suggestProvider))
	require.NoError(t, err)
	assert.Equal(t, Support{URL: "https://help.example.net/", Email: "help@example.net", Phone: "+41 22 000 00 00"}, cfg.Site.Support)

	_, err = Parse("test", []byte("site:\n  support: {email: not-an-address}\n  suggest_domains: [\"bad domain\"]\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "site.support.email")
	assert.Contains(t, err.Error(), "site.suggest_domains")
}
