package autoconfig

import (
	"errors"
	"fmt"
	"strings"
)

// Protocol is a mail access or submission protocol.
type Protocol string

const (
	IMAP Protocol = "imap"
	POP3 Protocol = "pop3"
	SMTP Protocol = "smtp"
)

// Security is how a connection is protected.
type Security string

const (
	// SecurityTLS is implicit TLS: TLS from the first byte (993, 995, 465).
	SecurityTLS Security = "tls"
	// SecuritySTARTTLS is a plain connection upgraded with STARTTLS (587).
	SecuritySTARTTLS Security = "starttls"
	// SecurityNone is no encryption at all.
	SecurityNone Security = "none"
)

// Auth is how a client authenticates to a server.
type Auth string

const (
	// AuthPassword is a password sent over the (encrypted) connection:
	// SASL PLAIN or LOGIN.
	AuthPassword Auth = "password"
	// AuthOAuth2 is reserved for providers that offer OAuth2; every client
	// format needs a password method after it, so it is never the only one.
	AuthOAuth2 Auth = "oauth2"
)

// Username placeholders, as Thunderbird defines them. A Domain keeps the
// first two (the client fills them in); an Account has all three expanded.
const (
	PlaceholderAddress   = "%EMAILADDRESS%"
	PlaceholderLocalPart = "%EMAILLOCALPART%"
	PlaceholderDomain    = "%EMAILDOMAIN%"
)

// Server is one server a client connects to.
type Server struct {
	Protocol Protocol
	Host     string // ASCII (punycode)
	Port     int
	Security Security
	Auth     Auth
	// Username is the login name: in a Provider, a template made of literal
	// text and the placeholders above (default: the full address); in a
	// Domain, the same with %EMAILDOMAIN% expanded; in an Account, the login
	// itself.
	Username string
	// Discouraged servers are offered only where a format can say so, or
	// where a provider asks for them (POP3: no server-side copy of folders).
	Discouraged bool
}

// MXHost is one MX record a customer domain publishes.
type MXHost struct {
	Host     string
	Priority int
}

// Provider is a mail provider and everything clients need to know of it,
// as the configuration file says it. Formats never read its server lists:
// they read the decisions of a Domain or an Account (see Decide).
type Provider struct {
	ID          string // ASCII host-name-like id, e.g. infomaniak.com
	DisplayName string
	ShortName   string
	// Domains are exact domain names (ASCII) and "*.suffix" wildcards.
	Domains []string
	// Incoming (IMAP, POP3) and Outgoing (SMTP) servers as configured, in
	// the provider's order of preference.
	Incoming []Server
	Outgoing []Server

	CalDAVURL  string
	CardDAVURL string
	WebmailURL string
	HelpURL    string
	MX         []MXHost
	SPF        string
	// AcceptMX are MX hosts (ASCII, no trailing dot): the provider serves
	// any unlisted domain whose MX points at one of them, as a hosting
	// provider cannot list hundreds of thousands of customer domains.
	AcceptMX []string

	// AutodiscoverPOP3 makes the Autodiscover response list POP3 after
	// IMAP. Off by default: Outlook has no fallback list, only one
	// Protocol per type, and POP3 is discouraged.
	AutodiscoverPOP3 bool
	// Passwords, Support, Texts and Apps are the provider's policy and its
	// own words, shown by the wizard and the Apple profile.
	Passwords Passwords
	Support   Support
	Texts     ProviderTexts
	Apps      []App

	// AppleSMTPPort chooses the one SMTP server an Apple profile can hold;
	// 0: the preferred SMTP server.
	AppleSMTPPort int
	// Login says how login names are written.
	Login LoginRules

	// settings are the provider's decisions, made once at load (Decide).
	settings Settings
}

// decisions are p's Settings: made at load for a configured provider, or
// now for one built in code.
func (p *Provider) decisions() Settings {
	if p.settings.Incoming == nil {
		return Decide(p)
	}
	return p.settings
}

// LoginRules say how a provider's servers read login names.
type LoginRules struct {
	// UnicodeDomain writes the domain of logins in Unicode (bücher.ch).
	// Off by default: logins carry the ASCII form (xn--bcher-kva.ch),
	// because Thunderbird's reader accepts only that form and IMAP/SMTP
	// logins are ASCII unless the server announces UTF-8 support
	// (RFC 6855 UTF8=ACCEPT, RFC 6531 SMTPUTF8).
	UnicodeDomain bool
	// CaseSensitiveLocalPart keeps the local part as typed. Off by default:
	// mail systems treat Jane.Doe and jane.doe as one mailbox, so both get
	// one login and one Apple profile identity.
	CaseSensitiveLocalPart bool
}

// Settings are the decisions every client format needs, in the one place
// they are made. Servers come preferred first.
type Settings struct {
	// Incoming lists every incoming server, the preferred one first:
	// servers that are not discouraged before discouraged ones, IMAP before
	// POP3, then the configured order. Thunderbird makes the first its
	// default and offers the others; formats with one incoming server use
	// the first.
	Incoming []Server
	// Outgoing lists every SMTP server, the preferred one first, then its
	// fallbacks (587 STARTTLS before 465 implicit TLS for the reference
	// provider) in the configured order, discouraged ones last.
	Outgoing []Server
	// Apple is the one SMTP server an Apple profile holds (it has no
	// fallback list): apple.smtp_port's server, or the preferred one.
	Apple Server
	// AppleOutgoing is Outgoing as a page about an Apple profile shows it:
	// Apple first, as the profile installs it, then the others in their
	// order, which a user sets by hand when Apple's is blocked.
	AppleOutgoing []Server
	// POP3Alternative is the POP3 server offered beside IMAP (folded, as
	// discouraged), the first POP3 server; the zero Server when there is
	// none or when the preferred incoming server is POP3 itself.
	POP3Alternative Server
	// Autodiscover is the Protocol list of an Outlook Autodiscover answer:
	// one server per type, because Outlook has no fallback list. The
	// preferred incoming server; POP3 after IMAP only when the provider
	// enables it; the preferred SMTP server.
	Autodiscover []Server
	// CalDAV and CardDAV are the provider's calendar and contacts servers
	// (not Offered when it has none), logged in to with the full address.
	CalDAV, CardDAV DAVEndpoint
}

// PreferredIncoming is the incoming server every client uses by default.
func (s Settings) PreferredIncoming() Server { return s.Incoming[0] }

// PreferredOutgoing is the SMTP server every client uses by default.
func (s Settings) PreferredOutgoing() Server { return s.Outgoing[0] }

// IncomingAlternatives are the incoming servers after the preferred one.
func (s Settings) IncomingAlternatives() []Server { return s.Incoming[1:] }

// OutgoingFallbacks are the SMTP servers after the preferred one.
func (s Settings) OutgoingFallbacks() []Server { return s.Outgoing[1:] }

// HasPOP3Alternative reports whether POP3 is offered beside IMAP.
func (s Settings) HasPOP3Alternative() bool { return s.POP3Alternative.Protocol == POP3 }

// First returns the first server of protocol proto among the incoming
// servers, in the order of preference.
func (s Settings) First(proto Protocol) (Server, bool) {
	for _, srv := range s.Incoming {
		if srv.Protocol == proto {
			return srv, true
		}
	}
	return Server{}, false
}

// Decide makes a provider's decisions: which server is preferred, which are
// alternatives, what Outlook and Apple get. It is the only function that
// orders or chooses servers; the configuration calls it once at load, and
// Domain and Account only fill in login names.
func Decide(p *Provider) Settings {
	var s Settings
	s.Incoming = preferenceOrder(p.Incoming, func(srv Server) int {
		rank := 0
		if srv.Discouraged {
			rank += 2
		}
		if srv.Protocol == POP3 {
			rank++
		}
		return rank
	})
	s.Outgoing = preferenceOrder(p.Outgoing, func(srv Server) int {
		if srv.Discouraged {
			return 1
		}
		return 0
	})
	s.Apple = s.Outgoing[0]
	for _, srv := range s.Outgoing {
		if p.AppleSMTPPort != 0 && srv.Port == p.AppleSMTPPort {
			s.Apple = srv
			break
		}
	}
	s.AppleOutgoing = append([]Server{s.Apple}, without(s.Outgoing, s.Apple)...)
	preferred := s.Incoming[0]
	if pop, ok := s.First(POP3); ok && preferred.Protocol == IMAP {
		s.POP3Alternative = pop
	}
	s.Autodiscover = []Server{preferred}
	if preferred.Protocol == IMAP && p.AutodiscoverPOP3 {
		if pop, ok := s.First(POP3); ok {
			s.Autodiscover = append(s.Autodiscover, pop)
		}
	}
	s.Autodiscover = append(s.Autodiscover, s.Outgoing[0])
	s.CalDAV, s.CardDAV = davEndpoint(p.CalDAVURL), davEndpoint(p.CardDAVURL)
	return s
}

// davEndpoint is a configured DAV URL's endpoint, logged in to with the
// full address; the zero endpoint (not offered) when raw is empty. The
// configuration validated the URL at load.
func davEndpoint(raw string) DAVEndpoint {
	if raw == "" {
		return DAVEndpoint{}
	}
	ep, err := ParseDAVURL(raw)
	if err != nil {
		return DAVEndpoint{}
	}
	ep.Username = PlaceholderAddress
	return ep
}

// without is servers without srv.
func without(servers []Server, srv Server) []Server {
	out := make([]Server, 0, len(servers))
	for _, x := range servers {
		if x != srv {
			out = append(out, x)
		}
	}
	return out
}

// preferenceOrder sorts servers by rank, keeping the configured order
// within a rank.
func preferenceOrder(servers []Server, rank func(Server) int) []Server {
	out := make([]Server, 0, len(servers))
	for r := 0; r < 4; r++ {
		for _, srv := range servers {
			if rank(srv) == r {
				out = append(out, srv)
			}
		}
	}
	return out
}

// Domain is a provider's decisions for one domain: what a document that
// serves every address of the domain says (Thunderbird autoconfig, PACC,
// DNS records). Login names keep %EMAILADDRESS% and %EMAILLOCALPART%, which
// the client fills in; %EMAILDOMAIN% is expanded, as it depends only on the
// domain and some readers replace only the other two.
type Domain struct {
	Name        string // ASCII, lower case
	UnicodeName string // display form
	Provider    *Provider
	Settings
}

// NewDomain resolves p's decisions for an ASCII domain.
//
// Every login of the document is written in one form. When logins carry
// the domain in Unicode and it differs from the ASCII one, %EMAILADDRESS%
// is written out as %EMAILLOCALPART%@<Unicode domain>: Thunderbird fills
// %EMAILADDRESS% with the address the user typed, which it accepts only in
// ASCII (it refuses a Unicode domain, "Hostname is empty or contains
// forbidden characters", seen in Thunderbird 140–153), so the placeholder
// would log in to one server as jane@xn--bcher-kva.example and to another
// as jane@bücher.example.
func NewDomain(p *Provider, domain string) Domain {
	d := Domain{Name: domain, UnicodeName: UnicodeDomain(domain), Provider: p}
	loginDomain := p.loginDomain(domain)
	r := strings.NewReplacer(PlaceholderDomain, loginDomain)
	if loginDomain != domain {
		r = strings.NewReplacer(PlaceholderAddress, PlaceholderLocalPart+"@"+loginDomain, PlaceholderDomain, loginDomain)
	}
	expand := func(t string) string {
		if !strings.Contains(t, "%") {
			return t
		}
		return r.Replace(t)
	}
	d.Settings = p.decisions().withUsernames(expand)
	return d
}

// LoginIsAddress reports whether srv's login name, in this domain, is the
// full address a user types: formats without a username field (PACC) can
// describe only such servers.
func (d Domain) LoginIsAddress(srv Server) bool {
	if srv.Username == PlaceholderAddress {
		return true
	}
	// %EMAILLOCALPART%@%EMAILDOMAIN%, with the domain expanded as the
	// full address writes it (ASCII unless the provider chose Unicode).
	return srv.Username == PlaceholderLocalPart+"@"+d.Provider.loginDomain(d.Name)
}

// Account is a provider's decisions for one address: everything a client
// needs to set up that mailbox, with login names filled in.
type Account struct {
	// Address is the mailbox as the provider treats it: the local part
	// lower-cased unless the provider's local parts are case sensitive.
	Address  Address
	Provider *Provider
	// DisplayName is the person's name, when one was given; formats that
	// show a name use it and leave the field out when it is empty.
	DisplayName string
	Settings
}

// NewAccount resolves p's decisions for addr, with the person's name (""
// when unknown).
func NewAccount(p *Provider, addr Address, displayName string) Account {
	a := Account{Address: p.Mailbox(addr), Provider: p, DisplayName: displayName}
	login := a.LoginAddress()
	domain := p.loginDomain(a.Address.Domain)
	r := strings.NewReplacer(
		PlaceholderAddress, login,
		PlaceholderLocalPart, a.Address.Local,
		PlaceholderDomain, domain,
	)
	a.Settings = p.decisions().withUsernames(func(t string) string {
		if t == PlaceholderAddress {
			return login
		}
		return r.Replace(t)
	})
	return a
}

// Mailbox is addr as the provider treats it: one mailbox, one form,
// whatever letter case it was typed in. It keys identities and caches.
func (p *Provider) Mailbox(addr Address) Address {
	if !p.Login.CaseSensitiveLocalPart {
		addr.Local = strings.ToLower(addr.Local)
	}
	return addr
}

// LoginAddress is the full address as login names write it: the domain in
// ASCII unless the provider chose Unicode logins.
func (a Account) LoginAddress() string {
	if a.Provider.Login.UnicodeDomain {
		return a.Address.Local + "@" + unicodeForm(a.Address.Domain)
	}
	return a.Address.ASCII()
}

// The forms of the account's address below are chosen here, per use, from
// what each client's reader accepts; renderers take the one for their
// field and never pick a form themselves.

// SenderAddress is the address a client sends mail as (From, MAIL FROM)
// where the client's reader needs an ASCII domain: Outlook's
// AutoDiscoverSMTPAddress, the user's SMTP address and not a login
// (learn.microsoft.com/exchange/client-developer/web-service-reference/
// autodiscoversmtpaddress-pox), so Unicode logins do not change it; the
// Thunderbird for Android import reader, which refuses non-ASCII domains.
// A non-ASCII local part has no other form and stays as it is.
func (a Account) SenderAddress() string { return a.Address.ASCII() }

// AppleSenderAddress is the address Apple Mail sends as (the profile's
// EmailAddress): the display form, which Mail also shows as the account's
// name. Apple Mail reads internationalized addresses (EAI, RFC 6530;
// reported since iOS 14), so the domain need not be punycode there, and
// a person sees the address as they typed it.
func (a Account) AppleSenderAddress() string { return a.Address.String() }

// DisplayAddress is the address in texts a person reads (profile names
// and descriptions, pages): the domain in its display form.
func (a Account) DisplayAddress() string { return a.Address.String() }

// loginDomain is an ASCII domain as login names write it: ASCII, or with
// Unicode logins every label in Unicode. A login must be what the server
// expects, so the display rule for lookalike labels (UnicodeDomain) does
// not apply here.
func (p *Provider) loginDomain(ascii string) string {
	if p.Login.UnicodeDomain {
		return unicodeForm(ascii)
	}
	return ascii
}

// withUsernames copies s with every username passed through expand.
func (s Settings) withUsernames(expand func(string) string) Settings {
	conv := func(servers []Server) []Server {
		out := make([]Server, len(servers))
		for i, srv := range servers {
			srv.Username = expand(srv.Username)
			out[i] = srv
		}
		return out
	}
	apple, pop := s.Apple, s.POP3Alternative
	apple.Username = expand(apple.Username)
	if s.HasPOP3Alternative() {
		pop.Username = expand(pop.Username)
	}
	caldav, carddav := s.CalDAV, s.CardDAV
	if caldav.Offered() {
		caldav.Username = expand(caldav.Username)
	}
	if carddav.Offered() {
		carddav.Username = expand(carddav.Username)
	}
	return Settings{
		Incoming:        conv(s.Incoming),
		Outgoing:        conv(s.Outgoing),
		Apple:           apple,
		AppleOutgoing:   conv(s.AppleOutgoing),
		POP3Alternative: pop,
		Autodiscover:    conv(s.Autodiscover),
		CalDAV:          caldav,
		CardDAV:         carddav,
	}
}

// ErrUnknownDomain means no provider serves the requested domain.
var ErrUnknownDomain = errors.New("this service has no mail settings for that domain")

// DomainError wraps ErrUnknownDomain with the (validated) domain.
type DomainError struct{ Domain string }

func (e *DomainError) Error() string {
	return fmt.Sprintf("no mail settings for %s", e.Domain)
}

func (e *DomainError) Unwrap() error { return ErrUnknownDomain }
