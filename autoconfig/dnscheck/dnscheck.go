// Package dnscheck checks a customer domain live: its DNS records against
// what dnsrecords says it should publish, and its discovery documents,
// fetched over HTTPS, against the resolved settings.
package dnscheck

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

// CheckStatus is the verdict on one record or endpoint.
type CheckStatus string

const (
	CheckOK      CheckStatus = "ok"
	CheckMissing CheckStatus = "missing" // no such record
	CheckWrong   CheckStatus = "wrong"   // published, but not what the model says
	CheckError   CheckStatus = "error"   // could not be checked (timeout, SERVFAIL, connection refused)
	CheckSkipped CheckStatus = "skipped" // not applicable to this provider
)

// Report is the result of checking one customer domain: what `mailautoconf
// check DOMAIN` prints and what the helpdesk page shows. OK means no
// finding other than informational ones.
type Report struct {
	Domain      string  `json:"domain"`
	Provider    string  `json:"provider"`
	ServiceHost string  `json:"service_host"`
	Resolver    string  `json:"resolver"`
	OK          bool    `json:"ok"`
	Verdict     Verdict `json:"verdict"`
	// AlsoOurs: a fault of ours stands beside the owner's verdict.
	AlsoOurs  bool            `json:"also_ours"`
	Clients   []ClientResult  `json:"clients"`
	Findings  []Finding       `json:"findings"`
	Records   []RecordCheck   `json:"records"`
	Endpoints []EndpointCheck `json:"endpoints"`
}

// RecordCheck is one DNS name and type: the values the model wants there
// and the values found.
type RecordCheck struct {
	Name   string      `json:"name"`
	Type   string      `json:"type"`
	Want   []string    `json:"want"`
	Found  []string    `json:"found,omitempty"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail,omitempty"`

	cause error // why it could not be checked (CheckError)
}

// EndpointCheck is one HTTPS fetch of a discovery document.
type EndpointCheck struct {
	Name   string      `json:"name"` // autoconfig, autodiscover or pacc
	URL    string      `json:"url"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail,omitempty"`

	record string // the DNS name (fully qualified) that leads there
	cause  error  // the fetch's error, if any
}

// Problems counts the records and endpoints that are not ok or skipped.
func (r Report) Problems() int {
	n := 0
	for _, c := range r.Records {
		if c.Status != CheckOK && c.Status != CheckSkipped {
			n++
		}
	}
	for _, c := range r.Endpoints {
		if c.Status != CheckOK && c.Status != CheckSkipped {
			n++
		}
	}
	return n
}

// Checker looks a customer domain's records up live, fetches its discovery
// documents, and walks each mail client's discovery chain. Every step,
// HTTPS fetches included, resolves names through Resolver only.
type Checker struct {
	// Resolver is the DNS server asked (host:port), recursive or
	// authoritative for the domain.
	Resolver string
	// Timeout bounds each DNS query and each fetch (default 5 s).
	Timeout time.Duration
	// Deadline bounds the whole check (default 15 s): the steps run
	// concurrently, and those left when it passes are reported as such.
	Deadline time.Duration
	// ISPDB is the base URL of the public Thunderbird ISP database
	// (default DefaultISPDB); tests point it at a loopback server.
	ISPDB string
	// AllowInternal lets the checker connect to addresses that are not
	// globally reachable (the IANA special-purpose registries: loopback,
	// private, link-local, CGNAT, reserved…). Off by default:
	// a domain's DNS must not make the service probe its own network.
	AllowInternal bool
	// RootCAs verifies certificates (nil: the system's roots). PortMap
	// maps the standard ports (443, 80) to others: tests serve loopback
	// HTTPS on a free port.
	RootCAs *x509.CertPool
	PortMap map[string]string
	// PACCPrevious returns a provider's previous PACC documents still
	// valid (pacc.History.Previous at the time of the check); nil: none.
	PACCPrevious func(providerID string) []pacc.Generation
}

// maxDocument bounds what is read of a fetched document.
const maxDocument = 1 << 20

// checkAddressLocal is the mailbox asked for: RFC 2142 makes postmaster
// exist in every mail domain.
const checkAddressLocal = "postmaster"

// Check checks the records and documents of a resolved domain against its
// decisions and the service host, and what each client finds. Every step
// runs concurrently within the check's deadline.
func (c *Checker) Check(ctx context.Context, d autoconfig.Domain, serviceHost string) Report {
	ctx, cancel := context.WithTimeout(ctx, c.deadline())
	defer cancel()
	r := newCheckRun(ctx, c)
	domain := d.Name
	rep := Report{Domain: domain, Provider: d.Provider.ID, ServiceHost: serviceHost, Resolver: c.Resolver}
	groups := groupRecords(dnsrecords.ForDomain(d, serviceHost))
	digests, previous := c.paccDigests(d)
	for i := range groups {
		if groups[i].name == fqdn(pacc.Label+"."+domain) && groups[i].typ == "TXT" {
			groups[i].pacc = digests
		}
	}
	rep.Records = make([]RecordCheck, len(groups))
	rep.Endpoints = make([]EndpointCheck, 2)
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() { rep.Records[i] = r.checkRecord(g) })
	}
	wg.Go(func() { rep.Endpoints[0] = r.checkAutoconfig(d) })
	wg.Go(func() { rep.Endpoints[1] = r.checkAutodiscover(d) })
	wg.Go(func() { rep.Clients = r.clientResults(d) })
	wg.Wait()
	// PACC compares the served bytes with the published digest.
	rep.Endpoints = append(rep.Endpoints, r.checkPACC(d, rep.Records, previous))
	rep.Findings = r.findings(&rep, d)
	rep.Verdict, rep.AlsoOurs = rep.verdictOf()
	rep.OK = rep.Verdict == VerdictOK
	return rep
}

func (c *Checker) deadline() time.Duration {
	if c.Deadline > 0 {
		return c.Deadline
	}
	return 15 * time.Second
}

func (c *Checker) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 5 * time.Second
}

// recordGroup is every wanted value of one name and type.
type recordGroup struct {
	name, typ string
	want      []string
	// txtPrefix selects the TXT records that matter: a domain has other
	// TXT records (site verifications) that are none of our business.
	txtPrefix string
	// pacc judges the PACC digest records (nil for other groups).
	pacc *paccDigests
}

// davPathPrefix starts the RFC 6764 §4 TXT record of a DAV context path.
const davPathPrefix = "path="

func groupRecords(records []dnsrecords.Record) []recordGroup {
	var out []recordGroup
	index := map[string]int{}
	for _, r := range records {
		key := r.Name + " " + r.Type
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			g := recordGroup{name: r.Name, typ: r.Type}
			if r.Type == "TXT" {
				g.txtPrefix, _, _ = strings.Cut(r.Text, " ")
				if strings.HasPrefix(g.txtPrefix, davPathPrefix) {
					// Any path= record is the one that matters: a
					// different path is wrong, not missing.
					g.txtPrefix = davPathPrefix
				}
			}
			out = append(out, g)
		}
		out[i].want = append(out[i].want, normalizeRDATA(r.Type, r.Value))
	}
	return out
}

func (r *checkRun) checkRecord(g recordGroup) RecordCheck {
	rc := RecordCheck{Name: g.name, Type: g.typ, Want: g.want}
	found, err := r.query(g)
	if err != nil {
		rc.Status, rc.Detail, rc.cause = CheckError, err.Error(), err
		return rc
	}
	rc.Found = found
	if g.pacc != nil {
		rc.Status, rc.Detail = g.pacc.status(found)
		return rc
	}
	switch {
	case len(found) == 0:
		rc.Status = CheckMissing
	case sameSet(found, g.want):
		rc.Status = CheckOK
	default:
		rc.Status = CheckWrong
		rc.Detail = "found " + strings.Join(found, ", ")
	}
	return rc
}

// query asks for one name and type and returns the values in the form
// normalizeRDATA gives the wanted ones.
func (r *checkRun) query(g recordGroup) ([]string, error) {
	qtype := dns.StringToType[g.typ]
	resp, err := r.probe.Lookup(g.name, qtype)
	if err != nil {
		return nil, err
	}
	var found []string
	for _, rr := range resp.Answer {
		h := rr.Header()
		if !strings.EqualFold(h.Name, g.name) {
			continue
		}
		switch {
		case h.Rrtype == qtype:
			v := rdataOf(rr)
			if g.txtPrefix == "" || strings.HasPrefix(strings.Trim(v, `"`), g.txtPrefix) {
				found = append(found, v)
			}
		case h.Rrtype == dns.TypeCNAME:
			// A CNAME where another type is wanted hides every record of
			// the name (RFC 1034 §3.6.2): report it as what was found.
			found = append(found, "CNAME "+rdataOf(rr))
		}
	}
	return found, nil
}

// rdataOf is the record data in presentation format, normalized.
func rdataOf(rr dns.RR) string {
	if txt, ok := rr.(*dns.TXT); ok {
		// Long values are split into 255-byte strings; clients join them.
		return strconv.Quote(strings.Join(txt.Txt, ""))
	}
	typ := dns.TypeToString[rr.Header().Rrtype]
	return normalizeRDATA(typ, strings.TrimPrefix(rr.String(), rr.Header().String()))
}

// normalizeRDATA lower-cases the names of MX, CNAME and SRV data, as DNS
// names compare case-insensitively.
func normalizeRDATA(typ, value string) string {
	if typ == "TXT" {
		return value
	}
	return strings.ToLower(value)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// fetch gets one URL and returns the body of a 200 answer, or a verdict.
func (r *checkRun) fetchDoc(method, rawURL string, body []byte) ([]byte, CheckStatus, string, error) {
	res := r.probe.Fetch(method, rawURL, body, false)
	switch {
	case res.CertError():
		return nil, CheckWrong, res.Err.Error(), res.Err
	case res.Err != nil:
		return nil, CheckError, res.Err.Error(), res.Err
	case res.Status != http.StatusOK:
		return nil, CheckWrong, fmt.Sprintf("HTTP status %d, want 200", res.Status), nil
	}
	return res.Body, CheckOK, "", nil
}

func (r *checkRun) checkAutoconfig(d autoconfig.Domain) EndpointCheck {
	ec := EndpointCheck{Name: "autoconfig", URL: "https://autoconfig." + d.Name + thunderbird.Paths[0] + addressQuery(d.Name),
		record: fqdn("autoconfig." + d.Name)}
	body, status, detail, err := r.fetchDoc(http.MethodGet, ec.URL, nil)
	if status != CheckOK {
		ec.Status, ec.Detail, ec.cause = status, detail, err
		return ec
	}
	got, err := ThunderbirdServers(body)
	if err != nil {
		ec.Status, ec.Detail = CheckWrong, err.Error()
		return ec
	}
	ec.Status, ec.Detail = compareServers(got, WantThunderbird(d))
	return ec
}

// WantThunderbird is what ThunderbirdServers must read from the domain's
// document: every server, in the resolved order, in the model's words.
func WantThunderbird(d autoconfig.Domain) []string {
	return serverLines(append(slices.Clone(d.Incoming), d.Outgoing...))
}

// ThunderbirdServers lists the servers of a config-v1.1.xml document as
// "protocol host:port security" in the model's words, in document order.
func ThunderbirdServers(body []byte) ([]string, error) {
	servers, err := parseAutoconfig(body)
	if err != nil {
		return nil, err
	}
	return docServerLines(servers), nil
}

func serverLines(servers []autoconfig.Server) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = settingOf(s).String()
	}
	return out
}

func docServerLines(servers []docServer) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = s.setting().String()
	}
	return out
}

func compareServers(got, want []string) (CheckStatus, string) {
	if slices.Equal(got, want) {
		return CheckOK, ""
	}
	return CheckWrong, fmt.Sprintf("served servers [%s] differ from the model [%s]", strings.Join(got, ", "), strings.Join(want, ", "))
}

// autodiscoverRequest is the POX request Outlook sends.
const autodiscoverRequest = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>%s</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>
`

func (r *checkRun) checkAutodiscover(d autoconfig.Domain) EndpointCheck {
	ec := EndpointCheck{Name: "autodiscover", URL: "https://autodiscover." + d.Name + autodiscover.POXPath,
		record: fqdn("autodiscover." + d.Name)}
	reqBody := fmt.Sprintf(autodiscoverRequest, checkAddressLocal+"@"+d.Name)
	body, status, detail, err := r.fetchDoc(http.MethodPost, ec.URL, []byte(reqBody))
	if status != CheckOK {
		ec.Status, ec.Detail, ec.cause = status, detail, err
		return ec
	}
	got, err := AutodiscoverServers(body)
	if err != nil {
		ec.Status, ec.Detail = CheckWrong, err.Error()
		return ec
	}
	ec.Status, ec.Detail = compareServers(got, WantAutodiscover(d))
	return ec
}

// WantAutodiscover is what AutodiscoverServers must read from an answer
// for an address of the domain: the resolved Autodiscover list, POP3
// included where it is the incoming server.
func WantAutodiscover(d autoconfig.Domain) []string {
	return serverLines(d.Autodiscover)
}

// AutodiscoverServers lists the Protocol elements of a POX response as
// "protocol host:port security" in the model's words, read as Outlook reads
// them (Encryption overrides SSL).
func AutodiscoverServers(body []byte) ([]string, error) {
	servers, err := parsePOX(body, false)
	if err != nil {
		return nil, err
	}
	return docServerLines(servers), nil
}

func (r *checkRun) checkPACC(d autoconfig.Domain, records []RecordCheck, previous []pacc.Generation) EndpointCheck {
	domain := d.Name
	ec := EndpointCheck{Name: "pacc", URL: "https://" + pacc.Prefix + domain + pacc.Path, record: fqdn(pacc.Prefix + domain)}
	want, err := pacc.Render(d)
	if err != nil {
		ec.Status, ec.Detail = CheckSkipped, err.Error()
		return ec
	}
	body, status, detail, err := r.fetchDoc(http.MethodGet, ec.URL, nil)
	if status != CheckOK {
		ec.Status, ec.Detail, ec.cause = status, detail, err
		return ec
	}
	// During a rollover window the service answers a domain that pins a
	// previous digest with that previous document.
	if !bytes.Equal(body, want) && !slices.ContainsFunc(previous, func(g pacc.Generation) bool { return g.Document == string(body) }) {
		ec.Status, ec.Detail = CheckWrong, "the served document differs from the model's"
		return ec
	}
	// A client rejects the document unless the published digest matches
	// the bytes it received.
	digest := strconv.Quote(pacc.DigestRecord(body))
	for _, r := range records {
		if r.Name == pacc.Label+"."+domain+"." && r.Type == "TXT" && !slices.Contains(r.Found, digest) {
			// The owner's digest record is stale, not our document.
			ec.Status, ec.Detail = CheckWrong, "no _ua-auto-config TXT record carries the digest of the served document"
			ec.record = r.Name
			return ec
		}
	}
	ec.Status = CheckOK
	return ec
}
