package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/accesslog"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/logwriter"
)

// adminTokenEnv is read when --admin-token is not given: a flag is visible
// to every local user in the process list, the environment is not.
const adminTokenEnv = "MAILAUTOCONF_ADMIN_TOKEN"

// logFlushInterval is the longest a log line waits in the buffer.
const logFlushInterval = 100 * time.Millisecond

// serveOptions are serve's flags.
type serveOptions struct {
	configPath, publicURL           string
	listen, httpListen, privateAddr string
	httpsPort                       int
	// publicOperations also serves /metrics and /admin/* on --listen.
	publicOperations bool
	// publicTLSAllowed also serves GET /tls/allowed on --listen and
	// --http-listen, for a front proxy on the same host.
	publicTLSAllowed bool
	watchConfig      bool
	watchDebounce    time.Duration

	tlsCert, tlsKey                                 string
	acmeCache, acmeEmail, acmeDirectory, acmeCAFile string
	acmeCatchAll                                    bool
	acmeOnDemandRate                                string

	trustedProxies string
	adminToken     string
	logFormat      string
	logAddresses   bool
	rateLimit      string
	rateBurst      int
	maxBodyBytes   int64

	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout, shutdownGrace time.Duration
	maxHeaderBytes                                                           int
	maxConns, maxClientConns, suspendAfter                                   int
	busyIdleTimeout, suspendFor                                              time.Duration

	sign          signFlags
	resolver      string
	mxRate        string
	mxGlobalRate  string
	renderSlots   int
	renderQueue   int
	renderWait    time.Duration
	helpdeskToken string
	check         checkOptions // the helpdesk's live check (resolver: --resolver)
	pacc          paccOptions
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
	fs.StringVar(&o.acmeOnDemandRate, "acme-on-demand-rate", "30/h", "new certificates this instance may order on demand (at a handshake for a name not listed but served: wildcard, accept.mx): N/s, N/m or N/h; 0 disables on-demand issuance")
	fs.BoolVar(&o.acmeCatchAll, "acme-catch-all", false, "with catch_all, allow on-demand certificates for the names of any domain that resolve to this service")
	fs.StringVar(&o.adminToken, "admin-token", "", "enable POST /admin/reload with this bearer token, on --private-listen (default: $"+adminTokenEnv+")")
	fs.StringVar(&o.privateAddr, "private-listen", "", "serve /metrics and /admin/reload on this address (e.g. 127.0.0.1:9090); they are on no listener otherwise, unless --public-operations")
	fs.StringVar(&o.privateAddr, "metrics-listen", "", "older name of --private-listen")
	fs.BoolVar(&o.publicOperations, "public-operations", false, "also serve /metrics and /admin/reload on --listen (only when that listener is itself private)")
	fs.BoolVar(&o.publicTLSAllowed, "public-tls-allowed", false, "also answer a front proxy's GET /tls/allowed on --listen and --http-listen (default: only on --private-listen), for a proxy on the same host when those listen on loopback only")
	fs.BoolVar(&o.watchConfig, "watch-config", true, "reload when the --config file changes (edits, renames, Kubernetes ConfigMap updates)")
	fs.DurationVar(&o.watchDebounce, "watch-debounce", time.Second, "quiet time after a change of the --config file before it is reloaded (one edit, one reload)")
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
	fs.IntVar(&o.maxConns, "max-connections", 0, "connections open at once on --listen and --http-listen together; past it a new one takes the place of the longest idle, or is closed (default: the descriptor limit less a reserve of an eighth, 128 to 1024, for the private listener and the rest)")
	fs.IntVar(&o.maxClientConns, "max-client-connections", 64, "connections open at once per client (IPv4 address or IPv6 /64), --trusted-proxies excepted; past it new ones are closed at once; 0: no limit")
	fs.DurationVar(&o.busyIdleTimeout, "busy-idle-timeout", 5*time.Second, "idle timeout of keep-alive connections once more than half of --max-connections are open; 0: --idle-timeout always")
	fs.IntVar(&o.suspendAfter, "suspend-after", 20, "refused requests (429, 503 busy, 4xx) and failed TLS or HTTP/2 connection setups a client (IPv4 address or IPv6 /64) may have in a burst, and again each minute, before it is suspended for --suspend-for; 0: never suspend")
	fs.DurationVar(&o.suspendFor, "suspend-for", 30*time.Second, "how long a suspended client's connections are closed at accept (its open ones after the answer in progress); --trusted-proxies are never suspended; 0: never suspend")
	fs.DurationVar(&o.shutdownGrace, "shutdown-grace", 10*time.Second, "on SIGTERM/SIGINT, how long requests in flight may take to finish")
	fs.StringVar(&o.helpdeskToken, "helpdesk-token", "",
		"enable /helpdesk, protected by this token (HTTP Basic password or Bearer) (default: $"+helpdeskTokenEnv+", which other users cannot see in the process list)")
	o.sign = addSignFlags(fs)
	fs.StringVar(&o.resolver, "resolver", "", "DNS server for accept.mx lookups and the helpdesk's DNS check, HOST:PORT (default: the first nameserver of /etc/resolv.conf)")
	fs.StringVar(&o.mxRate, "mx-rate", "30/m", "per-client rate of MX queries for unlisted domains (accept.mx), in bursts of 10: N/s, N/m or N/h; cached answers are free")
	fs.StringVar(&o.mxGlobalRate, "mx-global-rate", "20/s", "rate of MX queries for unlisted domains for all clients together, in bursts of 50")
	fs.IntVar(&o.renderSlots, "render-slots", 0, "CPU-heavy renders (QR codes, signed profiles) at once, for all clients together (default: half the CPUs)")
	fs.IntVar(&o.renderQueue, "render-queue", 0, "renders that may wait for a slot; past that: 503 with Retry-After (default: 8 per slot)")
	fs.DurationVar(&o.renderWait, "render-wait", httpkit.DefaultRenderBudget().Wait, "longest a queued render waits for a slot before its 503")
	fs.StringVar(&o.check.ispdb, "check-ispdb", dnscheck.DefaultISPDB, "base URL of the Thunderbird ISP database the helpdesk's DNS check asks")
	addPACCFlags(fs, &o.pacc)
	fs.BoolVar(&o.check.allowInternal, "check-allow-internal", false, "let the helpdesk's DNS check connect to names that resolve to addresses that are not globally reachable (every range of the IANA special-purpose registries: loopback, private, link-local, CGNAT, documentation, reserved…; refused by default)")
	return o
}

// The helpdesk token: from the environment by default, since a flag shows in
// the process list. It guards a page that lists links only (never a
// password), but a short token could still be guessed online.
const helpdeskTokenEnv = "MAILAUTOCONF_HELPDESK_TOKEN"

// minTokenLength is the shortest helpdesk or admin token accepted: both
// endpoints are rate-limited, but a short token could still be guessed
// online.
const minTokenLength = 16

// checkToken refuses a token (of what: "helpdesk", "admin") shorter than
// minTokenLength; an empty one turns its endpoint off.
func checkToken(what, token string) error {
	if token != "" && len(token) < minTokenLength {
		return fmt.Errorf("the %s token must be at least %d characters long", what, minTokenLength)
	}
	return nil
}

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

// httpServer applies the timeouts and size limits to a handler.
func (s *server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.opts.readHeaderTimeout,
		ReadTimeout:       s.opts.readTimeout,
		WriteTimeout:      s.opts.writeTimeout,
		IdleTimeout:       s.opts.idleTimeout,
		MaxHeaderBytes:    s.opts.maxHeaderBytes,
		// Failed handshakes are summed up per client, not one line each.
		ErrorLog:    accesslog.ServerErrors(s.refusals, s.logger),
		ConnContext: connClient,
		// Follows the idle connections of the public listeners.
		ConnState: s.conns.ConnState,
	}
}

// run serves until ctx ends, reloading at each value from hup and at each
// change of the configuration file, then stops accepting and lets requests
// in flight finish for at most shutdownGrace.
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
	if s.private != nil {
		s.logger.Info("serving /metrics and /admin/* privately", "address", s.privateLn.Addr().String())
		go func() { errc <- s.private.Serve(s.privateLn) }()
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	s.lifetime = watchCtx
	go s.reloader.Watch(watchCtx, hup)
	if s.opts.watchConfig && s.opts.configPath != "" {
		if err := s.reloader.WatchFile(watchCtx, s.opts.configPath, s.opts.watchDebounce); err != nil {
			s.logger.Error("not following the configuration file: reload with SIGHUP", "error", err.Error())
		} else {
			s.logger.Info("following the configuration file", "config", s.opts.configPath)
		}
	}
	if s.acme != nil {
		defer s.acme.Stop()
		s.manageListed(watchCtx, s.store.Config())
	}

	var serveErr error
	select {
	case serveErr = <-errc:
		s.logger.Error("a listener failed: shutting down", "error", serveErr.Error())
	case <-ctx.Done():
		s.logger.Info("shutting down: finishing requests in flight", "grace", s.opts.shutdownGrace)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.opts.shutdownGrace)
	defer cancel()
	for _, srv := range []*http.Server{s.main, s.plain, s.private} {
		if srv == nil {
			continue
		}
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			// Connections still busy after the grace period are closed.
			srv.Close()
			serveErr = errors.Join(serveErr, fmt.Errorf("shutting down: %w", err))
		}
	}
	s.refusals.Flush()
	if s.mx != nil {
		s.mx.FlushLog()
	}
	return serveErr
}
