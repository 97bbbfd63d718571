// Package certs serves a TLS certificate from PEM files given by the
// operator, re-read through pempair when they change, so that a renewal
// (certbot, cert-manager) needs no restart.
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig/pempair"
)

// File is a certificate and key pair read from two PEM files.
type File struct {
	pair *pempair.Pair[*tls.Certificate]
}

// Load reads the pair once; it fails if the files are missing, do not
// match, or hold no certificate. onLoad, when not nil, is called with each
// certificate successfully read, this first one included and every
// renewal found by GetCertificate or Reload after it: a renewal needs no
// signal, so whoever exports the expiry must hear of it from here. It is
// called one call at a time.
func Load(certPath, keyPath string, onLoad func(leaf *x509.Certificate)) (*File, error) {
	opts := pempair.Options[*tls.Certificate]{}
	if onLoad != nil {
		opts.OnLoad = func(c *tls.Certificate) { onLoad(c.Leaf) }
	}
	pair, err := pempair.Load(certPath, keyPath, parse, opts)
	if err != nil {
		return nil, err
	}
	return &File{pair: pair}, nil
}

// parse is tls.X509KeyPair, which checks that the key matches and, since
// Go 1.23, fills Leaf.
func parse(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, fmt.Errorf("parsing certificate: %w", err)
		}
	}
	return &pair, nil
}

// Reload re-reads the files. On failure the certificate in use is kept.
func (f *File) Reload() error { return f.pair.Reload() }

// GetCertificate is for tls.Config: it re-reads the files when their
// modification time or size changed since the last read. A stat of two
// files costs microseconds against a handshake's milliseconds. A
// half-written renewal fails to load and is retried at its next change;
// the old certificate serves meanwhile.
func (f *File) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return f.pair.Current(), nil
}

// Leaf is the certificate in use, parsed.
func (f *File) Leaf() *x509.Certificate { return f.pair.Current().Leaf }

// Check reports why the certificate in use cannot serve at time now: not
// yet valid or expired.
func (f *File) Check(now time.Time) error {
	leaf := f.Leaf()
	certPath, _ := f.pair.Paths()
	switch {
	case now.Before(leaf.NotBefore):
		return fmt.Errorf("certificate %s is not valid before %s", certPath, leaf.NotBefore.UTC().Format(time.RFC3339))
	case now.After(leaf.NotAfter):
		return fmt.Errorf("certificate %s expired at %s", certPath, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// ExpiryWarning is how long before its end a certificate is said to expire
// soon: the alert MailautoconfCertificateExpiresSoon in deploy/alerts.yaml
// fires at the same 14 days (renewals run from 30 days before, so a
// certificate this close to its end is stuck).
const ExpiryWarning = 14 * 24 * time.Hour

// Warning is why the operator must act on the certificate in use at time
// now: it cannot serve (Check, which makes /readyz fail) or it ends within
// ExpiryWarning. Nil when it is fine.
func (f *File) Warning(now time.Time) error {
	if err := f.Check(now); err != nil {
		return err
	}
	leaf := f.Leaf()
	if left := leaf.NotAfter.Sub(now); left < ExpiryWarning {
		certPath, _ := f.pair.Paths()
		return fmt.Errorf("certificate %s expires at %s, in less than %d days: renew it",
			certPath, leaf.NotAfter.UTC().Format(time.RFC3339), int(ExpiryWarning.Hours()/24))
	}
	return nil
}

// LogWarning logs Warning, if any: at start and at each reload, so that an
// expired or expiring file is said in the log, not only by /readyz.
func (f *File) LogWarning(logger *slog.Logger, now time.Time) {
	if err := f.Warning(now); err != nil {
		logger.Warn("TLS certificate needs renewing", "error", err.Error(), "not_after", f.Leaf().NotAfter.UTC())
	}
}
