package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/accesslog"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/reload"
)

// testSite is a site on the embedded default with logs in a buffer.
func testSite(logs *bytes.Buffer) site {
	return site{
		store:            autoconfig.NewStore(autoconfig.Default()),
		logger:           slog.New(slog.NewJSONHandler(logs, nil)),
		logOutput:        logs,
		logFormat:        accesslog.JSON,
		metrics:          nil, // newEngine makes one that reads the declared formats
		publicOperations: true,
	}
}

func do(s site, method, target string, header http.Header) *httptest.ResponseRecorder {
	return testkit.Do(newEngine(s), method, target, "", header)
}

func TestHealth_LiveAndReady(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	w := do(s, http.MethodGet, "/healthz", nil)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "ok\n", w.Body.String())
	w = do(s, http.MethodGet, "/readyz", nil)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "ready\n", w.Body.String())

	s.store = &autoconfig.Store{} // nothing loaded
	w = do(s, http.MethodGet, "/readyz", nil)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "not ready: no configuration loaded\n", w.Body.String())
	assert.Equal(t, http.StatusOK, do(s, http.MethodGet, "/healthz", nil).Code, "alive even when not ready")
}

func TestMetrics_ScrapeAfterRequestsFillsEveryLabel(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	e := newEngine(s)
	for _, target := range []string{
		"/mail/config-v1.1.xml?emailaddress=jane@example.com",
		"/mail/config-v1.1.xml?emailaddress=bad",
		"/no/such/path/jane@example.com",
		"/healthz",
	} {
		testkit.Get(e, target)
	}
	w := testkit.Get(e, "/metrics")
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()

	for _, want := range []string{
		`mailautoconf_http_requests_total{format="thunderbird",route="/mail/config-v1.1.xml",status="200"} 1`,
		`mailautoconf_http_requests_total{format="thunderbird",route="/mail/config-v1.1.xml",status="400"} 1`,
		`mailautoconf_http_requests_total{format="none",route="(no route)",status="404"} 1`,
		`mailautoconf_http_requests_total{format="operations",route="/healthz",status="200"} 1`,
		`mailautoconf_http_request_duration_seconds_count{format="thunderbird",route="/mail/config-v1.1.xml"} 2`,
		`mailautoconf_config_reloads_total{result="failure"} 0`,
		`mailautoconf_build_info{goversion="go`,
	} {
		assert.Contains(t, body, want)
	}
	assert.NotContains(t, body, "jane", "raw URLs never become labels")
	// Every label of every mailautoconf series has a value.
	for _, empty := range regexp.MustCompile(`(?m)^mailautoconf_\S*\{[^}]*=""`).FindAllString(body, -1) {
		t.Errorf("empty label: %s", empty)
	}
}

// Autodiscover POX requests are counted by the schema they ask for: the new
// Outlook for Windows asks for mobilesync and gets error 601.
func TestMetrics_AutodiscoverRequestsBySchema(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	e := newHandler(s)
	post := func(body string) {
		testkit.DoBody(e, http.MethodPost, "/Autodiscover/Autodiscover.xml", "", testkit.Header("Content-Type", "text/xml"), body)
	}
	post(testkit.OutlookRequest("jane@example.com"))
	post(testkit.OutlookRequest("jane@example.com"))
	post(testkit.OutlookRequestFor("jane@example.com", "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"))
	w := testkit.Get(e, "/metrics")
	body := w.Body.String()
	for _, want := range []string{
		`mailautoconf_autodiscover_requests_total{schema="outlook"} 2`,
		`mailautoconf_autodiscover_requests_total{schema="mobilesync"} 1`,
		`mailautoconf_autodiscover_requests_total{schema="other"} 0`,
	} {
		assert.True(t, strings.Contains(body, want), want)
	}
}

// Each package declares the format of the routes it registers; the server
// classifies no path itself.
func TestFormats_DeclaredByEachPackage(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	s.formats = &httpkit.Formats{}
	s.reloader, s.adminToken = &reload.Reloader{}, "admin-token-for-tests"
	s.acmeChallenge = http.NotFoundHandler()
	newEngine(s)
	for route, want := range map[string]string{
		"/mail/config-v1.1.xml":                        "thunderbird",
		"/.well-known/autoconfig/mail/config-v1.1.xml": "thunderbird",
		"/autodiscover/autodiscover.xml":               "autodiscover",
		"/autodiscover/autodiscover.json":              "autodiscover",
		"/apple/mail.mobileconfig":                     "apple",
		"/.well-known/user-agent-configuration.json":   "pacc",
		"/.well-known/caldav":                          "dav",
		"/.well-known/carddav":                         "dav",
		"/healthz":                                     "operations",
		"/admin/reload":                                "operations",
		"/.well-known/acme-challenge/:token":           "operations",
		"":                                             "none",
		"/setup":                                       "wizard",
		"/qr.png":                                      "wizard",
		"/undeclared":                                  "other",
	} {
		assert.Equal(t, want, s.formats.Of(route), route)
	}
}

// Every route the engine mounts has a format label: a format added to
// formatMounts without declaring its routes fails here, not in a
// dashboard.
func TestFormats_EveryMountedRouteIsDeclared(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	s.formats = &httpkit.Formats{}
	s.reloader, s.adminToken = &reload.Reloader{}, "admin-token-for-tests"
	s.acmeChallenge = http.NotFoundHandler()
	s.publicOperations = true
	s.helpdeskToken = "helpdesk-token-for-tests"
	routes := newEngine(s).Routes()
	require.NotEmpty(t, routes)
	for _, r := range routes {
		assert.NotEqual(t, httpkit.FormatOther, s.formats.Of(r.Path), r.Method+" "+r.Path)
	}
}

func TestSecurityHeaders_OnEveryResponse(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	for _, tc := range []struct{ method, target string }{
		{"GET", "/mail/config-v1.1.xml?emailaddress=a@example.com"},
		{"GET", "/mail/config-v1.1.xml?emailaddress=bad"},
		{"GET", "/nothing"},
		{"DELETE", "/mail/config-v1.1.xml"},
		{"GET", "/healthz"},
		{"GET", "/metrics"},
	} {
		w := do(s, tc.method, tc.target, nil)
		assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), tc.target)
	}
	// The wizard's pages link elsewhere (vendors' help): they keep the
	// address in their URLs to themselves.
	w := do(s, "GET", "/setup/thunderbird?email=a@example.com", nil)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "no-referrer", w.Header().Get("Referrer-Policy"))
}

func TestTrustedProxies_ClientIPOnlyFromListedProxies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxy trusted by default", nil, "10.0.0.5"},
		{"listed proxy", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "203.0.113.7"},
		{"other proxy", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, "10.0.0.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &bytes.Buffer{}
			s := testSite(logs)
			s.trustedProxies = tc.trusted
			r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			r.RemoteAddr = "10.0.0.5:4000"
			r.Header.Set("X-Forwarded-For", "203.0.113.7")
			newEngine(s).ServeHTTP(httptest.NewRecorder(), r)
			assert.Contains(t, logs.String(), `"client":"`+tc.want+`"`)
		})
	}
}

func TestRateLimit_GeneratingGroupOnlyAndCounted(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	s.limiter = ratelimit.New(0.001, 2, 10)
	s.reloader = &reload.Reloader{Load: func() (*autoconfig.Config, error) { return autoconfig.Default(), nil },
		Store: s.store, Metrics: s.metrics, Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
	s.adminToken = "token"
	e := newEngine(s)
	send := func(method, target string) *httptest.ResponseRecorder {
		return testkit.Do(e, method, target, "", testkit.Header("Authorization", "Bearer wrong"))
	}
	assert.Equal(t, http.StatusUnauthorized, send("POST", "/admin/reload").Code)
	assert.Equal(t, http.StatusUnauthorized, send("POST", "/admin/reload").Code)
	w := send("POST", "/admin/reload")
	assert.Equal(t, http.StatusTooManyRequests, w.Code, "guessing the admin token is slowed down")
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
	for range 10 {
		assert.Equal(t, http.StatusOK, send("GET", "/mail/config-v1.1.xml?emailaddress=a@example.com").Code, "autoconfig documents stay unlimited")
	}
	w = send("GET", "/metrics")
	assert.Contains(t, w.Body.String(), `mailautoconf_rate_limited_requests_total{route="/admin/reload"} 1`)
}

func TestAdminReload_AbsentWithoutToken(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	s.reloader = &reload.Reloader{}
	w := do(s, http.MethodPost, "/admin/reload", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
}

func TestBodyLimit_DeclaredOversizedBodyIs413(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	s.maxBodyBytes = 100
	e := newEngine(s)
	r := httptest.NewRequest(http.MethodPost, "/mail/config-v1.1.xml", strings.NewReader(strings.Repeat("x", 101)))
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
}

func TestRecovery_PanicIsLoggedWithRouteNotURL(t *testing.T) {
	logs := &bytes.Buffer{}
	e := newEngine(testSite(logs))
	e.GET("/boom/:id", func(*gin.Context) { panic("kaboom: renderer bug") })
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/boom/42?token=s3cr3t-query", nil)
	r.Header.Set("Authorization", "Bearer s3cr3t-header")
	e.ServeHTTP(w, r)
	assert.Equal(t, http.StatusInternalServerError, w.Code)

	var logged map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), line)
		if entry["level"] == "ERROR" {
			logged = entry
		}
	}
	require.NotNil(t, logged, "the panic is logged at error level:\n%s", logs)
	assert.Equal(t, "kaboom: renderer bug", logged["panic"])
	assert.Equal(t, "/boom/:id", logged["route"])
	assert.Contains(t, logged["stack"], "goroutine ", "with the stack")
	for _, secret := range []string{"s3cr3t-query", "s3cr3t-header", "/boom/42"} {
		assert.NotContains(t, logs.String(), secret, "never the raw URL or headers")
	}
}

// Every handler tells the access log what its request was about, the
// Autodiscover POX handler included (its address is in the body, cached
// answers too): the server parses no address itself.
func TestAccessLog_EachFormatTellsItsDomain(t *testing.T) {
	logs := &bytes.Buffer{}
	s := testSite(logs)
	s.logAddresses = true
	e := newEngine(s)
	pox := testkit.OutlookRequest("jane@Shop.Example.ORG")
	tests := []struct {
		name, method, target, body, want string
	}{
		{"thunderbird", http.MethodGet, "/mail/config-v1.1.xml?emailaddress=jane@shop.example.org", "", "jane@shop.example.org"},
		{"autodiscover POX", http.MethodPost, "/autodiscover/autodiscover.xml", pox, "jane@shop.example.org"},
		{"autodiscover POX, cached answer", http.MethodPost, "/autodiscover/autodiscover.xml", pox, "jane@shop.example.org"},
		{"autodiscover JSON", http.MethodGet, "/autodiscover/autodiscover.json?Email=jane@shop.example.org&Protocol=AutodiscoverV1", "", "jane@shop.example.org"},
		{"profile", http.MethodGet, "/apple/mail.mobileconfig?email=jane@shop.example.org", "", "jane@shop.example.org"},
		{"pacc", http.MethodGet, "/.well-known/user-agent-configuration.json?emailaddress=jane@shop.example.org", "", "jane@shop.example.org"},
		{"qr", http.MethodGet, "/qr.png?email=jane@shop.example.org&client=apple-ios", "", "jane@shop.example.org"},
		{"thunderbird import code", http.MethodGet, "/qr/thunderbird.png?email=jane@shop.example.org", "", "jane@shop.example.org"},
		{"wizard page", http.MethodGet, "/setup/thunderbird?email=jane@shop.example.org", "", "jane@shop.example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			w := testkit.DoBody(e, tt.method, tt.target, "", http.Header{"Content-Type": {"text/xml"}}, tt.body)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			var line map[string]any
			require.NoError(t, json.Unmarshal(logs.Bytes(), &line), logs.String())
			assert.Equal(t, "shop.example.org", line["domain"])
			assert.Equal(t, tt.want, line["address"], "the address, its domain in ASCII")
		})
	}
}
