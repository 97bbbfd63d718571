package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
)

// acmeHostPrefixes are the names clients look up for a mail domain.
var acmeHostPrefixes = []string{"autoconfig.", "autodiscover.", "ua-auto-config."}

// newACMEManager obtains and renews certificates on demand, at the first
// handshake for a name its host policy allows.
func newACMEManager(o serveOptions, store *autoconfig.Store, base *url.URL) (*autocert.Manager, error) {
	if err := os.MkdirAll(o.acmeCache, 0o700); err != nil {
		return nil, fmt.Errorf("creating --acme-cache: %w", err)
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(o.acmeCache),
		HostPolicy: acmeHostPolicy(store, base),
		Email:      o.acmeEmail,
	}
	if o.acmeDirectory != "" || o.acmeCAFile != "" {
		m.Client = &acme.Client{DirectoryURL: o.acmeDirectory}
		if m.Client.DirectoryURL == "" {
			m.Client.DirectoryURL = autocert.DefaultACMEDirectory
		}
	}
	if o.acmeCAFile != "" {
		pem, err := os.ReadFile(o.acmeCAFile)
		if err != nil {
			return nil, fmt.Errorf("reading --acme-directory-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--acme-directory-ca %s holds no PEM certificate", o.acmeCAFile)
		}
		m.Client.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	return m, nil
}

// acmeHostPolicy allows the autoconfig., autodiscover. and ua-auto-config.
// names of the domains the configuration in force lists exactly, and the
// host of --public-url. Names served only through a wildcard or catch_all
// are refused: anyone could otherwise make the service request certificates
// for endless names and exhaust the CA's rate limits for the account.
func acmeHostPolicy(store *autoconfig.Store, base *url.URL) autocert.HostPolicy {
	return func(_ context.Context, host string) error {
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		if base != nil && host == strings.ToLower(base.Hostname()) {
			return nil
		}
		for _, prefix := range acmeHostPrefixes {
			if domain, ok := strings.CutPrefix(host, prefix); ok && listsExactly(store.Config(), domain) {
				return nil
			}
		}
		return fmt.Errorf("no certificate for %q: not an autoconfig, autodiscover or ua-auto-config name of a domain listed in the configuration", host)
	}
}

func listsExactly(cfg *autoconfig.Config, domain string) bool {
	p, err := cfg.Lookup(domain)
	return err == nil && slices.Contains(p.Domains, domain)
}

// recordExpiry wraps an ACME GetCertificate to export the expiry of each
// certificate served.
func recordExpiry(get func(*tls.ClientHelloInfo) (*tls.Certificate, error), m *metrics.Metrics) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		c, err := get(hello)
		// A TLS-ALPN-01 challenge certificate (RFC 8737 §3) lives minutes
		// and is no certificate clients see: not recorded.
		if err == nil && c != nil && !slices.Equal(hello.SupportedProtos, []string{acme.ALPNProto}) {
			m.CertificateExpires(c.Leaf)
		}
		return c, err
	}
}
