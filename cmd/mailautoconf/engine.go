package main

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/wizard"
)

// site is everything the HTTP engine is built from.
type site struct {
	store     *autoconfig.Store
	publicURL *url.URL // nil: links are derived from each request
	logger    *slog.Logger
	// helpdeskToken enables the wizard's /helpdesk page; empty disables it.
	helpdeskToken string
}

// newEngine wires every package's routes into one gin engine. Each package
// owns its routes; this function only decides which are mounted.
func newEngine(s site) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	// A wrong method is a 405 with Allow, not a 404.
	e.HandleMethodNotAllowed = true
	e.Use(accessLog(s.logger), gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, _ any) {
		c.AbortWithStatus(http.StatusInternalServerError)
	}))
	e.NoRoute(func(c *gin.Context) {
		c.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("not found\n"))
	})
	e.NoMethod(func(c *gin.Context) {
		c.Data(http.StatusMethodNotAllowed, "text/plain; charset=utf-8", []byte("method not allowed\n"))
	})

	autoconf := &autoconfig.Service{Store: s.store, PublicURL: s.publicURL}
	autoconf.Register(e)
	wizard.Register(e, autoconf, wizard.Options{HelpdeskToken: s.helpdeskToken})
	return e
}

// accessLog writes one line per request. It logs the route pattern, never
// the raw URL: query strings carry email addresses.
func accessLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		logger.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.Int("status", c.Writer.Status()),
			slog.Duration("duration", time.Since(start)),
			slog.String("client", c.ClientIP()),
		)
	}
}
