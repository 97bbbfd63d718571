// Package certs serves a TLS certificate from PEM files and re-reads them
// when they change, so that a renewal (certbot, cert-manager) needs no
// restart.
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// File is a certificate and key pair read from two PEM files.
type File struct {
	certPath, keyPath string
	onLoad            func(leaf *x509.Certificate)

	mu    sync.Mutex
	cert  *tls.Certificate
	stamp stamp // of the files last read, good or bad
}

// stamp identifies a version of the files cheaply: a renewal replaces or
// rewrites them, changing the modification time or the size.
type stamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

// Load reads the pair once; it fails if the files are missing, do not
// match, or hold no certificate. onLoad, when not nil, is called with each
// certificate successfully read, this first one included and every
// renewal found by GetCertificate or Reload after it: a renewal needs no
// signal, so whoever exports the expiry must hear of it from here. It is
// called with the File locked, one call at a time, and must not call back
// into the File.
func Load(certPath, keyPath string, onLoad func(leaf *x509.Certificate)) (*File, error) {
	f := &File{certPath: certPath, keyPath: keyPath, onLoad: onLoad}
	if err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Reload re-reads the files. On failure the certificate in use is kept.
func (f *File) Reload() error {
	st, err := f.statFiles()
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readLocked(st)
}

// GetCertificate is for tls.Config: it re-reads the files when their
// modification time or size changed since the last read. A stat of two
// files costs microseconds against a handshake's milliseconds.
func (f *File) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	st, err := f.statFiles()
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil && st != f.stamp {
		// A half-written renewal fails here and is retried at the next
		// handshake; the old certificate serves meanwhile.
		_ = f.readLocked(st)
	}
	if f.cert == nil {
		return nil, errors.New("no certificate loaded")
	}
	return f.cert, nil
}

// Leaf is the certificate in use, parsed.
func (f *File) Leaf() *x509.Certificate {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cert.Leaf
}

// Check reports why the certificate in use cannot serve at time now: not
// yet valid or expired.
func (f *File) Check(now time.Time) error {
	leaf := f.Leaf()
	switch {
	case now.Before(leaf.NotBefore):
		return fmt.Errorf("certificate %s is not valid before %s", f.certPath, leaf.NotBefore.UTC().Format(time.RFC3339))
	case now.After(leaf.NotAfter):
		return fmt.Errorf("certificate %s expired at %s", f.certPath, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

func (f *File) readLocked(st stamp) error {
	pair, err := tls.LoadX509KeyPair(f.certPath, f.keyPath)
	if err != nil {
		f.stamp = st // do not retry the same broken files at every handshake
		return fmt.Errorf("loading certificate %s with key %s: %w", f.certPath, f.keyPath, err)
	}
	// LoadX509KeyPair fills Leaf since Go 1.23.
	if pair.Leaf == nil {
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return fmt.Errorf("parsing certificate %s: %w", f.certPath, err)
		}
		pair.Leaf = leaf
	}
	f.cert, f.stamp = &pair, st
	if f.onLoad != nil {
		f.onLoad(pair.Leaf)
	}
	return nil
}

func (f *File) statFiles() (stamp, error) {
	ci, err := os.Stat(f.certPath)
	if err != nil {
		return stamp{}, fmt.Errorf("reading certificate: %w", err)
	}
	ki, err := os.Stat(f.keyPath)
	if err != nil {
		return stamp{}, fmt.Errorf("reading key: %w", err)
	}
	return stamp{certMod: ci.ModTime(), keyMod: ki.ModTime(), certSize: ci.Size(), keySize: ki.Size()}, nil
}
