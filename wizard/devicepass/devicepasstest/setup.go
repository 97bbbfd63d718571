package devicepasstest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass"
)

// Setup is a service's TLS server on loopback with a provider beside it:
// the identity provider (signing in jane.doe@example.com), the password
// API, and a configuration whose provider example.com (domains
// example.com and bücher.ch) sets passwords.mint to them.
type Setup struct {
	Server *httptest.Server
	// PublicURL is the server's URL, the service's --public-url.
	PublicURL *url.URL
	OP        *OP
	API       *API
	Config    *autoconfig.Config

	handler atomic.Pointer[http.Handler]
}

// Start starts it; the API makes password. moreProviders is YAML appended
// to the providers list.
func Start(t testing.TB, password, moreProviders string) *Setup {
	t.Helper()
	s := &Setup{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*s.handler.Load()).ServeHTTP(w, r)
	}))
	s.Server.StartTLS()
	t.Cleanup(s.Server.Close)
	s.PublicURL, _ = url.Parse(s.Server.URL)
	s.OP = StartOP(t, s.Server.URL+devicepass.CallbackPath)
	s.OP.SignInAs("jane.doe@example.com", true)
	s.API = StartAPI(t, s.OP, password)
	s.Config = testkit.ParseConfig(t, `
providers:
  - id: example.com
    display_name: Example Mail
    domains: [example.com, bücher.ch]
    incoming: [{protocol: imap, host: imap.example.com, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.example.com, port: 587, security: starttls}]
    passwords:
      kind: device
      create_url: https://account.example.com/passwords
      mint:
        issuer: `+s.OP.Issuer+`
        client_id: `+ClientID+`
        api: `+s.API.URL+`
`+moreProviders)
	return s
}

// Serve makes the server answer with h.
func (s *Setup) Serve(h http.Handler) { s.handler.Store(&h) }
