package devicepass_test

import (
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
	"github.com/mailautoconf/mailautoconf/wizard"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass/devicepasstest"
)

// password is what the test API makes: characters that need escaping in
// XML, JSON and HTML, so that a missing escape shows.
const password = `Dp-7h9"<&>'x`

// env is the service over TLS on loopback, with a provider (identity
// provider and password API) beside it, and a browser.
type env struct {
	*devicepasstest.Browser
	t     *testing.T
	srv   *httptest.Server
	op    *devicepasstest.OP
	api   *devicepasstest.API
	logs  *testkit.LogBuffer
	clock *testkit.Clock
	pki   *testkit.PKI // the profile signer's, nil when unsigned
}

func newEnv(t *testing.T, signed bool) *env {
	t.Helper()
	e := &env{t: t, logs: &testkit.LogBuffer{}, clock: testkit.NewClock(time.Now())}
	setup := devicepasstest.Start(t, password, `
  - id: other.example
    display_name: Other
    domains: [other.example]
    incoming: [{protocol: imap, host: imap.other.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.other.example, port: 587, security: starttls}]
    passwords: {kind: device}
`)
	e.srv, e.op, e.api = setup.Server, setup.OP, setup.API
	deps := testkit.Deps(setup.Config)
	deps.PublicURL = setup.PublicURL
	deps.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var signer *profiles.Signer
	if signed {
		e.pki = testkit.MustPKI(t, testkit.LeafOptions{})
		var err error
		signer, err = profiles.NewSigner(e.pki.MustWriteFiles(t, t.TempDir()))
		require.NoError(t, err)
	}
	ph := profiles.New(deps, signer)
	engine := testkit.Engine(t, ph)
	w, err := wizard.New(deps, wizard.Options{DevicePasswords: &devicepass.Options{Profiles: ph, Now: e.clock.Now}})
	require.NoError(t, err)
	w.Register(engine, engine)
	setup.Serve(engine)

	e.Browser = devicepasstest.NewBrowser(t, e.srv.URL, e.srv.Client())
	return e
}

// requireNoSecretLeaked fails when the password is in a log line or in
// any response header or URL seen.
func (e *env) requireNoSecretLeaked() {
	e.t.Helper()
	e.RequireNotIn("Dp-7h9", e.logs.Lines())
}
