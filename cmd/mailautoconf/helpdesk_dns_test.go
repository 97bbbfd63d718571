package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
)

// postHelpdeskDNS asks the running server's helpdesk to check domain.
func postHelpdeskDNS(t *testing.T, rs *runningServer, domain string) (int, string) {
	t.Helper()
	form := url.Values{"domain": {domain}, "lang": {"en"}}
	req, err := http.NewRequest(http.MethodPost, rs.url("/helpdesk/dns"), strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+helpdeskTestToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	// Without the cells' column names (data-label, for small screens).
	return resp.StatusCode, regexp.MustCompile(` data-label="[^"]*"`).ReplaceAllString(string(body), "")
}

// The helpdesk page of a served `serve --resolver` runs the real checker
// against the loopback DNS server and customer sites, and shows the
// mistakes planted in testdata/dns/broken.example.zone.
func TestHelpdeskDNS_PlantedMistakesOnThePage(t *testing.T) {
	useTestChecker(t)
	zone := customerZone(t, "broken.example.zone")
	o := testOptions(t)
	o.resolver = zone.Addr
	o.check.allowInternal = true
	o.helpdeskToken = helpdeskTestToken
	rs := startServer(t, o)

	code, body := postHelpdeskDNS(t, rs, "broken.example")
	require.Equal(t, http.StatusOK, code, body)
	for _, want := range []string{
		"<h1>DNS check of broken.example</h1>",
		// The MX and SPF decide; our staged service serves another PACC
		// document: that is ours, said as well.
		`<p class="verdict problems owner-required" role="status">The domain owner must fix records that mail needs to work (MX or SPF). We also have a problem on our side`,
		"<blockquote><p>Your domain is not yet set up to receive mail with us: whoever manages your domain must add the records we will send you. There is also a problem on our side, which we are working on.</p></blockquote>",
		`<h3 class="fault ours">Ours: our resolver, or a name that reaches our service`,
		// What each client finds
		`<tr class="client other"><th scope="row">Thunderbird</th><td class="status"><strong>other settings</strong></td><td class="value">imap imap.wrong.example:993 tls, smtp smtp.wrong.example:465 tls</td>`,
		`<tr class="client nothing"><th scope="row">Outlook</th>`,
		// findings by party
		`<h3 class="fault owner">The domain owner’s, required for mail to work</h3>`,
		`<li>broken.example. MX is 10 mx.elsewhere.example.; it should be 5 mta-gw.infomaniak.ch.</li>`,
		`<li>autodiscover.broken.example. CNAME is not published; it should be autoconfig.infomaniak.com. <em>Affects: Outlook.</em></li>`,
		// wrong: MX at another provider, with what was found
		`<tr class="check wrong"><th scope="row" class="value">broken.example.</th><td>MX</td><td class="value"><span>5 mta-gw.infomaniak.ch.</span> </td><td class="status"><strong>Wrong</strong></td><td class="value"><span>10 mx.elsewhere.example.</span> </td></tr>`,
		// missing: no autodiscover CNAME
		`<tr class="check missing"><th scope="row" class="value">autodiscover.broken.example.</th><td>CNAME</td>`,
		// wrong: IMAP SRV with the STARTTLS port
		`<span>0 1 143 mail.infomaniak.com.</span>`,
		// wrong: stale PACC digest
		`<span>&#34;v=UAAC1; a=sha256; d=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=&#34;</span>`,
		// the HTTPS checks: a certificate not valid for the name, other settings
		`<tr class="check error"><th scope="row">Outlook Autodiscover</th>`,
		"autodiscover.broken.example has no address",
		"imap imap.wrong.example:993 tls",
	} {
		assert.Contains(t, body, want)
	}
	assert.Contains(t, body, `<tr class="check ok"><th scope="row" class="value">_submission._tcp.broken.example.</th>`, "correct records are ok")
	assert.NotContains(t, body, zone.Addr, "the page does not show the server's resolver")
	assert.Equal(t, 13, strings.Count(body, `<tr class="check `)-3, "one row per record, then three endpoints")
}

func TestHelpdeskDNS_CorrectZonePassesOnThePage(t *testing.T) {
	useTestChecker(t)
	zone := customerZone(t, "example.ch.zone")
	o := testOptions(t)
	o.resolver = zone.Addr
	o.check.allowInternal = true
	o.helpdeskToken = helpdeskTestToken
	rs := startServer(t, o)

	code, body := postHelpdeskDNS(t, rs, "example.ch")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `<p class="verdict ok" role="status">Everything is published as it should be`)
	assert.Contains(t, body, "<blockquote><p>Everything is set up correctly: your mail app should find the settings by itself.</p></blockquote>")
	assert.Equal(t, 5, strings.Count(body, `<tr class="client ours">`), "every client but Apple Mail finds our settings")
	assert.NotContains(t, body, `class="check wrong"`)
	assert.NotContains(t, body, `class="check missing"`)
	assert.Positive(t, zone.Queries())
}

func TestEngine_HelpdeskDNSCheckIsRateLimitedAndAuthenticated(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	s.helpdeskToken = helpdeskTestToken
	s.dnsCheck = newDNSCheck(checkOptions{resolver: dnstest.StartSilent(t)}, s.store)
	s.limiter = ratelimit.New(0.001, 2, 10)
	e := newEngine(s)
	send := func(auth string) int {
		r := httptest.NewRequest(http.MethodPost, "/helpdesk/dns", strings.NewReader("domain=example.ch"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		return w.Code
	}
	assert.Equal(t, http.StatusUnauthorized, send(""))
	assert.Equal(t, http.StatusUnauthorized, send("Bearer wrong"))
	assert.Equal(t, http.StatusTooManyRequests, send("Bearer "+helpdeskTestToken), "on the rate-limited group")

	s.dnsCheck = nil
	assert.Equal(t, http.StatusNotFound, func() int {
		w := testkit.Do(newEngine(s), http.MethodPost, "/helpdesk/dns", "", nil)
		return w.Code
	}(), "without a resolver the check is not offered")
}
