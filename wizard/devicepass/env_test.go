package devicepass_test

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
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
// provider and password API) beside it, and a browser-like client.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	op     *devicepasstest.OP
	api    *devicepasstest.API
	logs   *testkit.LogBuffer
	clock  *testkit.Clock
	pki    *testkit.PKI // the profile signer's, nil when unsigned
	client *http.Client
	// responses records every answer the client got, to look for the
	// password in headers.
	mu        sync.Mutex
	responses []*http.Response
	// stopAt, when set, stops following redirects at URLs it matches.
	stopAt func(*url.URL) bool
}

func newEnv(t *testing.T, signed bool) *env {
	t.Helper()
	e := &env{t: t, logs: &testkit.LogBuffer{}, clock: testkit.NewClock(time.Now())}
	var handler http.Handler
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	e.op = devicepasstest.StartOP(t, e.srv.URL+devicepass.CallbackPath)
	e.op.SignInAs("jane.doe@example.com", true)
	e.api = devicepasstest.StartAPI(t, e.op, password)

	cfg := testkit.ParseConfig(t, `
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
        issuer: `+e.op.Issuer+`
        client_id: `+devicepasstest.ClientID+`
        api: `+e.api.URL+`
  - id: other.example
    display_name: Other
    domains: [other.example]
    incoming: [{protocol: imap, host: imap.other.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.other.example, port: 587, security: starttls}]
    passwords: {kind: device}
`)
	deps := testkit.Deps(cfg)
	deps.PublicURL, _ = url.Parse(e.srv.URL)
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
	handler = engine

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	e.client = e.srv.Client()
	e.client.Jar = jar
	e.client.Transport = recorder{e, e.client.Transport}
	e.client.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if e.stopAt != nil && e.stopAt(r.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return e
}

type recorder struct {
	e    *env
	next http.RoundTripper
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil {
		r.e.mu.Lock()
		r.e.responses = append(r.e.responses, resp)
		r.e.mu.Unlock()
	}
	return resp, err
}

// page is a response read whole.
type page struct {
	status int
	url    *url.URL
	header http.Header
	body   string
}

func (e *env) do(req *http.Request) page {
	e.t.Helper()
	resp, err := e.client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return page{status: resp.StatusCode, url: resp.Request.URL, header: resp.Header, body: string(body)}
}

func (e *env) get(target string) page {
	e.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = e.srv.URL + target
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	require.NoError(e.t, err)
	return e.do(req)
}

func (e *env) post(path string, form url.Values) page {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req)
}

var (
	signInRE    = regexp.MustCompile(`id="signin" href="([^"]+)"`)
	formTokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)
	deviceRE    = regexp.MustCompile(`name="device" value="([^"]*)"`)
)

// attr is the first group of re in body, unescaped; the test fails
// without it.
func (e *env) attr(re *regexp.Regexp, body string) string {
	e.t.Helper()
	m := re.FindStringSubmatch(body)
	require.NotNil(e.t, m, "%s not in the page:\n%s", re, body)
	return html.UnescapeString(m[1])
}

// signIn opens the client page, follows its sign-in link through the
// identity provider and back, and returns the device form.
func (e *env) signIn(client, address string) page {
	e.t.Helper()
	p := e.get("/setup/" + client + "?" + url.Values{"email": {address}, "name": {"Jane"}}.Encode())
	require.Equal(e.t, http.StatusOK, p.status)
	return e.get(e.attr(signInRE, p.body))
}

// makePassword names the device in the form of p.
func (e *env) makePassword(p page, device string) page {
	e.t.Helper()
	require.Equal(e.t, http.StatusOK, p.status, p.body)
	require.Equal(e.t, devicepass.DevicePath, p.url.Path)
	return e.post(devicepass.DevicePath, url.Values{"token": {e.attr(formTokenRE, p.body)}, "device": {device}})
}

// requireNoSecretLeaked fails when the password is in a log line or in
// any response header seen.
func (e *env) requireNoSecretLeaked() {
	e.t.Helper()
	for _, line := range e.logs.Lines() {
		require.NotContains(e.t, line, password)
		require.NotContains(e.t, line, "Dp-7h9")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, resp := range e.responses {
		for name, values := range resp.Header {
			for _, v := range values {
				require.NotContains(e.t, v, "Dp-7h9", "%s header of %s", name, resp.Request.URL)
			}
		}
		require.NotContains(e.t, resp.Request.URL.String(), "Dp-7h9")
	}
}

// mailbox is an address as the tests compare it.
func mailbox(t *testing.T, s string) autoconfig.Address { return testkit.Address(t, s) }

func newJar() (http.CookieJar, error) { return cookiejar.New(nil) }
