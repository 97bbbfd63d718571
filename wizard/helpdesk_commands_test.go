package wizard

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func withConfigPath(path string) engineOption {
	return func(_ *httpkit.Deps, o *Options) { o.ConfigPath = path }
}

func withMXLookup(server string) engineOption {
	return func(d *httpkit.Deps, _ *Options) { d.Resolver.MX = mxlookup.New(server, 0, nil) }
}

// Run as shown, the helpdesk's command lines answer with the service's own
// configuration file, and name the provider of a domain served through
// accept.mx only, which the command line cannot find offline.
func TestHelpdesk_CommandsCarryTheConfigurationInForce(t *testing.T) {
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/mx-acceptance.zone"))
	config := testConfig + `  - id: mx.example
    display_name: MX Mail
    accept:
      mx: [mta-gw.infomaniak.ch]
    incoming: [{protocol: imap, host: imap.mx.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.mx.example, port: 465, security: tls}]
`
	e := newTestEngineOn(t, config, withHelpdesk(testToken), withConfigPath("/etc/mail autoconf/own.yaml"), withMXLookup(srv.Addr))
	tests := []struct {
		email, want string
	}{
		{"jane@example.com", "mailautoconf generate thunderbird --email jane@example.com --config '/etc/mail autoconf/own.yaml'\n"},
		{"jane@customer.test", "mailautoconf generate autodiscover --email jane@customer.test --config '/etc/mail autoconf/own.yaml' --provider mx.example\n"},
		{"jane@customer.test", "mailautoconf generate mobileconfig --email jane@customer.test --name 'Jane Doe' --config '/etc/mail autoconf/own.yaml' --provider mx.example\n"},
	}
	for _, tt := range tests {
		rec := postHelpdesk(t, e, url.Values{"email": {tt.email}, "name": {"Jane Doe"}}, "Authorization", "Bearer "+testToken)
		require.Equal(t, http.StatusOK, rec.Code, tt.email)
		has(t, rec.Body.String(), inHTML(tt.want), tt.email)
	}
	rec := postHelpdesk(t, e, url.Values{"email": {"jane@example.com"}}, "Authorization", "Bearer "+testToken)
	hasNot(t, rec.Body.String(), "--provider", "a listed domain needs no --provider")
}
