package thunderbird_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

// testEngine serves cfg the way cmd/mailautoconf mounts the package.
func testEngine(t *testing.T, cfg *autoconfig.Config) http.Handler {
	t.Helper()
	return testkit.Engine(t, thunderbird.New(testkit.Deps(cfg)))
}

func exampleConfig(t *testing.T) *autoconfig.Config { return testkit.Config(t, "example.yaml") }

var do = testkit.Do

func getThunderbird(e http.Handler, path, address string) *httptest.ResponseRecorder {
	return do(e, http.MethodGet, path+"?emailaddress="+url.QueryEscape(address), "", nil)
}

func TestAutoconfig_ServesEveryPath(t *testing.T) {
	e := testEngine(t, autoconfig.Default())
	want := thunderbird.Render(autoconfig.NewDomain(autoconfig.Default().CatchAll, "example.ch"))
	for _, path := range thunderbird.Paths {
		t.Run(path, func(t *testing.T) {
			w := getThunderbird(e, path, "Jane.Doe@Example.CH")
			require.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, "application/xml; charset=utf-8", w.Header().Get("Content-Type"))
			assert.Equal(t, "public, max-age=3600", w.Header().Get("Cache-Control"))
			assert.Equal(t, httpkit.ETag(want), w.Header().Get("ETag"))
			assert.Equal(t, string(want), w.Body.String())

			head := do(e, http.MethodHead, path+"?emailaddress=jane@example.ch", "", nil)
			assert.Equal(t, http.StatusOK, head.Code)
			assert.Equal(t, w.Header().Get("ETag"), head.Header().Get("ETag"))
		})
	}
}

func TestAutoconfig_NoEmailAddressUsesHostHeader(t *testing.T) {
	// Thunderbird for Android and K-9 Mail send no emailaddress parameter.
	e := testEngine(t, autoconfig.Default())
	for host, domain := range map[string]string{
		"autoconfig.example.org":      "example.org",
		"autoconfig.example.org:8443": "example.org",
		"example.org":                 "example.org",
		"AUTOCONFIG.BÜCHER.example":   "xn--bcher-kva.example",
	} {
		w := do(e, http.MethodGet, "/mail/config-v1.1.xml", host, nil)
		require.Equal(t, http.StatusOK, w.Code, host)
		assert.Equal(t, string(thunderbird.Render(autoconfig.NewDomain(autoconfig.Default().CatchAll, domain))), w.Body.String(), host)
	}
}

func TestAutoconfig_NoEmailAddressAndNoDomainInHost(t *testing.T) {
	e := testEngine(t, autoconfig.Default())
	for _, host := range []string{"localhost:8080", "127.0.0.1", "[::1]:8080"} {
		w := do(e, http.MethodGet, "/mail/config-v1.1.xml", host, nil)
		assert.Equal(t, http.StatusBadRequest, w.Code, host)
		assert.Equal(t, autoconfig.ErrNoDomain.Error()+"\n", w.Body.String())
	}
}

func TestAutoconfig_UnknownDomainIs404NotEmpty2xx(t *testing.T) {
	// A 2xx would win Thunderbird's race between URLs and hide a good one.
	e := testEngine(t, exampleConfig(t))
	w := getThunderbird(e, "/mail/config-v1.1.xml", "jane@example.org")
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, "no mail settings for example.org\n", w.Body.String())
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))

	w = do(e, http.MethodGet, "/mail/config-v1.1.xml", "autoconfig.example.org", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)

	w = getThunderbird(e, "/mail/config-v1.1.xml", "jane@example.net")
	assert.Equal(t, http.StatusOK, w.Code, "a configured domain is served")
}

func TestAutoconfig_InvalidAddress(t *testing.T) {
	e := testEngine(t, autoconfig.Default())
	tests := []struct{ query, reason string }{
		{"emailaddress=bad", "it has no @"},
		{"emailaddress=", "it is empty"},
		{"emailaddress=%3Cscript%3E%40example.com", "the part before @ contains a character that is only allowed in quotes"},
		{"emailaddress=a%40b%40example.com", "it has more than one @"},
		{"emailaddress=jane%40example.ch%0D%0ASet-Cookie:x", "it contains a space"},
		{"emailaddress=jane%40localhost", "the domain needs at least one dot, as in example.com"},
	}
	for _, tt := range tests {
		w := do(e, http.MethodGet, "/mail/config-v1.1.xml?"+tt.query, "", nil)
		assert.Equal(t, http.StatusBadRequest, w.Code, tt.query)
		assert.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))
		assert.Equal(t, "invalid email address: "+tt.reason+"\n", w.Body.String(), tt.query)
		assert.NotContains(t, w.Body.String(), "<script>")
	}
}

func TestAutoconfig_IfNoneMatchGives304(t *testing.T) {
	e := testEngine(t, autoconfig.Default())
	first := getThunderbird(e, "/mail/config-v1.1.xml", "jane@example.ch")
	etag := first.Header().Get("ETag")
	require.NotEmpty(t, etag)
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		w := do(e, http.MethodGet, "/mail/config-v1.1.xml?emailaddress=jane@example.ch", "", http.Header{"If-None-Match": {inm}})
		assert.Equal(t, http.StatusNotModified, w.Code, inm)
		assert.Empty(t, w.Body.String())
		assert.Equal(t, etag, w.Header().Get("ETag"))
	}
	w := do(e, http.MethodGet, "/mail/config-v1.1.xml?emailaddress=jane@example.ch", "", http.Header{"If-None-Match": {`"stale"`}})
	assert.Equal(t, http.StatusOK, w.Code)
	other := getThunderbird(e, "/mail/config-v1.1.xml", "jane@example.org")
	assert.NotEqual(t, etag, other.Header().Get("ETag"), "the document names the domain")
}

func TestAutoconfig_WrongMethods(t *testing.T) {
	e := testEngine(t, autoconfig.Default())
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		w := do(e, m, "/mail/config-v1.1.xml?emailaddress=jane@example.ch", "", nil)
		assert.Equal(t, http.StatusMethodNotAllowed, w.Code, m)
		assert.ElementsMatch(t, []string{"GET", "HEAD"}, strings.Split(strings.ReplaceAll(w.Header().Get("Allow"), " ", ""), ","), m)
	}
}

func TestAutoconfig_ServesTheConfigInForce(t *testing.T) {
	deps := testkit.Deps(exampleConfig(t))
	e := testkit.Engine(t, thunderbird.New(deps))
	store := deps.Resolver.Store
	assert.Equal(t, http.StatusNotFound, getThunderbird(e, "/mail/config-v1.1.xml", "jane@example.org").Code)
	store.Swap(autoconfig.Default())
	assert.Equal(t, http.StatusOK, getThunderbird(e, "/mail/config-v1.1.xml", "jane@example.org").Code)
}

// The Android app Nine asks /v1.1/mail/config-v1.1.xml: it gets the same
// document as Thunderbird.
func TestAutoconfig_NinePath(t *testing.T) {
	e := testEngine(t, autoconfig.Default())
	w := getThunderbird(e, "/v1.1/mail/config-v1.1.xml", "jane@example.ch")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, string(thunderbird.Render(autoconfig.NewDomain(autoconfig.Default().CatchAll, "example.ch"))), w.Body.String())
	w = do(e, http.MethodGet, "/v1.1/mail/config-v1.1.xml", "autoconfig.example.org", nil)
	assert.Equal(t, http.StatusOK, w.Code, "Host header form, without emailaddress")
}
