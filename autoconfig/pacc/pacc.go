// Package pacc renders (pacc.go) and serves (handler.go) the PACC document
// (draft-ietf-mailmaint-pacc) and the digest that DNS publishes for it.
package pacc

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// PACC (draft-ietf-mailmaint-pacc, written for -04, Eggert/Bucksch/
// Diephouse; its body text was not readable from here, so section numbers
// are not cited): a client fetches
// https://ua-auto-config.<domain>/.well-known/user-agent-configuration.json
// and accepts it only if its SHA-256 equals the digest in the TXT record
// _ua-auto-config.<domain>. Member names follow -03 and later, where the
// submission key is "submit" (it was "smtp" in -02); cross-checked with
// automx (pins -03) and pimalaya io-discovery (pins -02).
const (
	Path   = "/.well-known/user-agent-configuration.json"
	Prefix = autoconfig.PACCPrefix
	Label  = "_ua-auto-config"
)

// ErrUnexpressible means the provider's servers cannot be described in
// PACC, which has no ports or security settings: it implies implicit TLS on
// the default ports (IMAP 993, POP3 995, submission 465).
var ErrUnexpressible error = refusal("this provider's servers cannot be described in PACC: it needs IMAP or POP3 with implicit TLS on 993/995 and SMTP with implicit TLS on 465")

// ErrLoginNotAddress means the provider's login names are not the full
// address: a PACC document has no username field, so a client would log in
// with the address and fail.
var ErrLoginNotAddress error = refusal("this provider's login names are not the full email address, and PACC has no username field: no PACC document is published")

// refusal is why a provider publishes no PACC document: a fact of the
// provider, not of a request (the handler answers it, see HTTPStatus).
type refusal string

func (r refusal) Error() string { return string(r) }

// paccDocument is the draft's JSON document. Field order is fixed by the
// struct, so encoding is byte-stable: the DNS digest depends on every byte.
type paccDocument struct {
	Protocols      paccProtocols      `json:"protocols"`
	Authentication paccAuthentication `json:"authentication"`
	Info           paccInfo           `json:"info"`
}

type paccProtocols struct {
	IMAP    *paccHost `json:"imap,omitempty"`
	POP3    *paccHost `json:"pop3,omitempty"`
	Submit  *paccHost `json:"submit,omitempty"`
	CalDAV  *paccURL  `json:"caldav,omitempty"`
	CardDAV *paccURL  `json:"carddav,omitempty"`
}

type paccHost struct {
	Host string `json:"host"`
}

type paccURL struct {
	URL string `json:"url"`
}

type paccAuthentication struct {
	Password bool `json:"password"`
}

type paccInfo struct {
	Provider paccProvider `json:"provider"`
	Help     *paccHelp    `json:"help,omitempty"`
}

type paccProvider struct {
	Name      string `json:"name"`
	ShortName string `json:"shortName,omitempty"`
}

type paccHelp struct {
	Documentation string `json:"documentation"`
}

// Render renders the PACC JSON document of a resolved domain. It depends
// only on the provider (hosts are the provider's, not the domain's), so
// every domain of a provider publishes the same digest.
//
// Only servers with implicit TLS on the default port can be listed, the
// first such of each protocol in the order of preference; discouraged
// servers are left out, as PACC has no way to say so. A client logs in to
// them with the address the user typed (PACC has no username field), so a
// provider whose login names differ gets ErrLoginNotAddress.
func Render(d autoconfig.Domain) ([]byte, error) {
	p := d.Provider
	var doc paccDocument
	var listed []autoconfig.Server // the servers the document names
	for _, s := range d.Incoming {
		switch {
		case s.Discouraged || s.Security != autoconfig.SecurityTLS:
		case s.Protocol == autoconfig.IMAP && s.Port == 993 && doc.Protocols.IMAP == nil:
			doc.Protocols.IMAP = &paccHost{Host: s.Host}
			listed = append(listed, s)
		case s.Protocol == autoconfig.POP3 && s.Port == 995 && doc.Protocols.POP3 == nil:
			doc.Protocols.POP3 = &paccHost{Host: s.Host}
			listed = append(listed, s)
		}
	}
	for _, s := range d.Outgoing {
		if s.Port == 465 && s.Security == autoconfig.SecurityTLS && !s.Discouraged && doc.Protocols.Submit == nil {
			doc.Protocols.Submit = &paccHost{Host: s.Host}
			listed = append(listed, s)
		}
	}
	if (doc.Protocols.IMAP == nil && doc.Protocols.POP3 == nil) || doc.Protocols.Submit == nil {
		return nil, ErrUnexpressible
	}
	for _, s := range listed {
		if !d.LoginIsAddress(s) {
			return nil, ErrLoginNotAddress
		}
	}
	if d.CalDAV.Offered() {
		doc.Protocols.CalDAV = &paccURL{URL: d.CalDAV.URL}
	}
	if d.CardDAV.Offered() {
		doc.Protocols.CardDAV = &paccURL{URL: d.CardDAV.URL}
	}
	// Every server of the model authenticates with a password (oauth2 is
	// rejected by the configuration for now).
	doc.Authentication.Password = true
	doc.Info.Provider = paccProvider{Name: p.DisplayName, ShortName: p.ShortName}
	if p.HelpURL != "" {
		doc.Info.Help = &paccHelp{Documentation: p.HelpURL}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		// Only strings and booleans: encoding cannot fail.
		panic("rendering PACC document: " + err.Error())
	}
	return append(out, '\n'), nil
}

// DigestRecord is the TXT value of _ua-auto-config.<domain> that pins
// the exact bytes of doc: the HTTP body as served, newline included, hashed
// with SHA-256 and written in padded standard base64 after v=UAAC1; a=sha256.
func DigestRecord(doc []byte) string {
	return "v=UAAC1; a=sha256; d=" + Digest(doc)
}

// Digest is the base64 SHA-256 of doc, as the TXT record's d= writes it.
func Digest(doc []byte) string {
	sum := sha256.Sum256(doc)
	return base64.StdEncoding.EncodeToString(sum[:])
}
