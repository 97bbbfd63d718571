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

// The helpdesk token: from the environment by default, since a flag shows in
// the process list. It guards a page that lists links only (never a
// password), but a short token could still be guessed online.
const (
	helpdeskTokenEnv = "MAILAUTOCONF_HELPDESK_TOKEN"
	minHelpdeskToken = 16
)

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [--config FILE] [--listen ADDR] [--public-url URL] [--helpdesk-token TOKEN]", stderr)
	configPath := fs.String("config", "", "configuration file (default: the embedded default provider, for ANY domain)")
	listen := fs.String("listen", ":8080", "address to listen on")
	publicURL := fs.String("public-url", "", "absolute base URL of the service, e.g. https://autoconfig.example.com (default: derived from each request)")
	helpdeskToken := fs.String("helpdesk-token", os.Getenv(helpdeskTokenEnv),
		"enables /helpdesk, protected by this token (HTTP Basic password or Bearer); prefer the "+helpdeskTokenEnv+" environment variable, which other users cannot see in the process list")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *helpdeskToken != "" && len(*helpdeskToken) < minHelpdeskToken {
		return fmt.Errorf("the helpdesk token must be at least %d characters long", minHelpdeskToken)
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

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{
		Handler:           newEngine(site{store: autoconfig.NewStore(cfg), publicURL: base, logger: logger, helpdeskToken: *helpdeskToken}),
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
