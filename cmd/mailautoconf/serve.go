package main

import (
	"context"
	"errors"
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
)

func init() {
	commands["serve"] = command{
		summary: "run the HTTP service",
		run:     runServe,
	}
}

const shutdownGrace = 10 * time.Second

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [--config FILE] [--listen ADDR] [--public-url URL] [--sign-cert FILE --sign-key FILE] [--resolver HOST:PORT]", stderr)
	configPath := fs.String("config", "", "configuration file (default: the embedded default provider, for ANY domain)")
	listen := fs.String("listen", ":8080", "address to listen on")
	publicURL := fs.String("public-url", "", "absolute base URL of the service, e.g. https://autoconfig.example.com (default: derived from each request)")
	sf := addSignFlags(fs)
	resolver := fs.String("resolver", "", "DNS server for accept.mx lookups, HOST:PORT (default: the first nameserver of /etc/resolv.conf)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	base, err := parsePublicURL(*publicURL)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	logConfig(logger, cfg)
	signer, err := sf.signer()
	if err != nil {
		return err
	}
	if signer != nil {
		cert := signer.Certificate()
		logger.Info("signing Apple profiles", "subject", cert.Subject.String(), "not_after", cert.NotAfter)
	}
	mx, err := newMXResolver(*resolver, cfg, logger)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{
		Handler:           newHandler(site{store: autoconfig.NewStore(cfg), publicURL: base, logger: logger, signer: signer, mx: mx}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "address", ln.Addr().String())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight", "grace", shutdownGrace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
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

// newMXResolver builds the resolver of accept.mx lookups. It is built even
// when the configuration in force has no accept.mx, so that a reloaded one
// can use it.
func newMXResolver(server string, cfg *autoconfig.Config, logger *slog.Logger) (*autoconfig.MXResolver, error) {
	if server == "" {
		var err error
		if server, err = autoconfig.SystemResolver(); err != nil {
			if cfg.AcceptsMX() {
				return nil, fmt.Errorf("accept.mx needs a DNS resolver (pass --resolver HOST:PORT): %w", err)
			}
			logger.Warn("no DNS resolver: accept.mx will not work until one is given with --resolver", "error", err)
			return nil, nil
		}
	} else if err := checkHostPort(server); err != nil {
		return nil, fmt.Errorf("--resolver: %w", err)
	}
	if cfg.AcceptsMX() {
		logger.Info("accepting domains by MX", "resolver", server)
	}
	return autoconfig.NewMXResolver(server, autoconfig.DefaultMXCacheSize, logger), nil
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
