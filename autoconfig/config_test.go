package autoconfig_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func TestDefault_IsTheSeedReferenceProvider(t *testing.T) {
	c := autoconfig.Default()
	require.Len(t, c.Providers, 1)
	p := c.Providers[0]
	assert.Same(t, p, c.CatchAll, "the embedded default answers for any domain")
	assert.Equal(t, "infomaniak.com", p.ID)
	assert.Equal(t, []autoconfig.Server{
		{Protocol: autoconfig.IMAP, Host: "mail.infomaniak.com", Port: 993, Security: autoconfig.SecurityTLS, Auth: autoconfig.AuthPassword, Username: autoconfig.PlaceholderAddress},
		{Protocol: autoconfig.POP3, Host: "mail.infomaniak.com", Port: 995, Security: autoconfig.SecurityTLS, Auth: autoconfig.AuthPassword, Username: autoconfig.PlaceholderAddress, Discouraged: true},
	}, p.Incoming)
	assert.Equal(t, []autoconfig.Server{
		{Protocol: autoconfig.SMTP, Host: "mail.infomaniak.com", Port: 587, Security: autoconfig.SecuritySTARTTLS, Auth: autoconfig.AuthPassword, Username: autoconfig.PlaceholderAddress},
		{Protocol: autoconfig.SMTP, Host: "mail.infomaniak.com", Port: 465, Security: autoconfig.SecurityTLS, Auth: autoconfig.AuthPassword, Username: autoconfig.PlaceholderAddress},
	}, p.Outgoing)
	assert.Equal(t, []autoconfig.MXHost{{Host: "mta-gw.infomaniak.ch", Priority: 5}}, p.MX)
	assert.Equal(t, "v=spf1 include:spf.infomaniak.ch -all", p.SPF)
	assert.Zero(t, p.AppleSMTPPort, "unset: the preferred SMTP server (Decide)")
	assert.False(t, p.AutodiscoverPOP3)
	assert.Empty(t, p.CalDAVURL, "the seed names no CalDAV server")

	for _, d := range []string{"example.ch", "anything.example.org", "xn--bcher-kva.example"} {
		got, err := c.Lookup(d)
		require.NoError(t, err)
		assert.Same(t, p, got, d)
	}
}

func TestLoadFile_Example(t *testing.T) {
	c, err := autoconfig.LoadFile(testkit.Testdata(t, "config/example.yaml"))
	require.NoError(t, err)
	require.Len(t, c.Providers, 2)
	hosting, legacy := c.Providers[0], c.Providers[1]
	assert.Nil(t, c.CatchAll)
	assert.Equal(t, []string{"example.ch", "example-hosting.ch", "xn--bcher-kva.example", "*.customers.example-hosting.ch"}, hosting.Domains)
	assert.Equal(t, "Example Mail", hosting.ShortName)
	assert.Equal(t, "Legacy Mail", legacy.ShortName, "short_name defaults to display_name")
	assert.Equal(t, "https://dav.example-hosting.ch/calendars/", hosting.CalDAVURL)
	assert.Equal(t, autoconfig.PlaceholderLocalPart, legacy.Incoming[0].Username)

	lookups := []struct {
		domain string
		want   *autoconfig.Provider
	}{
		{"example.ch", hosting},
		{"xn--bcher-kva.example", hosting},
		{"shop.customers.example-hosting.ch", hosting},
		{"a.b.customers.example-hosting.ch", hosting},
		{"example.net", legacy},
	}
	for _, l := range lookups {
		got, err := c.Lookup(l.domain)
		require.NoError(t, err, l.domain)
		assert.Same(t, l.want, got, l.domain)
	}
	for _, unknown := range []string{"customers.example-hosting.ch", "example.org", "sub.example.ch", "ch"} {
		_, err := c.Lookup(unknown)
		assert.ErrorIs(t, err, autoconfig.ErrUnknownDomain, unknown)
	}
}

func TestResolve_FillsUsernames(t *testing.T) {
	c, err := autoconfig.LoadFile(testkit.Testdata(t, "config/example.yaml"))
	require.NoError(t, err)
	addr, err := autoconfig.ParseAddress("Jane@Example.NET")
	require.NoError(t, err)
	r := &autoconfig.Resolver{Store: autoconfig.NewStore(c)}
	acct, err := r.Account(context.Background(), addr, "")
	require.NoError(t, err)
	assert.Equal(t, "legacy.example.net", acct.Provider.ID)
	assert.Equal(t, "jane", acct.Incoming[0].Username, "local parts are case-insensitive by default")
	assert.Equal(t, "jane", acct.Outgoing[0].Username)
	assert.Equal(t, autoconfig.PlaceholderLocalPart, acct.Provider.Incoming[0].Username, "resolving must not change the provider")
}

// minimal is a valid provider that the error cases below break one way each.
const minimal = `providers:
  - id: example.com
    display_name: Example
    domains: [example.com]
    incoming:
      - protocol: imap
        host: imap.example.com
        port: 993
        security: tls
    outgoing:
      - protocol: smtp
        host: smtp.example.com
        port: 587
        security: starttls
`

func TestParse_Minimal(t *testing.T) {
	c, err := autoconfig.Parse("minimal.yaml", []byte(minimal))
	require.NoError(t, err)
	require.Len(t, c.Providers, 1)
	assert.Equal(t, autoconfig.AuthPassword, c.Providers[0].Incoming[0].Auth)
	assert.Equal(t, autoconfig.PlaceholderAddress, c.Providers[0].Incoming[0].Username)
}

func TestParse_Errors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // every message, in order
	}{
		{"empty file", ``, []string{"f.yaml: the file is empty: it needs at least one provider"}},
		{"no providers", "providers: []\n", []string{"f.yaml: providers: at least one provider is required"}},
		{"not YAML", "providers: [\n", []string{"f.yaml:2: did not find expected node content"}},
		// yaml.v3 reports its parser's problems a line early: line 4 is wrong.
		{"parser problem on its own line", "providers:\n  - id: a\n    domains: [a.example]\n catch_all: a\n", []string{"f.yaml:4: did not find expected key"}},
		{"unknown top-level key", "provider: []\n" + minimal, []string{"f.yaml:1: provider: unknown field"}},
		{"unknown server key", strings.Replace(minimal, "        port: 993\n", "        port: 993\n        ssl: true\n", 1),
			[]string{"f.yaml:9: providers[0].incoming[0].ssl: unknown field"}},
		{"port is text", strings.Replace(minimal, "port: 993", "port: imaps", 1),
			[]string{"f.yaml:8: providers[0].incoming[0].port: cannot unmarshal text `imaps` into int"}},
		{"port out of range", strings.Replace(minimal, "port: 993", "port: 99300", 1),
			[]string{"f.yaml:8: providers[0].incoming[0].port: must be between 1 and 65535 (it is 99300)"}},
		{"port zero", strings.Replace(minimal, "port: 587", "port: 0", 1),
			[]string{"f.yaml:13: providers[0].outgoing[0].port: must be between 1 and 65535 (it is 0)"}},
		{"invalid host", strings.Replace(minimal, "host: imap.example.com", "host: imap_example", 1),
			[]string{`f.yaml:7: providers[0].incoming[0].host: "imap_example" is not a valid host name`}},
		{"missing host", strings.Replace(minimal, "        host: imap.example.com\n", "", 1),
			[]string{"f.yaml:6: providers[0].incoming[0].host: is required"}},
		{"bad security", strings.Replace(minimal, "security: tls", "security: ssl", 1),
			[]string{"f.yaml:9: providers[0].incoming[0].security: must be tls (implicit TLS), starttls or none"}},
		{"smtp as incoming", strings.Replace(minimal, "protocol: imap", "protocol: smtp", 1),
			[]string{"f.yaml:6: providers[0].incoming[0].protocol: must be imap or pop3"}},
		{"no incoming server", strings.Replace(minimal, "    incoming:\n      - protocol: imap\n        host: imap.example.com\n        port: 993\n        security: tls\n", "", 1),
			[]string{"f.yaml:2: providers[0].incoming: at least an IMAP or POP3 server is required"}},
		{"no outgoing server", strings.Replace(minimal, "    outgoing:\n      - protocol: smtp\n        host: smtp.example.com\n        port: 587\n        security: starttls\n", "", 1),
			[]string{"f.yaml:2: providers[0].outgoing: at least an SMTP server is required"}},
		{"oauth2 not yet", strings.Replace(minimal, "        security: tls\n", "        security: tls\n        authentication: oauth2\n", 1),
			[]string{"f.yaml:10: providers[0].incoming[0].authentication: oauth2 is not supported yet: use password"}},
		{"unknown placeholder", strings.Replace(minimal, "        security: tls\n", "        security: tls\n        username: \"%USER%\"\n", 1),
			[]string{"f.yaml:10: providers[0].incoming[0].username: unknown placeholder: use %EMAILADDRESS%, %EMAILLOCALPART% or %EMAILDOMAIN%"}},
		{"id not a host name", strings.Replace(minimal, "id: example.com", "id: Example Mail", 1),
			[]string{"f.yaml:2: providers[0].id: must look like a host name in ASCII, e.g. example.com"}},
		{"missing id", strings.Replace(minimal, "  - id: example.com\n    display_name", "  - display_name", 1),
			[]string{"f.yaml:2: providers[0].id: is required"}},
		{"short name too long", strings.Replace(minimal, "display_name: Example", "display_name: Example Mail Services Provider", 1),
			[]string{"f.yaml:3: providers[0].short_name: must be at most 20 characters (it is 30); set short_name"}},
		{"bad domain", strings.Replace(minimal, "domains: [example.com]", "domains: [example.com, \"not a domain\"]", 1),
			[]string{`f.yaml:4: providers[0].domains[1]: "not a domain" is not a domain name or *.domain wildcard`}},
		{"domain listed twice", strings.Replace(minimal, "domains: [example.com]", "domains: [example.com, Example.COM]", 1),
			[]string{`f.yaml:4: providers[0].domains[1]: example.com is already claimed by provider "example.com" at line 4`}},
		{"domain claimed by two providers", minimal + strings.Replace(strings.TrimPrefix(minimal, "providers:\n"), "id: example.com", "id: other.example", 1),
			[]string{`f.yaml:17: providers[1].domains[0]: example.com is already claimed by provider "example.com" at line 4`}},
		{"duplicate id", minimal + strings.Replace(strings.TrimPrefix(minimal, "providers:\n"), "domains: [example.com]", "domains: [example.org]", 1),
			[]string{`f.yaml:15: providers[1].id: provider id "example.com" is already used at line 2`}},
		{"no domains and not catch-all", strings.Replace(minimal, "    domains: [example.com]\n", "", 1),
			[]string{"f.yaml:2: providers[0].domains: the provider serves no domain: list its domains, set accept.mx or name it in catch_all"}},
		{"catch_all names nobody", "catch_all: nobody.example\n" + minimal,
			[]string{`f.yaml:1: catch_all: no provider has the id "nobody.example"`}},
		{"bad URL", minimal + "    help_url: ftp://help.example.com\n",
			[]string{"f.yaml:15: providers[0].help_url: must be an absolute http or https URL"}},
		{"CalDAV port out of range", minimal + "    caldav_url: https://dav.example.com:70000/caldav/\n",
			[]string{"f.yaml:15: providers[0].caldav_url: the port is not a number between 1 and 65535"}},
		{"CardDAV host invalid", minimal + "    carddav_url: https://dav_example.com/carddav/\n",
			[]string{`f.yaml:15: providers[0].carddav_url: "dav_example.com" is not a valid host name`}},
		{"bad SPF", minimal + "    spf: include:spf.example.com\n",
			[]string{`f.yaml:15: providers[0].spf: must start with "v=spf1"`}},
		{"bad MX", minimal + "    mx:\n      - host: mx_1\n        priority: 70000\n",
			[]string{`f.yaml:16: providers[0].mx[0].host: "mx_1" is not a valid host name`, "f.yaml:17: providers[0].mx[0].priority: must be between 0 and 65535"}},
		{"apple port without server", minimal + "    apple:\n      smtp_port: 465\n",
			[]string{"f.yaml:16: providers[0].apple.smtp_port: no outgoing SMTP server uses port 465"}},
		{"autodiscover pop3 without server", minimal + "    autodiscover:\n      pop3: true\n",
			[]string{"f.yaml:16: providers[0].autodiscover.pop3: the provider has no POP3 server"}},
		{"unknown key and bad port, in line order", strings.Replace(strings.Replace(minimal, "port: 587", "port: 70000", 1), "security: tls", "securty: tls", 1),
			[]string{
				"f.yaml:6: providers[0].incoming[0].security: is required: tls, starttls or none",
				"f.yaml:9: providers[0].incoming[0].securty: unknown field",
				"f.yaml:13: providers[0].outgoing[0].port: must be between 1 and 65535 (it is 70000)",
			}},
		{"unknown keys everywhere", "sevice_host: x.example\n" + strings.Replace(minimal, "        security: starttls\n", "        security: starttls\n        tls: true\n", 1) + "    apple:\n      smtp: 587\n",
			[]string{
				"f.yaml:1: sevice_host: unknown field",
				"f.yaml:16: providers[0].outgoing[0].tls: unknown field",
				"f.yaml:18: providers[0].apple.smtp: unknown field",
			}},
		{"several errors at once", strings.Replace(strings.Replace(minimal, "port: 993", "port: -1", 1), "security: starttls", "security: tlss", 1),
			[]string{
				"f.yaml:8: providers[0].incoming[0].port: must be between 1 and 65535 (it is -1)",
				"f.yaml:14: providers[0].outgoing[0].security: must be tls (implicit TLS), starttls or none",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := autoconfig.Parse("f.yaml", []byte(tt.yaml))
			require.Error(t, err)
			var errs autoconfig.ConfigErrors
			require.ErrorAs(t, err, &errs)
			got := make([]string, len(errs))
			for i, e := range errs {
				got[i] = e.Error()
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLoadFile_Missing(t *testing.T) {
	_, err := autoconfig.LoadFile(filepath.Join(t.TempDir(), "nope.yaml"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "reading configuration")
}

func TestConfigLookup_ManyDomains(t *testing.T) {
	c, err := autoconfig.Parse("many.yaml", []byte(testkit.BigConfig(5000)))
	require.NoError(t, err)
	p, err := c.Lookup("customer4999.example")
	require.NoError(t, err)
	assert.Equal(t, "example.com", p.ID)
	assert.Len(t, p.Domains, 5000)
	_, err = c.Lookup("customer5000.example")
	assert.ErrorIs(t, err, autoconfig.ErrUnknownDomain)
}
