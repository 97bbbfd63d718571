package dnsrecords

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
)

// Domain Connect (github.com/Domain-Connect/spec, "Domain Connect Spec
// Draft"): a DNS host that supports it applies a provider's template to a
// customer's domain in one click, instead of the customer copying the
// records ForDomain lists. The template holds the same records, relative to
// the domain the customer applies it to ("@" is the domain itself); what
// changes without the template changing is a variable. Templates are
// onboarded by each DNS host from the public repository
// (github.com/Domain-Connect/Templates), so a template is rarely replaced:
// anything that changes with the provider's settings must be a variable.
//
// Only the PACC digest is one (%paccdigest%): it changes with every change
// of the provider's settings, while host names are the provider's, the
// same for every domain (the model has no per-domain host), and a new host
// needs a new template version anyway (the spec advises variables "as small
// as possible a portion" of a record, since a crafted apply link can set
// them).

// Template is a Domain Connect service template (the spec's "Template
// Definition"; its JSON schema is template.schema in the spec repository).
type Template struct {
	ProviderID          string           `json:"providerId"`
	ProviderName        string           `json:"providerName"`
	ServiceID           string           `json:"serviceId"`
	ServiceName         string           `json:"serviceName"`
	Version             int              `json:"version"`
	Description         string           `json:"description"`
	VariableDescription string           `json:"variableDescription,omitempty"`
	SyncBlock           bool             `json:"syncBlock"`
	HostRequired        bool             `json:"hostRequired"`
	Records             []TemplateRecord `json:"records"`
}

// TemplateRecord is one record of a template. Host (Name for SRV) is
// relative to the domain the template is applied to; PointsTo, Target and
// Data are absolute.
type TemplateRecord struct {
	GroupID string `json:"groupId"`
	Type    string `json:"type"` // MX, SPFM, CNAME, SRV or TXT
	Host    string `json:"host,omitempty"`
	// SRV records: _service._protocol.name.
	Service  string `json:"service,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	Name     string `json:"name,omitempty"`
	PointsTo string `json:"pointsTo,omitempty"` // MX, CNAME
	Target   string `json:"target,omitempty"`   // SRV; "." is "not offered" (RFC 2782)
	Data     string `json:"data,omitempty"`     // TXT
	SPFRules string `json:"spfRules,omitempty"` // SPFM
	TTL      int    `json:"ttl,omitempty"`      // all but SPFM
	// Priority, Weight and Port are required where they apply, 0 included.
	Priority *int `json:"priority,omitempty"`
	Weight   *int `json:"weight,omitempty"`
	Port     *int `json:"port,omitempty"`
	// Essential "OnApply": the customer may remove the record later without
	// the DNS host dropping the whole template.
	Essential                 string `json:"essential,omitempty"`
	TxtConflictMatchingMode   string `json:"txtConflictMatchingMode,omitempty"`
	TxtConflictMatchingPrefix string `json:"txtConflictMatchingPrefix,omitempty"`
}

// Template groups: a customer (or an apply link's groupId=) can apply the
// client-setup groups alone, without touching the domain's MX and SPF.
const (
	GroupMX         = "mx"         // MX records
	GroupSPF        = "spf"        // the SPF rules, merged by the DNS host
	GroupAutoconfig = "autoconfig" // autoconfig/autodiscover CNAMEs, _autodiscover._tcp SRV
	GroupSRV        = "srv"        // RFC 6186/8314 mail SRV, RFC 6764 DAV SRV and path TXT
	GroupPACC       = "pacc"       // ua-auto-config CNAME and the digest TXT
)

// ClientSetupGroups set up mail clients and leave mail delivery alone.
var ClientSetupGroups = []string{GroupAutoconfig, GroupSRV, GroupPACC}

// ServiceID is the template's serviceId: the repository names templates
// providerId.serviceId.json.
const ServiceID = "email-setup"

// VarPACCDigest is the variable of the PACC digest: the base64 SHA-256
// after "d=" in the TXT record.
const VarPACCDigest = "paccdigest"

// PACCDigestPrefix starts every PACC digest record. The template's TXT
// record conflicts with any TXT that starts with it, so applying the
// template again replaces the old digest instead of adding one.
const PACCDigestPrefix = "v=UAAC1"

// templateDomain is the domain the template's records are made for and
// then made relative to: reserved (RFC 2606), so that no record of a
// provider can point into it.
const templateDomain = "domainconnect.invalid"

// DomainConnect returns the Domain Connect template of provider p, with
// serviceHost the host this service answers on (its records are left out
// when it is empty, as in ForDomain).
func DomainConnect(p *autoconfig.Provider, serviceHost string) (Template, error) {
	t := Template{
		ProviderID:   p.ID,
		ProviderName: p.DisplayName,
		ServiceID:    ServiceID,
		ServiceName:  "Email and email client setup",
		Version:      1,
		Description: "Sends the domain's mail to " + p.DisplayName + " (MX, SPF) and lets mail, calendar and contacts apps " +
			"set themselves up (autoconfig, Autodiscover, RFC 6186 and RFC 6764 SRV records, PACC). " +
			"Apply the groups autoconfig, srv and pacc alone to leave MX and SPF as they are.",
	}
	apex := fqdn(templateDomain)
	for _, r := range ForDomain(autoconfig.NewDomain(p, templateDomain), serviceHost) {
		tr, err := templateRecord(p, r, apex)
		if err != nil {
			return Template{}, err
		}
		if tr.Data != "" && strings.Contains(tr.Data, "%"+VarPACCDigest+"%") {
			t.VariableDescription = "%" + VarPACCDigest + "%: the PACC digest, the base64 SHA-256 after d= that `mailautoconf dns DOMAIN` prints in the _ua-auto-config TXT record; it changes when the provider's settings change."
		}
		t.Records = append(t.Records, tr)
	}
	return t, nil
}

// templateRecord makes one of ForDomain's records relative to apex.
func templateRecord(p *autoconfig.Provider, r Record, apex string) (TemplateRecord, error) {
	host, err := relative(r.Name, apex)
	if err != nil {
		return TemplateRecord{}, err
	}
	tr := TemplateRecord{Type: r.Type, Host: host, TTL: r.TTL, GroupID: groupOf(r, host)}
	switch r.Type {
	case "MX":
		tr.PointsTo, tr.Priority = strings.TrimSuffix(r.Target, "."), intp(r.Priority)
	case "CNAME":
		tr.PointsTo = strings.TrimSuffix(r.Target, ".")
	case "SRV":
		service, rest, _ := strings.Cut(host, ".")
		protocol, name, _ := strings.Cut(rest, ".")
		if name == "" {
			name = "@"
		}
		tr.Host, tr.Service, tr.Protocol, tr.Name = "", service, protocol, name
		tr.Target = r.Target
		if r.Target != "." {
			tr.Target = strings.TrimSuffix(r.Target, ".")
		} else {
			// Some DNS hosts may refuse a "." target; the customer may then
			// drop the record and keep the template.
			tr.Essential = "OnApply"
		}
		tr.Priority, tr.Weight, tr.Port = intp(r.Priority), intp(r.Weight), intp(r.Port)
	case "TXT":
		switch tr.GroupID {
		case GroupSPF:
			// SPF is never a TXT in a template: the DNS host merges every
			// template's SPFM rules with the domain's own (spec, "SPF
			// Record Merging").
			tr.Type, tr.TTL, tr.SPFRules = "SPFM", 0, spfRules(p.SPF)
		case GroupPACC:
			prefix, _, _ := strings.Cut(r.Text, "d=")
			tr.Data = prefix + "d=%" + VarPACCDigest + "%"
			tr.TxtConflictMatchingMode, tr.TxtConflictMatchingPrefix = "Prefix", PACCDigestPrefix
		default:
			// One context path per name (RFC 6764 §4): it replaces any TXT.
			tr.Data, tr.TxtConflictMatchingMode = r.Text, "All"
		}
	default:
		return TemplateRecord{}, fmt.Errorf("no Domain Connect form for a %s record", r.Type)
	}
	return tr, nil
}

// groupOf is the template group of one of ForDomain's records.
func groupOf(r Record, host string) string {
	switch {
	case r.Type == "MX":
		return GroupMX
	case r.Type == "TXT" && host == "@":
		return GroupSPF
	case host == pacc.Label || host+"." == pacc.Prefix:
		return GroupPACC
	case r.Type == "CNAME" || strings.HasPrefix(host, "_autodiscover."):
		return GroupAutoconfig
	}
	return GroupSRV
}

// spfRules are an SPF record's terms between "v=spf1" and the final "all"
// term, whose qualifier the DNS host chooses when it merges (the spec
// advises "~all").
func spfRules(spf string) string {
	terms := strings.Fields(spf)
	if len(terms) > 0 && strings.EqualFold(terms[0], "v=spf1") {
		terms = terms[1:]
	}
	if n := len(terms); n > 0 && strings.TrimLeft(strings.ToLower(terms[n-1]), "+-~?") == "all" {
		terms = terms[:n-1]
	}
	return strings.Join(terms, " ")
}

// relative makes a fully qualified name relative to apex: "@" for apex.
func relative(name, apex string) (string, error) {
	if name == apex {
		return "@", nil
	}
	if host, ok := strings.CutSuffix(name, "."+apex); ok {
		return host, nil
	}
	return "", fmt.Errorf("record %s is not in %s", name, apex)
}

func intp(n int) *int { return &n }

// Variables are the values of the template's variables for domain d: the
// digest of its PACC document, when it has one.
func Variables(d autoconfig.Domain) map[string]string {
	vars := map[string]string{}
	if doc, err := pacc.Render(d); err == nil {
		vars[VarPACCDigest] = pacc.Digest(doc)
	}
	return vars
}

// SPFMergedAll is the "all" term a DNS host ends a merged SPF record with,
// as the spec advises; Apply writes it.
const SPFMergedAll = "~all"

// Apply applies t to domain (ASCII) as a DNS host does (no host, so "@" is
// the domain), with the values of its variables, and returns the records
// it writes into an empty zone. With groups, only the records of those
// groups are applied. It is the reader of DomainConnect: the records are
// what ForDomain lists, but for the SPF record, whose "all" term is the
// DNS host's (SPFMergedAll), and their purposes.
func Apply(t Template, domain string, vars map[string]string, groups ...string) ([]Record, error) {
	apex := fqdn(domain)
	subst := func(s string) (string, error) {
		for {
			start := strings.Index(s, "%")
			if start < 0 {
				return s, nil
			}
			end := strings.Index(s[start+1:], "%")
			if end < 0 {
				return "", fmt.Errorf("unterminated variable in %q", s)
			}
			name := s[start+1 : start+1+end]
			val, ok := vars[name]
			switch name {
			case "domain", "fqdn":
				val, ok = domain, true
			case "host":
				val, ok = "", true
			}
			if !ok {
				return "", fmt.Errorf("no value for the variable %%%s%%", name)
			}
			s = s[:start] + val + s[start+2+end:]
		}
	}
	var out []Record
	for _, tr := range t.Records {
		if len(groups) > 0 && !slices.Contains(groups, tr.GroupID) {
			continue
		}
		r, err := applyRecord(tr, apex, domain, subst)
		if err != nil {
			return nil, fmt.Errorf("%s record %s%s: %w", tr.Type, tr.Host, tr.Name, err)
		}
		r.Value = r.RDATA()
		out = append(out, r)
	}
	return out, nil
}

func applyRecord(tr TemplateRecord, apex, domain string, subst func(string) (string, error)) (Record, error) {
	owner := func(host string) string {
		if host == "@" || host == "" {
			return apex
		}
		return host + "." + apex
	}
	absolute := func(s string) (string, error) {
		s, err := subst(s)
		switch {
		case err != nil:
			return "", err
		case s == "@":
			return fqdn(domain), nil
		case s == ".":
			return s, nil
		}
		return fqdn(s), nil
	}
	deref := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	r := Record{Type: tr.Type, TTL: tr.TTL, Priority: deref(tr.Priority)}
	var err error
	switch tr.Type {
	case "MX", "CNAME":
		r.Name = owner(tr.Host)
		r.Target, err = absolute(tr.PointsTo)
	case "SRV":
		r.Name = tr.Service + "." + tr.Protocol + "." + owner(tr.Name)
		r.Weight, r.Port = deref(tr.Weight), deref(tr.Port)
		r.Target, err = absolute(tr.Target)
	case "TXT":
		r.Name = owner(tr.Host)
		r.Text, err = subst(tr.Data)
	case "SPFM":
		// Merged into an empty zone: the template's rules alone.
		r.Name, r.Type, r.TTL = owner(tr.Host), "TXT", TTL
		r.Text = "v=spf1 " + tr.SPFRules + " " + SPFMergedAll
	default:
		err = fmt.Errorf("unknown record type")
	}
	return r, err
}
