// Package dav serves /.well-known/caldav and /.well-known/carddav (RFC 6764
// §5) on the service's hosts: a client that tries the well-known path on
// autoconfig.<domain> (or another name of the service) is redirected to
// the provider's calendar or contacts server.
package dav

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// Well-known paths (RFC 6764 §5).
const (
	CalDAVPath  = "/.well-known/caldav"
	CardDAVPath = "/.well-known/carddav"
)

// propfind is the WebDAV method DAV clients send to the well-known path
// (RFC 4918 §9.1).
const propfind = "PROPFIND"

// Errors of domains whose provider has no such service: 404, so that the
// client goes on with its other discovery steps.
var (
	errNoCalDAV  = httpkit.Error(http.StatusNotFound, "this domain's provider has no calendar (CalDAV) server")
	errNoCardDAV = httpkit.Error(http.StatusNotFound, "this domain's provider has no contacts (CardDAV) server")
)

// cacheFor bounds how long a client may keep a redirect: a 301 is
// cacheable by default (RFC 9111 §4.2.2), and the provider's URLs can
// change at the next reload.
var cacheFor = []string{"public, max-age=3600"}

// Handler redirects the well-known DAV paths.
type Handler struct {
	deps   httpkit.Deps
	logger *slog.Logger
}

// MetricsFormat is the metrics' format label of the CalDAV and CardDAV
// redirects this package serves.
const MetricsFormat = "dav"

// New returns the handler.
func New(deps httpkit.Deps) *Handler {
	return &Handler{deps: deps, logger: httpkit.Logger(deps.Logger)}
}

// Register adds the routes, for GET and HEAD and for PROPFIND, which DAV
// clients send to the well-known path first.
func (h *Handler) Register(r gin.IRouter) {
	for path, service := range map[string]func(autoconfig.Domain) (autoconfig.DAVEndpoint, error){
		CalDAVPath:  calDAV,
		CardDAVPath: cardDAV,
	} {
		serve := h.redirect(service)
		for _, method := range []string{http.MethodGet, http.MethodHead, propfind} {
			r.Handle(method, path, serve)
		}
	}
	h.deps.Declare(MetricsFormat, CalDAVPath, CardDAVPath)
}

func calDAV(d autoconfig.Domain) (autoconfig.DAVEndpoint, error) {
	if !d.CalDAV.Offered() {
		return autoconfig.DAVEndpoint{}, errNoCalDAV
	}
	return d.CalDAV, nil
}

func cardDAV(d autoconfig.Domain) (autoconfig.DAVEndpoint, error) {
	if !d.CardDAV.Offered() {
		return autoconfig.DAVEndpoint{}, errNoCardDAV
	}
	return d.CardDAV, nil
}

// redirect answers with a redirect to the service's URL for the domain of
// the Host header (autoconfig.<domain>, …) or of ?emailaddress.
//
// 301: RFC 6764 §5 has the server redirect "using one of the available
// mechanisms provided by HTTP (e.g., using a 301, 303, or 307 response)";
// 301 is the first it names and what the common DAV servers send (Nextcloud,
// ownCloud), so it is the redirect clients are known to follow. A 301 keeps
// the method of a PROPFIND: RFC 9110 §15.4.2 lets clients change only a
// POST to GET.
func (h *Handler) redirect(service func(autoconfig.Domain) (autoconfig.DAVEndpoint, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		domain, err := httpkit.RequestedDomain(c, "emailaddress")
		if err != nil {
			httpkit.WriteError(c, h.logger, err)
			return
		}
		d, err := h.deps.Resolver.Domain(c.Request.Context(), domain)
		if err != nil {
			httpkit.WriteError(c, h.logger, err)
			return
		}
		ep, err := service(d)
		if err != nil {
			httpkit.WriteError(c, h.logger, err)
			return
		}
		c.Writer.Header()["Cache-Control"] = cacheFor
		c.Redirect(http.StatusMovedPermanently, ep.URL)
	}
}
