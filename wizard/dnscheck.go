package wizard

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// DNSCheckFunc checks live the DNS records and discovery documents of a
// resolved domain. cmd/mailautoconf builds it around dnscheck.Checker with
// the server's resolver, the configuration's service host and a time
// budget; tests give fakes.
type DNSCheckFunc func(ctx context.Context, d autoconfig.Domain) dnscheck.Report

// maxDNSChecks is how many checks run at once on one server. Each sends
// about a dozen DNS queries and three HTTPS requests: the helpdesk must not
// be a way to make the server flood a resolver or a customer's hosts.
const maxDNSChecks = 1

// dnsBusyRetryAfter is the Retry-After, in seconds, of a check refused
// because another one is running: about the time one check may take.
const dnsBusyRetryAfter = 10

// dnsCheckView is the report as the page shows it. It has no resolver
// address: that is the server's, not the helpdesk's business.
type dnsCheckView struct {
	Domain      string
	Provider    string
	ServiceHost string
	OK          bool
	Verdict     string // ok, ours, owner-required, owner, third-party, unchecked: the CSS class
	VerdictText string
	Say         string // the sentence the helpdesk reads to the customer
	Clients     []dnsClientRow
	Findings    []dnsFindingGroup
	Records     []dnsRecordRow
	Endpoints   []dnsEndpointRow
}

// dnsRecordRow is one name and type: wanted values, status and what was
// found (values, "nothing", or why it could not be checked).
type dnsRecordRow struct {
	Name, Type string
	Want       []string
	Status     string // ok, missing, wrong, error, skipped: the CSS class
	StatusKey  string
	Found      []string
	NoneFound  bool   // missing: nothing is published
	Detail     string // error: the checker's technical message
}

// dnsEndpointRow is one HTTPS fetch of a discovery document.
type dnsEndpointRow struct {
	Label     string // translated name of the document
	URL       string
	Status    string
	StatusKey string
	Detail    string // the checker's technical message
}

// newDNSCheckView translates a report's labels; the values stay as found
// (html/template escapes them: a TXT record is anyone's text).
func (w *Wizard) newDNSCheckView(lang string, rep dnscheck.Report) *dnsCheckView {
	view := &dnsCheckView{Domain: rep.Domain, Provider: rep.Provider, ServiceHost: rep.ServiceHost, OK: rep.OK}
	w.addClientsAndFindings(view, lang, rep)
	for _, r := range rep.Records {
		row := dnsRecordRow{
			Name: r.Name, Type: r.Type, Want: r.Want,
			Status: string(r.Status), StatusKey: dnsStatusKey(r.Status),
		}
		switch r.Status {
		case dnscheck.CheckMissing:
			row.NoneFound = true
		case dnscheck.CheckError:
			row.Detail = r.Detail
		default:
			row.Found = r.Found
		}
		view.Records = append(view.Records, row)
	}
	for _, e := range rep.Endpoints {
		label := e.Name
		if key := "helpdesk.dns.endpoint." + e.Name; w.cats[fallbackLang][key] != "" {
			label = w.cats.translate(lang, key)
		}
		view.Endpoints = append(view.Endpoints, dnsEndpointRow{
			Label: label, URL: e.URL, Detail: e.Detail,
			Status: string(e.Status), StatusKey: dnsStatusKey(e.Status),
		})
	}
	return view
}

func dnsStatusKey(s dnscheck.CheckStatus) string { return "helpdesk.dns.status." + string(s) }

// helpdeskDNS runs the live check of the posted domain and shows the
// report. It is a POST behind the helpdesk token and the cross-origin
// check: it costs network traffic, so another site must not be able to
// trigger it with the helpdesk's Basic credentials.
func (w *Wizard) helpdeskDNS(c *gin.Context) {
	lang, ok := w.readHelpdeskForm(c)
	if !ok {
		return
	}
	back := helpdeskPath + "?lang=" + lang
	if strings.TrimSpace(c.PostForm("domain")) == "" {
		w.message(c, lang, http.StatusBadRequest, "helpdesk.dns.invalid.title", "helpdesk.dns.missing", "", back)
		return
	}
	domain, err := autoconfig.NormalizeDomain(c.PostForm("domain"))
	if err != nil {
		w.message(c, lang, http.StatusBadRequest, "helpdesk.dns.invalid.title", "helpdesk.dns.invalid", w.addressReason(lang, err), back)
		return
	}
	d, err := w.deps.Resolver.Domain(c.Request.Context(), domain)
	if err != nil {
		w.message(c, lang, httpkit.Status(err), "notfound.domain.title", "qr.error.domain", domain, back)
		return
	}
	select {
	case w.dnsSlots <- struct{}{}:
		defer func() { <-w.dnsSlots }()
	default:
		c.Header("Retry-After", strconv.Itoa(dnsBusyRetryAfter))
		w.message(c, lang, http.StatusTooManyRequests, "helpdesk.dns.busy.title", "helpdesk.dns.busy.text", "", back)
		return
	}
	rep := w.dnsCheck(c.Request.Context(), d)
	page := w.newPage(c.Request, lang, "helpdesk.dns.title", domain)
	page.HomeURL = links{lang: lang}.Home()
	page.BackURL = back
	page.DNSCheck = w.newDNSCheckView(lang, rep)
	w.pages.render(c, http.StatusOK, "dnscheck", page, noStore)
}
