package thunderbird

import (
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// Paths are where Thunderbird looks, in order, on autoconfig.<domain> and
// <domain> (https first, then http); /.well-known/mail-v1.xml is the path
// of early drafts of draft-ietf-mailmaint-autoconfig; the Android app Nine
// asks /v1.1/mail/config-v1.1.xml.
var Paths = []string{
	"/mail/config-v1.1.xml",
	"/.well-known/autoconfig/mail/config-v1.1.xml",
	"/.well-known/mail-v1.xml",
	"/v1.1/mail/config-v1.1.xml",
}

// Handler serves config-v1.1.xml.
type Handler struct {
	deps   httpkit.Deps
	logger *slog.Logger
	// docs holds rendered documents by provider and domain: with accept.mx,
	// a domain's provider follows its MX records.
	docs *httpkit.DocumentCache[providerDomain]
}

// providerDomain keys documents that depend on a domain and its provider.
type providerDomain struct{ provider, domain string }

// cacheSize bounds the document cache (two generations of this many
// entries; a document is about 1.5 KB).
const cacheSize = 1024

// MetricsFormat is the metrics' format label of the Thunderbird autoconfig
// documents this package serves.
const MetricsFormat = "thunderbird"

// New returns the handler.
func New(deps httpkit.Deps) *Handler {
	return &Handler{deps: deps, logger: httpkit.Logger(deps.Logger),
		docs: httpkit.NewDocumentCache[providerDomain](cacheSize)}
}

// Register adds the routes: called by Thunderbird (desktop, Android), K-9
// Mail, Evolution, KMail, Delta Chat, FairEmail and Nine.
func (h *Handler) Register(r gin.IRouter) {
	for _, path := range Paths {
		r.GET(path, h.serve)
		r.HEAD(path, h.serve)
	}
	h.deps.Declare(MetricsFormat, Paths...)
}

// serve answers with the domain's document. The emailaddress parameter only
// selects the domain: the document carries %EMAILADDRESS% placeholders.
func (h *Handler) serve(c *gin.Context) {
	domain, err := httpkit.RequestedDomain(c, "emailaddress")
	if err != nil {
		httpkit.WriteError(c, h.logger, err)
		return
	}
	cfg := h.deps.Resolver.Config()
	p, err := h.deps.Resolver.ProviderIn(c.Request.Context(), cfg, domain)
	if err != nil {
		// 404, never 204 or an empty 200: Thunderbird takes the first 2xx
		// among the URLs it races, and an empty one would hide a good one.
		httpkit.WriteError(c, h.logger, err)
		return
	}
	doc, _ := h.docs.Get(cfg, providerDomain{p.ID, domain}, func() ([]byte, error) {
		return Render(autoconfig.NewDomain(p, domain)), nil
	})
	httpkit.WriteCacheable(c, httpkit.XMLContentType, doc)
}
