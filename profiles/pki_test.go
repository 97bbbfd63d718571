package profiles

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// The signing tests' names for the shared test PKI (testkit.PKI).

type keyKind = testkit.KeyKind

const (
	keyECDSA = testkit.ECDSA
	keyRSA   = testkit.RSA
)

// testPKI is a throwaway CA, intermediate and signing certificate, made
// fresh for each test.
type testPKI struct {
	*testkit.PKI
	root, intermediate, leaf *x509.Certificate
	leafKey                  crypto.Signer
}

// newTestPKI makes root → intermediate → leaf, all with keys of kind. The
// leaf is a TLS server certificate, as an ACME client would get.
func newTestPKI(t testing.TB, kind keyKind) testPKI {
	t.Helper()
	return newTestPKIWithUsage(t, kind, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth})
}

// newTestPKIWithUsage is newTestPKI with the leaf's extended key usages
// (nil: none, as a dedicated signing certificate may have).
func newTestPKIWithUsage(t testing.TB, kind keyKind, usage []x509.ExtKeyUsage) testPKI {
	t.Helper()
	if usage == nil {
		usage = []x509.ExtKeyUsage{}
	}
	p := testkit.MustPKI(t, testkit.LeafOptions{Kind: kind, Usage: usage})
	return testPKI{PKI: p, root: p.Root, intermediate: p.Intermediate, leaf: p.Leaf, leafKey: p.LeafKey}
}

func (p testPKI) pool() *x509.CertPool { return p.Pool() }

// writeFiles writes the chain (leaf, intermediate) and the PKCS #8 key into
// dir, as fullchain.pem and privkey.pem, and returns their paths.
func (p testPKI) writeFiles(t testing.TB, dir string) (certPath, keyPath string) {
	t.Helper()
	return p.MustWriteFiles(t, dir)
}

var certPEM = testkit.CertPEM

// pkcs8PEM encodes any key, including kinds the signer refuses.
func pkcs8PEM(t testing.TB, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// writeFile replaces path atomically, as ACME clients do.
func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, data, 0o600))
	require.NoError(t, os.Rename(tmp, path))
}
