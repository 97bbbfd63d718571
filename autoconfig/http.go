package autoconfig

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
)

// Service answers the discovery protocols from the configuration in force.
// Its handlers only parse the request, resolve the provider and call a
// renderer; the renderers never see HTTP or configuration.
type Service struct {
	Store *Store
	// PublicURL is the service's absolute base URL (scheme and host, no
	// trailing slash), used where a response must link to the service.
	PublicURL *url.URL

	thunderbirdDocs  *DocumentCache[providerDomain]
	paccDocs         *DocumentCache[string]
	autodiscoverDocs *DocumentCache[string]
	// MX, when set, lets providers with accept.mx serve unlisted domains
	// whose MX points at them; nil disables MX acceptance.
	MX *MXResolver
}

// documentCacheSize bounds the per-domain document caches (two generations
// of this many entries; a Thunderbird document is about 1.5 KB).
const documentCacheSize = 1024

// autodiscoverCacheSize bounds the Autodiscover answers cached by request
// body: one per user, about 2 KB each, and a client asks again only at its
// next start. Held small, it spares clients that retry at once their
// request's parsing without holding megabytes of answers no one asks again.
const autodiscoverCacheSize = 128

// Thunderbird looks these up, in order, on autoconfig.<domain> and <domain>
// (https first, then http); /.well-known/mail-v1.xml is the path of early
// drafts of draft-ietf-mailmaint-autoconfig.
var ThunderbirdPaths = []string{
	"/mail/config-v1.1.xml",
	"/.well-known/autoconfig/mail/config-v1.1.xml",
	"/.well-known/mail-v1.xml",
}

// Register adds the service's routes to r.
func (s *Service) Register(r gin.IRouter) {
	s.thunderbirdDocs = NewDocumentCache[providerDomain](documentCacheSize)
	s.paccDocs = NewDocumentCache[string](documentCacheSize)
	s.autodiscoverDocs = NewDocumentCache[string](autodiscoverCacheSize)
	for _, path := range ThunderbirdPaths {
		// Called by Thunderbird (desktop, Android), K-9 Mail, Evolution,
		// KMail, Delta Chat and FairEmail.
		r.GET(path, s.thunderbird)
		r.HEAD(path, s.thunderbird)
	}
	s.registerAutodiscover(r)
	// PACC (draft-ietf-mailmaint-pacc); no shipping client yet.
	r.GET(PACCPath, s.pacc)
	r.HEAD(PACCPath, s.pacc)
}

// thunderbird serves config-v1.1.xml. The address parameter only selects the
// domain: the document itself carries %EMAILADDRESS% placeholders.
func (s *Service) thunderbird(c *gin.Context) {
	domain, err := s.requestedDomain(c)
	if err != nil {
		plainError(c, err)
		return
	}
	cfg := s.Store.Config()
	p, err := s.LookupIn(c.Request.Context(), cfg, domain)
	if err != nil {
		// 404, never 204 or an empty 200: Thunderbird takes the first 2xx
		// among the URLs it races, and an empty one would hide a good one.
		plainError(c, err)
		return
	}
	// Keyed by provider too: with accept.mx, a domain's provider follows
	// its MX records.
	doc, _ := s.thunderbirdDocs.Get(cfg, providerDomain{p.ID, domain}, func() ([]byte, error) { return ThunderbirdConfig(p, domain), nil })
	writeCacheable(c, xmlContentType, doc)
}

// providerDomain keys documents that depend on a domain and its provider.
type providerDomain struct{ provider, domain string }

// Lookup finds the provider serving an ASCII domain with the configuration
// in force. Handlers resolve domains through it, or through ResolveIn/LookupIn
// when they also key a cache with the configuration they read.
// Listed and catch-all domains are answered from the configuration alone;
// only an unlisted domain, when some provider accepts domains by MX, costs
// an MX lookup (cached). A failed lookup (logged by the resolver) makes the
// domain unknown (404), never a 5xx: the service is up, only that domain's
// DNS is not.
func (s *Service) Lookup(ctx context.Context, domain string) (*Provider, error) {
	return s.LookupIn(ctx, s.Store.Config(), domain)
}

// LookupIn finds the provider of domain in cfg; handlers that cache
// documents read the configuration once and use it for both. Domains no
// provider lists are looked up in DNS for providers with accept.mx.
func (s *Service) LookupIn(ctx context.Context, cfg *Config, domain string) (*Provider, error) {
	p, err := cfg.Lookup(domain)
	if err == nil || s.MX == nil || !cfg.AcceptsMX() {
		return p, err
	}
	hosts, mxErr := s.MX.LookupMX(ctx, domain)
	if mxErr != nil {
		return nil, err
	}
	if p := cfg.ProviderForMX(hosts); p != nil {
		return p, nil
	}
	return nil, err
}

// Resolve finds the provider for addr and resolves its settings.
func (s *Service) Resolve(ctx context.Context, addr Address) (Account, error) {
	return s.ResolveIn(ctx, s.Store.Config(), addr)
}

// ResolveIn resolves addr with cfg, a configuration read from Store once by
// a handler that also keys a DocumentCache with it.
func (s *Service) ResolveIn(ctx context.Context, cfg *Config, addr Address) (Account, error) {
	p, err := s.LookupIn(ctx, cfg, addr.Domain)
	if err != nil {
		return Account{}, err
	}
	return NewAccount(p, addr), nil
}

// BaseURL is the absolute base URL (no trailing slash) for links in
// responses: the configured public URL, or else the scheme and host of the
// request (see requestIsHTTPS).
func (s *Service) BaseURL(r *http.Request) string {
	if s.PublicURL != nil {
		return s.PublicURL.String()
	}
	scheme := "http"
	if requestIsHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// requestIsHTTPS reports whether the client reached the service over HTTPS:
// a TLS connection here, or r.URL.Scheme "https", which the server's
// middleware sets only for a trusted proxy's X-Forwarded-Proto. The header
// itself is never read here: any client could send it.
func requestIsHTTPS(r *http.Request) bool {
	return r.TLS != nil || r.URL.Scheme == "https"
}

// requestedDomain is the domain of the emailaddress parameter, or, when the
// parameter is absent, the domain of the Host header.
func (s *Service) requestedDomain(c *gin.Context) (string, error) {
	if raw, ok := QueryValue(c.Request.URL.RawQuery, "emailaddress"); ok {
		addr, err := ParseAddress(raw)
		if err != nil {
			return "", err
		}
		return addr.Domain, nil
	}
	return DomainFromHost(c.Request.Host)
}

// StatusOf maps the package's errors to HTTP status codes, in one place.
func StatusOf(err error) int {
	switch {
	case IsAddressError(err), errors.Is(err, ErrNoDomain):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnknownDomain):
		return http.StatusNotFound
	default:
		return http.StatusBadRequest
	}
}

// plainError answers with a one-line text message; the messages of this
// package never contain raw request input.
func plainError(c *gin.Context, err error) {
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(StatusOf(err), "text/plain; charset=utf-8", []byte(err.Error()+"\n"))
}

// ETag returns a strong entity tag for body.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// writeCacheable writes a document that depends only on the URL and Host,
// with an ETag so that clients and caches can revalidate it.
func writeCacheable(c *gin.Context, contentType []string, doc Document) {
	// Assigned, not Set: canonical keys and shared values allocate nothing
	// on this hot path.
	h := c.Writer.Header()
	// No "Vary: Host" although the domain may come from Host: the host is
	// part of the URL that caches key on (RFC 9111 §2).
	h["Cache-Control"] = publicMaxAge
	doc.Serve(c.Writer, c.Request, contentType)
}

// Content types of the documents, as shared header values.
var (
	xmlContentType  = []string{"application/xml; charset=utf-8"}
	jsonContentType = []string{"application/json"}
)

var (
	publicMaxAge = []string{"public, max-age=3600"}
	nosniff      = []string{"nosniff"}
)
