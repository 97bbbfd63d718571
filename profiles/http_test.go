package profiles

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/smallstep/pkcs7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// newTestEngine serves cfg's profiles the way cmd/mailautoconf mounts them.
func newTestEngine(t testing.TB, cfg *autoconfig.Config, signer *Signer) *gin.Engine {
	t.Helper()
	return testkit.Engine(t, New(testkit.Deps(cfg), signer))
}

func do(e http.Handler, method, target string) *httptest.ResponseRecorder {
	w := testkit.Do(e, method, target, "", nil)
	return w
}

func profileURL(path string, q url.Values) string { return path + "?" + q.Encode() }

func TestHTTP_GetServesTheProfile(t *testing.T) {
	e := newTestEngine(t, autoconfig.Default(), nil)
	for _, path := range []string{DownloadPath, AliasPath} {
		t.Run(path, func(t *testing.T) {
			w := do(e, http.MethodGet, profileURL(path, url.Values{"email": {"jane@example.ch"}, "name": {"Jane Doe"}}))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, "application/x-apple-aspen-config", w.Header().Get("Content-Type"))
			assert.Equal(t, `attachment; filename="example.ch-mail.mobileconfig"`, w.Header().Get("Content-Disposition"))
			assert.Equal(t, "private, no-store", w.Header().Get("Cache-Control"))
			assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
			want := render(t, account(t, autoconfig.Default(), "jane@example.ch"), Options{Name: "Jane Doe", Include: IncludeMail})
			assert.Equal(t, string(want), w.Body.String())
		})
	}
}

// Fetching again gives the same bytes, so the same UUIDs: iOS replaces the
// installed profile instead of adding a second account.
func TestHTTP_SameBytesWhenFetchedAgain(t *testing.T) {
	e := newTestEngine(t, autoconfig.Default(), nil)
	target := profileURL(DownloadPath, url.Values{"email": {"jane@example.ch"}, "name": {"Jane Doe"}})
	first := do(e, http.MethodGet, target)
	second := do(e, http.MethodGet, target)
	require.Equal(t, http.StatusOK, first.Code)
	assert.Equal(t, first.Body.String(), second.Body.String())
}

// Profiles are larger than what net/http buffers before sending headers:
// without a Content-Length they would go out chunked, and iOS could not show
// the download's progress.
func TestHTTP_ProfileHasContentLengthNotChunked(t *testing.T) {
	srv := httptest.NewServer(newTestEngine(t, autoconfig.Default(), nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + profileURL(DownloadPath, url.Values{"email": {"jane@example.ch"}}))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Greater(t, len(body), 2048)
	assert.Equal(t, int64(len(body)), resp.ContentLength)
	assert.Empty(t, resp.TransferEncoding)
}

func TestHTTP_HeadHasHeadersAndNoBody(t *testing.T) {
	srv := httptest.NewServer(newTestEngine(t, autoconfig.Default(), nil))
	defer srv.Close()
	for _, path := range []string{DownloadPath, AliasPath} {
		resp, err := http.Head(srv.URL + profileURL(path, url.Values{"email": {"jane@example.ch"}}))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, ContentType, resp.Header.Get("Content-Type"))
		assert.Equal(t, `attachment; filename="example.ch-mail.mobileconfig"`, resp.Header.Get("Content-Disposition"))
		assert.Equal(t, "private, no-store", resp.Header.Get("Cache-Control"))
	}
	w := do(newTestEngine(t, autoconfig.Default(), nil), http.MethodHead, profileURL(DownloadPath, url.Values{"email": {"bad"}}))
	assert.Equal(t, http.StatusBadRequest, w.Code)
}

func TestHTTP_OtherMethodsAre405(t *testing.T) {
	e := newTestEngine(t, autoconfig.Default(), nil)
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		for _, path := range []string{DownloadPath, AliasPath} {
			w := do(e, method, profileURL(path, url.Values{"email": {"jane@example.ch"}}))
			assert.Equal(t, http.StatusMethodNotAllowed, w.Code, method+" "+path)
			assert.Contains(t, w.Header().Get("Allow"), "GET")
		}
	}
}

func TestHTTP_IDNDomainFileNameIsPunycode(t *testing.T) {
	e := newTestEngine(t, autoconfig.Default(), nil)
	w := do(e, http.MethodGet, profileURL(DownloadPath, url.Values{"email": {"anna@Bücher.example"}}))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, `attachment; filename="xn--bcher-kva.example-mail.mobileconfig"`, w.Header().Get("Content-Disposition"))
	assert.Contains(t, w.Body.String(), "<string>anna@bücher.example</string>")
}

func TestHTTP_IncludeCalendarAndContacts(t *testing.T) {
	e := newTestEngine(t, exampleConfig(t), nil)
	w := do(e, http.MethodGet, profileURL(DownloadPath, url.Values{"email": {"jane@example.net"}, "include": {"mail,calendar,contacts"}}))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	p := parseProfile(t, w.Body.Bytes())
	require.Len(t, p.PayloadContent, 3)
	assert.IsType(t, CalDAVPayload{}, p.PayloadContent[1])
	assert.IsType(t, CardDAVPayload{}, p.PayloadContent[2])
}

func TestHTTP_Errors(t *testing.T) {
	e := newTestEngine(t, exampleConfig(t), nil)
	tests := []struct {
		name  string
		query url.Values
		code  int
		want  string
	}{
		{"no email", url.Values{}, 400, "the email parameter is required"},
		{"invalid address", url.Values{"email": {"jane@<b>"}}, 400, "invalid email address"},
		{"control character in name", url.Values{"email": {"jane@example.net"}, "name": {"Jane\r\nSet-Cookie: x"}}, 400, "control"},
		{"over-long name", url.Values{"email": {"jane@example.net"}, "name": {strings.Repeat("n", MaxNameLength+1)}}, 400, "too long"},
		{"unknown include", url.Values{"email": {"jane@example.net"}, "include": {"mail,<b>"}}, 400, "include takes"},
		{"unserved domain", url.Values{"email": {"jane@unserved.example"}}, 404, "no mail settings for unserved.example"},
		{"nothing to include", url.Values{"email": {"jane@legacy.example.com"}, "include": {"calendar"}}, 404, "none of the requested services"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(e, http.MethodGet, profileURL(DownloadPath, tc.query))
			assert.Equal(t, tc.code, w.Code)
			assert.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			assert.Empty(t, w.Header().Get("Content-Disposition"))
			body := w.Body.String()
			assert.Contains(t, body, tc.want)
			assert.Equal(t, 1, strings.Count(body, "\n"), "one line: %q", body)
			assert.NotContains(t, body, "<b>")
			assert.NotContains(t, body, "Set-Cookie")
		})
	}
}

func TestHTTP_SignedProfile(t *testing.T) {
	pki := newTestPKI(t, keyECDSA)
	s, err := NewSigner(pki.writeFiles(t, t.TempDir()))
	require.NoError(t, err)
	e := newTestEngine(t, autoconfig.Default(), s)
	w := do(e, http.MethodGet, profileURL(DownloadPath, url.Values{"email": {"jane@example.ch"}, "name": {"Jane Doe"}}))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, ContentType, w.Header().Get("Content-Type"))

	p7, err := pkcs7.Parse(w.Body.Bytes())
	require.NoError(t, err)
	require.NoError(t, p7.VerifyWithChain(pki.pool()))
	want := render(t, account(t, autoconfig.Default(), "jane@example.ch"), Options{Name: "Jane Doe", Include: IncludeMail})
	assert.Equal(t, string(want), string(p7.Content))
}

func TestDownload_RepeatedRequestsAreServedFromCache(t *testing.T) {
	e := newTestEngine(t, autoconfig.Default(), nil)
	get := func(q string) []byte {
		w := testkit.Get(e, DownloadPath+"?"+q)
		require.Equal(t, http.StatusOK, w.Code)
		return w.Body.Bytes()
	}
	first := get("email=jane@example.ch&name=Jane")
	assert.Equal(t, first, get("email=jane@example.ch&name=Jane"))
	assert.NotEqual(t, first, get("email=jane@example.ch&name=John"), "the name is part of the key")
	assert.Equal(t, first, get("email=Jane@Example.CH&name=Jane"), "one mailbox, one profile: local parts are case-insensitive")
}

func TestCacheKey_DistinguishesEveryInput(t *testing.T) {
	addr := func(s string) autoconfig.Address {
		a, err := autoconfig.ParseAddress(s)
		require.NoError(t, err)
		return a
	}
	base := Request{Address: addr("jane@example.ch"), Options: Options{Name: "Jane", Include: IncludeMail}}
	p := &autoconfig.Provider{ID: "p"}
	q := &autoconfig.Provider{ID: "q"}
	keys := map[string]cacheKey{"base": newCacheKey(p, base, nil)}
	variants := map[string]Request{
		"address":  {Address: addr("john@example.ch"), Options: base.Options},
		"name":     {Address: base.Address, Options: Options{Name: "Jane D", Include: IncludeMail}},
		"calendar": {Address: base.Address, Options: Options{Name: "Jane", Include: Include{Mail: true, Calendar: true}}},
		"contacts": {Address: base.Address, Options: Options{Name: "Jane", Include: Include{Mail: true, Contacts: true}}},
		"no-name":  {Address: base.Address, Options: Options{Name: "", Include: IncludeMail}},
	}
	for name, r := range variants {
		keys[name] = newCacheKey(p, r, nil)
	}
	keys["signed-1"] = newCacheKey(p, base, &signingPair{generation: 1})
	keys["signed-2"] = newCacheKey(p, base, &signingPair{generation: 2})
	keys["other-provider"] = newCacheKey(q, base, nil)
	// One mailbox, one key: local parts are case-insensitive by default.
	assert.Equal(t, keys["base"], newCacheKey(p, Request{Address: addr("Jane@Example.CH"), Options: base.Options}, nil))
	caseSensitive := &autoconfig.Provider{ID: "p", Login: autoconfig.LoginRules{CaseSensitiveLocalPart: true}}
	assert.NotEqual(t, newCacheKey(caseSensitive, base, nil),
		newCacheKey(caseSensitive, Request{Address: addr("Jane@example.ch"), Options: base.Options}, nil))
	seen := map[cacheKey]string{}
	for name, k := range keys {
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share the cache key %+v", name, other, k)
		}
		seen[k] = name
	}
}
