package wizard

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// The helpdesk page links the download, and the download is the zip
// profiles renders, its assets pointing at the public URL.
func TestHelpdesk_DeclarationsDownload(t *testing.T) {
	const base = "https://autoconfig.example.net"
	e := newTestEngine(t, withHelpdesk(testToken), withPublicURL(base))
	auth := basicAuth("helpdesk", testToken)
	rec := postHelpdesk(t, e, url.Values{"email": {"jane@example.com"}, "name": {"Jane Doe"}, "lang": {"en"}},
		"Authorization", auth, "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusOK, rec.Code)
	link := declarationsLink("jane@example.com", "Jane Doe")
	has(t, rec.Body.String(), `href="`+inHTML(link)+`"`)
	has(t, rec.Body.String(), "mailautoconf generate declarations --email jane@example.com --name &#39;Jane Doe&#39; -o declarations.zip\n")

	rec = get(t, e, link, "Authorization", auth)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "application/zip", rec.Header().Get("Content-Type"))
	assert.Equal(t, `attachment; filename="example.com-declarations.zip"`, rec.Header().Get("Content-Disposition"))
	assert.Equal(t, "private, no-store", rec.Header().Get("Cache-Control"))
	cfg, err := autoconfig.Parse("test", []byte(testConfig))
	require.NoError(t, err)
	acct := testkit.Account(t, cfg, "jane@example.com")
	acct.DisplayName = "Jane Doe"
	want, err := profiles.DeclarationsZip(acct, profiles.Options{Name: "Jane Doe",
		Include: profiles.Include{Mail: true, Calendar: true, Contacts: true}}, base)
	require.NoError(t, err)
	assert.Equal(t, want, rec.Body.Bytes())
}

func TestHelpdesk_DeclarationsNeedTheToken(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken))
	link := declarationsLink("jane@example.com", "")
	assert.Equal(t, http.StatusUnauthorized, get(t, e, link).Code)
	assert.Equal(t, http.StatusUnauthorized, get(t, e, link, "Authorization", basicAuth("x", "wrong")).Code)
	assert.Equal(t, http.StatusNotFound, get(t, newTestEngine(t), link, "Authorization", "Bearer "+testToken).Code,
		"no helpdesk, no download")
}

func TestHelpdesk_DeclarationsBadInput(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken))
	auth := "Bearer " + testToken
	for name, tc := range map[string]struct {
		query string
		code  int
	}{
		"no address":     {"", http.StatusBadRequest},
		"bad address":    {"?email=nope", http.StatusBadRequest},
		"bad include":    {"?email=jane%40example.com&include=ldap", http.StatusBadRequest},
		"unknown domain": {"?email=jane%40unknown.invalid", http.StatusNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			rec := get(t, e, helpdeskDeclarationsPath+tc.query, "Authorization", auth)
			assert.Equal(t, tc.code, rec.Code, rec.Body.String())
		})
	}
}
