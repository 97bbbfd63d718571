package profiles

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

var allServices = Include{Mail: true, Calendar: true, Contacts: true}

// goldenCases cover every payload type and each way the model maps.
var goldenCases = []struct {
	name    string
	example bool // testdata/config/apple-dav.yaml instead of the default
	address string
	opts    Options
}{
	{"default-imap-587", false, "jane@example.ch", Options{Name: "Jane Doe", Include: IncludeMail}},
	{"default-no-name", false, "jane@example.ch", Options{Include: IncludeMail}},
	{"default-idn", false, "Anna.Müller@bücher.example", Options{Name: "Anna Müller", Include: IncludeMail}},
	{"escaped-name", false, `"a&b<c>"@example.ch`, Options{Name: `R&D <"Team">`, Include: IncludeMail}},
	{"dav-all-465", true, "jane@example.net", Options{Name: "Jane Doe", Include: allServices}},
	{"dav-calendar-only", true, "jane@sub.example.org", Options{Include: Include{Calendar: true}}},
	{"pop-only", true, "old.user@legacy.example.com", Options{Include: IncludeMail}},
}

func TestRender_Golden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := autoconfig.Default()
			if tc.example {
				cfg = exampleConfig(t)
			}
			out := render(t, account(t, cfg, tc.address), tc.opts)
			testkit.Golden(t, "mobileconfig/"+tc.name+".mobileconfig", out)
		})
	}
}

func TestRender_IsDeterministic(t *testing.T) {
	acct := account(t, exampleConfig(t), "jane@example.net")
	first := render(t, acct, Options{Name: "Jane", Include: allServices})
	for range 5 {
		assert.Equal(t, first, render(t, acct, Options{Name: "Jane", Include: allServices}))
	}
}

func TestRender_XMLDeclarationAndDoctype(t *testing.T) {
	out := render(t, account(t, autoconfig.Default(), "jane@example.ch"), Options{Include: IncludeMail})
	assert.True(t, bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">`)), "%s", out[:200])
}

// Every golden case, parsed back, equals the structure NewProfile built, and
// that structure carries the model's values.
func TestRender_ParseBackMatchesModel(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := autoconfig.Default()
			if tc.example {
				cfg = exampleConfig(t)
			}
			acct := account(t, cfg, tc.address)
			acct.DisplayName = tc.opts.Name
			want, err := NewProfile(acct, tc.opts)
			require.NoError(t, err)
			got := parseProfile(t, render(t, acct, tc.opts))
			require.Equal(t, want, got)

			assert.Equal(t, "Configuration", got.PayloadType)
			assert.Equal(t, 1, got.PayloadVersion)
			assert.Equal(t, acct.Provider.DisplayName, got.PayloadOrganization)
			assert.Contains(t, got.PayloadDisplayName, acct.Address.String())
			for _, p := range got.PayloadContent {
				switch p := p.(type) {
				case MailPayload:
					assertMailMatchesModel(t, acct, tc.opts, p)
				case CalDAVPayload:
					assertDAV(t, acct.Provider.CalDAVURL, acct, p.CalDAVHostName, p.CalDAVPort, p.CalDAVUseSSL, p.CalDAVPrincipalURL, p.CalDAVUsername)
				case CardDAVPayload:
					// macOS reads no principal URL: the host name key
					// carries the URL (cardDAVHostName).
					assert.Equal(t, acct.Provider.CardDAVURL, p.CardDAVHostName, "macOS reads the path from the host name")
					assertDAV(t, acct.Provider.CardDAVURL, acct, "dav.example.net", p.CardDAVPort, p.CardDAVUseSSL, p.CardDAVPrincipalURL, p.CardDAVUsername)
				default:
					t.Fatalf("unexpected payload %T", p)
				}
			}
		})
	}
}

func assertMailMatchesModel(t *testing.T, acct autoconfig.Account, opts Options, p MailPayload) {
	t.Helper()
	in := acct.Incoming[0]
	wantType := map[autoconfig.Protocol]string{autoconfig.IMAP: EmailTypeIMAP, autoconfig.POP3: EmailTypePOP}[in.Protocol]
	assert.Equal(t, wantType, p.EmailAccountType)
	assert.Equal(t, acct.Address.String(), p.EmailAddress)
	assert.Equal(t, acct.DisplayName, p.EmailAccountName)
	assert.Equal(t, in.Host, p.IncomingMailServerHostName)
	assert.Equal(t, in.Port, p.IncomingMailServerPortNumber)
	assert.Equal(t, in.Username, p.IncomingMailServerUsername)
	assert.True(t, p.IncomingMailServerUseSSL)
	assert.Equal(t, EmailAuthPassword, p.IncomingMailServerAuthentication)

	// The one SMTP server a profile holds is the Resolver's choice.
	out := acct.Apple
	assert.Equal(t, out.Port, p.OutgoingMailServerPortNumber)
	assert.Equal(t, out.Host, p.OutgoingMailServerHostName)
	assert.Equal(t, out.Username, p.OutgoingMailServerUsername)
	assert.True(t, p.OutgoingMailServerUseSSL)
	assert.Equal(t, EmailAuthPassword, p.OutgoingMailServerAuthentication)
	assert.True(t, p.OutgoingPasswordSameAsIncomingPassword)
}

func assertDAV(t *testing.T, url string, acct autoconfig.Account, host string, port int, ssl bool, principal, username string) {
	t.Helper()
	assert.Equal(t, url, principal)
	assert.Equal(t, "dav.example.net", host)
	assert.True(t, ssl)
	assert.Equal(t, acct.LoginAddress(), username)
	assert.Equal(t, map[string]int{"https://dav.example.net/caldav/": 443, "https://dav.example.net:8443/carddav/": 8443}[url], port)
}

func TestRender_IMAP993AndSMTP587ForReferenceProvider(t *testing.T) {
	p := parseProfile(t, render(t, account(t, autoconfig.Default(), "jane@example.ch"), Options{Include: IncludeMail}))
	require.Len(t, p.PayloadContent, 1)
	m := p.PayloadContent[0].(MailPayload)
	assert.Equal(t, EmailTypeIMAP, m.EmailAccountType)
	assert.Equal(t, "mail.infomaniak.com", m.IncomingMailServerHostName)
	assert.Equal(t, 993, m.IncomingMailServerPortNumber)
	assert.True(t, m.IncomingMailServerUseSSL)
	assert.Equal(t, "jane@example.ch", m.IncomingMailServerUsername)
	assert.Equal(t, 587, m.OutgoingMailServerPortNumber)
	assert.True(t, m.OutgoingMailServerUseSSL)
	assert.Equal(t, "jane@example.ch", m.OutgoingMailServerUsername)
}

// Apple's schema has no STARTTLS key: 587 with STARTTLS is UseSSL=true.
func TestRender_STARTTLSIsUseSSLTrue(t *testing.T) {
	acct := account(t, autoconfig.Default(), "jane@example.ch")
	out := acct.PreferredOutgoing()
	require.Equal(t, autoconfig.SecuritySTARTTLS, out.Security)
	m := parseProfile(t, render(t, acct, Options{Include: IncludeMail})).PayloadContent[0].(MailPayload)
	assert.True(t, m.OutgoingMailServerUseSSL)
	assert.Equal(t, 587, m.OutgoingMailServerPortNumber)
}

// Without a port iOS tries 25 first: the ports are always written, as
// integers.
func TestRender_PortsAlwaysSetAsIntegers(t *testing.T) {
	out := render(t, account(t, autoconfig.Default(), "jane@example.ch"), Options{Include: IncludeMail})
	s := string(out)
	assert.Contains(t, s, "<key>IncomingMailServerPortNumber</key>\n\t\t\t\t<integer>993</integer>")
	assert.Contains(t, s, "<key>OutgoingMailServerPortNumber</key>\n\t\t\t\t<integer>587</integer>")
	assert.Contains(t, s, "<key>PayloadVersion</key>\n\t\t<integer>1</integer>")
}

// apple.smtp_port picks the one SMTP server a profile can hold.
func TestRender_AppleSMTPPortChoosesTheServer(t *testing.T) {
	m := parseProfile(t, render(t, account(t, exampleConfig(t), "jane@example.net"), Options{Include: IncludeMail})).PayloadContent[0].(MailPayload)
	assert.Equal(t, 465, m.OutgoingMailServerPortNumber)
	assert.True(t, m.OutgoingMailServerUseSSL)
}

func TestRender_POPWhenProviderHasNoIMAP(t *testing.T) {
	m := parseProfile(t, render(t, account(t, exampleConfig(t), "old.user@legacy.example.com"), Options{Include: IncludeMail})).PayloadContent[0].(MailPayload)
	assert.Equal(t, EmailTypePOP, m.EmailAccountType)
	assert.Equal(t, 995, m.IncomingMailServerPortNumber)
	assert.Equal(t, "old.user", m.IncomingMailServerUsername, "the provider's username template")
	assert.Equal(t, "old.user", m.OutgoingMailServerUsername)
}

// Apple allows passwords only in encrypted profiles: none is ever written.
func TestRender_NoPassword(t *testing.T) {
	acct := account(t, exampleConfig(t), "jane@example.net")
	out := render(t, acct, Options{Name: "Jane", Include: allServices})
	for key := range strings.SplitSeq("IncomingPassword OutgoingPassword CalDAVPassword CardDAVPassword", " ") {
		assert.NotContains(t, string(out), "<key>"+key+"</key>")
	}
}

func TestRender_IncludeSelectsPayloads(t *testing.T) {
	cfg := exampleConfig(t)
	tests := []struct {
		name    string
		address string
		include Include
		want    []string
	}{
		{"mail", "jane@example.net", IncludeMail, []string{TypeMail}},
		{"all", "jane@example.net", allServices, []string{TypeMail, TypeCalDAV, TypeCardDAV}},
		{"contacts", "jane@example.net", Include{Contacts: true}, []string{TypeCardDAV}},
		{"no DAV at the provider", "a@legacy.example.com", allServices, []string{TypeMail}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewProfile(account(t, cfg, tc.address), Options{Include: tc.include})
			require.NoError(t, err)
			var got []string
			for _, c := range p.PayloadContent {
				got = append(got, payloadHeaderOf(c).PayloadType)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestRender_NothingToInclude(t *testing.T) {
	_, err := Render(account(t, exampleConfig(t), "a@legacy.example.com"), Options{Include: Include{Calendar: true}})
	assert.ErrorIs(t, err, ErrNothingToInclude)
	_, err = Render(account(t, autoconfig.Default(), "a@example.ch"), Options{})
	assert.ErrorIs(t, err, ErrNothingToInclude)
}

func payloadHeaderOf(p any) PayloadHeader {
	switch p := p.(type) {
	case MailPayload:
		return p.PayloadHeader
	case CalDAVPayload:
		return p.PayloadHeader
	case CardDAVPayload:
		return p.PayloadHeader
	}
	panic("unknown payload")
}

// The profile renders the Resolver's DAV decisions (acct.CalDAV/CardDAV),
// not the provider's configured URLs: an endpoint or login the Account
// changes is the one the profile carries, and one the Account withholds
// is left out.
func TestRender_DAVFromTheAccountsDecision(t *testing.T) {
	acct := account(t, exampleConfig(t), "jane@example.net")
	acct.CalDAV.Username = "decided-by-resolver"
	acct.CardDAV = autoconfig.DAVEndpoint{}
	p, err := NewProfile(acct, Options{Include: allServices})
	require.NoError(t, err)
	var types []string
	for _, c := range p.PayloadContent {
		types = append(types, payloadHeaderOf(c).PayloadType)
		if cal, ok := c.(CalDAVPayload); ok {
			assert.Equal(t, "decided-by-resolver", cal.CalDAVUsername)
			assert.Equal(t, acct.CalDAV.URL, cal.CalDAVPrincipalURL)
			assert.Equal(t, acct.CalDAV.Port, cal.CalDAVPort)
		}
	}
	assert.Equal(t, []string{TypeMail, TypeCalDAV}, types, "no CardDAV payload once the Account withholds it")
}

// The one-step setup's profile carries the device password, in the mail
// payload only, and is otherwise the profile Render makes.
func TestRenderWithPassword(t *testing.T) {
	acct := account(t, exampleConfig(t), "jane@example.net")
	acct.DisplayName = "Jane"
	opts := Options{Name: "Jane", Include: allServices}
	out, err := RenderWithPassword(acct, opts, "pw-123 <&>")
	require.NoError(t, err)
	p := parseProfile(t, out)
	m := p.PayloadContent[0].(MailPayload)
	assert.Equal(t, "pw-123 <&>", m.IncomingPassword)
	assert.Equal(t, "pw-123 <&>", m.OutgoingPassword)
	assert.False(t, m.OutgoingPasswordSameAsIncomingPassword)
	for key := range strings.SplitSeq("CalDAVPassword CardDAVPassword", " ") {
		assert.NotContains(t, string(out), "<key>"+key+"</key>")
	}
	without := parseProfile(t, render(t, acct, opts))
	m.IncomingPassword, m.OutgoingPassword, m.OutgoingPasswordSameAsIncomingPassword = "", "", true
	p.PayloadContent[0] = m
	assert.Equal(t, without, p, "the same profile but for the password")

	_, err = RenderWithPassword(acct, opts, "")
	assert.Error(t, err)
}
