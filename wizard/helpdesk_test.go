package wizard

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// postHelpdesk posts the helpdesk form with header pairs (name, value, …).
func postHelpdesk(t *testing.T, e http.Handler, form url.Values, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return testkit.PostForm(e, "/helpdesk", form, testkit.Header(header...))
}

func basicAuth(user, password string) string {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

func TestHelpdesk_DisabledWithoutToken(t *testing.T) {
	e := newTestEngine(t)
	assert.Equal(t, http.StatusNotFound, get(t, e, "/helpdesk", "Authorization", "Bearer "+testToken).Code)
	assert.Equal(t, http.StatusNotFound, postHelpdesk(t, e, url.Values{"email": {"jane@example.com"}}).Code)
}

func TestHelpdesk_Authentication(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken))
	tests := []struct {
		name, authorization string
		status              int
	}{
		{"none", "", http.StatusUnauthorized},
		{"basic, wrong password", basicAuth("helpdesk", "wrong"), http.StatusUnauthorized},
		{"basic, token as username", basicAuth(testToken, ""), http.StatusUnauthorized},
		{"basic, token prefix", basicAuth("x", testToken[:10]), http.StatusUnauthorized},
		{"basic, token plus more", basicAuth("x", testToken+"x"), http.StatusUnauthorized},
		{"bearer, wrong", "Bearer nope", http.StatusUnauthorized},
		{"malformed basic", "Basic !!!", http.StatusUnauthorized},
		{"basic, any user", basicAuth("anyone", testToken), http.StatusOK},
		{"basic, empty user", basicAuth("", testToken), http.StatusOK},
		{"bearer", "Bearer " + testToken, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, e, "/helpdesk?lang=fr", "Authorization", tt.authorization)
			assert.Equal(t, tt.status, rec.Code)
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			if tt.status == http.StatusUnauthorized {
				assert.Contains(t, rec.Header().Values("WWW-Authenticate"), `Basic realm="mailautoconf helpdesk", charset="UTF-8"`)
				assert.NotContains(t, rec.Body.String(), "<form", "nothing of the helpdesk before authentication")
			}
			assert.NotContains(t, rec.Body.String(), testToken)
		})
	}
}

func TestHelpdesk_FormNeverAsksForPassword(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken))
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		rec := get(t, e, "/helpdesk?lang="+lang, "Authorization", "Bearer "+testToken)
		require.Equal(t, http.StatusOK, rec.Code)
		assertWizardHeaders(t, rec)
		body := rec.Body.String()
		assertPage(t, body, lang)
		has(t, body, `<form class="card" method="post" action="/helpdesk">`)
		has(t, body, inHTML(cats[lang]["helpdesk.title"]))
		has(t, body, `<input type="text" id="name" name="name"`)
		// The form is filled in by helpdesk staff for a user: it speaks
		// of the user, not to them.
		has(t, body, inHTML(cats[lang]["helpdesk.email.label"]))
		has(t, body, inHTML(cats[lang]["helpdesk.email.hint"]))
		hasNot(t, body, inHTML(cats[lang]["start.hint"]))
	}
}

func TestHelpdesk_LinksForAUser(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken), withPublicURL("https://autoconfig.example.net"))
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		t.Run(lang, func(t *testing.T) {
			rec := postHelpdesk(t, e, url.Values{"email": {" jane@example.com "}, "name": {"Jane Doe"}, "lang": {lang}},
				"Authorization", basicAuth("helpdesk", testToken), "Sec-Fetch-Site", "same-origin")
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			body := rec.Body.String()
			assertPage(t, body, lang)
			const base = "https://autoconfig.example.net"
			qs := "email=jane%40example.com&amp;lang=" + lang + "&amp;name=Jane&#43;Doe"
			has(t, body, `href="`+base+`/setup?`+qs+`"`)
			has(t, body, `href="`+base+`/sheet?`+qs+`"`)
			has(t, body, `href="`+base+profiles.DownloadPath+`?`+qs+`"`, "the profile in the customer's language")
			for _, c := range clients {
				has(t, body, `href="`+base+`/setup/`+c.ID+`?`+qs+`"`)
				has(t, body, `href="`+base+`/qr.png?client=`+c.ID+`&amp;`+qs+`"`)
				has(t, body, inHTML(cats[lang][c.NameKey()]))
			}
			has(t, body, "mailautoconf generate thunderbird --email jane@example.com\n")
			has(t, body, "mailautoconf generate autodiscover --email jane@example.com\n")
			has(t, body, "mailautoconf generate mobileconfig --email jane@example.com --name &#39;Jane Doe&#39;\n")
			hasNot(t, body, testToken)
		})
	}
}

func TestHelpdesk_HostileAddressAndName(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken))
	rec := postHelpdesk(t, e, url.Values{"email": {`"<script>'x"@example.com`}, "name": {`</title><script>alert(1)</script>'; rm -rf /`}},
		"Authorization", "Bearer "+testToken)
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	hasNot(t, body, "<script")
	hasNot(t, body, "</title><")
	// Shell quoting: single quotes, and each ' as '\''; then HTML escaping.
	has(t, body, inHTML(`mailautoconf generate thunderbird --email '"<script>'\''x"@example.com'`))
	has(t, body, inHTML(`--name '</title><script>alert(1)</script>'\''; rm -rf /'`))
}

func TestHelpdesk_CrossSitePostRefused(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken))
	form := url.Values{"email": {"jane@example.com"}}
	auth := basicAuth("helpdesk", testToken)
	tests := []struct {
		name   string
		header []string
		status int
	}{
		{"cross-site fetch metadata", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"same-site is not same-origin", []string{"Sec-Fetch-Site", "same-site"}, http.StatusForbidden},
		{"foreign origin", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"same origin", []string{"Sec-Fetch-Site", "same-origin"}, http.StatusOK},
		{"origin matches host", []string{"Origin", "http://example.com"}, http.StatusOK},
		{"not a browser (curl)", nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := postHelpdesk(t, e, form, append([]string{"Authorization", auth}, tt.header...)...)
			assert.Equal(t, tt.status, rec.Code)
			if tt.status == http.StatusForbidden {
				assert.NotContains(t, rec.Body.String(), "jane")
			}
		})
	}
}

// TestHelpdesk_CustomerLanguageShortLinksAndMail: the links go in the
// language chosen for the customer (or none: the device's), the table
// has the short links to read out, and "send these instructions" is a
// mailto: with the links and settings in that language, no password.
func TestHelpdesk_CustomerLanguageShortLinksAndMail(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken), withPublicURL("https://autoconfig.example.net"))
	cats := testCatalogs(t)
	auth := []string{"Authorization", "Bearer " + testToken, "Sec-Fetch-Site", "same-origin"}
	const base = "https://autoconfig.example.net"

	form := get(t, e, "/helpdesk?lang=fr", auth[:2]...).Body.String()
	has(t, form, `<option value="fr" lang="fr" selected>`, "the page's language by default")

	body := postHelpdesk(t, e, url.Values{"email": {"jane@example.com"}, "lang": {"fr"}, "customer_lang": {"it"}}, auth...).Body.String()
	has(t, body, `<option value="it" lang="it" selected>`)
	has(t, body, `href="`+base+`/setup?email=jane%40example.com&amp;lang=it"`)
	has(t, body, `href="`+base+profiles.DownloadPath+`?email=jane%40example.com&amp;lang=it"`)
	has(t, body, `<a href="`+base+`/s/apple-ios/jane@example.com?lang=it"><code>autoconfig.example.net/s/apple-ios/jane@example.com?lang=it</code></a>`)
	m := regexp.MustCompile(`id="send-instructions" href="([^"]+)"`).FindStringSubmatch(body)
	require.NotNil(t, m)
	mailto, err := url.Parse(html.UnescapeString(m[1]))
	require.NoError(t, err)
	assert.Equal(t, "mailto", mailto.Scheme)
	assert.Equal(t, "jane@example.com", mailto.Opaque)
	mail := mailto.Query()
	assert.Equal(t, strings.ReplaceAll(cats["it"]["helpdesk.mail.subject"], "{0}", "jane@example.com"), mail.Get("subject"))
	for _, want := range []string{base + "/setup?email=jane%40example.com&lang=it", "imap.example.net, ", "993", "smtp.example.net", "587", cats["it"]["helpdesk.mail.password"]} {
		assert.Contains(t, mail.Get("body"), want)
	}
	assert.NotContains(t, m[1], "+", "spaces are %20 in a mailto: (RFC 6068)")

	body = postHelpdesk(t, e, url.Values{"email": {"jane@example.com"}, "lang": {"de"}, "customer_lang": {"device"}}, auth...).Body.String()
	has(t, body, `<option value="device" selected>`)
	has(t, body, `href="`+base+`/setup?email=jane%40example.com"`, "no language: the device's")
	has(t, body, `href="`+base+profiles.DownloadPath+`?email=jane%40example.com"`)
}

// TestHelpdesk_UnservedDomainReadsAsOneSentence: "cannot be used: this
// service has no settings for …" with one full stop, in every language.
func TestHelpdesk_UnservedDomainReadsAsOneSentence(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken))
	for _, lang := range langCodes {
		body := postHelpdesk(t, e, url.Values{"email": {"jane@gmail.com"}, "lang": {lang}}, "Authorization", "Bearer "+testToken).Body.String()
		start := strings.Index(body, `<p class="error" id="email-error" role="alert">`)
		require.NotEqual(t, -1, start, lang)
		msg := body[start:]
		msg = html.UnescapeString(msg[strings.Index(msg, ">")+1 : strings.Index(msg, "</p>")])
		assert.Contains(t, msg, "gmail.com.", lang)
		assert.NotContains(t, msg, "..", "%s: one full stop", lang)
		if lang != "de" {
			// German capitalises a full sentence after a colon; the others do not.
			_, after, _ := strings.Cut(msg, ": ")
			assert.Equal(t, strings.ToLower(after[:1]), after[:1], "%s: %s", lang, msg)
		}
	}
}

func TestHelpdesk_InvalidInput(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken))
	cats := testCatalogs(t)
	auth := "Bearer " + testToken
	rec := postHelpdesk(t, e, url.Values{"email": {"jane"}, "lang": {"it"}}, "Authorization", auth)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	has(t, rec.Body.String(), inHTML(strings.ReplaceAll(cats["it"]["start.invalid"], "{0}", cats["it"]["reason.it has no @"])))

	rec = postHelpdesk(t, e, url.Values{"email": {"jane@unserved.example"}}, "Authorization", auth)
	assert.Equal(t, http.StatusNotFound, rec.Code)

	rec = postHelpdesk(t, e, url.Values{"email": {"jane@example.com"}, "name": {strings.Repeat("x", 101)}}, "Authorization", auth)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	has(t, rec.Body.String(), inHTML(cats["en"]["helpdesk.name.invalid"]))

	rec = postHelpdesk(t, e, url.Values{"email": {strings.Repeat("a", maxHelpdeskForm)}}, "Authorization", auth)
	assert.Equal(t, http.StatusBadRequest, rec.Code, "a body over the limit")
}

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"jane@example.com":    "jane@example.com",
		"":                    "''",
		"Jane Doe":            "'Jane Doe'",
		"o'brien@example.com": `'o'\''brien@example.com'`,
		"$(reboot)":           "'$(reboot)'",
		"`id`":                "'`id`'",
		"a;b|c&d>e":           "'a;b|c&d>e'",
		`"q"@example.com`:     `'"q"@example.com'`,
		"jürg@bücher.example": "'jürg@bücher.example'",
		"-rf":                 "-rf",
	}
	for in, want := range tests {
		assert.Equal(t, want, shellQuote(in), in)
	}
}

// readCounter records whether anything read the request body.
type readCounter struct{ n int }

func (r *readCounter) Read(p []byte) (int, error) {
	r.n += len(p)
	return copy(p, strings.Repeat("x", len(p))), nil
}

func TestHelpdesk_UnauthenticatedBodyNeverRead(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken))
	body := &readCounter{}
	req := httptest.NewRequest(http.MethodPost, "/helpdesk", body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Zero(t, body.n, "an unauthenticated client cannot make the service read its body")
}
