package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/dav"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/accesslog"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certpolicy"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/connlimit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/guard"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/health"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/reload"
	"github.com/mailautoconf/mailautoconf/profiles"
	"github.com/mailautoconf/mailautoconf/wizard"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass"
)

// DefaultMaxBodyBytes caps request bodies: an Autodiscover request is under
// 1 KiB, and nothing else the service accepts is larger.
const DefaultMaxBodyBytes = 64 << 10

// site is everything the HTTP engine is built from.
type site struct {
	store     *autoconfig.Store
	publicURL *url.URL // nil: links are derived from each request
	logger    *slog.Logger
	// logOutput and logFormat are where and how access lines are written:
	// the logger's writer and format (nil: not written).
	logOutput io.Writer
	logFormat accesslog.Format
	// refusals sums up refused requests in the log; nil: a fresh one.
	refusals *accesslog.Refusals
	metrics  *metrics.Metrics // nil: a fresh registry
	// formats learns the format of each route as packages register them,
	// for the metrics\' format label; nil: a fresh one.
	formats *httpkit.Formats
	signer  *profiles.Signer // nil: Apple profiles are served unsigned
	mx      *mxlookup.Lookup // nil: no accept.mx lookups

	trustedProxies []netip.Prefix // clients whose X-Forwarded-* headers count
	logAddresses   bool           // log whole addresses, not only domains
	maxBodyBytes   int64          // 0: DefaultMaxBodyBytes
	limiter        *ratelimit.Limiter
	readiness      []health.Check

	reloader   *reload.Reloader // with adminToken: POST /admin/reload
	adminToken string
	// publicOperations mounts /metrics and /admin/* on the public engine
	// too; they are on the private one (newPrivateEngine) otherwise.
	publicOperations bool
	// certPolicy answers GET /tls/allowed on the private engine; nil: not
	// mounted.
	certPolicy *certpolicy.Policy
	// publicTLSAllowed mounts GET /tls/allowed on the public engine too,
	// for a front proxy on the same host that asks there.
	publicTLSAllowed bool

	// httpsPort, when not 0, is the TLS port that requests arriving on the
	// plain-HTTP listener are redirected to.
	httpsPort int
	// acmeChallenge answers HTTP-01 challenges on the plain listener.
	acmeChallenge http.Handler
	// helpdeskToken enables the wizard's /helpdesk page; empty disables it.
	helpdeskToken string
	// configPath is the --config in force, shown in the helpdesk's
	// command lines ("": the embedded example).
	configPath string
	// dnsCheck offers the helpdesk a live DNS check of a user's domain;
	// nil: not offered.
	dnsCheck wizard.DNSCheckFunc
	// paccHistory keeps previous PACC documents valid after a change
	// (--pacc-state); nil: only the current one is served.
	paccHistory *pacc.History
	// devicePassClient reaches the identity providers and device password
	// APIs of passwords.mint; nil: a client with a 10-second timeout.
	devicePassClient *http.Client
}

// acmeChallengePrefix is where ACME HTTP-01 challenges are fetched (RFC 8555 §8.3).
const acmeChallengePrefix = "/.well-known/acme-challenge/"

// newEngine wires every package's routes into one gin engine. Each package
// owns its routes; this function only decides which are mounted.
func newEngine(s site) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	if s.formats == nil {
		s.formats = &httpkit.Formats{}
	}
	if s.metrics == nil {
		s.metrics = metrics.New(versionString(), s.formats.Of)
	}
	if s.maxBodyBytes == 0 {
		s.maxBodyBytes = DefaultMaxBodyBytes
	}
	if s.refusals == nil {
		s.refusals = newRefusals(s.logger, s.metrics, nil)
	}
	e := gin.New()
	// A wrong method is a 405 with Allow, not a 404.
	e.HandleMethodNotAllowed = true
	// No client asks for a path with a trailing slash. gin answers those
	// with a 301 before any middleware runs (no security headers, no log
	// line) and builds its Location from the client's X-Forwarded-Prefix:
	// a cacheable redirect any client could point elsewhere. 404 instead.
	e.RedirectTrailingSlash = false
	// Forwarded headers count only from the listed proxies (none by
	// default): otherwise any client could choose the logged and
	// rate-limited IP address.
	if err := e.SetTrustedProxies(prefixStrings(s.trustedProxies)); err != nil {
		panic("trusted proxies were validated by guard.ParseCIDRs: " + err.Error())
	}
	e.Use(
		guard.ForwardedScheme(s.trustedProxies),
		guard.SecurityHeaders(),
		s.accessLog().Middleware(s.metrics.Observe),
		// gin's own recovery log dumps the request line and headers;
		// ours has the route pattern only (no query, no Authorization).
		gin.CustomRecoveryWithWriter(nil, logPanic(s.logger)),
	)
	if s.httpsPort != 0 {
		e.Use(guard.RedirectPlain(s.httpsPort, s.servedOverPlainHTTP))
	}
	// The Autodiscover POX handler caps its body lower itself and answers
	// 413 as a POX document, which Autodiscover clients can read.
	e.Use(guard.WellFormedQuery(), guard.BodyLimit(s.maxBodyBytes, autodiscover.POXPath))
	if s.mx != nil {
		e.Use(s.mxClient())
	}
	e.NoMethod(func(c *gin.Context) {
		httpkit.WriteText(c, http.StatusMethodNotAllowed, "method not allowed")
	})

	deps := httpkit.Deps{
		Resolver:  &autoconfig.Resolver{Store: s.store, MX: s.mxLookup()},
		PublicURL: s.publicURL,
		Logger:    s.logger,
		Formats:   s.formats,
	}
	// Generating endpoints (Apple profiles, QR codes, helpdesk pages) cost
	// CPU on every request and cannot be cached: they are mounted on this
	// group, limited per client IP. Cached documents stay unlimited.
	generating := e.Group("", s.rateLimit())
	appleProfiles := profiles.New(deps, s.signer)
	for _, m := range s.formatMounts(deps, appleProfiles) {
		router := gin.IRouter(e)
		if m.generating {
			router = generating
		}
		m.format.Register(router)
	}
	wiz := wizard.Register(e, generating, deps, wizard.Options{HelpdeskToken: s.helpdeskToken, DNSCheck: s.dnsCheck, ProfilesSigned: s.signer != nil,
		ConfigPath: s.configPath, Limit: s.pageLimit(),
		DevicePasswords: &devicepass.Options{Profiles: appleProfiles, HTTPClient: s.devicePassClient}})
	// A person who types a wrong path gets a page with a way back; the
	// formats' clients get the plain answer.
	e.NoRoute(func(c *gin.Context) {
		if !wiz.NotFoundPage(c) {
			httpkit.WriteText(c, http.StatusNotFound, "not found")
		}
	})

	health.Register(e, append([]health.Check{configLoaded(s.store)}, s.readiness...)...)
	if s.publicOperations {
		s.registerOperations(e, generating)
	}
	if s.certPolicy != nil && s.publicTLSAllowed {
		// Each new name can cost DNS queries (the pointer check's own
		// budget bounds them): limited per client like the generating
		// endpoints, so that one client cannot spend everyone's budget.
		generating.GET(certpolicy.AllowedPath, s.certPolicy.Handler())
	}
	if s.acmeChallenge != nil {
		e.GET(acmeChallengePrefix+":token", gin.WrapH(s.acmeChallenge))
	}
	s.formats.Declare(formatOperations, health.LivePath, health.ReadyPath, "/metrics",
		reload.AdminPath, acmeChallengePrefix+":token", certpolicy.AllowedPath)
	return e
}

// formatRoutes is a package that serves an output format: it mounts its
// own routes and declares their metrics format label (its MetricsFormat).
type formatRoutes interface {
	Register(r gin.IRouter)
}

// formatMount is one output format in the engine's list.
type formatMount struct {
	format formatRoutes
	// generating: rendered per request and not cacheable, so mounted on
	// the rate-limited group.
	generating bool
}

// formatMounts are the output formats the public engine serves, in one
// list: adding a format is adding its line here (README, "Adding an
// output format").
// apple is the profiles handler, shared with the one-step setup, which
// renders its profiles with a password.
func (s site) formatMounts(deps httpkit.Deps, apple *profiles.Handler) []formatMount {
	return []formatMount{
		{format: thunderbird.New(deps)},
		{format: autodiscover.New(deps).CountSchemas(s.metrics.AutodiscoverSchema)},
		{format: pacc.New(deps).WithRollover(s.paccHistory, paccLookup(s.mx))},
		{format: dav.New(deps)},
		{format: apple, generating: true},
	}
}

// formatOperations is the metrics' format label of the operations
// endpoints (health, metrics, admin, ACME, certificate decisions).
const formatOperations = "operations"

// registerOperations mounts /metrics and, with an admin token,
// POST /admin/reload; limited is the rate-limited group.
func (s site) registerOperations(e *gin.Engine, limited gin.IRoutes) {
	e.GET("/metrics", gin.WrapH(s.metrics.Handler()))
	if s.reloader != nil && s.adminToken != "" {
		// Limited: it slows down guessing the token.
		limited.POST(reload.AdminPath, s.reloader.AdminHandler(s.adminToken))
	}
}

// newPrivateEngine serves the operations endpoints on --private-listen,
// an address the operator keeps away from the public (a loopback address,
// a pod port no Service exposes), with the health probes beside them.
func newPrivateEngine(s site) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.Use(guard.SecurityHeaders(), gin.CustomRecoveryWithWriter(nil, logPanic(s.logger)))
	limited := e.Group("", s.rateLimit())
	s.registerOperations(e, limited)
	if s.certPolicy != nil {
		// A front proxy on the same host asks here; the rate limit still
		// applies (the proxy is one client asking for every name).
		limited.GET(certpolicy.AllowedPath, s.certPolicy.Handler())
	}
	health.Register(e, append([]health.Check{configLoaded(s.store)}, s.readiness...)...)
	return e
}

// mxLookup is the MX resolver as the Resolver takes it: nil stays nil.
func (s site) mxLookup() autoconfig.MXLookup {
	if s.mx == nil {
		return nil
	}
	return s.mx
}

// logPanic answers a recovered panic with 500 and logs it at error level
// with its value, route pattern and stack: a bug must leave a trace, but
// not the request's raw URL or headers, which can hold addresses and
// tokens.
func logPanic(logger *slog.Logger) gin.RecoveryFunc {
	return func(c *gin.Context, recovered any) {
		logger.Error("request handler panicked: answered 500",
			"panic", fmt.Sprint(recovered), "route", c.FullPath(), "stack", string(debug.Stack()))
		c.AbortWithStatus(http.StatusInternalServerError)
	}
}

func (s site) accessLog() *accesslog.Logger {
	out := s.logOutput
	if out == nil {
		out = io.Discard
	}
	return accesslog.New(out, s.logFormat, accesslog.Options{
		LogAddresses:   s.logAddresses,
		TrustedProxies: len(s.trustedProxies) > 0,
		Refusals:       s.refusals,
	})
}

// newRefusals sums up refused requests and connections in logger's
// output, counted in m; those a client brings on itself count towards its
// suspension (nil: none).
func newRefusals(logger *slog.Logger, m *metrics.Metrics, suspensions *connlimit.Suspensions) *accesslog.Refusals {
	return accesslog.NewRefusals(httpkit.Logger(logger), 0, func(client netip.Addr, r accesslog.Reason) {
		m.Refused(r.String())
		if r.ByClient() {
			suspensions.Refused(client)
		}
	})
}

// newHandler is the engine behind the path rewrites that must happen before
// gin routes (Autodiscover paths are case-insensitive), its text answers
// compressed for clients that accept it.
func newHandler(s site) http.Handler {
	return compressText(autodiscover.CanonicalPaths(newEngine(s)))
}

// rateLimit is the per-client limit of the generating group, or nothing
// when rate limiting is off.
func (s site) rateLimit() gin.HandlerFunc {
	if s.limiter == nil {
		return func(c *gin.Context) { c.Next() }
	}
	return s.limiter.Middleware(s.metrics.RateLimited)
}

// pageLimit is the per-client limit of the wizard's pages, the same
// buckets as the generating group's; the wizard answers refusals as pages.
func (s site) pageLimit() wizard.LimitFunc {
	if s.limiter == nil {
		return nil
	}
	return func(c *gin.Context) (bool, int64) { return s.limiter.Limit(c, s.metrics.RateLimited) }
}

// servedOverPlainHTTP lists what the plain-HTTP listener answers itself:
// Thunderbird's autoconfig paths (it falls back to http:// when https fails),
// ACME challenges (fetched over http by definition), the health probes, the
// front proxies' certificate decision (when mounted there), and
// Outlook's GET probe of Autodiscover when --public-url is https: the
// handler answers it with a 302 to the public URL. A redirect to
// https://autodiscover.<domain>/ would send Outlook back to the host whose
// HTTPS it just failed to reach: [MS-OXDISCO] has the client take only a
// 302 from this probe, as a new HTTPS Autodiscover URL it confirms with the
// user (learn.microsoft.com/openspecs/exchange_server_protocols/ms-oxdisco/
// 115f06cf-62db-46a1-a825-8b30897f27d3). Everything else is
// redirected to HTTPS on the same host.
func (s site) servedOverPlainHTTP(r *http.Request) bool {
	path := r.URL.Path
	return slices.Contains(thunderbird.Paths, path) ||
		strings.HasPrefix(path, acmeChallengePrefix) ||
		path == health.LivePath || path == health.ReadyPath ||
		(path == certpolicy.AllowedPath && s.publicTLSAllowed) ||
		(r.Method == http.MethodGet && path == autodiscover.POXPath && s.publicURL != nil && s.publicURL.Scheme == "https")
}

func configLoaded(store *autoconfig.Store) health.Check {
	return func(time.Time) error {
		if store.Config() == nil {
			return errNoConfig
		}
		return nil
	}
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

var errNoConfig = errors.New("no configuration loaded")
