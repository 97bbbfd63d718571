package devicepasstest

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Browser walks the one-step setup as a browser does: a cookie jar,
// redirects followed (across the service and the identity provider), and
// every answer recorded so that a test can look for a secret in them.
type Browser struct {
	t testing.TB
	// Base is the service's URL; paths given to Get and Post are on it.
	Base   string
	Client *http.Client
	// StopAt, when set, stops following redirects at the URLs it matches:
	// the answer is then the redirect itself.
	StopAt func(*url.URL) bool

	mu        sync.Mutex
	responses []*http.Response
}

// NewBrowser is a browser with an empty cookie jar, trusting what client
// trusts (the service's test certificate).
func NewBrowser(t testing.TB, base string, client *http.Client) *Browser {
	b := &Browser{t: t, Base: base}
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b.Client = &http.Client{Transport: recorder{b, client.Transport}, Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if b.StopAt != nil && b.StopAt(r.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// ForgetCookies empties the jar: another browser.
func (b *Browser) ForgetCookies() {
	jar, err := cookiejar.New(nil)
	require.NoError(b.t, err)
	b.Client.Jar = jar
}

type recorder struct {
	b    *Browser
	next http.RoundTripper
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil {
		r.b.mu.Lock()
		r.b.responses = append(r.b.responses, resp)
		r.b.mu.Unlock()
	}
	return resp, err
}

// Responses are every answer received, redirects included (their bodies
// are read by then).
func (b *Browser) Responses() []*http.Response {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*http.Response(nil), b.responses...)
}

// Page is an answer read whole.
type Page struct {
	Status int
	URL    *url.URL // where the redirects ended
	Header http.Header
	Body   string
}

// Do sends req and reads the answer.
func (b *Browser) Do(req *http.Request) Page {
	b.t.Helper()
	resp, err := b.Client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return Page{Status: resp.StatusCode, URL: resp.Request.URL, Header: resp.Header, Body: string(body)}
}

// Get gets target: a path on Base, or an absolute URL.
func (b *Browser) Get(target string) Page {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.Base + target
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	require.NoError(b.t, err)
	return b.Do(req)
}

// Post sends a form to path on Base.
func (b *Browser) Post(path string, form url.Values) Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.Base+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}

// Patterns of the pages' elements.
var (
	SignInLink = regexp.MustCompile(`id="signin" href="([^"]+)"`)
	FormToken  = regexp.MustCompile(`name="token" value="([^"]+)"`)
	DeviceName = regexp.MustCompile(`name="device" value="([^"]*)"`)
)

// Attr is the first group of re in body, unescaped; the test fails
// without it.
func (b *Browser) Attr(re *regexp.Regexp, body string) string {
	b.t.Helper()
	m := re.FindStringSubmatch(body)
	require.NotNil(b.t, m, "%s not in the page:\n%s", re, body)
	return html.UnescapeString(m[1])
}

// SignIn opens the client's page for address, follows its sign-in link
// through the identity provider and back, and returns where it ended (the
// device form, or a failure).
func (b *Browser) SignIn(client, address string) Page {
	b.t.Helper()
	p := b.Get("/setup/" + client + "?" + url.Values{"email": {address}, "name": {"Jane"}}.Encode())
	require.Equal(b.t, http.StatusOK, p.Status)
	return b.Get(b.Attr(SignInLink, p.Body))
}

// MakePassword sends the device form of p with the device's name.
func (b *Browser) MakePassword(p Page, device string) Page {
	b.t.Helper()
	require.Equal(b.t, http.StatusOK, p.Status, p.Body)
	return b.Post(p.URL.Path, url.Values{"token": {b.Attr(FormToken, p.Body)}, "device": {device}})
}

// RequireNotIn fails when secret is in a log line, a response header or
// a URL the browser saw.
func (b *Browser) RequireNotIn(secret string, logLines []string) {
	b.t.Helper()
	for _, line := range logLines {
		require.NotContains(b.t, line, secret, "log line")
	}
	for _, resp := range b.Responses() {
		for name, values := range resp.Header {
			for _, v := range values {
				require.NotContains(b.t, v, secret, "%s header of %s", name, resp.Request.URL)
			}
		}
		require.NotContains(b.t, resp.Request.URL.String(), secret)
	}
}
