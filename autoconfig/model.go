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

// Username placeholders, as Thunderbird defines them; the other formats
// substitute them when rendering for an Account.
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
	// Username is a template made of literal text and the placeholders
	// above; the default is the full address.
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

// Provider is a mail provider and everything clients need to know of it.
type Provider struct {
	ID          string // ASCII host-name-like id, e.g. infomaniak.com
	DisplayName string
	ShortName   string
	// Domains are exact domain names (ASCII) and "*.suffix" wildcards.
	Domains []string
	// Incoming (IMAP, POP3) and Outgoing (SMTP) servers in order of
	// preference: the first of each protocol is the one clients use.
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

	// AppleSMTPPort chooses the one SMTP server an Apple profile can hold
	// (587 STARTTLS by default, or the 465 implicit-TLS fallback).
	AppleSMTPPort int
}

// FirstIncoming returns the preferred server of protocol proto, if any.
func (p *Provider) FirstIncoming(proto Protocol) (Server, bool) {
	return firstOf(p.Incoming, proto)
}

// PreferredOutgoing returns the preferred SMTP server.
func (p *Provider) PreferredOutgoing() (Server, bool) {
	return firstOf(p.Outgoing, SMTP)
}

func firstOf(servers []Server, proto Protocol) (Server, bool) {
	for _, s := range servers {
		if s.Protocol == proto {
			return s, true
		}
	}
	return Server{}, false
}

// Account is the provider's settings resolved for one address: what a
// client needs to set up that mailbox, with the username filled in.
type Account struct {
	Address  Address
	Provider *Provider
	Incoming []Server // Username resolved
	Outgoing []Server // Username resolved
}

// NewAccount resolves p for addr.
func NewAccount(p *Provider, addr Address) Account {
	return Account{
		Address:  addr,
		Provider: p,
		Incoming: resolveServers(p.Incoming, addr),
		Outgoing: resolveServers(p.Outgoing, addr),
	}
}

func resolveServers(servers []Server, addr Address) []Server {
	out := make([]Server, len(servers))
	for i, s := range servers {
		s.Username = ExpandUsername(s.Username, addr)
		out[i] = s
	}
	return out
}

// FirstIncoming returns the account's preferred server of protocol proto.
func (a Account) FirstIncoming(proto Protocol) (Server, bool) { return firstOf(a.Incoming, proto) }

// PreferredOutgoing returns the account's preferred SMTP server.
func (a Account) PreferredOutgoing() (Server, bool) { return firstOf(a.Outgoing, SMTP) }

var usernameReplacer = func(addr Address) *strings.Replacer {
	return strings.NewReplacer(
		PlaceholderAddress, addr.String(),
		PlaceholderLocalPart, addr.Local,
		PlaceholderDomain, addr.UnicodeDomain,
	)
}

// ExpandUsername fills the placeholders of a username template.
func ExpandUsername(template string, addr Address) string {
	if template == "" || template == PlaceholderAddress {
		return addr.String()
	}
	return usernameReplacer(addr).Replace(template)
}

// ErrUnknownDomain means no provider serves the requested domain.
var ErrUnknownDomain = errors.New("this service has no mail settings for that domain")

// DomainError wraps ErrUnknownDomain with the (validated) domain.
type DomainError struct{ Domain string }

func (e *DomainError) Error() string {
	return fmt.Sprintf("no mail settings for %s", e.Domain)
}

func (e *DomainError) Unwrap() error { return ErrUnknownDomain }
