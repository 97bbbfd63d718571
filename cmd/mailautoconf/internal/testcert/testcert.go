// Package testcert writes self-signed certificates for the tests of the
// server packages.
package testcert

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

// Write creates a self-signed certificate for names, valid from notBefore
// to notAfter, as cert.pem and key.pem in dir, replacing earlier ones, and
// returns the parsed certificate.
func Write(t testing.TB, dir string, notBefore, notAfter time.Time, names ...string) (certPath, keyPath string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return write(t, dir, key, notBefore, notAfter, names)
}

func write(t testing.TB, dir string, key crypto.Signer, notBefore, notAfter time.Time, names []string) (certPath, keyPath string, cert *x509.Certificate) {
	t.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if _, isRSA := key.(*rsa.PrivateKey); isRSA {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// Written to temporary names and renamed, as certbot and cert-manager
	// do, so that a reader never sees half a file.
	writeAtomic(t, certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeAtomic(t, keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	cert, err = x509.ParseCertificate(der)
	require.NoError(t, err)
	return certPath, keyPath, cert
}

// Valid writes a certificate valid from an hour ago for a day.
func Valid(t testing.TB, dir string, names ...string) (certPath, keyPath string, cert *x509.Certificate) {
	t.Helper()
	now := time.Now()
	return Write(t, dir, now.Add(-time.Hour), now.Add(24*time.Hour), names...)
}

func writeAtomic(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, data, 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

// WriteRSA is Valid with a 2048-bit RSA key, for tests of the RSA cipher
// suites.
func WriteRSA(t testing.TB, dir string, names ...string) (certPath, keyPath string, cert *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	now := time.Now()
	return write(t, dir, key, now.Add(-time.Hour), now.Add(24*time.Hour), names)
}
