package testkit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// KeyKind is the key type of a test certificate.
type KeyKind string

const (
	ECDSA KeyKind = "ecdsa-p256"
	RSA   KeyKind = "rsa-2048"
)

// LeafOptions describe the certificate a PKI issues. Zero values mean: key
// ECDSA, the name autoconfig.example.net, valid from an hour ago for a day,
// a TLS server certificate (Usage nil; an empty Usage: no extended key
// usage at all, as a signing certificate may have).
type LeafOptions struct {
	Kind                KeyKind
	Names               []string
	NotBefore, NotAfter time.Time
	Usage               []x509.ExtKeyUsage
}

// PKI is a throwaway root CA, an intermediate CA and a leaf it issued, as
// a public CA hands out (the TLS certificate, or a profile-signing one).
// The tests and the load harness share it.
type PKI struct {
	Root, Intermediate, Leaf *x509.Certificate
	LeafKey                  crypto.Signer
}

// NewPKI makes root → intermediate → leaf; the CAs' keys are of the
// leaf's kind.
func NewPKI(opts LeafOptions) (*PKI, error) {
	if opts.Kind == "" {
		opts.Kind = ECDSA
	}
	if len(opts.Names) == 0 {
		opts.Names = []string{"autoconfig.example.net"}
	}
	now := time.Now()
	if opts.NotBefore.IsZero() {
		opts.NotBefore = now.Add(-time.Hour)
	}
	if opts.NotAfter.IsZero() {
		opts.NotAfter = now.Add(24 * time.Hour)
	}
	if opts.Usage == nil {
		opts.Usage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	var keys [3]crypto.Signer
	for i := range keys {
		k, err := newKey(opts.Kind)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	ca := func(cn string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour)}
	}
	root, err := issue(ca("mailautoconf test root "+string(opts.Kind)), keys[0].Public(), nil, keys[0])
	if err != nil {
		return nil, err
	}
	inter, err := issue(ca("mailautoconf test intermediate "+string(opts.Kind)), keys[1].Public(), root, keys[0])
	if err != nil {
		return nil, err
	}
	leaf, err := issue(&x509.Certificate{
		Subject:  pkix.Name{CommonName: opts.Names[0]},
		DNSNames: opts.Names, NotBefore: opts.NotBefore, NotAfter: opts.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: opts.Usage,
	}, keys[2].Public(), inter, keys[1])
	if err != nil {
		return nil, err
	}
	return &PKI{Root: root, Intermediate: inter, Leaf: leaf, LeafKey: keys[2]}, nil
}

// MustPKI is NewPKI for tests.
func MustPKI(t testing.TB, opts LeafOptions) *PKI {
	t.Helper()
	p, err := NewPKI(opts)
	require.NoError(t, err)
	return p
}

func newKey(kind KeyKind) (crypto.Signer, error) {
	switch kind {
	case RSA:
		return rsa.GenerateKey(rand.Reader, 2048)
	case ECDSA:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return nil, fmt.Errorf("unknown key kind %q", kind)
}

func issue(tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		return nil, fmt.Errorf("issuing %s: %w", tmpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// Pool trusts the root.
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	return pool
}

// CertPEM is certs in PEM.
func CertPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// ChainPEM is the leaf and the intermediate, as a server sends them.
func (p *PKI) ChainPEM() []byte { return CertPEM(p.Leaf, p.Intermediate) }

// KeyPEM is the leaf key in PKCS #8 PEM.
func (p *PKI) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(p.LeafKey)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// TLSCertificate is the leaf with its chain and key, for a tls.Config.
func (p *PKI) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{p.Leaf.Raw, p.Intermediate.Raw}, PrivateKey: p.LeafKey, Leaf: p.Leaf}
}

// WriteFiles writes the chain and the key into dir under the given names,
// each replaced atomically (written to a temporary name and renamed, as
// certbot and cert-manager do, so that a reader never sees half a file).
func (p *PKI) WriteFiles(dir, certName, keyName string) (certPath, keyPath string, err error) {
	key, err := p.KeyPEM()
	if err != nil {
		return "", "", err
	}
	certPath, keyPath = filepath.Join(dir, certName), filepath.Join(dir, keyName)
	if err := writeAtomic(certPath, p.ChainPEM()); err != nil {
		return "", "", err
	}
	return certPath, keyPath, writeAtomic(keyPath, key)
}

// MustWriteFiles is WriteFiles into dir as fullchain.pem and privkey.pem,
// for tests.
func (p *PKI) MustWriteFiles(t testing.TB, dir string) (certPath, keyPath string) {
	t.Helper()
	certPath, keyPath, err := p.WriteFiles(dir, "fullchain.pem", "privkey.pem")
	require.NoError(t, err)
	return certPath, keyPath
}

// WriteServerCert writes a TLS server certificate for names, valid from
// notBefore to notAfter, as cert.pem and key.pem in dir (replacing earlier
// ones), and returns its paths and the leaf.
func WriteServerCert(t testing.TB, dir string, notBefore, notAfter time.Time, names ...string) (certPath, keyPath string, leaf *x509.Certificate) {
	t.Helper()
	p := MustPKI(t, LeafOptions{Names: names, NotBefore: notBefore, NotAfter: notAfter})
	certPath, keyPath, err := p.WriteFiles(dir, "cert.pem", "key.pem")
	require.NoError(t, err)
	return certPath, keyPath, p.Leaf
}

// WriteValidServerCert is WriteServerCert valid from an hour ago for a day.
func WriteValidServerCert(t testing.TB, dir string, names ...string) (certPath, keyPath string, leaf *x509.Certificate) {
	t.Helper()
	now := time.Now()
	return WriteServerCert(t, dir, now.Add(-time.Hour), now.Add(24*time.Hour), names...)
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
