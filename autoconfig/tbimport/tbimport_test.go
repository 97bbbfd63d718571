package tbimport_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport/tbimporttest"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

var security = map[autoconfig.Security]int{autoconfig.SecurityTLS: 3, autoconfig.SecuritySTARTTLS: 2}

func TestPayload_ReadBackEqualsTheAccount(t *testing.T) {
	tests := []struct {
		name, config, address, displayName string
	}{
		{"embedded default", "", "Jane.Doe@example.ch", "Jane Doe"},
		{"SMTP username differs", "apple-dav.yaml", "dave@legacy.example.com", ""},
		{"IDN domain", "", "jane@bücher.ch", "Jane"},
		{"quotes and non-ASCII letters in the name", "", "anna@example.ch", `Anna "Nina" Müller-Łukasiewicz`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := autoconfig.Default()
			if tt.config != "" {
				cfg = testkit.Config(t, tt.config)
			}
			addr := testkit.Address(t, tt.address)
			acct := autoconfig.NewAccount(testkit.Provider(t, cfg, addr.Domain), addr, tt.displayName)
			payload, err := tbimport.Payload(acct)
			require.NoError(t, err)
			got, err := tbimporttest.Read(payload)
			require.NoError(t, err, "%s", payload)

			in, out := acct.PreferredIncoming(), acct.PreferredOutgoing()
			wantProto := map[autoconfig.Protocol]int{autoconfig.IMAP: 0, autoconfig.POP3: 1}[in.Protocol]
			assert.Equal(t, tbimporttest.Account{
				IncomingProtocol: wantProto, IncomingHost: in.Host, IncomingPort: in.Port,
				IncomingSecurity: security[in.Security], IncomingAuth: 1, IncomingUser: in.Username,
				SMTPHost: out.Host, SMTPPort: out.Port, SMTPSecurity: security[out.Security], SMTPAuth: 1, SMTPUser: out.Username,
				Email: acct.Address.ASCII(), Name: tt.displayName,
			}, got)
			assert.NotContains(t, string(payload), "null", "optional strings are left out, never null")
		})
	}
}

func TestPayload_EmbeddedDefaultIsIMAP993AndSMTP587(t *testing.T) {
	acct := testkit.Account(t, autoconfig.Default(), "jane@example.ch")
	payload, err := tbimport.Payload(acct)
	require.NoError(t, err)
	assert.JSONEq(t, `[1,[1,1],[0,"mail.infomaniak.com",993,3,1,"jane@example.ch"],[[[0,"mail.infomaniak.com",587,2,1,"jane@example.ch"],["jane@example.ch",""]]]]`, string(payload))
}

func TestPayload_RefusesWhatTheAppRefuses(t *testing.T) {
	plain := testkit.ParseConfig(t, `
providers:
  - id: p.example
    display_name: P
    domains: [p.example]
    incoming: [{protocol: imap, host: imap.p.example, port: 143, security: none}]
    outgoing: [{protocol: smtp, host: smtp.p.example, port: 587, security: starttls}]
`)
	tests := []struct {
		name    string
		cfg     *autoconfig.Config
		address string
		display string
	}{
		{"non-ASCII local part", autoconfig.Default(), "jürg@example.ch", ""},
		{"quoted local part", autoconfig.Default(), `"jane.doe"@example.ch`, ""},
		{"line break in the name", autoconfig.Default(), "jane@example.ch", "Jane\nDoe"},
		{"Unicode line separator in the name", autoconfig.Default(), "jane@example.ch", "Jane\u2028Doe"},
		{"a server without TLS", plain, "jane@p.example", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := testkit.Address(t, tt.address)
			acct := autoconfig.NewAccount(testkit.Provider(t, tt.cfg, addr.Domain), addr, tt.display)
			_, err := tbimport.Payload(acct)
			require.ErrorIs(t, err, tbimport.ErrUnexpressible)
			assert.Equal(t, http.StatusUnprocessableEntity, httpkit.Status(err), "the route's status")
			assert.Contains(t, err.Error(), "Thunderbird for Android")
		})
	}
}

func TestPayloadWithPassword_ReadBackHasThePassword(t *testing.T) {
	acct := testkit.Account(t, autoconfig.Default(), "jane@example.ch")
	payload, err := tbimport.PayloadWithPassword(acct, `s3cret "pass" ü`)
	require.NoError(t, err)
	got, err := tbimporttest.Read(payload)
	require.NoError(t, err, "%s", payload)
	assert.Equal(t, `s3cret "pass" ü`, got.IncomingPassword)
	assert.Equal(t, `s3cret "pass" ü`, got.SMTPPassword)
	assert.Equal(t, "jane@example.ch", got.Email)
	assert.NotContains(t, string(payload), "null")

	for _, bad := range []string{"", "a\nb", "a\u2028b"} {
		_, err := tbimport.PayloadWithPassword(acct, bad)
		assert.Equal(t, http.StatusUnprocessableEntity, httpkit.Status(err), "%q", bad)
	}
}
