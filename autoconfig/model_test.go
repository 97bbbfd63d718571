package autoconfig_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// hostPort names a server in assertions.
func hostPort(s autoconfig.Server) string {
	return string(s.Protocol) + " " + s.Host + ":" + strconv.Itoa(s.Port) + " " + string(s.Security)
}

func hostPorts(servers []autoconfig.Server) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = hostPort(s)
	}
	return out
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name         string
		config       string
		incoming     []string
		outgoing     []string
		apple        string
		autodiscover []string
		// appleOutgoing is the SMTP list of a page about an Apple profile;
		// pop3 the POP3 alternative beside IMAP ("" for none).
		appleOutgoing []string
		pop3          string
	}{
		{
			name:          "reference provider: IMAP, discouraged POP3, 587 then 465",
			config:        "default",
			incoming:      []string{"imap mail.infomaniak.com:993 tls", "pop3 mail.infomaniak.com:995 tls"},
			outgoing:      []string{"smtp mail.infomaniak.com:587 starttls", "smtp mail.infomaniak.com:465 tls"},
			apple:         "smtp mail.infomaniak.com:587 starttls",
			autodiscover:  []string{"imap mail.infomaniak.com:993 tls", "smtp mail.infomaniak.com:587 starttls"},
			appleOutgoing: []string{"smtp mail.infomaniak.com:587 starttls", "smtp mail.infomaniak.com:465 tls"},
			pop3:          "pop3 mail.infomaniak.com:995 tls",
		},
		{
			name: "POP3 listed first still comes after IMAP; Apple gets 465",
			config: `
providers:
  - id: p.example
    display_name: P
    domains: [p.example]
    apple: {smtp_port: 465}
    autodiscover: {pop3: true}
    incoming:
      - {protocol: pop3, host: pop.p.example, port: 995, security: tls}
      - {protocol: imap, host: imap.p.example, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: smtp.p.example, port: 587, security: starttls}
      - {protocol: smtp, host: smtp.p.example, port: 465, security: tls}
`,
			incoming:      []string{"imap imap.p.example:993 tls", "pop3 pop.p.example:995 tls"},
			outgoing:      []string{"smtp smtp.p.example:587 starttls", "smtp smtp.p.example:465 tls"},
			apple:         "smtp smtp.p.example:465 tls",
			autodiscover:  []string{"imap imap.p.example:993 tls", "pop3 pop.p.example:995 tls", "smtp smtp.p.example:587 starttls"},
			appleOutgoing: []string{"smtp smtp.p.example:465 tls", "smtp smtp.p.example:587 starttls"},
			pop3:          "pop3 pop.p.example:995 tls",
		},
		{
			name: "POP3-only provider: POP3 is the incoming server everywhere",
			config: `
providers:
  - id: p.example
    display_name: P
    domains: [p.example]
    incoming:
      - {protocol: pop3, host: pop.p.example, port: 995, security: tls}
    outgoing:
      - {protocol: smtp, host: smtp.p.example, port: 587, security: starttls}
`,
			incoming:      []string{"pop3 pop.p.example:995 tls"},
			outgoing:      []string{"smtp smtp.p.example:587 starttls"},
			apple:         "smtp smtp.p.example:587 starttls",
			autodiscover:  []string{"pop3 pop.p.example:995 tls", "smtp smtp.p.example:587 starttls"},
			appleOutgoing: []string{"smtp smtp.p.example:587 starttls"},
			pop3:          "",
		},
		{
			name: "a discouraged server is never preferred",
			config: `
providers:
  - id: p.example
    display_name: P
    domains: [p.example]
    incoming:
      - {protocol: imap, host: old.p.example, port: 143, security: starttls, discouraged: true}
      - {protocol: imap, host: imap.p.example, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: old.p.example, port: 25, security: starttls, discouraged: true}
      - {protocol: smtp, host: smtp.p.example, port: 465, security: tls}
`,
			incoming:      []string{"imap imap.p.example:993 tls", "imap old.p.example:143 starttls"},
			outgoing:      []string{"smtp smtp.p.example:465 tls", "smtp old.p.example:25 starttls"},
			apple:         "smtp smtp.p.example:465 tls",
			autodiscover:  []string{"imap imap.p.example:993 tls", "smtp smtp.p.example:465 tls"},
			appleOutgoing: []string{"smtp smtp.p.example:465 tls", "smtp old.p.example:25 starttls"},
			pop3:          "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := autoconfig.Default()
			domain := "example.ch"
			if tt.config != "default" {
				cfg, domain = testkit.ParseConfig(t, tt.config), "p.example"
			}
			p := testkit.Provider(t, cfg, domain)
			s := autoconfig.Decide(p)
			assert.Equal(t, tt.incoming, hostPorts(s.Incoming))
			assert.Equal(t, tt.outgoing, hostPorts(s.Outgoing))
			assert.Equal(t, tt.apple, hostPort(s.Apple))
			assert.Equal(t, tt.autodiscover, hostPorts(s.Autodiscover))
			assert.Equal(t, tt.appleOutgoing, hostPorts(s.AppleOutgoing), "Apple's server first, then the others")
			var pop3 string
			if s.HasPOP3Alternative() {
				pop3 = hostPort(s.POP3Alternative)
			}
			assert.Equal(t, tt.pop3, pop3, "POP3 beside IMAP only")
			assert.Equal(t, s.Incoming[0], s.PreferredIncoming())
			assert.Equal(t, s.Outgoing[0], s.PreferredOutgoing())
			// Domain and Account carry the same decisions.
			assert.Equal(t, tt.incoming, hostPorts(autoconfig.NewDomain(p, domain).Incoming))
			acct := autoconfig.NewAccount(p, testkit.Address(t, "jane@"+domain), "")
			assert.Equal(t, tt.autodiscover, hostPorts(acct.Autodiscover))
		})
	}
}

const loginConfig = `
providers:
  - id: p.example
    display_name: P
    domains: [bücher.example, p.example]
    login: {unicode_domain: %s, case_sensitive_local_part: %s}
    incoming:
      - {protocol: imap, host: imap.p.example, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: smtp.p.example, port: 587, security: starttls, username: "%%EMAILLOCALPART%%+%%EMAILDOMAIN%%"}
`

func TestLogins(t *testing.T) {
	tests := []struct {
		name                     string
		unicode, caseSensitive   string
		address                  string
		incomingLogin, smtpLogin string
		domainLogin, domainSMTP  string
		canonicalLocal           string
	}{
		{"IDN: ASCII by default, as Thunderbird accepts only that", "false", "false", "Jane@Bücher.example",
			"jane@xn--bcher-kva.example", "jane+xn--bcher-kva.example", "%EMAILADDRESS%", "%EMAILLOCALPART%+xn--bcher-kva.example", "jane"},
		{"punycode typed: the same login", "false", "false", "jane@xn--bcher-kva.example",
			"jane@xn--bcher-kva.example", "jane+xn--bcher-kva.example", "%EMAILADDRESS%", "%EMAILLOCALPART%+xn--bcher-kva.example", "jane"},
		// Thunderbird fills %EMAILADDRESS% with the ASCII address: the
		// per-domain document writes the Unicode login out.
		{"Unicode logins when the provider chooses them", "true", "false", "jane@xn--bcher-kva.example",
			"jane@bücher.example", "jane+bücher.example", "%EMAILLOCALPART%@bücher.example", "%EMAILLOCALPART%+bücher.example", "jane"},
		{"Unicode logins on an ASCII domain: the address as typed", "true", "false", "jane@p.example",
			"jane@p.example", "jane+p.example", "%EMAILADDRESS%", "%EMAILLOCALPART%+p.example", "jane"},
		{"case-sensitive local parts are kept as typed", "false", "true", "Jane.Doe@p.example",
			"Jane.Doe@p.example", "Jane.Doe+p.example", "%EMAILADDRESS%", "%EMAILLOCALPART%+p.example", "Jane.Doe"},
		{"case-insensitive local parts are one mailbox", "false", "false", "Jane.Doe@P.example",
			"jane.doe@p.example", "jane.doe+p.example", "%EMAILADDRESS%", "%EMAILLOCALPART%+p.example", "jane.doe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testkit.ParseConfig(t, fmt.Sprintf(loginConfig, tt.unicode, tt.caseSensitive))
			addr := testkit.Address(t, tt.address)
			p := testkit.Provider(t, cfg, addr.Domain)
			acct := autoconfig.NewAccount(p, addr, "")
			assert.Equal(t, tt.incomingLogin, acct.PreferredIncoming().Username)
			assert.Equal(t, tt.smtpLogin, acct.PreferredOutgoing().Username)
			assert.Equal(t, tt.smtpLogin, acct.Apple.Username)
			assert.Equal(t, tt.incomingLogin, acct.LoginAddress())
			assert.Equal(t, tt.canonicalLocal, acct.Address.Local)

			d := autoconfig.NewDomain(p, addr.Domain)
			assert.Equal(t, tt.domainLogin, d.PreferredIncoming().Username)
			assert.Equal(t, tt.domainSMTP, d.PreferredOutgoing().Username, "%%EMAILDOMAIN%% is expanded in per-domain documents")
		})
	}
}

func TestMailbox_OneIdentityWhateverTheCase(t *testing.T) {
	p := autoconfig.Default().CatchAll
	a := autoconfig.NewAccount(p, testkit.Address(t, "Jane.Doe@Example.CH"), "")
	b := autoconfig.NewAccount(p, testkit.Address(t, "jane.doe@example.ch"), "")
	assert.Equal(t, a.Address, b.Address)
	assert.Equal(t, a.Settings, b.Settings)
}

func TestNewAccount_DisplayName(t *testing.T) {
	p := autoconfig.Default().CatchAll
	assert.Equal(t, "Jane Doe", autoconfig.NewAccount(p, testkit.Address(t, "jane@example.ch"), "Jane Doe").DisplayName)
	assert.Empty(t, autoconfig.NewAccount(p, testkit.Address(t, "jane@example.ch"), "").DisplayName)
}

func TestConfig_LoginRulesAreValidated(t *testing.T) {
	_, err := autoconfig.Parse("x.yaml", []byte(`
providers:
  - id: p.example
    display_name: P
    domains: [p.example]
    login: {unicode_domain: maybe}
    incoming: [{protocol: imap, host: imap.p.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.p.example, port: 587, security: starttls}]
`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "x.yaml:6")
}

// A lookalike label is shown in ASCII, but a provider with Unicode logins
// gets the login its server expects: every label in Unicode.
func TestLogins_UnicodeLoginsOfALookalikeDomain(t *testing.T) {
	cfg := testkit.ParseConfig(t, `
catch_all: p.example
providers:
  - id: p.example
    display_name: P
    login: {unicode_domain: true}
    incoming: [{protocol: imap, host: imap.p.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.p.example, port: 587, security: starttls, username: "%EMAILLOCALPART%@%EMAILDOMAIN%"}]
`)
	addr := testkit.Address(t, "jane@xn--pple-43d.com")
	assert.Equal(t, "xn--pple-43d.com", addr.UnicodeDomain, "shown in ASCII: it mixes Cyrillic and Latin")
	acct := autoconfig.NewAccount(cfg.CatchAll, addr, "")
	assert.Equal(t, "jane@\u0430pple.com", acct.LoginAddress())
	assert.Equal(t, "jane@\u0430pple.com", acct.PreferredIncoming().Username)
	assert.Equal(t, "jane@\u0430pple.com", acct.PreferredOutgoing().Username)
	d := autoconfig.NewDomain(cfg.CatchAll, addr.Domain)
	assert.Equal(t, "%EMAILLOCALPART%@\u0430pple.com", d.PreferredOutgoing().Username)
	assert.True(t, d.LoginIsAddress(d.PreferredOutgoing()))
}
