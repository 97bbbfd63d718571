package wizard

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"howett.net/plist"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// profileHrefRE finds the Apple profile button's link in a page.
var profileHrefRE = regexp.MustCompile(`<a class="button" id="profile" href="([^"]+)"`)

// TestSenderName_CarriedToEveryOutput: the start page asks for an optional
// name; the name typed is escaped on every page and is the sender's name
// in the Apple profile, the Thunderbird for Android code and, for the same
// resolved account, Autodiscover's DisplayName.
func TestSenderName_CarriedToEveryOutput(t *testing.T) {
	e := newTestEngine(t, withPublicURL("https://autoconfig.example.net"))
	const email, name = "jane@example.com", `Jane "JD" <Doe> & Co`

	start := get(t, e, "/?lang=en").Body.String()
	has(t, start, `<input type="text" id="name" name="name" value="" maxlength="100" autocomplete="name"`, "the start form has a name field")

	choose := get(t, e, "/setup?"+q("email", email, "name", name, "lang", "en")).Body.String()
	has(t, choose, inHTML("/setup/thunderbird?email=jane%40example.com&lang=en&name=Jane+%22JD%22+%3CDoe%3E+%26+Co"), "the client links carry the name")
	hasNot(t, choose, "<Doe>", "the name is escaped")

	apple := get(t, e, "/setup/apple-ios?"+q("email", email, "name", name, "lang", "en"), "User-Agent", userAgentWindows).Body.String()
	has(t, apple, "<dd>"+inHTML(name)+"</dd>", "the page shows the name")
	m := profileHrefRE.FindStringSubmatch(apple)
	require.NotNil(t, m, "the Apple page has the profile button")
	rec := get(t, e, html.UnescapeString(m[1]))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var prof struct{ PayloadContent []profiles.MailPayload }
	_, err := plist.Unmarshal(rec.Body.Bytes(), &prof)
	require.NoError(t, err)
	require.NotEmpty(t, prof.PayloadContent)
	assert.Equal(t, name, prof.PayloadContent[0].EmailAccountName, "the profile's sender name")

	tb := get(t, e, "/setup/thunderbird?"+q("email", email, "name", name, "lang", "en"), "User-Agent", userAgentWindows).Body.String()
	img := get(t, e, tbImportImage(tb))
	require.Equal(t, http.StatusOK, img.Code, img.Body.String())
	code, _ := decodeQR(t, img.Body.Bytes())
	cfg := testkit.ParseConfig(t, testConfig)
	acct := autoconfig.NewAccount(testkit.Provider(t, cfg, "example.com"), testkit.Address(t, email), name)
	want, err := tbimport.Payload(acct)
	require.NoError(t, err)
	assert.Equal(t, string(want), code, "the Thunderbird for Android code carries the name")

	// Outlook asks Autodiscover itself, without the wizard: the name the
	// wizard's links carry resolves to the account whose DisplayName is it.
	link, err := url.Parse(html.UnescapeString(m[1]))
	require.NoError(t, err)
	resolved, err := testkit.Deps(cfg).Resolver.Account(context.Background(), testkit.Address(t, email), link.Query().Get("name"))
	require.NoError(t, err)
	r, err := autodiscover.ReadResponse(autodiscover.Response(resolved))
	require.NoError(t, err)
	assert.Equal(t, name, r.User.DisplayName)
}

// TestSenderName_Refused: a name with a line break (Thunderbird for
// Android refuses one) or longer than the profiles' limit is a 400.
func TestSenderName_Refused(t *testing.T) {
	e := newTestEngine(t)
	for _, name := range []string{"Jane\nDoe", "Jane\u2028Doe", string(make([]byte, profiles.MaxNameLength+1))} {
		rec := get(t, e, "/setup/apple-ios?"+q("email", "jane@example.com", "name", name))
		assert.Equal(t, http.StatusBadRequest, rec.Code, "%q", name)
	}
}
