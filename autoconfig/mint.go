package autoconfig

import (
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// Mint is how the service makes a device password for a user who signs in
// at the provider (passwords.mint): an OpenID Connect client of the
// provider's identity provider, and the provider's API that makes the
// password (its contract: deploy/device-password-api.yaml).
type Mint struct {
	// Issuer is the OpenID Connect issuer, found by discovery.
	Issuer   string
	ClientID string
	// ClientSecretFile holds the client secret of a confidential client;
	// "" is a public client (PKCE alone). It is read at each sign-in, so
	// a rotated secret needs no reload.
	ClientSecretFile string
	// Scopes are asked for at sign-in; openid is always among them.
	Scopes []string
	// API is the URL the service POSTs {address, device} to, with the
	// user's access token.
	API string
	// Claim is the ID token claim naming the signed-in address: the address
	// being set up, or one the API lets that user manage; "email" also
	// requires email_verified.
	Claim string
}

type rawMint struct {
	Issuer           pos[string]   `yaml:"issuer"`
	ClientID         pos[string]   `yaml:"client_id"`
	ClientSecretFile pos[string]   `yaml:"client_secret_file"`
	Scopes           []pos[string] `yaml:"scopes"`
	API              pos[string]   `yaml:"api"`
	Claim            pos[string]   `yaml:"claim"`
}

// defaultMintScopes are what a sign-in asks for when the file names none:
// the ID token and the address in it.
var defaultMintScopes = []string{"openid", "email"}

// mint validates passwords.mint; nil when the file has none.
func (v *validator) mint(raw *rawMint, kind PasswordKind, parentLine int, path string) *Mint {
	if raw == nil {
		return nil
	}
	line := firstLine(raw.Issuer.Line, raw.ClientID.Line, raw.API.Line, parentLine)
	if kind != PasswordsDevice {
		v.add(line, path, "makes device passwords: set passwords.kind: device, or remove it")
	}
	m := &Mint{
		Issuer:           v.secureURL(raw.Issuer, line, path+".issuer"),
		ClientID:         strings.TrimSpace(raw.ClientID.Value),
		ClientSecretFile: strings.TrimSpace(raw.ClientSecretFile.Value),
		API:              v.secureURL(raw.API, line, path+".api"),
		Claim:            strings.TrimSpace(raw.Claim.Value),
	}
	if m.ClientID == "" {
		v.add(line, path+".client_id", "is required")
	}
	if m.ClientSecretFile != "" && !filepath.IsAbs(m.ClientSecretFile) {
		v.add(raw.ClientSecretFile.Line, path+".client_secret_file", "must be an absolute path")
	}
	if m.Claim == "" {
		m.Claim = "email"
	}
	for _, s := range raw.Scopes {
		scope := strings.TrimSpace(s.Value)
		if scope == "" || strings.ContainsAny(scope, " \"\\") || hasControl(scope) {
			v.add(s.Line, path+".scopes", "%q is not a scope", scope)
			continue
		}
		m.Scopes = append(m.Scopes, scope)
	}
	if len(raw.Scopes) == 0 {
		m.Scopes = slices.Clone(defaultMintScopes)
	} else if !slices.Contains(m.Scopes, "openid") {
		v.add(raw.Scopes[0].Line, path+".scopes", "must include openid: the sign-in needs an ID token")
	}
	return m
}

// secureURL is a required https URL; http only to a loopback host (a test
// identity provider, or an adapter beside the service), since the sign-in
// and the password travel over it.
func (v *validator) secureURL(p pos[string], parentLine int, field string) string {
	s := strings.TrimSpace(p.Value)
	if s == "" {
		v.add(parentLine, field, "is required")
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.Fragment != "":
		v.add(p.Line, field, "must be an absolute https URL")
	case u.Scheme == "https":
		return s
	case u.Scheme == "http" && IsLoopbackHost(u.Hostname()):
		return s
	default:
		v.add(p.Line, field, "must be an https URL (http only to a loopback address)")
	}
	return ""
}

// IsLoopbackHost reports whether host (no port) is localhost or a
// loopback IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SameMailbox reports whether a and b are one mailbox of p: the domain
// compared in ASCII (an IDN in either form), the local part as p's login
// rules say (case-insensitive unless they are case sensitive).
func (p *Provider) SameMailbox(a, b Address) bool {
	a, b = p.Mailbox(a), p.Mailbox(b)
	return a.Local == b.Local && a.Domain == b.Domain
}
