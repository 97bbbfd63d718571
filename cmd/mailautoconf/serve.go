package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/accesslog"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certs"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/guard"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/logwriter"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/reload"
)

func init() {
	commands["serve"] = command{
		summary: "run the HTTP service",
		run:     runServe,
	}
}

// adminTokenEnv is read when --admin-token is not given: a flag is visible
// to every local user in the process list, the environment is not.
const adminTokenEnv = "MAILAUTOCONF_ADMIN_TOKEN"

// logFlushInterval is the longest a log line waits in the buffer.
const logFlushInterval = 100 * time.Millisecond

// serveOptions are serve's flags.
type serveOptions struct {
	configPath, publicURL           string
	listen, httpListen, metricsAddr string
	httpsPort                       int

	tlsCert, tlsKey                                 string
	acmeCache, acmeEmail, acmeDirectory, acmeCAFile string

	trustedProxies string
	adminToken     string
	logFormat      string
	logAddresses   bool
	rateLimit      string
	rateBurst      int
	maxBodyBytes   int64

	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout, shutdownGrace time.Duration
	maxHeaderBytes                                                           int

	sign          signFlags
	resolver      string
	helpdeskToken string
	check         checkOptions // the helpdesk's live check (resolver: --resolver)
}

// serveFlags defines serve's flags on fs, with their defaults.
func serveFlags(fs *flag.FlagSet) *serveOptions {
	o := &serveOptions{}
	fs.StringVar(&o.configPath, "config", "", "configuration file (default: the embedded default provider, for ANY domain)")
	fs.StringVar(&o.listen, "listen", ":8080", "address to listen on (HTTPS when a certificate or ACME is configured)")
	fs.StringVar(&o.publicURL, "public-url", "", "absolute base URL of the service, e.g. https://autoconfig.example.com (default: derived from each request)")
	fs.StringVar(&o.httpListen, "http-listen", "", "also listen for plain HTTP here (e.g. :80): serves Thunderbird autoconfig, ACME challenges and health probes, redirects the rest to HTTPS; needs TLS")
	fs.IntVar(&o.httpsPort, "https-port", 0, "port that plain-HTTP redirects point to (default: the port of --listen)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate chain (PEM), re-read when it changes")
	fs.StringVar(&o.tlsKey, "tls-key", "", "TLS private key (PEM), re-read when it changes")
	fs.StringVar(&o.acmeCache, "acme-cache", "", "obtain certificates with ACME (Let's Encrypt) and keep them in this directory")
	fs.StringVar(&o.acmeEmail, "acme-email", "", "contact address given to the ACME CA")
	fs.StringVar(&o.acmeDirectory, "acme-directory", "", "ACME directory URL (default: Let's Encrypt production)")
	fs.StringVar(&o.acmeCAFile, "acme-directory-ca", "", "PEM file of the CA that signs the ACME directory's own HTTPS certificate (private ACME servers)")
	fs.StringVar(&o.trustedProxies, "trusted-proxies", "", "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto count (default: none)")
	fs.StringVar(&o.adminToken, "admin-token", "", "enable POST /admin/reload with this bearer token (default: $"+adminTokenEnv+")")
	fs.StringVar(&o.metricsAddr, "metrics-listen", "", "serve /metrics on this address only, not on --listen (e.g. 127.0.0.1:9090)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&o.logAddresses, "log-addresses", false, "log whole email addresses, not only their domains")
	fs.StringVar(&o.rateLimit, "rate-limit", "1/s", "per-client rate (an IPv4 address or an IPv6 /64) of generating requests (profiles, QR codes, helpdesk): N/s, N/m or N/h; 0 disables")
	fs.IntVar(&o.rateBurst, "rate-burst", 20, "requests a client may make at once before --rate-limit applies")
	fs.Int64Var(&o.maxBodyBytes, "max-body", DefaultMaxBodyBytes, "largest request body accepted, in bytes")
	fs.DurationVar(&o.readHeaderTimeout, "read-header-timeout", 10*time.Second, "time allowed to read request headers (equal to --read-timeout, the deadline is set once per request, not twice)")
	fs.DurationVar(&o.readTimeout, "read-timeout", 10*time.Second, "time allowed to read a whole request")
	fs.DurationVar(&o.writeTimeout, "write-timeout", 30*time.Second, "time allowed to write a response")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 120*time.Second, "how long an idle keep-alive connection is kept")
	fs.IntVar(&o.maxHeaderBytes, "max-header-bytes", 16<<10, "largest request header block accepted, in bytes")
	fs.DurationVar(&o.shutdownGrace, "shutdown-grace", 10*time.Second, "on SIGTERM/SIGINT, how long requests in flight may take to finish")
	fs.StringVar(&o.helpdeskToken, "helpdesk-token", "",
		"enable /helpdesk, protected by this token (HTTP Basic password or Bearer) (default: $"+helpdeskTokenEnv+", which other users cannot see in the process list)")
	o.sign = addSignFlags(fs)
	fs.StringVar(&o.resolver, "resolver", "", "DNS server for accept.mx lookups and the helpdesk's DNS check, HOST:PORT (default: the first nameserver of /etc/resolv.conf)")
	fs.StringVar(&o.check.ispdb, "check-ispdb", dnscheck.DefaultISPDB, "base URL of the Thunderbird ISP database the helpdesk's DNS check asks")
	fs.BoolVar(&o.check.allowInternal, "check-allow-internal", false, "let the helpdesk's DNS check connect to names that resolve to loopback, private, link-local or unspecified addresses (refused by default)")
	return o
}

// The helpdesk token: from the environment by default, since a flag shows in
// the process list. It guards a page that lists links only (never a
// password), but a short token could still be guessed online.
const (
	helpdeskTokenEnv = "MAILAUTOCONF_HELPDESK_TOKEN"
	minHelpdeskToken = 16
)

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [--config FILE] [--listen ADDR] [--tls-cert F --tls-key F | --acme-cache DIR] [flags]", stderr)
	opts := serveFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if opts.adminToken == "" {
		opts.adminToken = os.Getenv(adminTokenEnv)
	}
	if opts.helpdeskToken == "" {
		opts.helpdeskToken = os.Getenv(helpdeskTokenEnv)
	}
	// Logs go out in batches: one write per access line would cost more
	// than answering an autoconfig request.
	logs := logwriter.New(stderr, 64<<10, logFlushInterval)
	defer logs.Close()
	srv, err := newServer(*opts, logs)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return srv.run(ctx, hup)
}

// server is a configured service: listeners open, ready to run.
type server struct {
	opts     serveOptions
	logger   *slog.Logger
	store    *autoconfig.Store
	metrics  *metrics.Metrics
	reloader *reload.Reloader

	main, plain, metricsOnly       *http.Server
	mainLn, plainLn, metricsOnlyLn net.Listener
	tls                            bool
}

// newServer validates the options, loads the configuration and the
// certificate, and opens the listeners.
func newServer(o serveOptions, stderr io.Writer) (*server, error) {
	logger, accessFormat, err := newLogger(o.logFormat, stderr)
	if err != nil {
		return nil, err
	}
	base, err := parsePublicURL(o.publicURL)
	if err != nil {
		return nil, err
	}
	if why := phoneUnreachable(o.listen); base == nil && why != "" {
		logger.Warn("QR codes and links for phones may not work: set --public-url to the name phones reach", "reason", why)
	}
	trusted, err := guard.ParseCIDRs(o.trustedProxies)
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if err := checkISPDB("--check-ispdb", o.check.ispdb); err != nil {
		return nil, err
	}
	limiter, err := newLimiter(o.rateLimit, o.rateBurst)
	if err != nil {
		return nil, err
	}
	if err := o.checkTLSFlags(); err != nil {
		return nil, err
	}
	if o.helpdeskToken != "" && len(o.helpdeskToken) < minHelpdeskToken {
		return nil, fmt.Errorf("the helpdesk token must be at least %d characters long", minHelpdeskToken)
	}
	if o.maxBodyBytes <= 0 {
		return nil, fmt.Errorf("--max-body must be positive")
	}

	cfg, err := loadConfig(o.configPath)
	if err != nil {
		return nil, err
	}
	logConfig(logger, cfg)
	signer, err := o.sign.signer()
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
	s := &server{opts: o, logger: logger, store: autoconfig.NewStore(cfg)}
	formats := &httpkit.Formats{}
	s.metrics = metrics.New(versionString(), formats.Of)
	s.metrics.ConfigLoaded(time.Now())
	s.reloader = &reload.Reloader{Load: reloadConfig(o.configPath, mx != nil), Store: s.store, Metrics: s.metrics, Logger: logger}

	site := site{
		store: s.store, publicURL: base, logger: logger, metrics: s.metrics, formats: formats,
		logOutput: stderr, logFormat: accessFormat,
		trustedProxies: trusted, logAddresses: o.logAddresses, maxBodyBytes: o.maxBodyBytes,
		limiter: limiter, reloader: s.reloader, adminToken: o.adminToken,
		serveMetrics: o.metricsAddr == "", signer: signer, mx: mx,
		helpdeskToken: o.helpdeskToken,
	}
	if mx != nil {
		// The helpdesk checks domains through the same resolver.
		check := o.check
		check.resolver = mx.Server()
		site.dnsCheck = newDNSCheck(check, s.store)
	}
	tlsConfig, err := s.tlsSetup(&site, base)
	if err != nil {
		return nil, err
	}
	if err := s.listen(site, tlsConfig); err != nil {
		s.closeListeners()
		return nil, err
	}
	return s, nil
}

func (o serveOptions) checkTLSFlags() error {
	files := o.tlsCert != "" || o.tlsKey != ""
	switch {
	case files && (o.tlsCert == "" || o.tlsKey == ""):
		return fmt.Errorf("--tls-cert and --tls-key go together")
	case files && o.acmeCache != "":
		return fmt.Errorf("use either --tls-cert/--tls-key or --acme-cache, not both")
	case o.acmeCache == "" && (o.acmeEmail != "" || o.acmeDirectory != "" || o.acmeCAFile != ""):
		return fmt.Errorf("--acme-email, --acme-directory and --acme-directory-ca need --acme-cache")
	case o.httpListen != "" && !files && o.acmeCache == "":
		return fmt.Errorf("--http-listen needs TLS on --listen: give --tls-cert/--tls-key or --acme-cache")
	}
	return nil
}

// tlsSetup returns the TLS configuration of the main listener, or nil
// when it serves plain HTTP (behind a TLS-terminating proxy).
func (s *server) tlsSetup(site *site, base *url.URL) (*tls.Config, error) {
	o := s.opts
	var get func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	nextProtos := []string{"h2", "http/1.1"}
	switch {
	case o.tlsCert != "":
		// The files are re-read at handshakes after a renewal, with no
		// signal: the expiry is recorded by certs.File at each read.
		f, err := certs.Load(o.tlsCert, o.tlsKey, s.metrics.CertificateFileLoaded())
		if err != nil {
			return nil, err
		}
		s.reloader.Certs = f
		site.readiness = append(site.readiness, f.Check)
		get = f.GetCertificate
	case o.acmeCache != "":
		m, err := newACMEManager(o, s.store, base)
		if err != nil {
			return nil, err
		}
		site.acmeChallenge = m.HTTPHandler(nil)
		acmeTLS := m.TLSConfig()
		// Its protocols include acme-tls/1 for TLS-ALPN-01 challenges.
		// Certificates are obtained and renewed at handshakes, so their
		// expiry is recorded as they are served.
		get, nextProtos = recordExpiry(acmeTLS.GetCertificate, s.metrics), acmeTLS.NextProtos
	default:
		return nil, nil
	}
	if o.httpListen != "" {
		site.httpsPort = o.httpsPort
		if site.httpsPort == 0 {
			port, err := portOf(o.listen)
			if err != nil {
				return nil, err
			}
			site.httpsPort = port
		}
	}
	s.tls = true
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: get,
		NextProtos:     nextProtos,
	}, nil
}

func (s *server) listen(site site, tlsConfig *tls.Config) error {
	o := s.opts
	var err error
	s.main = s.httpServer(newHandler(site))
	s.main.TLSConfig = tlsConfig
	if s.mainLn, err = net.Listen("tcp", o.listen); err != nil {
		return fmt.Errorf("listening on %s: %w", o.listen, err)
	}
	if o.httpListen != "" {
		s.plain = s.httpServer(s.main.Handler)
		s.plain.BaseContext = func(net.Listener) context.Context { return guard.MarkPlain(context.Background()) }
		if s.plainLn, err = net.Listen("tcp", o.httpListen); err != nil {
			return fmt.Errorf("listening on %s: %w", o.httpListen, err)
		}
	}
	if o.metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.metrics.Handler())
		s.metricsOnly = s.httpServer(mux)
		if s.metricsOnlyLn, err = net.Listen("tcp", o.metricsAddr); err != nil {
			return fmt.Errorf("listening on %s: %w", o.metricsAddr, err)
		}
	}
	return nil
}

// httpServer applies the timeouts and size limits to a handler.
func (s *server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.opts.readHeaderTimeout,
		ReadTimeout:       s.opts.readTimeout,
		WriteTimeout:      s.opts.writeTimeout,
		IdleTimeout:       s.opts.idleTimeout,
		MaxHeaderBytes:    s.opts.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
}

// run serves until ctx ends, reloading at each value from hup, then stops
// accepting and lets requests in flight finish for at most shutdownGrace.
func (s *server) run(ctx context.Context, hup <-chan os.Signal) error {
	errc := make(chan error, 3)
	if s.tls {
		s.logger.Info("listening", "address", s.mainLn.Addr().String(), "tls", true)
		go func() { errc <- s.main.ServeTLS(s.mainLn, "", "") }()
	} else {
		s.logger.Info("listening", "address", s.mainLn.Addr().String(), "tls", false)
		go func() { errc <- s.main.Serve(s.mainLn) }()
	}
	if s.plain != nil {
		s.logger.Info("listening for plain HTTP", "address", s.plainLn.Addr().String())
		go func() { errc <- s.plain.Serve(s.plainLn) }()
	}
	if s.metricsOnly != nil {
		s.logger.Info("serving metrics", "address", s.metricsOnlyLn.Addr().String())
		go func() { errc <- s.metricsOnly.Serve(s.metricsOnlyLn) }()
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	go s.reloader.Watch(watchCtx, hup)

	var serveErr error
	select {
	case serveErr = <-errc:
		s.logger.Error("a listener failed: shutting down", "error", serveErr.Error())
	case <-ctx.Done():
		s.logger.Info("shutting down: finishing requests in flight", "grace", s.opts.shutdownGrace)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.opts.shutdownGrace)
	defer cancel()
	for _, srv := range []*http.Server{s.main, s.plain, s.metricsOnly} {
		if srv == nil {
			continue
		}
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			// Connections still busy after the grace period are closed.
			srv.Close()
			serveErr = errors.Join(serveErr, fmt.Errorf("shutting down: %w", err))
		}
	}
	return serveErr
}

func (s *server) closeListeners() {
	for _, ln := range []net.Listener{s.mainLn, s.plainLn, s.metricsOnlyLn} {
		if ln != nil {
			ln.Close()
		}
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
func newMXResolver(server string, cfg *autoconfig.Config, logger *slog.Logger) (*mxlookup.Resolver, error) {
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
