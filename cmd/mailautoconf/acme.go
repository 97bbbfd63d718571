package main

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certpolicy"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
)

// newCertPolicy is the decision on certificate names, for on-demand
// issuance and GET /tls/allowed alike. Names must resolve to the
// configuration's service_host, else to the --public-url host, through
// the same resolver as accept.mx.
func newCertPolicy(store *autoconfig.Store, mx *mxlookup.Lookup, base *url.URL, catchAll bool, m *metrics.Metrics) *certpolicy.Policy {
	resolver := &autoconfig.Resolver{Store: store}
	if mx != nil {
		resolver.MX = mx // a nil *mxlookup.Lookup must stay a nil interface
	}
	p := &certpolicy.Policy{
		Served:      servedBy(resolver),
		ServiceHost: func() string { return serviceHost(store.Config(), base) },
		CatchAll:    catchAll,
		Observe:     func(d certpolicy.Decision) { m.CertificateDecision(d.Allowed, d.Reason) },
	}
	if mx != nil {
		p.Pointer = certpolicy.NewPointer(mx.Server())
		m.WatchCertPointer(p.Pointer.Stats)
	}
	return p
}

// serviceHost is the host name customer names point at.
func serviceHost(cfg *autoconfig.Config, base *url.URL) string {
	if cfg.ServiceHost != "" {
		return cfg.ServiceHost
	}
	if base != nil {
		return strings.ToLower(base.Hostname())
	}
	return ""
}

// servedBy tells certpolicy how the configuration serves a domain,
// through the Resolver's provider lookup (accept.mx included).
func servedBy(r *autoconfig.Resolver) certpolicy.Served {
	return func(ctx context.Context, domain string) (certpolicy.Match, error) {
		cfg := r.Config()
		p, err := r.ProviderIn(ctx, cfg, domain)
		var unknown *autoconfig.DomainError
		switch {
		case errors.As(err, &unknown):
			return certpolicy.NotServed, nil
		case err != nil:
			return certpolicy.NotServed, err
		}
		return classify(cfg, p, domain), nil
	}
}

// classify says how p came to serve domain: listed, under a wildcard, by
// catch_all, or else through its MX (the one lookup that consults DNS).
func classify(cfg *autoconfig.Config, p *autoconfig.Provider, domain string) certpolicy.Match {
	if slices.Contains(p.Domains, domain) {
		return certpolicy.Listed
	}
	for _, d := range p.Domains {
		if suffix, ok := strings.CutPrefix(d, "*."); ok && strings.HasSuffix(domain, "."+suffix) {
			return certpolicy.Wildcard
		}
	}
	if p == cfg.CatchAll {
		return certpolicy.CatchAll
	}
	return certpolicy.AcceptMX
}

// listedNames are the names to certify ahead of time: the service host
// and the autoconfig., autodiscover. and ua-auto-config. names of every
// domain listed exactly (a wildcard names no host).
func listedNames(cfg *autoconfig.Config, base *url.URL) []string {
	var names []string
	if h := serviceHost(cfg, base); h != "" {
		names = append(names, h)
	}
	for _, p := range cfg.Providers {
		for _, d := range p.Domains {
			if strings.HasPrefix(d, "*.") {
				continue
			}
			for _, prefix := range autoconfig.ServiceHostPrefixes() {
				names = append(names, prefix+d)
			}
		}
	}
	return names
}

// manageListed hands the listed names that resolve to this service to
// ahead-of-time management, in the background: one that does not resolve
// here yet would fail the CA's validation; it gets its certificate on
// demand once it does, or at a later reload.
func (s *server) manageListed(ctx context.Context, cfg *autoconfig.Config) {
	go func() {
		var ready []string
		skipped := 0
		for _, name := range listedNames(cfg, s.base) {
			if s.policy.Decide(ctx, name).Allowed {
				ready = append(ready, name)
			} else {
				skipped++
			}
		}
		if skipped > 0 {
			s.logger.Info("listed names not certified ahead of time: they do not resolve to this service yet", "names", skipped)
		}
		if err := s.acme.Manage(ctx, ready); err != nil {
			s.logger.Error("managing certificates", "error", err.Error())
		}
	}()
}
