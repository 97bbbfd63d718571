package pacc

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// contentType is the document's: RFC 8259 defines no charset parameter.
var contentType = []string{"application/json"}

// Handler serves the PACC document.
type Handler struct {
	deps   httpkit.Deps
	logger *slog.Logger
	// docs holds documents by provider: they depend on nothing else.
	docs *httpkit.DocumentCache[string]
	// rollover, when set, serves previous documents (WithRollover).
	rollover *rollover
}

// cacheSize bounds the document cache (one document per provider).
const cacheSize = 1024

// MetricsFormat is the metrics' format label of the PACC documents this
// package serves.
const MetricsFormat = "pacc"

// New returns the handler.
func New(deps httpkit.Deps) *Handler {
	return &Handler{deps: deps, logger: httpkit.Logger(deps.Logger), docs: httpkit.NewDocumentCache[string](cacheSize)}
}

// Register adds the PACC route; no shipping client reads it yet.
func (h *Handler) Register(r gin.IRouter) {
	r.GET(Path, h.serve)
	r.HEAD(Path, h.serve)
	h.deps.Declare(MetricsFormat, Path)
}

// serve answers with the document. The domain comes from the Host header
// (ua-auto-config.<domain>, as the draft's clients ask) or, for testing and
// the helpdesk, from ?emailaddress.
func (h *Handler) serve(c *gin.Context) {
	domain, err := httpkit.RequestedDomain(c, "emailaddress")
	if err != nil {
		httpkit.WriteJSONError(c, h.logger, err)
		return
	}
	cfg := h.deps.Resolver.Config()
	p, err := h.deps.Resolver.ProviderIn(c.Request.Context(), cfg, domain)
	if err != nil {
		httpkit.WriteJSONError(c, h.logger, err)
		return
	}
	doc, err := h.docs.Get(cfg, p.ID, func() ([]byte, error) { return Render(autoconfig.NewDomain(p, domain)) })
	if err != nil {
		// A refusal is a 404 (HTTPStatus).
		httpkit.WriteJSONError(c, h.logger, err)
		return
	}
	httpkit.WriteCacheable(c, contentType, h.rollover.document(c.Request.Context(), p.ID, domain, doc))
}

// HTTPStatus answers a provider without a PACC document with 404, as for a
// domain without settings: the client then falls back to its other
// mechanisms (autoconfig, SRV).
func (refusal) HTTPStatus() int { return http.StatusNotFound }
