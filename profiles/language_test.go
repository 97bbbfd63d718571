package profiles

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// policyConfig has a provider whose users create device passwords and one
// whose users give the account's password.
const policyConfig = `
providers:
  - id: device.example
    display_name: Device Mail
    domains: [device.example]
    passwords: {kind: device, create_url: "https://manager.device.example/passwords"}
    incoming: [{protocol: imap, host: imap.device.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.device.example, port: 587, security: starttls}]
  - id: account.example
    display_name: Account Mail
    domains: [account.example]
    incoming: [{protocol: imap, host: imap.account.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.account.example, port: 587, security: starttls}]
`

func TestProfile_DescriptionFollowsPolicyAndLanguage(t *testing.T) {
	cfg, err := autoconfig.Parse("policy.yaml", []byte(policyConfig))
	require.NoError(t, err)
	tests := []struct{ address, lang, want string }{
		{"jane@device.example", "en", "Sets up mail for jane@device.example. When asked for a password, enter the password you created for this device, not the password you sign in with. Create one at https://manager.device.example/passwords."},
		{"jane@device.example", "de", "Richtet E-Mail für jane@device.example ein. Wenn nach einem Passwort gefragt wird, geben Sie das Passwort ein, das Sie für dieses Gerät erstellt haben, nicht das Passwort, mit dem Sie sich anmelden. Erstellen Sie es unter https://manager.device.example/passwords."},
		{"jane@account.example", "fr", "Configure la messagerie pour jane@account.example. Lorsqu’un mot de passe est demandé, saisissez le mot de passe de votre compte de messagerie."},
		{"jane@account.example", "", "Sets up mail for jane@account.example. When asked for a password, enter the password of your email account."},
	}
	for _, tt := range tests {
		t.Run(tt.address+"/"+tt.lang, func(t *testing.T) {
			p := parseProfile(t, render(t, account(t, cfg, tt.address), Options{Include: IncludeMail, Lang: tt.lang}))
			assert.Equal(t, tt.want, p.PayloadDescription)
		})
	}
	p := parseProfile(t, render(t, account(t, cfg, "jane@account.example"), Options{Include: IncludeMail, Lang: "it"}))
	mail := p.PayloadContent[0].(MailPayload)
	assert.Equal(t, "Account di posta jane@account.example", mail.PayloadDescription)
}

func TestHTTP_ProfileLanguage_QueryThenAcceptLanguage(t *testing.T) {
	cfg, err := autoconfig.Parse("policy.yaml", []byte(policyConfig))
	require.NoError(t, err)
	e := newTestEngine(t, cfg, nil)
	tests := []struct{ lang, acceptLanguage, want string }{
		{"it", "de", "Configura la posta"},      // the page's language wins
		{"", "fr-CH, fr;q=0.9", "Configure la"}, // a direct download: the device's
		{"xx", "", "Sets up mail"},              // unknown: English
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.acceptLanguage, func(t *testing.T) {
			q := url.Values{"email": {"jane@account.example"}}
			if tt.lang != "" {
				q.Set("lang", tt.lang)
			}
			req := httptest.NewRequest(http.MethodGet, profileURL(DownloadPath, q), nil)
			req.Header.Set("Accept-Language", tt.acceptLanguage)
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Contains(t, parseProfile(t, w.Body.Bytes()).PayloadDescription, tt.want)
			assert.Contains(t, w.Header().Get("Vary"), "Accept-Language")
		})
	}
}
