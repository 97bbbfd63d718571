package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/accesslog"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/autotls"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certpolicy"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/connlimit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/guard"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/reload"
)

// server is a configured service: listeners open, ready to run.
type server struct {
	opts     serveOptions
	logger   *slog.Logger
	store    *autoconfig.Store
	metrics  *metrics.Metrics
	reloader *reload.Reloader
	refusals *accesslog.Refusals
	mx       *mxlookup.Lookup // nil without a resolver
	pacc     *pacc.History    // nil without --pacc-state
	policy   *certpolicy.Policy
	acme     *autotls.Manager   // nil without --acme-cache
	conns    *connlimit.Limiter // of the public listeners
	base     *url.URL           // --public-url, nil when not given
	// lifetime ends when run returns: background work started by reloads
	// stops with it.
	lifetime context.Context

	main, plain, private *http.Server
	listeners
	tls bool
}

// listeners are the open sockets; plain and private may be nil.
type listeners struct {
	mainLn, plainLn, privateLn net.Listener
}

// validated are the options that need parsing, parsed; newServer builds
// everything else from them.
type validated struct {
	logger         *slog.Logger
	accessFormat   accesslog.Format
	base           *url.URL
	trusted        []netip.Prefix
	limiter        *ratelimit.Limiter
	onDemandPerSec float64 // 0: no on-demand issuance
	mxBudget       mxlookup.Budget
}

// validate checks the flags alone, before anything is read or opened.
func (o serveOptions) validate(stderr io.Writer) (validated, error) {
	var v validated
	var err error
	if v.logger, v.accessFormat, err = newLogger(o.logFormat, stderr); err != nil {
		return v, err
	}
	if v.base, err = parsePublicURL(o.publicURL); err != nil {
		return v, err
	}
	if v.trusted, err = guard.ParseCIDRs(o.trustedProxies); err != nil {
		return v, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if err := checkISPDB("--check-ispdb", o.check.ispdb); err != nil {
		return v, err
	}
	if v.limiter, err = newLimiter(o.rateLimit, o.rateBurst); err != nil {
		return v, err
	}
	if v.mxBudget, err = mxBudget(o.mxRate, o.mxGlobalRate); err != nil {
		return v, err
	}
	if o.renderSlots < 0 || o.renderQueue < 0 || o.renderWait <= 0 {
		return v, fmt.Errorf("--render-slots and --render-queue must not be negative, --render-wait must be positive")
	}
	if err := o.checkTLSFlags(); err != nil {
		return v, err
	}
	if err := o.checkConnFlags(); err != nil {
		return v, err
	}
	if o.acmeOnDemandRate != "0" {
		if v.onDemandPerSec, err = ratelimit.ParseRate(o.acmeOnDemandRate); err != nil {
			return v, fmt.Errorf("--acme-on-demand-rate: %w", err)
		}
	}
	if err := checkToken("helpdesk", o.helpdeskToken); err != nil {
		return v, err
	}
	if err := checkToken("admin", o.adminToken); err != nil {
		return v, err
	}
	switch {
	case o.maxBodyBytes <= 0:
		return v, fmt.Errorf("--max-body must be positive")
	case o.watchDebounce <= 0:
		return v, fmt.Errorf("--watch-debounce must be positive")
	}
	return v, nil
}

func (o serveOptions) checkTLSFlags() error {
	files := o.tlsCert != "" || o.tlsKey != ""
	switch {
	case files && (o.tlsCert == "" || o.tlsKey == ""):
		return fmt.Errorf("--tls-cert and --tls-key go together")
	case files && o.acmeCache != "":
		return fmt.Errorf("use either --tls-cert/--tls-key or --acme-cache, not both")
	case o.acmeCache == "" && (o.acmeEmail != "" || o.acmeDirectory != "" || o.acmeCAFile != "" || o.acmeCatchAll):
		return fmt.Errorf("--acme-email, --acme-directory, --acme-directory-ca and --acme-catch-all need --acme-cache")
	case o.httpListen != "" && !files && o.acmeCache == "":
		return fmt.Errorf("--http-listen needs TLS on --listen: give --tls-cert/--tls-key or --acme-cache")
	}
	return nil
}

// newServer validates the options, loads the configuration and the
// certificate, opens the listeners and builds the site once from them.
func newServer(o serveOptions, stderr io.Writer) (*server, error) {
	v, err := o.validate(stderr)
	if err != nil {
		return nil, err
	}
	logger := v.logger
	cfg, err := loadConfig(o.configPath)
	if err != nil {
		return nil, err
	}
	logConfig(logger, cfg)
	if why := phoneUnreachable(o.listen); v.base == nil && why != "" {
		logger.Warn("QR codes and links for phones may not work: set --public-url to the name phones reach", "reason", why)
	}
	signer, err := o.sign.signer(logger)
	if err != nil {
		return nil, err
	}
	if signer != nil {
		cert := signer.Certificate()
		logger.Info("signing Apple profiles", "subject", cert.Subject.String(), "not_after", cert.NotAfter)
	}
	mx, err := newMXResolver(o.resolver, cfg, logger)
	if err != nil {
		return nil, err
	}
	history, err := o.pacc.history(cfg, logger)
	if err != nil {
		return nil, err
	}
	setRenderBudget(o.renderSlots, o.renderQueue, o.renderWait)
	store := autoconfig.NewStore(cfg)
	formats := &httpkit.Formats{}
	m := metrics.New(versionString(), formats.Of)
	m.ConfigLoaded(time.Now())
	if mx != nil {
		mx.SetBudget(v.mxBudget)
		m.WatchMX(mx.Stats)
	}
	policy := newCertPolicy(store, mx, v.base, o.acmeCatchAll, m)
	if policy.Pointer != nil {
		policy.Pointer.SetBudget(v.mxBudget) // the same rates as accept.mx, a budget of its own
	}

	suspensions := o.suspensions()
	m.WatchSuspensions(suspensions.Stats)
	refusals := newRefusals(logger, m, suspensions)
	limits, err := o.connLimits(v, refusals, suspensions)
	if err != nil {
		return nil, err
	}
	conns := connlimit.New(limits)
	m.WatchConnections(conns.Stats)
	lns, err := o.openListeners()
	if err != nil {
		return nil, err
	}
	lns.limit(conns)
	t, err := newTLS(o, v, tlsDeps{policy: policy, logger: logger, metrics: m, listeners: lns})
	if err != nil {
		lns.close()
		return nil, err
	}
	s := &server{opts: o, logger: logger, store: store, metrics: m, policy: policy, acme: t.acme, base: v.base,
		lifetime: context.Background(), listeners: lns, tls: t.config != nil,
		refusals: refusals, mx: mx, conns: conns, pacc: history}
	s.reloader = &reload.Reloader{
		Load: reloadConfig(o.configPath, mx != nil), Store: store, Metrics: m, Logger: logger,
		Certs: t.certFile, OnSwap: s.onSwap,
	}
	if o.adminToken != "" && o.privateAddr == "" && !o.publicOperations {
		logger.Warn("an admin token is set but /admin/reload is on no listener: give --private-listen")
	}

	site := site{
		store: store, publicURL: v.base, logger: logger, metrics: m, formats: formats,
		logOutput: stderr, logFormat: v.accessFormat, refusals: s.refusals,
		trustedProxies: v.trusted, logAddresses: o.logAddresses, maxBodyBytes: o.maxBodyBytes,
		limiter: v.limiter, reloader: s.reloader, adminToken: o.adminToken,
		publicOperations: o.publicOperations, signer: signer, mx: mx,
		helpdeskToken: o.helpdeskToken, configPath: o.configPath, certPolicy: policy, publicTLSAllowed: o.publicTLSAllowed,
		httpsPort: t.httpsPort, acmeChallenge: t.challenge, readiness: t.readiness,
		paccHistory: history,
	}
	if mx != nil {
		// The helpdesk checks domains through the same resolver.
		check := o.check
		check.resolver = mx.Server()
		check.pacc = history
		site.dnsCheck = newDNSCheck(check, store)
	}
	s.main = s.httpServer(newHandler(site))
	s.main.TLSConfig = t.config
	if lns.plainLn != nil {
		s.plain = s.httpServer(s.main.Handler)
		s.plain.BaseContext = func(net.Listener) context.Context { return guard.MarkPlain(context.Background()) }
	}
	if lns.privateLn != nil {
		s.private = s.httpServer(newPrivateEngine(site))
	}
	return s, nil
}

// openListeners opens every listener the options ask for: before TLS is
// set up, since ACME challenges are answered through their ports.
func (o serveOptions) openListeners() (listeners, error) {
	var l listeners
	var err error
	if l.mainLn, err = net.Listen("tcp", o.listen); err != nil {
		return l, fmt.Errorf("listening on %s: %w", o.listen, err)
	}
	if o.httpListen != "" {
		if l.plainLn, err = net.Listen("tcp", o.httpListen); err != nil {
			l.close()
			return l, fmt.Errorf("listening on %s: %w", o.httpListen, err)
		}
	}
	if o.privateAddr != "" {
		if l.privateLn, err = net.Listen("tcp", o.privateAddr); err != nil {
			l.close()
			return l, fmt.Errorf("listening on %s: %w", o.privateAddr, err)
		}
	}
	return l, nil
}

func (l listeners) close() {
	for _, ln := range []net.Listener{l.mainLn, l.plainLn, l.privateLn} {
		if ln != nil {
			ln.Close()
		}
	}
}

// onSwap follows a reloaded configuration: the PACC history records its
// documents, and certificates for the names of newly listed domains are
// ordered ahead of time.
func (s *server) onSwap(cfg *autoconfig.Config) {
	observePACC(s.pacc, cfg, s.logger)
	if s.acme != nil {
		s.manageListed(s.lifetime, cfg)
	}
}

// newLogger is the service's logger and the format of its access lines,
// which are written beside its records in the same format.
func newLogger(format string, w io.Writer) (*slog.Logger, accesslog.Format, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), accesslog.Text, nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), accesslog.JSON, nil
	}
	return nil, 0, fmt.Errorf("--log-format must be text or json")
}

func newLimiter(rateFlag string, burst int) (*ratelimit.Limiter, error) {
	if rateFlag == "0" {
		return nil, nil
	}
	perSecond, err := ratelimit.ParseRate(rateFlag)
	if err != nil {
		return nil, fmt.Errorf("--rate-limit: %w", err)
	}
	if burst < 1 {
		return nil, fmt.Errorf("--rate-burst must be at least 1")
	}
	return ratelimit.New(perSecond, burst, ratelimit.DefaultMaxClients), nil
}

func portOf(addr string) (int, error) {
	_, p, err := net.SplitHostPort(addr)
	if err == nil {
		var port int
		if port, err = strconv.Atoi(p); err == nil && port > 0 {
			return port, nil
		}
	}
	return 0, fmt.Errorf("--listen %q names no fixed port for redirects to point to: set --https-port", addr)
}

func logConfig(logger *slog.Logger, cfg *autoconfig.Config) {
	for _, p := range cfg.Providers {
		logger.Info("provider loaded", "config", cfg.Source, "provider", p.ID, "domains", len(p.Domains))
	}
	if cfg.CatchAll != nil {
		logger.Warn("answering for ANY domain with the catch-all provider; pass --config to serve only your domains",
			"config", cfg.Source, "provider", cfg.CatchAll.ID)
	}
	for _, w := range cfg.Warnings {
		logger.Warn("configuration works but some clients refuse it", "warning", w.Error())
	}
}

// parsePublicURL accepts an absolute http(s) URL without query or fragment.
func parsePublicURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--public-url must be an absolute http or https URL such as https://autoconfig.example.com")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// newMXResolver builds the resolver of accept.mx lookups. It is built even
// when the configuration in force has no accept.mx, so that a reloaded one
// can use it.
func newMXResolver(server string, cfg *autoconfig.Config, logger *slog.Logger) (*mxlookup.Lookup, error) {
	if server == "" {
		var err error
		if server, err = mxlookup.SystemResolver(); err != nil {
			if cfg.AcceptsMX() {
				return nil, fmt.Errorf("%w (%v)", errMXNeedsResolver, err)
			}
			logger.Warn("no DNS resolver: accept.mx and the helpdesk's DNS check will not work until one is given with --resolver", "error", err)
			return nil, nil
		}
	} else if err := checkHostPort(server); err != nil {
		return nil, fmt.Errorf("--resolver: %w", err)
	}
	if cfg.AcceptsMX() {
		logger.Info("accepting domains by MX", "resolver", server)
	}
	return mxlookup.New(server, mxlookup.DefaultCacheSize, logger), nil
}

// checkHostPort accepts HOST:PORT with a numeric port.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return fmt.Errorf("%q is not HOST:PORT", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q is not HOST:PORT", s)
	}
	return nil
}
