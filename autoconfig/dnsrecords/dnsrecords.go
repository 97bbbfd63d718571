// Package dnsrecords lists the DNS records a customer domain publishes for
// its provider (MX, SPF, the service's CNAMEs, RFC 6186/8314 SRV records,
// RFC 6764 CalDAV/CardDAV records, the PACC digest) and writes them as a
// zone-file fragment.
package dnsrecords

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
)

// TTL is the TTL of the records a customer domain publishes.
const TTL = 3600

// Record is one record the owner of a customer domain publishes.
type Record struct {
	Name     string `json:"name"` // fully qualified, trailing dot
	Type     string `json:"type"` // MX, TXT, CNAME or SRV
	TTL      int    `json:"ttl"`
	Priority int    `json:"priority,omitempty"` // MX, SRV
	Weight   int    `json:"weight,omitempty"`   // SRV
	Port     int    `json:"port,omitempty"`     // SRV
	Target   string `json:"target,omitempty"`   // MX, CNAME, SRV: fully qualified; "." = not offered
	Text     string `json:"text,omitempty"`     // TXT
	Value    string `json:"value"`              // the RDATA in zone-file syntax
	Purpose  string `json:"purpose"`
}

// RDATA returns the record data in zone-file presentation format.
func (r Record) RDATA() string {
	switch r.Type {
	case "MX":
		return fmt.Sprintf("%d %s", r.Priority, r.Target)
	case "SRV":
		return fmt.Sprintf("%d %d %d %s", r.Priority, r.Weight, r.Port, r.Target)
	case "TXT":
		return strconv.Quote(r.Text)
	default:
		return r.Target
	}
}

// srvService is one RFC 6186/8314 service label and the servers it
// announces.
type srvService struct {
	label    string
	proto    autoconfig.Protocol
	security func(autoconfig.Security) bool
	outgoing bool
}

func implicitTLS(s autoconfig.Security) bool { return s == autoconfig.SecurityTLS }
func notImplicit(s autoconfig.Security) bool { return s != autoconfig.SecurityTLS }

// srvServices in the order they are printed. RFC 8314 names submission with
// implicit TLS (465) _submissions._tcp, not "_smtps".
var srvServices = []srvService{
	{label: "_imaps._tcp", proto: autoconfig.IMAP, security: implicitTLS},
	{label: "_imap._tcp", proto: autoconfig.IMAP, security: notImplicit},
	{label: "_pop3s._tcp", proto: autoconfig.POP3, security: implicitTLS},
	{label: "_pop3._tcp", proto: autoconfig.POP3, security: notImplicit},
	{label: "_submission._tcp", proto: autoconfig.SMTP, security: notImplicit, outgoing: true},
	{label: "_submissions._tcp", proto: autoconfig.SMTP, security: implicitTLS, outgoing: true},
}

// ForDomain lists every record the owner of a resolved domain publishes,
// with serviceHost the host this service answers on. Records that need the
// service host are left out when it is empty. previous are the provider's
// previous PACC documents still valid (pacc.History): their digests follow
// the current one, so that a domain that still pins one keeps working.
func ForDomain(d autoconfig.Domain, serviceHost string, previous ...pacc.Generation) []Record {
	p := d.Provider
	apex := fqdn(d.Name)
	var out []Record
	add := func(r Record) {
		r.TTL = TTL
		r.Value = r.RDATA()
		out = append(out, r)
	}
	for _, mx := range p.MX {
		add(Record{Name: apex, Type: "MX", Priority: mx.Priority, Target: fqdn(mx.Host),
			Purpose: "incoming mail goes to the provider"})
	}
	if p.SPF != "" {
		add(Record{Name: apex, Type: "TXT", Text: p.SPF, Purpose: "SPF: the provider's servers may send for the domain"})
	}
	if serviceHost != "" {
		for _, c := range []struct{ prefix, purpose string }{
			{autoconfig.AutoconfigPrefix, "Thunderbird, K-9 Mail, Evolution, KMail autoconfig"},
			{autoconfig.AutodiscoverPrefix, "Outlook Autodiscover"},
			{autoconfig.PACCPrefix, "PACC configuration document (draft-ietf-mailmaint-pacc)"},
		} {
			add(Record{Name: c.prefix + apex, Type: "CNAME", Target: fqdn(serviceHost), Purpose: c.purpose})
		}
	}
	for _, svc := range srvServices {
		out = append(out, srvRecords(d.Settings, svc, apex)...)
	}
	out = append(out, davRecords("caldav", "CalDAV", d.CalDAV, apex)...)
	out = append(out, davRecords("carddav", "CardDAV", d.CardDAV, apex)...)
	if serviceHost != "" {
		add(Record{Name: "_autodiscover._tcp." + apex, Type: "SRV", Weight: 1, Port: 443, Target: fqdn(serviceHost),
			Purpose: "Outlook finds Autodiscover through this SRV when autodiscover.<domain> fails"})
	}
	if doc, err := pacc.Render(d); err == nil {
		add(Record{Name: pacc.Label + "." + apex, Type: "TXT", Text: pacc.DigestRecord(doc),
			Purpose: "PACC: SHA-256 of the exact bytes of the configuration document"})
		for _, g := range previous {
			add(Record{Name: pacc.Label + "." + apex, Type: "TXT", Text: pacc.DigestRecord([]byte(g.Document)),
				Purpose: "PACC: the previous document's digest, valid until " + g.Until.UTC().Format("2006-01-02 15:04 MST") + "; replace it with the one above"})
		}
	}
	return out
}

// srvRecords announces the servers of one service. The priority follows the
// resolved order of preference within incoming and within outgoing servers
// (RFC 6186 §3.4: clients compare priorities across IMAP and POP3), so
// discouraged POP3, listed after IMAP, gets a worse priority. A service the provider does not
// offer gets the "." target, which tells clients not to try it (RFC 6186
// §4).
func srvRecords(s autoconfig.Settings, svc srvService, apex string) []Record {
	servers := s.Incoming
	if svc.outgoing {
		servers = s.Outgoing
	}
	var out []Record
	for i, s := range servers {
		if s.Protocol != svc.proto || !svc.security(s.Security) {
			continue
		}
		r := Record{Name: svc.label + "." + apex, Type: "SRV", TTL: TTL,
			Priority: 10 * i, Weight: 1, Port: s.Port, Target: fqdn(s.Host),
			Purpose: srvPurpose(s)}
		r.Value = r.RDATA()
		out = append(out, r)
	}
	if len(out) == 0 {
		r := Record{Name: svc.label + "." + apex, Type: "SRV", TTL: TTL, Target: ".",
			Purpose: "not offered"}
		r.Value = r.RDATA()
		out = append(out, r)
	}
	return out
}

// davRecords are the RFC 6764 records of one DAV service (service is
// "caldav" or "carddav"), when the provider offers it: the SRV record of
// the scheme its URL uses (§3: _caldavs/_carddavs for TLS), with the
// context path in a TXT record "path=" on the same name (§4), and the other
// scheme's SRV record with the "." target, which says it is not offered
// (RFC 2782). Thunderbird's calendar and address-book setup looks these up
// when the user gives only a domain.
func davRecords(service, name string, ep autoconfig.DAVEndpoint, apex string) []Record {
	if !ep.Offered() {
		return nil
	}
	offered, other := "_"+service+"s._tcp."+apex, "_"+service+"._tcp."+apex
	how := "with TLS"
	if !ep.TLS {
		offered, other = other, offered
		how = "without TLS"
	}
	records := []Record{
		{Name: offered, Type: "SRV", Weight: 1, Port: ep.Port, Target: fqdn(ep.Host),
			Purpose: name + " " + how + " (RFC 6764)"},
		{Name: offered, Type: "TXT", Text: "path=" + ep.Path,
			Purpose: name + " context path (RFC 6764)"},
		{Name: other, Type: "SRV", Target: ".", Purpose: "not offered"},
	}
	for i := range records {
		records[i].TTL = TTL
		records[i].Value = records[i].RDATA()
	}
	return records
}

func srvPurpose(s autoconfig.Server) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(string(s.Protocol)))
	switch s.Security {
	case autoconfig.SecurityTLS:
		b.WriteString(" with implicit TLS")
	case autoconfig.SecuritySTARTTLS:
		b.WriteString(" with STARTTLS")
	default:
		b.WriteString(" without encryption")
	}
	if s.Discouraged {
		b.WriteString(", discouraged")
	}
	return b.String()
}

// fqdn makes a host name fully qualified.
func fqdn(host string) string {
	if strings.HasSuffix(host, ".") {
		return host
	}
	return host + "."
}

// ZoneFile renders records as a BIND zone-file fragment for domain (ASCII):
// the records to add to the domain's zone, which keeps its own SOA and NS.
func ZoneFile(domain string, records []Record) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "; Records to publish in the zone of %s (generated by mailautoconf dns).\n", domain)
	fmt.Fprintf(&buf, "; Add them to the zone; its SOA and NS records stay as they are.\n")
	fmt.Fprintf(&buf, "$ORIGIN %s\n$TTL %d\n", fqdn(domain), TTL)
	tw := tabwriter.NewWriter(&buf, 0, 8, 1, ' ', 0)
	for _, r := range records {
		fmt.Fprintf(tw, "%s\t%d\tIN\t%s\t%s\t; %s\n", r.Name, r.TTL, r.Type, r.Value, r.Purpose)
	}
	tw.Flush()
	return buf.Bytes()
}
