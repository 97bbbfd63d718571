// Package certs serves a TLS certificate from PEM files given by the
// operator, re-read through pempair when they change, so that a renewal
// (certbot, cert-manager) needs no restart.
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
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
