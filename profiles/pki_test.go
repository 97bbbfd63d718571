package profiles

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testPKI is a throwaway CA, intermediate and signing certificate, made
// fresh for each test.
type testPKI struct {
	root, intermediate, leaf *x509.Certificate
	leafKey                  crypto.Signer
}

type keyKind string

const (
	keyECDSA keyKind = "ecdsa-p256"
	keyRSA   keyKind = "rsa-2048"
)

func newKey(t testing.TB, kind keyKind) crypto.Signer {
	t.Helper()
	var key crypto.Signer
	var err error
	switch kind {
	case keyRSA:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	require.NoError(t, err)
	return key
}

var serial int64

func issue(t testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

// newTestPKI makes root → intermediate → leaf, all with keys of kind. The
// leaf is a TLS server certificate, as an ACME client would get.
func newTestPKI(t testing.TB, kind keyKind) testPKI {
	t.Helper()
	return newTestPKIWithUsage(t, kind, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth})
}

// newTestPKIWithUsage is newTestPKI with the leaf's extended key usages.
func newTestPKIWithUsage(t testing.TB, kind keyKind, usage []x509.ExtKeyUsage) testPKI {
	t.Helper()
	rootKey, interKey, leafKey := newKey(t, kind), newKey(t, kind), newKey(t, kind)
	ca := func(cn string) *x509.Certificate {
		return &x509.Certificate{
			Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}
	}
	root := issue(t, ca("Test Root "+string(kind)), rootKey.Public(), nil, rootKey)
	inter := issue(t, ca("Test Intermediate "+string(kind)), interKey.Public(), root, rootKey)
	leaf := issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "autoconfig.example.net"},
		DNSNames:    []string{"autoconfig.example.net"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: usage,
	}, leafKey.Public(), inter, interKey)
	return testPKI{root: root, intermediate: inter, leaf: leaf, leafKey: leafKey}
}

func (p testPKI) pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.root)
	return pool
}

func certPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func pkcs8PEM(t testing.TB, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// writeFiles writes the chain (leaf, intermediate) and the PKCS #8 key into
// dir, as fullchain.pem and privkey.pem, and returns their paths.
func (p testPKI) writeFiles(t testing.TB, dir string) (certPath, keyPath string) {
	t.Helper()
	certPath, keyPath = filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	writeFile(t, certPath, certPEM(p.leaf, p.intermediate))
	writeFile(t, keyPath, pkcs8PEM(t, p.leafKey))
	return certPath, keyPath
}

// writeFile replaces path atomically, as ACME clients do.
func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, data, 0o600))
	require.NoError(t, os.Rename(tmp, path))
}
