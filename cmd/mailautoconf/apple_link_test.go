package main

import (
	"bytes"
	"html"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// The Apple QR code opens its short link, which must install what the
// Apple page's calendars-and-contacts button installs: mail, calendars and
// contacts, not the mail profile alone.
func TestEngine_AppleShortLinkInstallsWhatThePageLinks(t *testing.T) {
	e := engineOnConfig(t, "apple-dav.yaml")
	davButton := regexp.MustCompile(`id="dav-profile" href="([^"]+)"`)
	for _, client := range []string{"apple-ios", "apple-mac"} {
		t.Run(client, func(t *testing.T) {
			page := testkit.Get(e, "/setup/"+client+"?email=jane@example.net&lang=en")
			require.Equal(t, http.StatusOK, page.Code)
			m := davButton.FindStringSubmatch(page.Body.String())
			require.NotNil(t, m, "the page links the profile with calendars and contacts")
			want := html.UnescapeString(m[1])

			short := testkit.Do(e, http.MethodGet, "/s/"+client+"/jane@example.net", "", http.Header{"Accept-Language": {"en"}})
			require.Equal(t, http.StatusFound, short.Code, short.Body.String())
			assert.Equal(t, want, short.Header().Get("Location"))

			profile := testkit.Get(e, short.Header().Get("Location"))
			require.Equal(t, http.StatusOK, profile.Code, profile.Body.String())
			for _, payload := range []string{"com.apple.mail.managed", "com.apple.caldav.account", "com.apple.carddav.account"} {
				assert.Contains(t, profile.Body.String(), payload)
			}
		})
	}
}

// engineOnConfig is the engine of testSite on testdata/config/<name>.
func engineOnConfig(t *testing.T, name string) http.Handler {
	s := testSite(&bytes.Buffer{})
	s.store = autoconfig.NewStore(testkit.Config(t, name))
	return newEngine(s)
}
