package wizard

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// decodeQR reads a PNG QR code back, as a phone camera would.
func decodeQR(t *testing.T, body []byte) (text string, width int) {
	t.Helper()
	return testkit.DecodeQR(t, body)
}

func TestQR_EncodesAbsoluteURLOfEachClient(t *testing.T) {
	e := newTestEngine(t, withPublicURL("https://autoconfig.example.net"))
	tests := []struct{ query, want string }{
		{q("email", "jane@example.com", "client", "apple-ios"),
			"https://autoconfig.example.net/s/apple-ios/jane@example.com"},
		{q("email", "jane@example.com", "client", "apple-mac", "name", "Jane Doe", "lang", "de"),
			"https://autoconfig.example.net/s/apple-mac/jane@example.com?name=Jane+Doe"},
		{q("email", "Jane@Example.COM", "client", "thunderbird", "lang", "fr"),
			"https://autoconfig.example.net/s/thunderbird/jane@example.com"}, // one mailbox, one form
		{q("email", " jane@example.com ", "client", "android"),
			"https://autoconfig.example.net/s/android/jane@example.com"},
		{q("email", `"<script>"@example.com`, "client", "gmail", "lang", "xx"),
			"https://autoconfig.example.net/s/gmail/%22%3Cscript%3E%22@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := get(t, e, "/qr.png?"+tt.query)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Equal(t, "image/png", rec.Header().Get("Content-Type"))
			text, width := decodeQR(t, rec.Body.Bytes())
			assert.Equal(t, tt.want, text)
			assert.Equal(t, qrDefaultSize, width)
		})
	}
}

func TestQR_NeverPlainHTTPWhenPublicURLIsHTTPS(t *testing.T) {
	// The request arrives over plain HTTP (a TLS-terminating proxy in front).
	e := newTestEngine(t, withPublicURL("https://autoconfig.example.net"))
	text, _ := decodeQR(t, get(t, e, "/qr.png?email=jane@example.com&client=apple-ios").Body.Bytes())
	assert.Regexp(t, `^https://autoconfig\.example\.net/`, text)
}

func TestQR_WithoutPublicURLUsesRequestHost(t *testing.T) {
	e := newTestEngine(t)
	rec := get(t, e, "/qr.png?email=jane@example.com&client=gmail")
	text, _ := decodeQR(t, rec.Body.Bytes())
	assert.Equal(t, "http://example.com/s/gmail/jane@example.com", text)
}

// TestShortLink_RedirectsToTheClientsTarget: the link beside a QR code
// (and in it) leads where the code used to: the Apple profile, or the
// steps page, in the phone's language.
func TestShortLink_RedirectsToTheClientsTarget(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct{ path, acceptLanguage, want string }{
		{"/s/apple-ios/jane@example.com", "de-CH,de;q=0.9", profiles.DownloadPath + "?email=jane%40example.com&lang=de"},
		{"/s/apple-mac/jane@example.com?name=Jane+Doe", "", profiles.DownloadPath + "?email=jane%40example.com&lang=en&name=Jane+Doe"},
		{"/s/thunderbird/Jane@Example.COM", "fr", "/setup/thunderbird?email=jane%40example.com&lang=fr"},
		{"/s/gmail/%22%3Cscript%3E%22@example.com", "", "/setup/gmail?email=%22%3Cscript%3E%22%40example.com&lang=en"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := get(t, e, tt.path, "Accept-Language", tt.acceptLanguage)
			require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
			assert.Equal(t, tt.want, rec.Header().Get("Location"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		})
	}
	for path, status := range map[string]int{
		"/s/blackberry/jane@example.com": http.StatusNotFound,
		"/s/gmail/jane.example.com":      http.StatusBadRequest,
		"/s/gmail/jane@unserved.example": http.StatusNotFound,
		"/s/gmail/":                      http.StatusBadRequest,
		"/s/gmail/jane@example.com?name=" + strings.Repeat("n", profiles.MaxNameLength+1): http.StatusBadRequest,
	} {
		assert.Equal(t, status, get(t, e, path).Code, path)
	}
}

func TestQR_Sizes(t *testing.T) {
	e := newTestEngine(t)
	for _, size := range []string{"128", "300", "1024"} {
		rec := get(t, e, "/qr.png?email=jane@example.com&client=apple-ios&size="+size)
		require.Equal(t, http.StatusOK, rec.Code, size)
		_, width := decodeQR(t, rec.Body.Bytes())
		assert.Equal(t, size, itoa(width))
	}
	for _, size := range []string{"127", "1025", "0", "-256", "abc", "256px", "1e3", "99999999999999999999"} {
		rec := get(t, e, "/qr.png?email=jane@example.com&client=apple-ios&size="+size)
		assert.Equal(t, http.StatusBadRequest, rec.Code, size)
		assert.Contains(t, rec.Body.String(), "128")
	}
}

func TestQR_SameInputSameBytesAndETag(t *testing.T) {
	e := newTestEngine(t)
	const target = "/qr.png?email=jane@example.com&client=thunderbird&lang=it"
	first, second := get(t, e, target), get(t, e, target)
	require.Equal(t, http.StatusOK, first.Code)
	assert.Equal(t, first.Body.Bytes(), second.Body.Bytes())
	etag := first.Header().Get("ETag")
	require.NotEmpty(t, etag)
	assert.Equal(t, etag, second.Header().Get("ETag"))
	assert.Equal(t, "private, no-cache", first.Header().Get("Cache-Control"))
	assert.Equal(t, "nosniff", first.Header().Get("X-Content-Type-Options"))

	rec := get(t, e, target, "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, rec.Code)
	assert.Empty(t, rec.Body.Bytes())

	other := get(t, e, "/qr.png?email=john@example.com&client=thunderbird&lang=it")
	assert.NotEqual(t, etag, other.Header().Get("ETag"))
}

func TestQR_Errors(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name, query string
		status      int
	}{
		{"no client", "email=jane@example.com", http.StatusBadRequest},
		{"unknown client", "email=jane@example.com&client=blackberry", http.StatusBadRequest},
		{"no address", "client=apple-ios", http.StatusBadRequest},
		{"invalid address", "email=jane.example.com&client=apple-ios", http.StatusBadRequest},
		{"unserved domain", "email=jane@unserved.example&client=apple-ios", http.StatusNotFound},
		{"invalid name", "email=jane@example.com&client=apple-ios&name=%00", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, e, "/qr.png?"+tt.query+"&lang=de")
			assert.Equal(t, tt.status, rec.Code)
			assert.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.NotContains(t, rec.Body.String(), "jane")
			assert.NotContains(t, rec.Body.String(), missingMarker)
		})
	}
	rec := get(t, e, "/qr.png?email=jane@unserved.example&client=apple-ios&lang=fr")
	assert.Equal(t, "Ce service n’a pas de réglages de messagerie pour unserved.example.\n", rec.Body.String())
}

func TestQR_CachedCodeIsNotServedAfterAReloadDropsTheDomain(t *testing.T) {
	cfg, err := autoconfig.Parse("test", []byte(testConfig))
	require.NoError(t, err)
	deps := testkit.Deps(cfg)
	w, err := New(deps, Options{})
	require.NoError(t, err)
	e := testkit.Engine(t)
	w.Register(e, e)

	target := "/qr.png?email=jane%40example.com&client=apple-ios"
	first := get(t, e, target)
	require.Equal(t, http.StatusOK, first.Code)
	again := get(t, e, target)
	assert.Equal(t, first.Body.Bytes(), again.Body.Bytes(), "served from the cache")

	other, err := autoconfig.Parse("other", []byte(strings.Replace(testConfig, "[example.com, ", "[", 1)))
	require.NoError(t, err)
	deps.Resolver.Store.Swap(other)
	assert.Equal(t, http.StatusNotFound, get(t, e, target).Code, "the new configuration no longer serves example.com")
}
