package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"golang.org/x/time/rate"

	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/autotls"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certpolicy"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certs"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/health"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
)

// tlsSuites12 are the TLS 1.2 cipher suites: ECDHE key exchange with AEAD
// ciphers only, Mozilla's "intermediate" server profile
// (https://wiki.mozilla.org/Security/Server_Side_TLS) without its DHE
// suites, which Go does not implement. The CBC suites with SHA-1 MACs
// that Go would otherwise accept (ECDHE-RSA-AES128-SHA and the like) are
// out. TLS 1.3 suites are all AEAD and not configurable.
var tlsSuites12 = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// serverTLS is the one TLS configuration of the main listener.
func serverTLS(get func(*tls.ClientHelloInfo) (*tls.Certificate, error), nextProtos []string) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   tlsSuites12,
		GetCertificate: get,
		NextProtos:     nextProtos,
	}
}

// tlsParts is what the site and the server take from the TLS options.
type tlsParts struct {
	config    *tls.Config // nil: the main listener serves plain HTTP (behind a TLS proxy)
	certFile  *certs.File // operator's files, re-read on reload
	acme      *autotls.Manager
	challenge http.Handler // HTTP-01 answers on the plain listener
	readiness []health.Check
	httpsPort int // where the plain listener redirects, 0: no plain listener
}

type tlsDeps struct {
	policy  *certpolicy.Policy
	logger  *slog.Logger
	metrics *metrics.Metrics
	listeners
}

// newTLS builds the TLS side from the validated options: certificate
// files, ACME through CertMagic, or none.
func newTLS(o serveOptions, v validated, d tlsDeps) (tlsParts, error) {
	var t tlsParts
	switch {
	case o.tlsCert != "":
		// The files are re-read at handshakes after a renewal, with no
		// signal: the expiry is recorded by certs.File at each read.
		f, err := certs.Load(o.tlsCert, o.tlsKey, d.metrics.CertificateFileLoaded())
		if err != nil {
			return t, err
		}
		f.LogWarning(d.logger, time.Now())
		t.certFile, t.readiness = f, []health.Check{f.Check}
		t.config = serverTLS(f.GetCertificate, []string{"h2", "http/1.1"})
	case o.acmeCache != "":
		m, err := newACME(o, v, d)
		if err != nil {
			return t, err
		}
		t.acme, t.challenge = m, m.HTTPChallenge()
		t.config = serverTLS(recordExpiry(m.GetCertificate, d.metrics), m.NextProtos())
	default:
		return t, nil
	}
	if o.httpListen != "" {
		t.httpsPort = o.httpsPort
		if t.httpsPort == 0 {
			port, err := portOf(o.listen)
			if err != nil {
				return t, err
			}
			t.httpsPort = port
		}
	}
	return t, nil
}

// newACME is CertMagic on the --acme-cache storage, answering challenges
// through the listeners already open.
func newACME(o serveOptions, v validated, d tlsDeps) (*autotls.Manager, error) {
	roots, err := acmeRoots(o.acmeCAFile)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.acmeCache, 0o700); err != nil {
		return nil, fmt.Errorf("creating --acme-cache: %w", err)
	}
	if err := privateDir(o.acmeCache, d.logger); err != nil {
		return nil, fmt.Errorf("--acme-cache: %w", err)
	}
	ao := autotls.Options{
		Storage: o.acmeCache, Email: o.acmeEmail, Directory: o.acmeDirectory, Roots: roots,
		Logger: d.logger, Events: d.metrics,
	}
	// The ports actually open (":0" in tests): CertMagic finds them in use
	// and leaves the answers to these listeners.
	ao.TLSPort = d.mainLn.Addr().(*net.TCPAddr).Port
	if h, _, err := net.SplitHostPort(o.listen); err == nil {
		ao.ListenHost = h
	}
	if d.plainLn != nil {
		ao.HTTPPort = d.plainLn.Addr().(*net.TCPAddr).Port
	}
	if v.onDemandPerSec > 0 {
		ao.Decide = func(ctx context.Context, name string) error { return d.policy.Decide(ctx, name).Error(name) }
		ao.OnDemandRate, ao.OnDemandBurst = rate.Limit(v.onDemandPerSec), onDemandBurst
	}
	return autotls.New(ao)
}

// onDemandBurst is how many on-demand orders may start at once.
const onDemandBurst = 5

func acmeRoots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading --acme-directory-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--acme-directory-ca %s holds no PEM certificate", caFile)
	}
	return pool, nil
}

// recordExpiry wraps an ACME GetCertificate to export the expiry of each
// certificate served.
func recordExpiry(get func(*tls.ClientHelloInfo) (*tls.Certificate, error), m *metrics.Metrics) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		c, err := get(hello)
		// A TLS-ALPN-01 challenge certificate (RFC 8737 §3) lives minutes
		// and is no certificate clients see: not recorded.
		if err == nil && c != nil && c.Leaf != nil && !slices.Equal(hello.SupportedProtos, []string{"acme-tls/1"}) {
			m.CertificateExpires(c.Leaf)
		}
		return c, err
	}
}
