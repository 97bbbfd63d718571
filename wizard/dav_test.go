package wizard

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"howett.net/plist"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// davClients are the clients whose apps add CalDAV/CardDAV accounts:
// Thunderbird, Apple (through the profile), eM Client, Android through
// DAVx⁵, and "another client" that may. Outlook and Gmail cannot.
var davClients = []string{"apple-mac", "apple-ios", "android", "thunderbird", "emclient", "other"}

// The section shows the Account's DAV decisions (URLs and login), in the
// page's language, with the client's own way to add them and the password
// named by the provider's policy.
func TestDAVSection_OnTheClientsThatCanAddThem(t *testing.T) {
	cfg := testkit.Config(t, "apple-dav.yaml")
	e := newTestEngineFor(t, cfg)
	cats := testCatalogs(t)
	const email = "jane@example.net"
	acct, err := testkit.Resolve(cfg, testkit.Address(t, email))
	require.NoError(t, err)
	require.True(t, acct.CalDAV.Offered() && acct.CardDAV.Offered(), "apple-dav.yaml has both")
	for _, lang := range langCodes {
		msg := cats[lang]
		for _, c := range clients {
			t.Run(lang+"/"+c.ID, func(t *testing.T) {
				body := get(t, e, "/setup/"+c.ID+"?"+q("email", email, "lang", lang), "User-Agent", userAgentWindows).Body.String()
				if !slices.Contains(davClients, c.ID) {
					hasNot(t, body, `class="dav"`)
					hasNot(t, body, acct.CalDAV.URL)
					return
				}
				has(t, body, `<section class="dav" id="calendars" aria-labelledby="dav-title">`)
				has(t, body, `<h2 id="dav-title">`+inHTML(msg["dav.title"])+`</h2>`)
				how := strings.NewReplacer("{0}", email, "{1}", msg["password.phrase.account"]).Replace(msg["dav.how."+c.dav])
				has(t, body, "<p>"+inHTML(how)+"</p>")
				has(t, body, "<dt>"+inHTML(msg["dav.caldav"])+`</dt><dd class="value">`+acct.CalDAV.URL+"</dd>")
				has(t, body, "<dt>"+inHTML(msg["dav.carddav"])+`</dt><dd class="value">`+acct.CardDAV.URL+"</dd>")
				has(t, body, "<dt>"+inHTML(msg["dav.username"])+`</dt><dd class="value">`+acct.CalDAV.Username+"</dd>")
				if c.Profile() {
					// One download button, with the choice beside it.
					has(t, body, `<form class="download" method="get" action="`+profiles.DownloadPath+`">`)
					has(t, body, `<input type="hidden" name="email" value="jane@example.net">`)
					has(t, body, `<input type="hidden" name="lang" value="`+lang+`">`)
					has(t, body, `<label class="check"><input type="checkbox" name="include" value="mail,calendar,contacts" checked> `+inHTML(msg["dav.profile.choice"])+`</label>`)
					assert.Equal(t, 1, strings.Count(body, `id="profile"`), "one download button")
				} else {
					hasNot(t, body, "include=")
				}
			})
		}
	}
}

// davFormRE finds the fields of the profile download form, in order.
var davFormRE = regexp.MustCompile(`<form class="download" method="get" action="([^"]+)">|<input type="(?:hidden|checkbox)" name="([^"]+)" value="([^"]+)"`)

// The Apple download, calendars and contacts ticked (as they are by
// default), downloads a profile with the mail, CalDAV and CardDAV
// payloads, logged in with the Account's DAV login.
func TestDAVSection_AppleProfileIncludesCalendarsAndContacts(t *testing.T) {
	cfg := testkit.Config(t, "apple-dav.yaml")
	e := newTestEngineFor(t, cfg)
	body := get(t, e, "/setup/apple-ios?"+q("email", "jane@example.net", "lang", "fr")).Body.String()
	// The URL a browser asks for when the form is sent.
	var action string
	form := url.Values{}
	for _, m := range davFormRE.FindAllStringSubmatch(body, -1) {
		if m[1] != "" {
			action = m[1]
			continue
		}
		form.Add(m[2], html.UnescapeString(m[3]))
	}
	require.Equal(t, profiles.DownloadPath, action)
	assert.Equal(t, "mail,calendar,contacts", form.Get("include"))
	rec := get(t, e, action+"?"+form.Encode())
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var profile struct {
		PayloadContent []struct {
			PayloadType     string
			CalDAVUsername  string
			CardDAVUsername string
		}
	}
	_, err := plist.Unmarshal(rec.Body.Bytes(), &profile)
	require.NoError(t, err)
	var types []string
	for _, p := range profile.PayloadContent {
		types = append(types, p.PayloadType)
		switch p.PayloadType {
		case profiles.TypeCalDAV:
			assert.Equal(t, "jane@example.net", p.CalDAVUsername)
		case profiles.TypeCardDAV:
			assert.Equal(t, "jane@example.net", p.CardDAVUsername)
		}
	}
	assert.Equal(t, []string{profiles.TypeMail, profiles.TypeCalDAV, profiles.TypeCardDAV}, types)
}

// The sheet, for every client, has the section with the generic text.
func TestDAVSection_OnTheSheet(t *testing.T) {
	e := newTestEngineFor(t, testkit.Config(t, "apple-dav.yaml"))
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		body := get(t, e, "/sheet?"+q("email", "jane@example.net", "lang", lang)).Body.String()
		has(t, body, `<section class="dav" id="calendars"`, lang)
		has(t, body, inHTML(strings.NewReplacer("{1}", cats[lang]["password.phrase.account"]).Replace(cats[lang]["dav.how.sheet"])), lang)
		has(t, body, "https://dav.example.net/caldav/", lang)
		has(t, body, "https://dav.example.net:8443/carddav/", lang)
		hasNot(t, body, "dav-profile", lang)
	}
}

// A provider without DAV (the embedded default; apple-dav.yaml's POP3
// provider) gets no section anywhere, nor a word about calendars.
func TestDAVSection_NoneWithoutDAV(t *testing.T) {
	cats := testCatalogs(t)
	for _, tt := range []struct {
		name  string
		cfg   *autoconfig.Config
		email string
	}{
		{"embedded default", autoconfig.Default(), "jane@example.ch"},
		{"provider without DAV", testkit.Config(t, "apple-dav.yaml"), "jane@legacy.example.com"},
	} {
		e := newTestEngineFor(t, tt.cfg)
		for _, path := range append(clientPaths(), "/sheet") {
			for _, lang := range langCodes {
				rec := get(t, e, path+"?"+q("email", tt.email, "lang", lang))
				require.Equal(t, http.StatusOK, rec.Code, "%s %s", tt.name, path)
				body := rec.Body.String()
				hasNot(t, body, `class="dav"`, "%s %s", tt.name, path)
				hasNot(t, body, inHTML(cats[lang]["dav.title"]), "%s %s", tt.name, path)
				hasNot(t, body, "include=", "%s %s", tt.name, path)
			}
		}
	}
}

// Should a provider's CalDAV and CardDAV logins differ, each is named.
func TestDAVSection_DistinctLoginsAreBothShown(t *testing.T) {
	cfg := testkit.Config(t, "apple-dav.yaml")
	acct, err := testkit.Resolve(cfg, testkit.Address(t, "jane@example.net"))
	require.NoError(t, err)
	acct.CardDAV.Username = "jane"
	w, err := New(testkit.Deps(cfg), Options{})
	require.NoError(t, err)
	cl, _ := clientByID("emclient")
	v := w.newDAVView(acct, &cl, links{lang: "en"}, false)
	require.NotNil(t, v)
	cats := testCatalogs(t)
	assert.Equal(t, []fieldView{
		{Label: cats["en"]["dav.caldav"], Value: acct.CalDAV.URL},
		{Label: cats["en"]["dav.carddav"], Value: acct.CardDAV.URL},
		{Label: cats["en"]["dav.username.caldav"], Value: "jane@example.net"},
		{Label: cats["en"]["dav.username.carddav"], Value: "jane"},
	}, v.Fields)
}
