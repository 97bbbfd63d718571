package wizard

import (
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// testConfig serves two domains only, with hosts unlike the embedded
// default's, so that every value found in a page provably comes from the
// configuration.
const testConfig = `
providers:
  - id: example.net
    display_name: Example Mail
    domains: [example.com, "*.example.org"]
    incoming:
      - {protocol: imap, host: imap.example.net, port: 993, security: tls}
      - {protocol: pop3, host: pop.example.net, port: 995, security: tls, discouraged: true}
    outgoing:
      - {protocol: smtp, host: smtp.example.net, port: 587, security: starttls}
      - {protocol: smtp, host: smtp.example.net, port: 465, security: tls}
`

const testToken = "helpdesk-token-for-tests-0123456789"

type engineOption func(*httpkit.Deps, *Options)

func withPublicURL(raw string) engineOption {
	return func(s *httpkit.Deps, _ *Options) {
		u, err := url.Parse(raw)
		if err != nil {
			panic(err)
		}
		s.PublicURL = u
	}
}

func withSignedProfiles() engineOption {
	return func(_ *httpkit.Deps, o *Options) { o.ProfilesSigned = true }
}

func withHelpdesk(token string) engineOption {
	return func(_ *httpkit.Deps, o *Options) { o.HelpdeskToken = token }
}

// newTestEngine is a gin engine with only the wizard's routes, on testConfig.
func newTestEngine(t testing.TB, opts ...engineOption) *gin.Engine {
	t.Helper()
	return newTestEngineOn(t, testConfig, opts...)
}

// newTestEngineOn is newTestEngine on another configuration.
func newTestEngineOn(t testing.TB, config string, opts ...engineOption) *gin.Engine {
	t.Helper()
	cfg, err := autoconfig.Parse("test", []byte(config))
	require.NoError(t, err)
	return newTestEngineFor(t, cfg, opts...)
}

// newTestEngineFor is newTestEngine on a parsed configuration.
func newTestEngineFor(t testing.TB, cfg *autoconfig.Config, opts ...engineOption) *gin.Engine {
	t.Helper()
	deps := testkit.Deps(cfg)
	var o Options
	for _, opt := range opts {
		opt(&deps, &o)
	}
	e := testkit.Engine(t)
	w, err := New(deps, o)
	require.NoError(t, err)
	w.Register(e, e)
	// The profile links of the Apple pages lead here.
	profiles.New(deps, nil).Register(e)
	return e
}

// get sends a GET with optional header pairs (name, value, …).
func get(t testing.TB, e http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return testkit.Do(e, http.MethodGet, target, "", testkit.Header(header...))
}

// testCatalogs are the embedded catalogs, for expected texts.
func testCatalogs(t testing.TB) catalogs {
	t.Helper()
	cats, err := loadCatalogs()
	require.NoError(t, err)
	return cats
}

var textTemplate = template.Must(template.New("text").Parse("{{.}}"))

// inHTML is a string as html/template writes it in text.
func inHTML(s string) string {
	var b strings.Builder
	if err := textTemplate.Execute(&b, s); err != nil {
		panic(err)
	}
	return b.String()
}

// has and hasNot check a page for a fragment, printing only the fragment:
// whole pages make failures unreadable.
func has(t testing.TB, body, fragment string, msgAndArgs ...any) bool {
	t.Helper()
	if strings.Contains(body, fragment) {
		return true
	}
	return assert.Fail(t, "page lacks "+fmt.Sprintf("%q", fragment), msgAndArgs...)
}

func hasNot(t testing.TB, body, fragment string, msgAndArgs ...any) bool {
	t.Helper()
	if !strings.Contains(body, fragment) {
		return true
	}
	i := strings.Index(body, fragment)
	lo, hi := max(0, i-80), min(len(body), i+len(fragment)+80)
	return assert.Fail(t, fmt.Sprintf("page has %q in …%s…", fragment, body[lo:hi]), msgAndArgs...)
}

// q builds a query string.
func q(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return v.Encode()
}

func newRequest(method, target string) *http.Request { return httptest.NewRequest(method, target, nil) }

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func itoa(n int) string { return fmt.Sprint(n) }
