// Package accesslog writes one structured log line per HTTP request.
//
// The line names the route pattern and the mail domain the request was
// about, never the raw URL, headers or body: query strings carry email
// addresses, and headers carry credentials (Basic auth from Outlook,
// cookies from browsers).
package accesslog

import (
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// NoRoute is the route logged for requests that matched no route.
const NoRoute = "(no route)"

// addressParams are the query parameters that carry the user's address:
// Thunderbird's emailaddress, Outlook's Email (autodiscover.json) and the
// email of the profile, QR and wizard pages.
var addressParams = []string{"emailaddress", "email", "Email", "emailAddress"}

// Options says what a line may contain.
type Options struct {
	// LogAddresses logs the whole address when a request names one. Off by
	// default: the domain is enough to debug a provider's configuration.
	LogAddresses bool
}

// Middleware logs each request after it is answered.
func Middleware(logger *slog.Logger, opts Options) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = NoRoute
		}
		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.Int("status", c.Writer.Status()),
			slog.Duration("duration", time.Since(start)),
			slog.String("client", c.ClientIP()),
		}
		domain, address := subject(c)
		if domain != "" {
			attrs = append(attrs, slog.String("domain", domain))
		}
		if opts.LogAddresses && address != "" {
			attrs = append(attrs, slog.String("address", address))
		}
		logger.LogAttrs(c.Request.Context(), slog.LevelInfo, "request", attrs...)
	}
}

// subject is the ASCII domain the request is about, from the address in
// the query or else from the Host header, and the validated address when
// there is one. Invalid input yields nothing: it is never logged raw.
func subject(c *gin.Context) (domain, address string) {
	// gin's query cache: the handler has parsed the query already.
	for _, name := range addressParams {
		raw := c.Query(name)
		if raw == "" {
			continue
		}
		addr, err := autoconfig.ParseAddress(raw)
		if err != nil {
			return "", ""
		}
		return addr.Domain, addr.ASCII()
	}
	domain, err := autoconfig.DomainFromHost(c.Request.Host)
	if err != nil {
		return "", ""
	}
	return domain, ""
}
