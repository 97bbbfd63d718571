package main

import (
	"bytes"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// The Apple QR code opens its short link, which must install what the
// Apple page's download form installs as the page first shows it (the
// calendars-and-contacts box ticked): mail, calendars and contacts, not the
// mail profile alone.
func TestEngine_AppleShortLinkInstallsWhatThePageLinks(t *testing.T) {
	e := engineOnConfig(t, "apple-dav.yaml")
	form := regexp.MustCompile(`(?s)<form class="download" method="get" action="([^"]+)">(.*?)</form>`)
	input := regexp.MustCompile(`<input type="(?:hidden|checkbox)" name="([^"]+)" value="([^"]*)"`)
	for _, client := range []string{"apple-ios", "apple-mac"} {
		t.Run(client, func(t *testing.T) {
			page := testkit.Get(e, "/setup/"+client+"?email=jane@example.net&lang=en")
			require.Equal(t, http.StatusOK, page.Code)
			m := form.FindStringSubmatch(page.Body.String())
			require.NotNil(t, m, "the page has the download form with calendars and contacts")
			// What a browser sends for the form as shown.
			sent := url.Values{}
			for _, in := range input.FindAllStringSubmatch(m[2], -1) {
				sent.Add(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
			}
			require.Contains(t, sent.Get("include"), "calendar", "the box is ticked with calendars and contacts")

			short := testkit.Do(e, http.MethodGet, "/s/"+client+"/jane@example.net", "", http.Header{"Accept-Language": {"en"}})
			require.Equal(t, http.StatusFound, short.Code, short.Body.String())
			loc, err := url.Parse(short.Header().Get("Location"))
			require.NoError(t, err)
			assert.Equal(t, html.UnescapeString(m[1]), loc.Path, "the same download")
			for _, key := range []string{"email", "include"} {
				assert.Equal(t, sent.Get(key), loc.Query().Get(key), key)
			}

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
