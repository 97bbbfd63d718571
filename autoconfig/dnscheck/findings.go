package dnscheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/probe"
)

// Fault says whose a finding is: who must act.
type Fault string

const (
	FaultOurs       Fault = "ours"        // our resolver, our service or its certificate
	FaultOwner      Fault = "owner"       // the domain owner: a record missing, wrong or stale
	FaultThirdParty Fault = "third-party" // a public database entry that disagrees
	// FaultUnchecked: a third party (the public ISP database) could not be
	// reached, so what it says could not be checked. Not ours: a provider
	// with restricted egress would otherwise tell every customer that the
	// fault is ours.
	FaultUnchecked Fault = "unchecked"
	FaultInfo      Fault = "info" // nothing to fix
)

// Finding is one thing a check found, with whose it is to fix and whether
// mail needs it to work (only MX and SPF do: the rest is automatic setup).
type Finding struct {
	Fault    Fault            `json:"fault"`
	Required bool             `json:"required"`
	Code     string           `json:"code"`
	Subject  string           `json:"subject,omitempty"` // the name or URL concerned
	Args     []string         `json:"args,omitempty"`
	Clients  []DiscoveryChain `json:"clients,omitempty"` // clients that find other settings, or none, because of it
}

// Message is the finding in English (the helpdesk translates
// "check.finding.<code>").
func (f Finding) Message() string { return Text("finding."+f.Code, f.Args...) }

func (f Finding) MarshalJSON() ([]byte, error) {
	type plain Finding
	return json.Marshal(struct {
		plain
		Message string `json:"message"`
	}{plain(f), f.Message()})
}

// Verdict sums a report up for the person reading it; it follows the
// attribution: what the domain owner must change first (what mail needs,
// then automatic setup), then our faults (the helpdesk escalates them; the
// customer changes nothing), then a public database, then what could not
// be checked. A fault of ours beside the owner's does not hide what the
// owner must do: the report says it as well (AlsoOurs).
type Verdict string

const (
	VerdictOK            Verdict = "ok"
	VerdictOurs          Verdict = "ours"
	VerdictOwnerRequired Verdict = "owner-required"
	VerdictOwner         Verdict = "owner"
	VerdictThirdParty    Verdict = "third-party"
	VerdictUnchecked     Verdict = "unchecked"
)

// verdictOf the report's findings, and whether a fault of ours is there
// beside an owner's verdict.
func (r Report) verdictOf() (v Verdict, alsoOurs bool) {
	has := func(match func(Finding) bool) bool { return slices.ContainsFunc(r.Findings, match) }
	ours := has(func(f Finding) bool { return f.Fault == FaultOurs })
	switch {
	case has(func(f Finding) bool { return f.Fault == FaultOwner && f.Required }):
		return VerdictOwnerRequired, ours
	case has(func(f Finding) bool { return f.Fault == FaultOwner }):
		return VerdictOwner, ours
	case ours:
		return VerdictOurs, false
	case has(func(f Finding) bool { return f.Fault == FaultThirdParty }):
		return VerdictThirdParty, false
	case has(func(f Finding) bool { return f.Fault == FaultUnchecked }):
		return VerdictUnchecked, false
	}
	return VerdictOK, false
}

// VerdictKeys are the catalog keys of the verdict for the helpdesk
// ("verdict.<v>", then "verdict.also-ours" when a fault of ours stands
// beside the owner's): the CLI and the helpdesk page say the same.
func (r Report) VerdictKeys() []string { return r.keys("verdict.") }

// SayKeys are the catalog keys of what the helpdesk tells the customer.
func (r Report) SayKeys() []string { return r.keys("say.") }

func (r Report) keys(prefix string) []string {
	v := r.Verdict
	if v == "" {
		v = VerdictOK
	}
	out := []string{prefix + string(v)}
	if r.AlsoOurs {
		out = append(out, prefix+"also-ours")
	}
	return out
}

// findingGroups is the order reports list findings in, as the verdict
// weighs them: the owner's required ones, the owner's recommended ones,
// ours, a third party's, what could not be checked, information.
var findingGroups = []FindingGroup{
	{Fault: FaultOwner, Required: true, Key: "owner.required"},
	{Fault: FaultOwner, Key: "owner.recommended"},
	{Fault: FaultOurs, Key: "ours"},
	{Fault: FaultThirdParty, Key: "third-party"},
	{Fault: FaultUnchecked, Key: "unchecked"},
	{Fault: FaultInfo, Key: "info"},
}

// FindingGroup is the findings of one party, the owner's required ones
// apart. Key names the group's title ("group.<key>" among the texts).
type FindingGroup struct {
	Fault    Fault
	Required bool
	Key      string
	Findings []Finding
}

// GroupedFindings are the report's findings by fault, in the verdict's
// order, as the CLI and the helpdesk page list them; empty groups are left
// out.
func (r Report) GroupedFindings() []FindingGroup {
	var out []FindingGroup
	for _, g := range findingGroups {
		for _, f := range r.Findings {
			if f.Fault == g.Fault && (f.Fault != FaultOwner || f.Required == g.Required) {
				g.Findings = append(g.Findings, f)
			}
		}
		if len(g.Findings) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// requiredRecord: mail needs the MX and the SPF record to work; the other
// records serve automatic client setup.
func requiredRecord(rc RecordCheck, domain string) bool {
	return rc.Name == fqdn(domain) && (rc.Type == "MX" || rc.Type == "TXT")
}

// findings attributes what the record checks, the endpoints and the client
// chains found. Failures of our resolver or of the deadline are one
// finding each, whatever the number of steps they cut short.
func (r *checkRun) findings(rep *Report, d autoconfig.Domain) []Finding {
	var out []Finding
	add := func(f Finding) int {
		for i, g := range out {
			if g.Code == f.Code && g.Subject == f.Subject && slices.Equal(g.Args, f.Args) {
				return i
			}
		}
		out = append(out, f)
		return len(out) - 1
	}
	if r.probe.ResolverDown() {
		add(Finding{Fault: FaultOurs, Code: "resolver-down"})
	}
	outOfTime := false
	for _, rc := range rep.Records {
		req := requiredRecord(rc, rep.Domain)
		switch {
		case rc.Status == CheckMissing:
			add(Finding{Fault: FaultOwner, Required: req, Code: "record-missing", Subject: rc.Name,
				Args: []string{rc.Name, rc.Type, strings.Join(rc.Want, ", ")}})
		case rc.Status == CheckWrong:
			add(Finding{Fault: FaultOwner, Required: req, Code: "record-wrong", Subject: rc.Name,
				Args: []string{rc.Name, rc.Type, strings.Join(rc.Found, ", "), strings.Join(rc.Want, ", ")}})
		case rc.Status == CheckPending:
			// A previous PACC digest during its window: it works until
			// then, but the owner must publish the current one.
			add(Finding{Fault: FaultOwner, Code: "pacc-update-pending", Subject: rc.Name,
				Args: []string{rc.Name, strings.Join(rc.Want, ", "), rc.Detail}})
		case rc.Status == CheckError && errors.Is(rc.cause, probe.ErrOutOfTime):
			outOfTime = true
		case rc.Status == CheckError && !unchecked(rc.cause):
			add(Finding{Fault: FaultOwner, Required: req, Code: "lookup-failed", Subject: rc.Name,
				Args: []string{rc.Name, rc.Type, rc.Detail}})
		}
	}
	reachesUs := func(name string) bool { return pointsAtUs(rep, name) }
	for _, e := range rep.Endpoints {
		var internal *probe.InternalAddressError
		switch {
		case e.Status == CheckOK || e.Status == CheckSkipped || unchecked(e.cause):
			outOfTime = outOfTime || errors.Is(e.cause, probe.ErrOutOfTime)
		case errors.As(e.cause, &internal):
			// reported below with every other refused name
		case reachesUs(e.record):
			// The name points at us: what it serves is ours.
			add(Finding{Fault: FaultOurs, Code: "service-failed", Subject: e.record, Args: []string{e.URL, e.Detail}})
		case !hasSubject(out, e.record):
			// No record of ours is wanted there (no service host): a name
			// that does not resolve, or serves something else, is the
			// owner's, never our service failing.
			add(Finding{Fault: FaultOwner, Code: "endpoint-failed", Subject: e.record, Args: []string{e.URL, e.Detail}})
		}
	}
	if outOfTime {
		add(Finding{Fault: FaultOurs, Code: "out-of-time"})
	}
	// A stale database entry is a finding even while the domain's own
	// names outrank it: it wins the day they fail.
	if f := r.probe.Fetch(http.MethodGet, r.c.ispdb()+rep.Domain, nil, false); f.OK() {
		if found, err := readDoc(f, readThunderbird); err == nil && !found.equal(expectedSettings(d, false)) {
			add(Finding{Fault: FaultThirdParty, Code: "ispdb-stale", Subject: f.URL, Args: []string{f.URL, found.String()}})
		}
	}
	for _, f := range r.probe.Results() {
		var internal *probe.InternalAddressError
		switch {
		case r.isISPDB(f.URL):
			if detail, ok := r.unreachable(f); ok {
				host := hostOf(f.URL)
				add(Finding{Fault: FaultUnchecked, Code: "ispdb-unreachable", Subject: host, Args: []string{host, detail}})
			}
		case errors.As(f.Err, &internal):
			add(Finding{Fault: internalFault(internal.Host, rep.Domain, reachesUs), Code: "internal-address", Subject: internal.Host,
				Args: []string{internal.Host, internal.Addr.String()}})
		}
	}
	for _, c := range rep.Clients {
		i, ok := attribute(c, rep, reachesUs, out, add)
		if ok && !slices.Contains(out[i].Clients, c.Client) {
			out[i].Clients = append(out[i].Clients, c.Client)
		}
	}
	return out
}

// pointsAtUs reports whether name leads to our service: a name of the
// customer's domain only through records we want there, all published as
// wanted (a name we want nothing at, or that does not resolve, is not ours);
// our own names (the service host, the MX route's host) always.
func pointsAtUs(rep *Report, name string) bool {
	name = fqdn(name)
	if name != fqdn(rep.Domain) && !strings.HasSuffix(name, "."+fqdn(rep.Domain)) {
		return true
	}
	wanted := false
	for _, rc := range rep.Records {
		if rc.Name == name {
			if rc.Status != CheckOK {
				return false
			}
			wanted = true
		}
	}
	return wanted
}

// hasSubject reports whether a finding about name is already there.
func hasSubject(findings []Finding, name string) bool {
	return slices.ContainsFunc(findings, func(f Finding) bool { return f.Subject == name })
}

// isISPDB reports whether rawURL is an entry of the public ISP database.
func (r *checkRun) isISPDB(rawURL string) bool { return strings.HasPrefix(rawURL, r.c.ispdb()) }

// unreachable says why a third party's answer could not be had (refused
// address, timeout, no address, a server error), or false when it
// answered (a 404 is an answer: no entry) or our resolver is the cause
// (its own finding says so).
func (r *checkRun) unreachable(f fetchResult) (string, bool) {
	var lookup *probe.LookupError
	switch {
	case errors.Is(f.Err, probe.ErrResolverDown), errors.As(f.Err, &lookup) && unchecked(f.Err):
		// Our resolver did not answer in time: not the third party.
		return "", false
	case f.Err != nil:
		return f.Err.Error(), true
	case f.Status >= 500:
		return fmt.Sprintf("HTTP status %d", f.Status), true
	}
	return "", false
}

// hostOf is the host name of a URL the checker made.
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Hostname()
	}
	return rawURL
}

// internalFault: a name of the customer's domain that does not point at
// us is the owner's; our own names (a customer name pointing at us, the
// service host, the MX route's host) resolving inside are ours, as when the
// checker runs behind split-horizon DNS (the operator then allows internal
// addresses).
func internalFault(host, domain string, reachesUs func(string) bool) Fault {
	if (host == domain || strings.HasSuffix(host, "."+domain)) && !reachesUs(fqdn(host)) {
		return FaultOwner
	}
	return FaultOurs
}

// attribute finds (or adds) the finding that explains why client c does
// not end up with our settings.
func attribute(c ClientResult, rep *Report, reachesUs func(string) bool, out []Finding, add func(Finding) int) (int, bool) {
	if c.Outcome != OutcomeOther && c.Outcome != OutcomeNothing {
		return 0, false
	}
	// A record finding of a name that leads to the source explains it.
	names := c.via.names
	if c.Outcome == OutcomeNothing && c.Source == "" {
		names = primaryNames(c.Client, rep.Domain)
	}
	for _, name := range names {
		for i, f := range out {
			if f.Subject == name && f.Fault != FaultInfo {
				return i, true
			}
		}
	}
	if c.Outcome != OutcomeOther {
		return 0, false
	}
	switch c.via.kind {
	case sourceISPDB:
		return add(Finding{Fault: FaultThirdParty, Code: "ispdb-stale", Subject: c.Source, Args: []string{c.Source, c.Found.String()}}), true
	case sourceApex:
		return add(Finding{Fault: FaultOwner, Code: "stale-document", Subject: c.Source, Args: []string{c.Source, c.Found.String()}}), true
	case sourceRecord, sourceMXRoute:
		for _, name := range c.via.names {
			switch {
			case reachesUs(name):
			case c.via.kind == sourceRecord:
				// A name of the domain where no record of ours is wanted
				// (no service host): what it serves is the owner's.
				return add(Finding{Fault: FaultOwner, Code: "endpoint-failed", Subject: name, Args: []string{c.Source, c.Found.String()}}), true
			default:
				return 0, false
			}
		}
		return add(Finding{Fault: FaultOurs, Code: "service-wrong", Subject: c.Source, Args: []string{c.Source, c.Found.String()}}), true
	}
	return 0, false
}

// primaryNames are the records a client's chain starts with: when it finds
// nothing, their findings say why.
func primaryNames(c DiscoveryChain, d string) []string {
	ac, ad := fqdn("autoconfig."+d), fqdn("autodiscover."+d)
	switch c {
	case ClientOutlook:
		return []string{ad, fqdn("_autodiscover._tcp." + d)}
	case ClientDeltaChat:
		return []string{ac, ad}
	case ClientSRVFirst:
		return []string{fqdn("_imaps._tcp." + d), ac}
	}
	return []string{ac}
}

// fqdn is a host name with its trailing dot, as DNS records name it.
func fqdn(host string) string {
	if strings.HasSuffix(host, ".") {
		return host
	}
	return host + "."
}
