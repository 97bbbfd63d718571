package autoconfig

import (
	"fmt"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The file format. Every scalar is a pos[T] so that validation can name the
// line of the value it rejects; keys unknown to these structs are rejected
// by the decoder (KnownFields).
type rawConfig struct {
	CatchAll    pos[string]   `yaml:"catch_all"`
	ServiceHost pos[string]   `yaml:"service_host"`
	Providers   []rawProvider `yaml:"providers"`
	Site        rawSite       `yaml:"site"`
}

type rawProvider struct {
	Line         int             `yaml:"-"`
	ID           pos[string]     `yaml:"id"`
	DisplayName  pos[string]     `yaml:"display_name"`
	ShortName    pos[string]     `yaml:"short_name"`
	Domains      []pos[string]   `yaml:"domains"`
	Incoming     []rawServer     `yaml:"incoming"`
	Outgoing     []rawServer     `yaml:"outgoing"`
	CalDAV       pos[string]     `yaml:"caldav_url"`
	CardDAV      pos[string]     `yaml:"carddav_url"`
	Webmail      pos[string]     `yaml:"webmail_url"`
	Help         pos[string]     `yaml:"help_url"`
	MX           []rawMX         `yaml:"mx"`
	SPF          pos[string]     `yaml:"spf"`
	Autodiscover rawAutodiscover `yaml:"autodiscover"`
	Apple        rawApple        `yaml:"apple"`
	Accept       rawAccept       `yaml:"accept"`
	Passwords    rawPasswords    `yaml:"passwords"`
	Support      rawSupport      `yaml:"support"`
	Texts        rawTexts        `yaml:"texts"`
	Apps         []rawApp        `yaml:"apps"`
	Login        rawLogin        `yaml:"login"`
}

// rawLogin is how the provider's servers read login names.
type rawLogin struct {
	UnicodeDomain          pos[bool] `yaml:"unicode_domain"`
	CaseSensitiveLocalPart pos[bool] `yaml:"case_sensitive_local_part"`
}

type rawServer struct {
	Line        int         `yaml:"-"`
	Protocol    pos[string] `yaml:"protocol"`
	Host        pos[string] `yaml:"host"`
	Port        pos[int]    `yaml:"port"`
	Security    pos[string] `yaml:"security"`
	Auth        pos[string] `yaml:"authentication"`
	Username    pos[string] `yaml:"username"`
	Discouraged pos[bool]   `yaml:"discouraged"`
}

type rawMX struct {
	Host     pos[string] `yaml:"host"`
	Priority pos[int]    `yaml:"priority"`
}

type rawAutodiscover struct {
	POP3 pos[bool] `yaml:"pop3"`
}

// rawAccept is how a provider accepts domains it does not list.
type rawAccept struct {
	MX []pos[string] `yaml:"mx"`
}

type rawApple struct {
	SMTPPort pos[int] `yaml:"smtp_port"`
}

// pos is a scalar with the line it was read from.
type pos[T any] struct {
	Value T
	Line  int
	Set   bool
}

func (p *pos[T]) UnmarshalYAML(n *yaml.Node) error {
	p.Line, p.Set = n.Line, true
	return n.Decode(&p.Value)
}

// recordLines sets the line where each provider and server mapping starts,
// so that a missing field can be reported there. It walks the node tree
// because the strict decoder keeps no positions of mappings.
func recordLines(root *yaml.Node, raw *rawConfig) {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	providers := mappingValue(doc, "providers")
	if providers == nil {
		return
	}
	for i, pn := range providers.Content {
		if i >= len(raw.Providers) {
			return
		}
		rp := &raw.Providers[i]
		rp.Line = pn.Line
		for _, list := range []struct {
			key     string
			servers []rawServer
		}{{"incoming", rp.Incoming}, {"outgoing", rp.Outgoing}} {
			if sn := mappingValue(pn, list.key); sn != nil {
				for j, n := range sn.Content {
					if j < len(list.servers) {
						list.servers[j].Line = n.Line
					}
				}
			}
		}
	}
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// validator collects every problem of a file instead of stopping at the
// first, so that an operator fixes a file in one pass.
type validator struct {
	file     string
	errs     ConfigErrors
	warnings ConfigErrors
}

func (v *validator) add(line int, field, format string, args ...any) {
	v.errs = append(v.errs, ConfigError{File: v.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// warn records what works but what some clients refuse.
func (v *validator) warn(line int, field, msg string) {
	v.warnings = append(v.warnings, ConfigError{File: v.file, Line: line, Field: field, Msg: msg})
}

// plainRefused is the warning of an IMAP or SMTP server without TLS.
// Thunderbird for Android rejects a whole autoconfig document when any
// IMAP or SMTP server has a socketType other than SSL or STARTTLS (its
// autoconfig parser), so none of its users gets settings from this
// provider; Thunderbird desktop sets such a server up only after the user
// confirms an insecure-connection warning.
const plainRefused = "security: none sends passwords in clear text: Thunderbird for Android refuses this provider's whole autoconfig document (none of its users gets settings), and Thunderbird desktop makes the user accept a security warning"

func (v *validator) config(raw *rawConfig) *Config {
	cfg := &Config{
		Source:   v.file,
		exact:    make(map[string]*Provider),
		wildcard: make(map[string]*Provider),
		acceptMX: make(map[string]*Provider),
	}
	if len(raw.Providers) == 0 {
		v.add(0, "providers", "at least one provider is required")
	}
	ids := make(map[string]int)
	claimed := make(map[string]claim)
	acceptedMX := make(map[string]claim)
	for i := range raw.Providers {
		rp := &raw.Providers[i]
		path := fmt.Sprintf("providers[%d]", i)
		p := v.provider(rp, path)
		if line, dup := ids[p.ID]; dup && p.ID != "" {
			v.add(rp.ID.Line, path+".id", "provider id %q is already used at line %d", p.ID, line)
		}
		ids[p.ID] = rp.ID.Line
		v.domains(cfg, p, rp, path, claimed)
		v.acceptMX(cfg, p, rp, path, acceptedMX)
		cfg.Providers = append(cfg.Providers, p)
	}
	v.serviceHost(cfg, raw.ServiceHost)
	v.site(cfg, raw.Site)
	if raw.CatchAll.Set {
		for _, p := range cfg.Providers {
			if p.ID == raw.CatchAll.Value {
				cfg.CatchAll = p
			}
		}
		if cfg.CatchAll == nil {
			v.add(raw.CatchAll.Line, "catch_all", "no provider has the id %q", raw.CatchAll.Value)
		}
		// The catch-all answers before any MX lookup, so accept.mx would
		// never be consulted: say so instead of ignoring it.
		if len(cfg.acceptMX) > 0 {
			v.add(raw.CatchAll.Line, "catch_all", "cannot be combined with accept.mx: the catch-all would answer every domain before the MX is looked up")
		}
	}
	for i, p := range cfg.Providers {
		if len(raw.Providers[i].Domains) == 0 && len(p.AcceptMX) == 0 && p != cfg.CatchAll {
			v.add(raw.Providers[i].Line, fmt.Sprintf("providers[%d].domains", i), "the provider serves no domain: list its domains, set accept.mx or name it in catch_all")
		}
	}
	return cfg
}

type claim struct {
	provider string
	line     int
}

func (v *validator) provider(rp *rawProvider, path string) *Provider {
	p := &Provider{
		ID:               strings.ToLower(strings.TrimSpace(rp.ID.Value)),
		DisplayName:      strings.TrimSpace(rp.DisplayName.Value),
		ShortName:        strings.TrimSpace(rp.ShortName.Value),
		SPF:              strings.TrimSpace(rp.SPF.Value),
		AutodiscoverPOP3: rp.Autodiscover.POP3.Value,
		AppleSMTPPort:    rp.Apple.SMTPPort.Value,
		Login: LoginRules{
			UnicodeDomain:          rp.Login.UnicodeDomain.Value,
			CaseSensitiveLocalPart: rp.Login.CaseSensitiveLocalPart.Value,
		},
	}
	switch {
	case !rp.ID.Set || p.ID == "":
		v.add(rp.Line, path+".id", "is required")
	case !isASCIIHostName(p.ID):
		v.add(rp.ID.Line, path+".id", "must look like a host name in ASCII, e.g. example.com")
	}
	if p.DisplayName == "" {
		v.add(rp.Line, path+".display_name", "is required")
	} else if n := len([]rune(p.DisplayName)); n > 60 {
		// The autoconfig draft's limit for displayName.
		v.add(rp.DisplayName.Line, path+".display_name", "must be at most 60 characters (it is %d)", n)
	}
	if p.ShortName == "" {
		p.ShortName = p.DisplayName
	}
	// Thunderbird ignores a displayShortName longer than 20 characters.
	if n := len([]rune(p.ShortName)); n > 20 {
		line := rp.ShortName.Line
		if line == 0 {
			line = rp.DisplayName.Line
		}
		v.add(line, path+".short_name", "must be at most 20 characters (it is %d); set short_name", n)
	}
	p.Incoming = v.servers(rp.Incoming, rp.Line, path+".incoming", []Protocol{IMAP, POP3})
	p.Outgoing = v.servers(rp.Outgoing, rp.Line, path+".outgoing", []Protocol{SMTP})
	p.CalDAVURL = v.davURL(rp.CalDAV, path+".caldav_url")
	p.CardDAVURL = v.davURL(rp.CardDAV, path+".carddav_url")
	p.WebmailURL = v.url(rp.Webmail, path+".webmail_url")
	p.HelpURL = v.url(rp.Help, path+".help_url")
	v.policy(p, rp, path)
	for j, mx := range rp.MX {
		f := fmt.Sprintf("%s.mx[%d]", path, j)
		host, err := NormalizeHost(mx.Host.Value)
		if err != nil {
			v.add(mx.Host.Line, f+".host", "%v", err)
		}
		if mx.Priority.Value < 0 || mx.Priority.Value > 65535 {
			v.add(mx.Priority.Line, f+".priority", "must be between 0 and 65535")
		}
		p.MX = append(p.MX, MXHost{Host: host, Priority: mx.Priority.Value})
	}
	if p.SPF != "" && !strings.HasPrefix(p.SPF, "v=spf1") {
		v.add(rp.SPF.Line, path+".spf", `must start with "v=spf1"`)
	}
	if rp.Apple.SMTPPort.Set && !hasServer(p.Outgoing, SMTP, p.AppleSMTPPort) {
		v.add(rp.Apple.SMTPPort.Line, path+".apple.smtp_port", "no outgoing SMTP server uses port %d", p.AppleSMTPPort)
	}
	if p.AutodiscoverPOP3 && !hasServer(p.Incoming, POP3, 0) {
		v.add(rp.Autodiscover.POP3.Line, path+".autodiscover.pop3", "the provider has no POP3 server")
	}
	if len(p.Incoming) > 0 && len(p.Outgoing) > 0 {
		p.settings = Decide(p)
	}
	return p
}

// hasServer reports whether servers has one of protocol proto on port
// (any port when port is 0).
func hasServer(servers []Server, proto Protocol, port int) bool {
	for _, s := range servers {
		if s.Protocol == proto && (port == 0 || s.Port == port) {
			return true
		}
	}
	return false
}

func (v *validator) servers(raws []rawServer, parentLine int, path string, allowed []Protocol) []Server {
	if len(raws) == 0 {
		what := "an IMAP or POP3"
		if allowed[0] == SMTP {
			what = "an SMTP"
		}
		v.add(parentLine, path, "at least %s server is required", what)
		return nil
	}
	out := make([]Server, 0, len(raws))
	for j := range raws {
		out = append(out, v.server(&raws[j], fmt.Sprintf("%s[%d]", path, j), allowed))
	}
	return out
}

func (v *validator) server(rs *rawServer, path string, allowed []Protocol) Server {
	s := Server{
		Protocol:    Protocol(strings.ToLower(rs.Protocol.Value)),
		Port:        rs.Port.Value,
		Security:    Security(strings.ToLower(rs.Security.Value)),
		Auth:        Auth(strings.ToLower(rs.Auth.Value)),
		Username:    rs.Username.Value,
		Discouraged: rs.Discouraged.Value,
	}
	if !rs.Protocol.Set {
		v.add(rs.Line, path+".protocol", "is required")
	} else if !containsProtocol(allowed, s.Protocol) {
		v.add(rs.Protocol.Line, path+".protocol", "must be %s", joinProtocols(allowed))
	}
	host, err := NormalizeHost(rs.Host.Value)
	switch {
	case !rs.Host.Set:
		v.add(rs.Line, path+".host", "is required")
	case err != nil:
		v.add(rs.Host.Line, path+".host", "%v", err)
	}
	s.Host = host
	switch {
	case !rs.Port.Set:
		v.add(rs.Line, path+".port", "is required")
	case s.Port < 1 || s.Port > 65535:
		v.add(rs.Port.Line, path+".port", "must be between 1 and 65535 (it is %d)", s.Port)
	}
	switch s.Security {
	case SecurityTLS, SecuritySTARTTLS:
	case SecurityNone:
		if s.Protocol == IMAP || s.Protocol == SMTP {
			v.warn(rs.Security.Line, path+".security", plainRefused)
		}
	case "":
		v.add(rs.Line, path+".security", "is required: tls, starttls or none")
	default:
		v.add(rs.Security.Line, path+".security", "must be tls (implicit TLS), starttls or none")
	}
	switch s.Auth {
	case "":
		s.Auth = AuthPassword
	case AuthPassword:
	case AuthOAuth2:
		v.add(rs.Auth.Line, path+".authentication", "oauth2 is not supported yet: use password")
	default:
		v.add(rs.Auth.Line, path+".authentication", "must be password")
	}
	if s.Username == "" {
		s.Username = PlaceholderAddress
	} else if msg := checkUsernameTemplate(s.Username); msg != "" {
		v.add(rs.Username.Line, path+".username", "%s", msg)
	}
	return s
}

func (v *validator) url(p pos[string], field string) string {
	s := strings.TrimSpace(p.Value)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.add(p.Line, field, "must be an absolute http or https URL")
		return ""
	}
	return u.String()
}

// davURL is url for CalDAV and CardDAV, which must also have a valid host
// and port: Apple profiles carry them apart.
func (v *validator) davURL(p pos[string], field string) string {
	s := v.url(p, field)
	if s == "" {
		return ""
	}
	if _, err := ParseDAVURL(s); err != nil {
		v.add(p.Line, field, "%v", err)
		return ""
	}
	return s
}

// domains indexes the provider's domains and rejects a domain that another
// provider (or this one) already claims.
func (v *validator) domains(cfg *Config, p *Provider, rp *rawProvider, path string, claimed map[string]claim) {
	for j, d := range rp.Domains {
		field := fmt.Sprintf("%s.domains[%d]", path, j)
		name := strings.TrimSpace(d.Value)
		suffix, isWildcard := strings.CutPrefix(name, "*.")
		if !isWildcard {
			suffix = name
		}
		ascii, err := NormalizeDomain(suffix)
		if err != nil {
			v.add(d.Line, field, "%q is not a domain name or *.domain wildcard", name)
			continue
		}
		key, index := ascii, cfg.exact
		if isWildcard {
			key, index = "*."+ascii, cfg.wildcard
		}
		if prev, dup := claimed[key]; dup {
			v.add(d.Line, field, "%s is already claimed by provider %q at line %d", key, prev.provider, prev.line)
			continue
		}
		claimed[key] = claim{provider: p.ID, line: d.Line}
		index[ascii] = p
		p.Domains = append(p.Domains, key)
	}
}

// acceptMX indexes the MX hosts whose domains the provider accepts; an MX
// host may belong to one provider only, or the answer would depend on order.
func (v *validator) acceptMX(cfg *Config, p *Provider, rp *rawProvider, path string, accepted map[string]claim) {
	for j, h := range rp.Accept.MX {
		field := fmt.Sprintf("%s.accept.mx[%d]", path, j)
		host, err := NormalizeHost(strings.TrimSuffix(strings.TrimSpace(h.Value), "."))
		if err != nil {
			v.add(h.Line, field, "%v", err)
			continue
		}
		if prev, dup := accepted[host]; dup {
			v.add(h.Line, field, "%s is already accepted by provider %q at line %d", host, prev.provider, prev.line)
			continue
		}
		accepted[host] = claim{provider: p.ID, line: h.Line}
		cfg.acceptMX[host] = p
		p.AcceptMX = append(p.AcceptMX, host)
	}
}

// serviceHost validates the host name that customer domains point their
// autoconfig, autodiscover and ua-auto-config CNAMEs at.
func (v *validator) serviceHost(cfg *Config, raw pos[string]) {
	if !raw.Set {
		return
	}
	host, err := NormalizeHost(strings.TrimSuffix(strings.TrimSpace(raw.Value), "."))
	if err != nil {
		v.add(raw.Line, "service_host", "%v", err)
		return
	}
	cfg.ServiceHost = host
}

// NormalizeHost validates a server host name and returns it in ASCII.
func NormalizeHost(host string) (string, error) {
	host = strings.TrimSpace(host)
	if host == "" {
		return "", fmt.Errorf("host is empty")
	}
	ascii, err := NormalizeDomain(host)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid host name", host)
	}
	return ascii, nil
}

func isASCIIHostName(s string) bool {
	ascii, err := NormalizeDomain(s)
	return err == nil && ascii == s
}

func checkUsernameTemplate(t string) string {
	rest := t
	for _, ph := range []string{PlaceholderAddress, PlaceholderLocalPart, PlaceholderDomain} {
		rest = strings.ReplaceAll(rest, ph, "")
	}
	if strings.Contains(rest, "%") {
		return "unknown placeholder: use %EMAILADDRESS%, %EMAILLOCALPART% or %EMAILDOMAIN%"
	}
	for _, r := range rest {
		if r < 0x20 || r == 0x7f {
			return "contains a control character"
		}
	}
	return ""
}

func containsProtocol(list []Protocol, p Protocol) bool {
	for _, q := range list {
		if q == p {
			return true
		}
	}
	return false
}

func joinProtocols(list []Protocol) string {
	s := make([]string, len(list))
	for i, p := range list {
		s[i] = string(p)
	}
	return strings.Join(s, " or ")
}
