package wizard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// fakeChecker answers every check with a fixed report and records what it
// was asked. With block set, the first check announces itself on entered
// and waits for block to close; later ones do not wait, so that a broken
// bound fails the test instead of hanging it.
type fakeChecker struct {
	report dnscheck.Report

	mu      sync.Mutex
	calls   []string // "provider domain"
	entered chan struct{}
	block   chan struct{}
}

func (f *fakeChecker) check(_ context.Context, d autoconfig.Domain) dnscheck.Report {
	p, domain := d.Provider, d.Name
	f.mu.Lock()
	f.calls = append(f.calls, p.ID+" "+domain)
	first := len(f.calls) == 1
	entered, block := f.entered, f.block
	f.mu.Unlock()
	if block != nil && first {
		entered <- struct{}{}
		<-block
	}
	rep := f.report
	rep.Domain = domain
	return rep
}

func (f *fakeChecker) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func withDNSCheck(f *fakeChecker) engineOption {
	return func(_ *httpkit.Deps, o *Options) { o.DNSCheck = f.check }
}

// hostileTXT is what anyone can publish in a TXT record of their domain.
const hostileTXT = `"<script>alert(1)</script>"`

// reportWithEveryStatus has one record or endpoint per status.
func reportWithEveryStatus() dnscheck.Report {
	rep := dnscheck.Report{
		Provider: "example.net", ServiceHost: "autoconfig.example.net", Resolver: "192.0.2.53:53",
		Records: []dnscheck.RecordCheck{
			{Name: "example.com.", Type: "MX", Want: []string{"5 mx.example.net."}, Found: []string{"5 mx.example.net."}, Status: dnscheck.CheckOK},
			{Name: "example.com.", Type: "TXT", Want: []string{`"v=spf1 include:spf.example.net -all"`}, Found: []string{hostileTXT},
				Status: dnscheck.CheckWrong, Detail: "found " + hostileTXT},
			{Name: "autodiscover.example.com.", Type: "CNAME", Want: []string{"autoconfig.example.net."}, Status: dnscheck.CheckMissing},
			{Name: "_imaps._tcp.example.com.", Type: "SRV", Want: []string{"0 1 993 imap.example.net."}, Status: dnscheck.CheckError,
				Detail: "looking up _imaps._tcp.example.com. SRV: read udp: i/o timeout"},
		},
		Endpoints: []dnscheck.EndpointCheck{
			{Name: "autoconfig", URL: "https://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=postmaster%40example.com", Status: dnscheck.CheckOK},
			{Name: "autodiscover", URL: "https://autodiscover.example.com/autodiscover/autodiscover.xml", Status: dnscheck.CheckWrong,
				Detail: `the certificate is not valid for autodiscover.example.com: <img src=x onerror=alert(2)>`},
			{Name: "pacc", URL: "https://ua-auto-config.example.com/.well-known/user-agent-configuration.json", Status: dnscheck.CheckSkipped,
				Detail: "PACC cannot describe this provider"},
		},
	}
	rep.Verdict = dnscheck.VerdictOwnerRequired
	rep.Clients = []dnscheck.ClientResult{
		{Client: dnscheck.ClientThunderbird, Outcome: dnscheck.OutcomeOther, Source: "https://autoconfig.example.com/mail/config-v1.1.xml",
			Found: &dnscheck.FoundSettings{
				Incoming: &dnscheck.ServerSetting{Protocol: "imap", Host: "imap.old.example", Port: 993, Security: "tls"},
				Outgoing: &dnscheck.ServerSetting{Protocol: "smtp", Host: "smtp.old.example", Port: 465, Security: "tls"}},
			Notes: []dnscheck.Note{{Key: "internal", Args: []string{"autoconfig.example.com", "10.0.0.1"}}}},
		{Client: dnscheck.ClientOutlook, Outcome: dnscheck.OutcomeNothing, Notes: []dnscheck.Note{{Key: "outlook-cloud"}}},
		{Client: dnscheck.ClientApple, Outcome: dnscheck.OutcomeProfile, Notes: []dnscheck.Note{{Key: "apple-profile"}}},
	}
	rep.Findings = []dnscheck.Finding{
		{Fault: dnscheck.FaultOwner, Required: true, Code: "record-wrong", Subject: "example.com.",
			Args: []string{"example.com.", "TXT", hostileTXT, `"v=spf1 include:spf.example.net -all"`}},
		{Fault: dnscheck.FaultOwner, Code: "record-missing", Subject: "autodiscover.example.com.",
			Args: []string{"autodiscover.example.com.", "CNAME", "autoconfig.example.net."}, Clients: []dnscheck.DiscoveryChain{dnscheck.ClientOutlook}},
		{Fault: dnscheck.FaultThirdParty, Code: "ispdb-stale", Subject: "https://autoconfig.thunderbird.net/v1.1/example.com",
			Args: []string{"https://autoconfig.thunderbird.net/v1.1/example.com", "imap imap.old.example:993 tls, smtp smtp.old.example:465 tls"}},
	}
	return rep
}

func allOKReport() dnscheck.Report {
	return dnscheck.Report{
		Provider: "example.net", ServiceHost: "autoconfig.example.net", Resolver: "192.0.2.53:53", OK: true,
		Records: []dnscheck.RecordCheck{
			{Name: "example.com.", Type: "MX", Want: []string{"5 mx.example.net."}, Found: []string{"5 mx.example.net."}, Status: dnscheck.CheckOK},
		},
		Endpoints: []dnscheck.EndpointCheck{{Name: "autoconfig", URL: "https://autoconfig.example.com/", Status: dnscheck.CheckOK}},
	}
}

// postDNS posts the DNS check form with header pairs (name, value, …).
func postDNS(t *testing.T, e http.Handler, form url.Values, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return testkit.PostForm(e, "/helpdesk/dns", form, testkit.Header(header...))
}

var bearer = []string{"Authorization", "Bearer " + testToken}

func TestHelpdeskDNS_ReportEveryStatusEveryLanguage(t *testing.T) {
	fake := &fakeChecker{report: reportWithEveryStatus()}
	e := newTestEngine(t, withHelpdesk(testToken), withDNSCheck(fake))
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		t.Run(lang, func(t *testing.T) {
			rec := postDNS(t, e, url.Values{"domain": {"Example.COM"}, "lang": {lang}}, bearer...)
			require.Equal(t, http.StatusOK, rec.Code)
			assertWizardHeaders(t, rec)
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			body := rec.Body.String()
			assertPage(t, body, lang)
			tr := func(key string, args ...any) string { return inHTML(cats.translate(lang, key, args...)) }
			// Each cell names its column, for the stacked layout of small
			// screens; the assertions below read the cells without it.
			has(t, body, `<td class="status" data-label="`+tr("helpdesk.check.finds")+`"><strong>`)
			has(t, body, `<td class="value" data-label="`+tr("helpdesk.dns.found")+`">`)
			body = withoutLabels(body)

			has(t, body, "<h1>"+tr("helpdesk.dns.title", "example.com")+"</h1>")
			has(t, body, tr("helpdesk.check.lead"))
			hasNot(t, body, "192.0.2.53", "the server's resolver is none of the helpdesk's business")
			has(t, body, `<p class="verdict problems owner-required" role="status">`+tr("check.verdict.owner-required")+`</p>`)
			has(t, body, "<blockquote><p>"+tr("check.say.owner-required")+"</p></blockquote>", "the sentence read to the customer")
			hasNot(t, body, tr("check.verdict.ok"))

			// What each client finds, translated, values as found.
			has(t, body, `<tr class="client other"><th scope="row">`+tr("check.client.thunderbird")+`</th><td class="status"><strong>`+tr("check.outcome.other")+
				`</strong></td><td class="value">imap imap.old.example:993 tls, smtp smtp.old.example:465 tls</td><td class="value">https://autoconfig.example.com/mail/config-v1.1.xml<br><small>`+
				tr("check.note.internal", "autoconfig.example.com", "10.0.0.1")+`</small></td></tr>`)
			has(t, body, `<tr class="client nothing"><th scope="row">`+tr("check.client.outlook")+`</th><td class="status"><strong>`+tr("check.outcome.nothing")+`</strong>`)
			has(t, body, "<small>"+tr("check.note.apple-profile")+"</small>")

			// Findings by party, required ones first, with the clients they affect.
			has(t, body, `<h3 class="fault owner">`+tr("check.group.owner.required")+`</h3>`+"\n"+`<ul class="findings">`+"\n"+
				`<li>`+tr("check.finding.record-wrong", "example.com.", "TXT", hostileTXT, `"v=spf1 include:spf.example.net -all"`)+`</li>`)
			has(t, body, `<li>`+strings.Replace(tr("check.finding.record-missing", "autodiscover.example.com.", "CNAME", "autoconfig.example.net."), "..", ".", 1)+
				` <em>`+tr("helpdesk.check.affects", tr("check.client.outlook"))+`</em></li>`)
			has(t, body, `<h3 class="fault third-party">`+tr("check.group.third-party")+`</h3>`)
			hasNot(t, body, tr("check.group.ours"), "no empty group")
			has(t, body, ">autoconfig.example.net<")

			// One row per record: name, type, expected value, status, found.
			has(t, body, `<tr class="check ok"><th scope="row" class="value">example.com.</th><td>MX</td><td class="value"><span>5 mx.example.net.</span> </td><td class="status"><strong>`+tr("helpdesk.dns.status.ok")+`</strong></td><td class="value"><span>5 mx.example.net.</span> </td></tr>`)
			has(t, body, `<tr class="check wrong"><th scope="row" class="value">example.com.</th><td>TXT</td><td class="value"><span>`+inHTML(`"v=spf1 include:spf.example.net -all"`)+`</span> </td><td class="status"><strong>`+tr("helpdesk.dns.status.wrong")+`</strong></td><td class="value"><span>`+inHTML(hostileTXT)+`</span> </td></tr>`)
			has(t, body, `<td class="status"><strong>`+tr("helpdesk.dns.status.missing")+`</strong></td><td class="value"><em>`+tr("helpdesk.dns.found.none")+`</em></td>`)
			has(t, body, `<td class="status"><strong>`+tr("helpdesk.dns.status.error")+`</strong></td><td class="value">looking up _imaps._tcp.example.com. SRV: read udp: i/o timeout</td>`)

			// Then the HTTPS endpoints.
			for _, name := range []string{"autoconfig", "autodiscover", "pacc"} {
				has(t, body, `<th scope="row">`+tr("helpdesk.dns.endpoint."+name)+`</th>`)
			}
			has(t, body, inHTML("https://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=postmaster%40example.com"))
			has(t, body, `<td class="status"><strong>`+tr("helpdesk.dns.status.skipped")+`</strong></td><td class="value">PACC cannot describe this provider</td>`)
			has(t, body, tr("helpdesk.dns.detail.note"))

			// Check again, in the same language; the switcher leads to the form.
			has(t, body, `<input type="hidden" name="lang" value="`+lang+`">`+"\n"+`<input type="hidden" name="domain" value="example.com">`)
			has(t, body, `href="/helpdesk?lang=de"`)
			has(t, body, `<a href="/helpdesk?lang=`+lang+`">`+tr("helpdesk.dns.back")+`</a>`)
		})
	}
	calls := fake.Calls()
	require.Len(t, calls, len(langCodes))
	assert.Equal(t, "example.net example.com", calls[0], "the served provider and the normalized domain")
}

func TestHelpdeskDNS_AllOKVerdict(t *testing.T) {
	e := newTestEngine(t, withHelpdesk(testToken), withDNSCheck(&fakeChecker{report: allOKReport()}))
	cats := testCatalogs(t)
	rec := postDNS(t, e, url.Values{"domain": {"example.com"}, "lang": {"fr"}}, bearer...)
	require.Equal(t, http.StatusOK, rec.Code)
	has(t, rec.Body.String(), `<p class="verdict ok" role="status">`+inHTML(cats["fr"]["check.verdict.ok"])+`</p>`)
	has(t, rec.Body.String(), inHTML(cats["fr"]["check.say.ok"]))
	has(t, rec.Body.String(), inHTML(cats["fr"]["helpdesk.check.findings.none"]))
	hasNot(t, rec.Body.String(), "verdict problems")
}

func TestHelpdeskDNS_HostileFoundValuesEscaped(t *testing.T) {
	rep := reportWithEveryStatus()
	rep.Resolver = `"><script>alert(3)</script>`
	rep.Records[3].Detail = `</td><script>alert(4)</script>`
	e := newTestEngine(t, withHelpdesk(testToken), withDNSCheck(&fakeChecker{report: rep}))
	rec := postDNS(t, e, url.Values{"domain": {"example.com"}}, bearer...)
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	hasNot(t, body, "<script")
	hasNot(t, body, "<img src=x")
	hasNot(t, body, "</td><script")
	hasNot(t, body, `"><`+"script")
	has(t, body, inHTML(hostileTXT))
	has(t, body, inHTML(`<img src=x onerror=alert(2)>`))
	has(t, body, inHTML(`</td><script>alert(4)</script>`))
}

func TestHelpdeskDNS_OfferedOnTheLinksPage(t *testing.T) {
	form := url.Values{"email": {"jane@bücher.example.org"}, "lang": {"it"}}
	cats := testCatalogs(t)

	e := newTestEngine(t, withHelpdesk(testToken), withDNSCheck(&fakeChecker{report: allOKReport()}))
	rec := postHelpdesk(t, e, form, bearer...)
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	has(t, body, `<form method="post" action="/helpdesk/dns">`)
	// The check is of the ASCII domain, the name DNS knows.
	has(t, body, `<input type="hidden" name="domain" value="xn--bcher-kva.example.org">`)
	has(t, body, `<button type="submit">`+inHTML(cats["it"]["helpdesk.dns.submit"])+`</button>`)

	without := newTestEngine(t, withHelpdesk(testToken))
	rec = postHelpdesk(t, without, form, bearer...)
	require.Equal(t, http.StatusOK, rec.Code)
	hasNot(t, rec.Body.String(), "/helpdesk/dns", "no checker: no check offered")
}

func TestHelpdeskDNS_Authentication(t *testing.T) {
	fake := &fakeChecker{report: allOKReport()}
	form := url.Values{"domain": {"example.com"}}

	disabled := newTestEngine(t, withDNSCheck(fake))
	assert.Equal(t, http.StatusNotFound, postDNS(t, disabled, form, bearer...).Code, "no helpdesk token: no helpdesk")
	noChecker := newTestEngine(t, withHelpdesk(testToken))
	assert.Equal(t, http.StatusNotFound, postDNS(t, noChecker, form, bearer...).Code, "no checker: no route")

	e := newTestEngine(t, withHelpdesk(testToken), withDNSCheck(fake))
	for name, auth := range map[string]string{
		"none":         "",
		"wrong basic":  basicAuth("helpdesk", "wrong"),
		"wrong bearer": "Bearer nope",
	} {
		rec := postDNS(t, e, form, "Authorization", auth)
		assert.Equal(t, http.StatusUnauthorized, rec.Code, name)
		assert.NotEmpty(t, rec.Header().Values("WWW-Authenticate"), name)
		hasNot(t, rec.Body.String(), "example.com", name)
	}
	assert.Equal(t, http.StatusOK, postDNS(t, e, form, "Authorization", basicAuth("anyone", testToken)).Code)
	assert.Len(t, fake.Calls(), 1, "only the authenticated request ran a check")

	// The body of an unauthenticated request is never read.
	body := &readCounter{}
	req := httptest.NewRequest(http.MethodPost, "/helpdesk/dns", body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Zero(t, body.n)
}

func TestHelpdeskDNS_CrossSitePostRefused(t *testing.T) {
	fake := &fakeChecker{report: allOKReport()}
	e := newTestEngine(t, withHelpdesk(testToken), withDNSCheck(fake))
	form := url.Values{"domain": {"example.com"}}
	auth := basicAuth("helpdesk", testToken)
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "https://evil.example"},
	} {
		assert.Equal(t, http.StatusForbidden, postDNS(t, e, form, "Authorization", auth, h[0], h[1]).Code, h)
	}
	assert.Empty(t, fake.Calls(), "a cross-site post never runs a check")
	assert.Equal(t, http.StatusOK, postDNS(t, e, form, "Authorization", auth, "Sec-Fetch-Site", "same-origin").Code)
}

func TestHelpdeskDNS_InvalidOrUnservedDomain(t *testing.T) {
	fake := &fakeChecker{report: allOKReport()}
	e := newTestEngine(t, withHelpdesk(testToken), withDNSCheck(fake))
	cats := testCatalogs(t)
	tests := []struct {
		domain string
		status int
		text   string
	}{
		{"", http.StatusBadRequest, cats["de"]["helpdesk.dns.missing"]},
		{"  ", http.StatusBadRequest, cats["de"]["helpdesk.dns.missing"]},
		{"localhost", http.StatusBadRequest, strings.ReplaceAll(cats["de"]["helpdesk.dns.invalid"], "{0}", cats["de"]["reason.the domain needs at least one dot, as in example.com"])},
		{"<script>.example", http.StatusBadRequest, cats["de"]["reason.the domain is not a valid domain name"]},
		{"192.0.2.1", http.StatusBadRequest, cats["de"]["reason.an IP address is not accepted as the domain"]},
		{"unserved.example", http.StatusNotFound, strings.ReplaceAll(cats["de"]["qr.error.domain"], "{0}", "unserved.example")},
		{"example.org", http.StatusNotFound, strings.ReplaceAll(cats["de"]["qr.error.domain"], "{0}", "example.org")}, // only *.example.org is served
	}
	for _, tt := range tests {
		rec := postDNS(t, e, url.Values{"domain": {tt.domain}, "lang": {"de"}}, bearer...)
		assert.Equal(t, tt.status, rec.Code, tt.domain)
		body := rec.Body.String()
		assertPage(t, body, "de")
		has(t, body, inHTML(tt.text), tt.domain)
		has(t, body, `href="/helpdesk?lang=de"`)
	}
	assert.Empty(t, fake.Calls())
}

func TestHelpdeskDNS_OneCheckAtATime(t *testing.T) {
	fake := &fakeChecker{report: allOKReport(), entered: make(chan struct{}), block: make(chan struct{})}
	e := newTestEngine(t, withHelpdesk(testToken), withDNSCheck(fake))
	form := url.Values{"domain": {"example.com"}}

	first := make(chan int)
	go func() { first <- postDNS(t, e, form, bearer...).Code }()
	<-fake.entered // the first check is running

	rec := postDNS(t, e, form, bearer...)
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "10", rec.Header().Get("Retry-After"))
	has(t, rec.Body.String(), inHTML(testCatalogs(t)["en"]["helpdesk.dns.busy.text"]))

	close(fake.block)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, postDNS(t, e, form, bearer...).Code, "the slot is free again")
	assert.Len(t, fake.Calls(), 2, "the refused request ran no check")
}

func TestHelpdeskDNS_EveryStatusAndEndpointTranslated(t *testing.T) {
	cats := testCatalogs(t)
	for _, s := range []dnscheck.CheckStatus{dnscheck.CheckOK, dnscheck.CheckMissing, dnscheck.CheckWrong, dnscheck.CheckError, dnscheck.CheckSkipped} {
		assert.Contains(t, cats[fallbackLang], dnsStatusKey(s))
	}
	for _, name := range []string{"autoconfig", "autodiscover", "pacc"} {
		assert.Contains(t, cats[fallbackLang], "helpdesk.dns.endpoint."+name)
	}
}

// The page says what the CLI says: the owner's verdict, then ours as
// well, in every language; findings in the verdict's order.
func TestHelpdeskDNS_OwnersVerdictSaysOursTooEveryLanguage(t *testing.T) {
	rep := reportWithEveryStatus()
	rep.Findings = append(rep.Findings, dnscheck.Finding{Fault: dnscheck.FaultOurs, Code: "resolver-down"},
		dnscheck.Finding{Fault: dnscheck.FaultUnchecked, Code: "ispdb-unreachable", Args: []string{"ispdb.example", "no address"}})
	rep.AlsoOurs = true
	e := newTestEngine(t, withHelpdesk(testToken), withDNSCheck(&fakeChecker{report: rep}))
	cats := testCatalogs(t)
	for _, lang := range langCodes {
		t.Run(lang, func(t *testing.T) {
			rec := postDNS(t, e, url.Values{"domain": {"example.com"}, "lang": {lang}}, bearer...)
			require.Equal(t, http.StatusOK, rec.Code)
			body := rec.Body.String()
			tr := func(key string, args ...any) string { return inHTML(cats.translate(lang, key, args...)) }
			has(t, body, `<p class="verdict problems owner-required" role="status">`+tr("check.verdict.owner-required")+" "+tr("check.verdict.also-ours")+`</p>`)
			has(t, body, "<blockquote><p>"+tr("check.say.owner-required")+" "+tr("check.say.also-ours")+"</p></blockquote>")
			assert.Regexp(t, `(?s)class="fault owner".*class="fault ours".*class="fault third-party".*class="fault unchecked"`, body)
			has(t, body, tr("check.finding.ispdb-unreachable", "ispdb.example", "no address"))
		})
	}
}

// withoutLabels drops the cells' data-label attributes (the column names
// of the small-screen layout) from a page.
func withoutLabels(body string) string { return dataLabel.ReplaceAllString(body, "") }

var dataLabel = regexp.MustCompile(` data-label="[^"]*"`)
