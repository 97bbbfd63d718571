package autoconfig

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
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
	PACCPath   = "/.well-known/user-agent-configuration.json"
	PACCPrefix = "ua-auto-config."
	PACCLabel  = "_ua-auto-config"
)

// ErrPACCUnexpressible means the provider's servers cannot be described in
// PACC, which has no ports or security settings: it implies implicit TLS on
// the default ports (IMAP 993, POP3 995, submission 465).
var ErrPACCUnexpressible = errors.New("this provider's servers cannot be described in PACC: it needs IMAP or POP3 with implicit TLS on 993/995 and SMTP with implicit TLS on 465")

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

// PACCDocument renders the PACC JSON document of provider p. It depends only
// on the provider (hosts are the provider's, not the domain's), so every
// domain of a provider publishes the same digest.
//
// Only servers with implicit TLS on the default port can be listed;
// discouraged servers are left out, as PACC has no way to say so.
func PACCDocument(p *Provider) ([]byte, error) {
	var doc paccDocument
	for _, s := range p.Incoming {
		switch {
		case s.Discouraged || s.Security != SecurityTLS:
		case s.Protocol == IMAP && s.Port == 993 && doc.Protocols.IMAP == nil:
			doc.Protocols.IMAP = &paccHost{Host: s.Host}
		case s.Protocol == POP3 && s.Port == 995 && doc.Protocols.POP3 == nil:
			doc.Protocols.POP3 = &paccHost{Host: s.Host}
		}
	}
	for _, s := range p.Outgoing {
		if s.Protocol == SMTP && s.Port == 465 && s.Security == SecurityTLS && doc.Protocols.Submit == nil {
			doc.Protocols.Submit = &paccHost{Host: s.Host}
		}
	}
	if (doc.Protocols.IMAP == nil && doc.Protocols.POP3 == nil) || doc.Protocols.Submit == nil {
		return nil, ErrPACCUnexpressible
	}
	if p.CalDAVURL != "" {
		doc.Protocols.CalDAV = &paccURL{URL: p.CalDAVURL}
	}
	if p.CardDAVURL != "" {
		doc.Protocols.CardDAV = &paccURL{URL: p.CardDAVURL}
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

// PACCDigestRecord is the TXT value of _ua-auto-config.<domain> that pins
// the exact bytes of doc: the HTTP body as served, newline included, hashed
// with SHA-256 and written in padded standard base64 after v=UAAC1; a=sha256.
func PACCDigestRecord(doc []byte) string {
	sum := sha256.Sum256(doc)
	return "v=UAAC1; a=sha256; d=" + base64.StdEncoding.EncodeToString(sum[:])
}

// pacc serves the PACC document. The domain comes from the Host header
// (ua-auto-config.<domain>, as the draft's clients ask) or, for testing and
// the helpdesk, from ?emailaddress.
func (s *Service) pacc(c *gin.Context) {
	domain, err := s.requestedDomain(c)
	if err != nil {
		paccError(c, StatusOf(err), err)
		return
	}
	cfg := s.Store.Config()
	p, err := s.LookupIn(c.Request.Context(), cfg, domain)
	if err != nil {
		paccError(c, StatusOf(err), err)
		return
	}
	// The document depends only on the provider.
	doc, err := s.paccDocs.Get(cfg, p.ID, func() ([]byte, error) { return PACCDocument(p) })
	if err != nil {
		// The client then falls back to other mechanisms (autoconfig, SRV).
		paccError(c, http.StatusNotFound, err)
		return
	}
	writeCacheable(c, jsonContentType, doc)
}

// paccError answers with a one-field JSON error object; the package's
// messages never contain raw request input.
func paccError(c *gin.Context, status int, err error) {
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.JSON(status, gin.H{"error": err.Error()})
}
