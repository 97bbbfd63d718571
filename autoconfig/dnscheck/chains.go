package dnscheck

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/probe"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

// DefaultISPDB is the base URL of the public Thunderbird ISP database:
// Thunderbird asks <base><domain>.
const DefaultISPDB = "https://autoconfig.thunderbird.net/v1.1/"

func (c *Checker) ispdb() string {
	if c.ISPDB != "" {
		return c.ISPDB
	}
	return DefaultISPDB
}

// unchecked reports a failure that says nothing about the domain: our
// resolver or the check's deadline.
func unchecked(err error) bool {
	return errors.Is(err, probe.ErrResolverDown) || errors.Is(err, probe.ErrOutOfTime)
}

// walk follows steps in priority order as one client does and stops where
// it stops: at the first source that gives settings it can read.
func (r *checkRun) walk(client DiscoveryChain, steps []step, read reader, want *FoundSettings) ClientResult {
	res := ClientResult{Client: client, Notes: []Note{}}
	for _, s := range steps {
		if s.method != "" {
			r.probe.Prefetch(s.method, s.body, s.src.url)
		}
	}
	for _, s := range steps {
		f, insecure := r.stepResult(s)
		var internal *probe.InternalAddressError
		switch {
		case unchecked(f.Err):
			res.Outcome, res.via = OutcomeUnchecked, s.src
			res.Notes = r.uncheckedNote(res.Notes, f.URL)
			return res
		case errors.As(f.Err, &internal):
			res.Notes = addNote(res.Notes, Note{"internal", []string{internal.Host, internal.Addr.String()}})
			continue
		case !f.OK():
			continue
		}
		servers, err := s.read(f)
		var found *FoundSettings
		if err == nil {
			found, err = read(servers)
		}
		if err != nil {
			res.Notes = append(res.Notes, Note{"unreadable", []string{f.URL, err.Error()}})
			if s.firstAnswerWins {
				res.Outcome, res.Source, res.via = OutcomeNothing, f.URL, s.src
				return res
			}
			continue
		}
		res.Found, res.Source, res.via = found, f.URL, s.src
		switch {
		case insecure:
			res.Notes = append(res.Notes, Note{"approval-certificate", []string{f.URL}})
		case s.approval != "":
			res.Notes = append(res.Notes, Note{s.approval, []string{f.URL}})
		}
		res.Matches = found.equal(want)
		res.Outcome = OutcomeOther
		if res.Matches {
			res.Outcome = OutcomeOurs
		}
		return res
	}
	res.Outcome = OutcomeNothing
	return res
}

// addNote adds n unless the same note is there (one host reached over
// https and http gives the same refusal twice).
func addNote(notes []Note, n Note) []Note {
	for _, m := range notes {
		if m.Key == n.Key && slices.Equal(m.Args, n.Args) {
			return notes
		}
	}
	return append(notes, n)
}

// uncheckedNote says which step could not be made, unless our resolver is
// down: that one finding already says why nothing was checked.
func (r *checkRun) uncheckedNote(notes []Note, what string) []Note {
	if r.probe.ResolverDown() {
		return notes
	}
	return append(notes, Note{"unchecked", []string{what}})
}

// stepResult fetches a step. A step with approval re-fetches an answer
// whose certificate failed without verification: such a client shows it to
// the user for approval. An Outlook redirect probe follows its redirect.
func (r *checkRun) stepResult(s step) (fetchResult, bool) {
	if s.method == "" {
		return fetchResult{URL: s.src.url, Err: s.fail}, false
	}
	f := r.probe.Fetch(s.method, s.src.url, s.body, false)
	if s.redirect {
		loc, err := url.Parse(f.Location)
		if f.Err != nil || f.Status < 300 || f.Status > 399 || err != nil || loc.Scheme != "https" {
			return fetchResult{URL: f.URL, Err: f.Err, Status: f.Status}, false
		}
		return r.probe.Fetch(http.MethodPost, loc.String(), s.body, false), false
	}
	if s.askCertificate && f.CertError() {
		return r.probe.Fetch(s.method, s.src.url, s.body, true), true
	}
	return f, false
}

// providerSteps are the provider's own URLs: autoconfig.<d> and the
// domain's .well-known path, over https then (when withHTTP) http.
func providerSteps(d, query string, withHTTP bool, read func(fetchResult) ([]docServer, error), httpApproval string) []step {
	sub, apex := "autoconfig."+d, d
	steps := []step{
		{src: source{sourceRecord, "https://" + sub + thunderbird.Paths[0] + query, []string{fqdn(sub)}}},
		{src: source{sourceApex, "https://" + apex + thunderbird.Paths[1] + query, []string{fqdn(apex)}}},
	}
	if withHTTP {
		steps = append(steps,
			step{src: source{sourceRecord, "http://" + sub + thunderbird.Paths[0] + query, []string{fqdn(sub)}}, approval: httpApproval},
			step{src: source{sourceApex, "http://" + apex + thunderbird.Paths[1] + query, []string{fqdn(apex)}}, approval: httpApproval},
		)
	}
	for i := range steps {
		steps[i].method, steps[i].read = http.MethodGet, read
	}
	return steps
}

func (r *checkRun) ispdbStep(d string, read func(fetchResult) ([]docServer, error)) step {
	return step{src: source{sourceISPDB, r.c.ispdb() + d, nil}, method: http.MethodGet, read: read}
}

// mxSteps is Thunderbird's MX route: autoconfig.<registrable domain of the
// preferred MX> over https only, then the ISP database entry for that
// domain. approval marks results found so through an MX answer without
// DNSSEC validation (Thunderbird for Android asks the user then).
func (r *checkRun) mxSteps(d, query string, read func(fetchResult) ([]docServer, error), askUnvalidated bool) []step {
	base, validated, err := r.mxBase(d)
	if err != nil {
		return []step{{src: source{sourceMXRoute, "MX " + d, []string{fqdn(d)}}, fail: err}}
	}
	if base == "" || base == d {
		return nil
	}
	approval := ""
	if askUnvalidated && !validated {
		approval = "approval-mx"
	}
	return []step{
		{src: source{sourceMXRoute, "https://autoconfig." + base + thunderbird.Paths[0] + query, []string{fqdn(d)}},
			method: http.MethodGet, read: read, approval: approval},
		{src: source{sourceISPDB, r.c.ispdb() + base, []string{fqdn(d)}}, method: http.MethodGet, read: read, approval: approval},
	}
}

// mxBase looks up the domain's MX and returns the registrable domain of the
// preferred one (Thunderbird uses the public suffix list for it), and
// whether the resolver validated the answer with DNSSEC.
func (r *checkRun) mxBase(d string) (string, bool, error) {
	msg, err := r.probe.Lookup(d, dns.TypeMX)
	if err != nil {
		return "", false, err
	}
	var best *dns.MX
	for _, rr := range msg.Answer {
		if mx, ok := rr.(*dns.MX); ok && strings.EqualFold(mx.Hdr.Name, fqdn(d)) && (best == nil || mx.Preference < best.Preference) {
			best = mx
		}
	}
	if best == nil || best.Mx == "." {
		return "", false, nil
	}
	base, err := publicsuffix.EffectiveTLDPlusOne(strings.ToLower(strings.TrimSuffix(best.Mx, ".")))
	if err != nil {
		return "", false, nil
	}
	return base, msg.AuthenticatedData, nil
}

// autodiscoverSteps are Outlook's POX URLs in its order: the domain, the
// autodiscover. name, the plain-HTTP redirect probe, the _autodiscover._tcp
// SRV record.
func (r *checkRun) autodiscoverSteps(d string, read func(fetchResult) ([]docServer, error), withFallbacks bool) []step {
	body := []byte(fmt.Sprintf(autodiscoverRequest, checkAddressLocal+"@"+d))
	sub := "autodiscover." + d
	steps := []step{
		{src: source{sourceApex, "https://" + d + autodiscover.POXPath, []string{fqdn(d)}}},
		{src: source{sourceRecord, "https://" + sub + autodiscover.POXPath, []string{fqdn(sub)}}},
	}
	for i := range steps {
		steps[i].method, steps[i].body, steps[i].read = http.MethodPost, body, read
	}
	if !withFallbacks {
		return steps
	}
	steps = append(steps, step{src: source{sourceRecord, "http://" + sub + "/Autodiscover/Autodiscover.xml", []string{fqdn(sub)}},
		method: http.MethodGet, body: body, read: read, redirect: true})
	srvName := "_autodiscover._tcp." + d
	msg, err := r.probe.Lookup(srvName, dns.TypeSRV)
	if err != nil {
		return append(steps, step{src: source{sourceRecord, "SRV " + srvName, []string{fqdn(srvName)}}, fail: err})
	}
	for _, rr := range msg.Answer {
		if srv, ok := rr.(*dns.SRV); ok && srv.Target != "." {
			host := strings.TrimSuffix(strings.ToLower(srv.Target), ".")
			if srv.Port != 443 {
				host = net.JoinHostPort(host, strconv.Itoa(int(srv.Port)))
			}
			steps = append(steps, step{src: source{sourceRecord, "https://" + host + autodiscover.POXPath, []string{fqdn(srvName)}},
				method: http.MethodPost, body: body, read: read})
			break
		}
	}
	return steps
}

// addressQuery is the emailaddress parameter Thunderbird desktop and Delta
// Chat send.
func addressQuery(d string) string {
	return "?" + url.Values{"emailaddress": {checkAddressLocal + "@" + d}}.Encode()
}

// clientResults walks every client's chain concurrently.
func (r *checkRun) clientResults(dom autoconfig.Domain) []ClientResult {
	walks := map[DiscoveryChain]func() ClientResult{
		ClientThunderbird:        func() ClientResult { return r.thunderbird(dom) },
		ClientThunderbirdAndroid: func() ClientResult { return r.thunderbirdAndroid(dom) },
		ClientOutlook:            func() ClientResult { return r.outlook(dom) },
		ClientDeltaChat:          func() ClientResult { return r.deltaChat(dom) },
		ClientSRVFirst:           func() ClientResult { return r.srvFirst(dom) },
		ClientApple: func() ClientResult {
			return ClientResult{Client: ClientApple, Outcome: OutcomeProfile, Notes: []Note{{"apple-profile", nil}}}
		},
	}
	out := make([]ClientResult, len(Clients))
	done := make(chan struct{})
	for i, c := range Clients {
		go func() {
			out[i] = walks[c]()
			done <- struct{}{}
		}()
	}
	for range Clients {
		<-done
	}
	return out
}

// thunderbird: the provider's URLs (https, then http), the ISP database,
// then the MX route; Exchange Autodiscover runs beside it and is used when
// the others find nothing.
func (r *checkRun) thunderbird(dom autoconfig.Domain) ClientResult {
	d := dom.Name
	q := addressQuery(d)
	doc := autoconfigDoc(true)
	steps := providerSteps(d, q, true, doc, "")
	for i := range steps {
		steps[i].firstAnswerWins = true
	}
	steps = append(steps, r.ispdbStep(d, doc))
	steps = append(steps, r.mxSteps(d, q, doc, false)...)
	res := r.walk(ClientThunderbird, steps, readThunderbird, expectedSettings(dom, false))
	if res.Outcome == OutcomeNothing && res.Source == "" {
		ad := r.walk(ClientThunderbird, r.autodiscoverSteps(d, poxDoc(true), false), readThunderbird, expectedSettings(dom, false))
		if ad.Outcome != OutcomeNothing {
			ad.Notes = append(append(res.Notes, ad.Notes...), Note{"via-autodiscover", nil})
			return ad
		}
	}
	return res
}

// thunderbirdAndroid: the same provider URLs without emailaddress, the ISP
// database, the MX route; it asks the user to approve what came over plain
// HTTP, with an untrusted certificate or through an unvalidated MX answer.
func (r *checkRun) thunderbirdAndroid(dom autoconfig.Domain) ClientResult {
	d := dom.Name
	doc := autoconfigDoc(false)
	steps := providerSteps(d, "", true, doc, "approval-http")
	for i := range steps {
		steps[i].askCertificate = steps[i].approval == ""
	}
	steps = append(steps, r.ispdbStep(d, doc))
	steps = append(steps, r.mxSteps(d, "", doc, true)...)
	return r.walk(ClientThunderbirdAndroid, steps, readAndroid, expectedSettings(dom, true))
}

// outlook: its POX chain. What Microsoft's own cloud lookup answers first,
// where current versions use it, cannot be seen from here.
func (r *checkRun) outlook(dom autoconfig.Domain) ClientResult {
	d := dom.Name
	res := r.walk(ClientOutlook, r.autodiscoverSteps(d, poxDoc(false), true), readThunderbird, expectedOutlook(dom))
	res.Notes = append(res.Notes, Note{"outlook-cloud", nil})
	return res
}

// deltaChat: the provider's https URLs, then Autodiscover, then the ISP
// database; never an MX lookup.
func (r *checkRun) deltaChat(dom autoconfig.Domain) ClientResult {
	d := dom.Name
	q := addressQuery(d)
	steps := providerSteps(d, q, false, autoconfigDoc(false), "")
	steps = append(steps, r.autodiscoverSteps(d, poxDoc(false), false)...)
	steps = append(steps, r.ispdbStep(d, autoconfigDoc(false)))
	return r.walk(ClientDeltaChat, steps, readIMAPOnly, expectedSettings(dom, true))
}

// srvLabels are the RFC 6186/8314 services in the order a tie in priority
// is broken (implicit TLS first, RFC 8314 §5.1).
var (
	srvIncoming = []string{"_imaps._tcp", "_imap._tcp", "_pop3s._tcp", "_pop3._tcp"}
	srvOutgoing = []string{"_submissions._tcp", "_submission._tcp"}
)

// srvFirst: FairEmail and other SRV-first clients take RFC 6186/8314 SRV
// records over autoconfig, so a stale SRV record wins.
func (r *checkRun) srvFirst(dom autoconfig.Domain) ClientResult {
	d := dom.Name
	res := ClientResult{Client: ClientSRVFirst, Notes: []Note{}}
	in, inName, err := r.bestSRV(d, srvIncoming)
	var out *ServerSetting
	var outName string
	if err == nil {
		out, outName, err = r.bestSRV(d, srvOutgoing)
	}
	if err != nil {
		res.Outcome, res.via = OutcomeUnchecked, source{kind: sourceRecord, url: "SRV " + d}
		res.Notes = r.uncheckedNote(res.Notes, "SRV "+d)
		return res
	}
	want := expectedSettings(dom, false)
	if in == nil {
		steps := providerSteps(d, addressQuery(d), false, autoconfigDoc(false), "")
		steps = append(steps, r.ispdbStep(d, autoconfigDoc(false)))
		res = r.walk(ClientSRVFirst, steps, readThunderbird, want)
		res.Notes = append([]Note{{"no-srv", nil}}, res.Notes...)
		return res
	}
	res.Found = &FoundSettings{Incoming: in, Outgoing: out}
	names := []string{inName}
	if outName != "" {
		names = append(names, outName)
	}
	res.Source = "SRV " + strings.Join(names, ", ")
	res.via = source{kind: sourceRecord, url: res.Source, names: names}
	res.Matches = res.Found.equal(want)
	res.Outcome = OutcomeOther
	if res.Matches {
		res.Outcome = OutcomeOurs
	}
	return res
}

// bestSRV returns the server of the lowest-priority SRV record among
// labels ("." targets say "not offered") and the record's name.
func (r *checkRun) bestSRV(d string, labels []string) (*ServerSetting, string, error) {
	var best *ServerSetting
	var bestName string
	bestPrio := -1
	for _, label := range labels {
		name := fqdn(label + "." + d)
		msg, err := r.probe.Lookup(name, dns.TypeSRV)
		if err != nil {
			return nil, "", err
		}
		for _, rr := range msg.Answer {
			srv, ok := rr.(*dns.SRV)
			if !ok || srv.Target == "." || !strings.EqualFold(srv.Hdr.Name, name) {
				continue
			}
			if bestPrio < 0 || int(srv.Priority) < bestPrio {
				bestPrio, bestName = int(srv.Priority), name
				best = srvSetting(label, srv)
			}
		}
	}
	return best, bestName, nil
}

func srvSetting(label string, srv *dns.SRV) *ServerSetting {
	proto, _, _ := strings.Cut(strings.TrimPrefix(label, "_"), ".")
	sec := autoconfig.SecuritySTARTTLS
	if slices.Contains([]string{"imaps", "pop3s", "submissions"}, proto) {
		sec = autoconfig.SecurityTLS
	}
	proto = strings.TrimSuffix(proto, "s")
	if proto == "submission" {
		proto = string(autoconfig.SMTP)
	}
	return &ServerSetting{Protocol: proto, Host: strings.TrimSuffix(strings.ToLower(srv.Target), "."), Port: int(srv.Port), Security: string(sec)}
}
