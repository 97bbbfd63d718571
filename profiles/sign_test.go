package profiles

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

func testProfile(t testing.TB) []byte {
	t.Helper()
	return render(t, account(t, autoconfig.Default(), "jane@example.ch"), Options{Name: "Jane Doe", Include: IncludeMail})
}

func TestSigner_RoundTripVerifiesInGo(t *testing.T) {
	for _, kind := range []keyKind{keyECDSA, keyRSA} {
		t.Run(string(kind), func(t *testing.T) {
			pki := newTestPKI(t, kind)
			s, err := NewSigner(pki.writeFiles(t, t.TempDir()))
			require.NoError(t, err)
			s.files.SetCheckEvery(0) // see every file change at once
			content := testProfile(t)
			der, err := s.Sign(content)
			require.NoError(t, err)

			p7, err := pkcs7.Parse(der)
			require.NoError(t, err)
			assert.Equal(t, content, p7.Content, "content attached")
			require.NoError(t, p7.VerifyWithChain(pki.pool()), "verifies against the root alone: the intermediate is included")
			require.Len(t, p7.Certificates, 2)
			assert.Equal(t, pki.leaf.Raw, p7.Certificates[0].Raw)
			assert.Equal(t, pki.intermediate.Raw, p7.Certificates[1].Raw)
			assert.Equal(t, pki.leaf.Raw, p7.GetOnlySigner().Raw)
		})
	}
}

// requireOpenSSL returns the openssl path; CI installs it (.ci/run), so
// there a missing openssl fails the test instead of skipping it.
func requireOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl is required in CI (.ci/run installs it)")
		}
		t.Skip("openssl not installed")
	}
	return path
}

// What iOS checks, checked by an independent implementation:
// openssl cms -verify -inform DER -CAfile ca.pem.
func TestSigner_RoundTripVerifiesWithOpenSSL(t *testing.T) {
	openssl := requireOpenSSL(t)
	leaves := []struct {
		name  string
		usage []x509.ExtKeyUsage
		// openssl checks the signer against S/MIME signing unless told
		// otherwise; iOS accepts a TLS server certificate for profiles.
		extraArgs []string
	}{
		{"signing certificate", nil, nil},
		{"TLS server certificate", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []string{"-purpose", "any"}},
	}
	for _, kind := range []keyKind{keyECDSA, keyRSA} {
		for _, leaf := range leaves {
			t.Run(string(kind)+"/"+leaf.name, func(t *testing.T) {
				dir := t.TempDir()
				pki := newTestPKIWithUsage(t, kind, leaf.usage)
				s, err := NewSigner(pki.writeFiles(t, dir))
				require.NoError(t, err)
				s.files.SetCheckEvery(0) // see every file change at once
				content := testProfile(t)
				der, err := s.Sign(content)
				require.NoError(t, err)

				signed, caFile, out := filepath.Join(dir, "signed.mobileconfig"), filepath.Join(dir, "ca.pem"), filepath.Join(dir, "content")
				require.NoError(t, os.WriteFile(signed, der, 0o600))
				require.NoError(t, os.WriteFile(caFile, certPEM(pki.root), 0o600))
				verify := func() ([]byte, error) {
					args := append([]string{"cms", "-verify", "-inform", "DER", "-in", signed, "-CAfile", caFile, "-out", out}, leaf.extraArgs...)
					return exec.Command(openssl, args...).CombinedOutput()
				}
				msg, err := verify()
				require.NoError(t, err, "%s", msg)
				assert.Contains(t, string(msg), "Verification successful")
				got, err := os.ReadFile(out)
				require.NoError(t, err)
				assert.Equal(t, content, got)

				// With another root it fails: the check can fail.
				require.NoError(t, os.WriteFile(caFile, certPEM(newTestPKI(t, kind).root), 0o600))
				msg, err = verify()
				assert.Error(t, err, "%s", msg)
			})
		}
	}
}

func TestSigner_TamperedContentFailsVerification(t *testing.T) {
	pki := newTestPKI(t, keyECDSA)
	s, err := NewSigner(pki.writeFiles(t, t.TempDir()))
	require.NoError(t, err)
	s.files.SetCheckEvery(0) // see every file change at once
	der, err := s.Sign(testProfile(t))
	require.NoError(t, err)
	i := bytes.Index(der, []byte("mail.infomaniak.com"))
	require.Positive(t, i)
	der[i] = 'M'
	p7, err := pkcs7.Parse(der)
	require.NoError(t, err)
	assert.Error(t, p7.VerifyWithChain(pki.pool()))
}

// ACME clients renew the certificate every 60–90 days: the signer uses the
// new files without a restart.
func TestSigner_ReloadsRenewedFiles(t *testing.T) {
	dir := t.TempDir()
	first := newTestPKI(t, keyECDSA)
	s, err := NewSigner(first.writeFiles(t, dir))
	require.NoError(t, err)
	s.files.SetCheckEvery(0) // see every file change at once
	assert.Equal(t, first.leaf.Raw, s.Certificate().Raw)

	renewed := newTestPKI(t, keyRSA) // a renewal may change the key type
	renewed.writeFiles(t, dir)
	der, err := s.Sign(testProfile(t))
	require.NoError(t, err)
	p7, err := pkcs7.Parse(der)
	require.NoError(t, err)
	require.NoError(t, p7.VerifyWithChain(renewed.pool()))
	assert.Equal(t, renewed.leaf.Raw, s.Certificate().Raw)
}

// Some tools rewrite the files in place: the same inode, a new modification
// time.
func TestSigner_ReloadsFilesRewrittenInPlace(t *testing.T) {
	dir := t.TempDir()
	first := newTestPKI(t, keyECDSA)
	certPath, keyPath := first.writeFiles(t, dir)
	s, err := NewSigner(certPath, keyPath)
	require.NoError(t, err)
	s.files.SetCheckEvery(0) // see every file change at once

	renewed := newTestPKI(t, keyECDSA)
	require.NoError(t, os.WriteFile(certPath, certPEM(renewed.leaf, renewed.intermediate), 0o600))
	require.NoError(t, os.WriteFile(keyPath, pkcs8PEM(t, renewed.leafKey), 0o600))
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(certPath, later, later))
	require.NoError(t, os.Chtimes(keyPath, later, later))

	_, err = s.Sign([]byte("x"))
	require.NoError(t, err)
	assert.Equal(t, renewed.leaf.Raw, s.Certificate().Raw)
}

// Between writing the new certificate and the new key, the pair does not
// match: keep signing with the old pair until both are in place.
func TestSigner_KeepsOldPairWhileRenewalIsHalfWritten(t *testing.T) {
	dir := t.TempDir()
	first := newTestPKI(t, keyECDSA)
	certPath, keyPath := first.writeFiles(t, dir)
	s, err := NewSigner(certPath, keyPath)
	require.NoError(t, err)
	s.files.SetCheckEvery(0) // see every file change at once

	renewed := newTestPKI(t, keyECDSA)
	writeFile(t, certPath, certPEM(renewed.leaf, renewed.intermediate))
	der, err := s.Sign([]byte("x"))
	require.NoError(t, err)
	p7, err := pkcs7.Parse(der)
	require.NoError(t, err)
	require.NoError(t, p7.VerifyWithChain(first.pool()))

	writeFile(t, keyPath, pkcs8PEM(t, renewed.leafKey))
	_, err = s.Sign([]byte("x"))
	require.NoError(t, err)
	assert.Equal(t, renewed.leaf.Raw, s.Certificate().Raw)
}

func TestSigner_KeepsSigningWhenFilesDisappear(t *testing.T) {
	dir := t.TempDir()
	pki := newTestPKI(t, keyECDSA)
	certPath, keyPath := pki.writeFiles(t, dir)
	s, err := NewSigner(certPath, keyPath)
	require.NoError(t, err)
	s.files.SetCheckEvery(0) // see every file change at once
	require.NoError(t, os.Remove(keyPath))
	_, err = s.Sign([]byte("x"))
	assert.NoError(t, err)
}

// Signing and reloading from many goroutines at once (run with -race).
func TestSigner_ConcurrentSignAndReload(t *testing.T) {
	dir := t.TempDir()
	pkis := []testPKI{newTestPKI(t, keyECDSA), newTestPKI(t, keyECDSA)}
	s, err := NewSigner(pkis[0].writeFiles(t, dir))
	require.NoError(t, err)
	s.files.SetCheckEvery(0) // see every file change at once
	content := testProfile(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				der, err := s.Sign(content)
				if !assert.NoError(t, err) {
					return
				}
				p7, err := pkcs7.Parse(der)
				if assert.NoError(t, err) {
					assert.Equal(t, content, p7.Content)
				}
			}
		})
	}
	for i := range 6 {
		pkis[i%2].writeFiles(t, dir)
	}
	wg.Wait()
}

func TestNewSigner_KeyFormats(t *testing.T) {
	pki := newTestPKI(t, keyECDSA)
	rsaPKI := newTestPKI(t, keyRSA)
	ecDER, err := x509.MarshalECPrivateKey(pki.leafKey.(*ecdsa.PrivateKey))
	require.NoError(t, err)
	tests := []struct {
		name string
		pki  testPKI
		key  []byte
	}{
		{"PKCS #8 ECDSA", pki, pkcs8PEM(t, pki.leafKey)},
		{"SEC 1 EC PRIVATE KEY", pki, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})},
		{"EC PARAMETERS before the key", pki, append([]byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})...)},
		{"PKCS #1 RSA PRIVATE KEY", rsaPKI, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaPKI.leafKey.(*rsa.PrivateKey))})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			certPath, keyPath := tc.pki.writeFiles(t, dir)
			writeFile(t, keyPath, tc.key)
			s, err := NewSigner(certPath, keyPath)
			require.NoError(t, err)
			s.files.SetCheckEvery(0) // see every file change at once
			der, err := s.Sign([]byte("x"))
			require.NoError(t, err)
			p7, err := pkcs7.Parse(der)
			require.NoError(t, err)
			assert.NoError(t, p7.VerifyWithChain(tc.pki.pool()))
		})
	}
}

func TestNewSigner_BadFiles(t *testing.T) {
	pki := newTestPKI(t, keyECDSA)
	other := newTestPKI(t, keyECDSA)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	tests := []struct {
		name       string
		cert, key  []byte
		noCertFile bool
		want       string
	}{
		{"missing certificate file", nil, pkcs8PEM(t, pki.leafKey), true, "signing certificate"},
		{"no certificate in file", []byte("hello\n"), pkcs8PEM(t, pki.leafKey), false, "no PEM CERTIFICATE block"},
		{"no key in file", certPEM(pki.leaf), certPEM(pki.leaf), false, "no PEM PRIVATE KEY block"},
		{"key of another certificate", certPEM(pki.leaf), pkcs8PEM(t, other.leafKey), false, "does not belong"},
		{"chain in the wrong order", certPEM(pki.leaf, pki.root, pki.intermediate), pkcs8PEM(t, pki.leafKey), false, "not issued by the one after it"},
		{"unrelated intermediate", certPEM(pki.leaf, other.intermediate), pkcs8PEM(t, pki.leafKey), false, "not issued by the one after it"},
		{"Ed25519 key", certPEM(pki.leaf), pkcs8PEM(t, edKey), false, "only RSA and ECDSA"},
		{"encrypted key", certPEM(pki.leaf), []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), false, "encrypted keys are not supported"},
		{"garbage key", certPEM(pki.leaf), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), false, "parsing signing key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
			if !tc.noCertFile {
				writeFile(t, certPath, tc.cert)
			}
			writeFile(t, keyPath, tc.key)
			_, err := NewSigner(certPath, keyPath)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A renewal that does not load is logged through the logger the service
// configured, never slog's global default.
func TestSigner_LogsThroughTheConfiguredLogger(t *testing.T) {
	dir := t.TempDir()
	pki := newTestPKI(t, keyECDSA)
	certPath, keyPath := pki.writeFiles(t, dir)
	s, err := NewSigner(certPath, keyPath)
	require.NoError(t, err)
	s.files.SetCheckEvery(0)
	var logs bytes.Buffer
	s.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	writeFile(t, keyPath, pkcs8PEM(t, newTestPKI(t, keyECDSA).leafKey)) // a key of another certificate
	_, err = s.Sign([]byte("x"))
	require.NoError(t, err, "the previous pair keeps signing")
	assert.Contains(t, logs.String(), "signing files changed but do not load")
}

// A key file every local user can read is reported at start and again
// when a renewal loads with the same mode.
func TestSigner_WarnsOfAKeyReadableByEveryone(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := newTestPKI(t, keyECDSA).writeFiles(t, dir)
	var logs bytes.Buffer
	s, err := NewSignerWithLogger(certPath, keyPath, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	assert.NotContains(t, logs.String(), "readable by every local user", "0600: no warning")

	require.NoError(t, os.Chmod(keyPath, 0o644))
	logs.Reset()
	_, err = NewSignerWithLogger(certPath, keyPath, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "the profile signing key is readable by every local user")
	assert.Contains(t, logs.String(), "mode=-rw-r--r--")

	s.files.SetCheckEvery(0)
	logs.Reset()
	renewed := newTestPKI(t, keyECDSA)
	renewed.writeFiles(t, dir)
	require.NoError(t, os.Chmod(keyPath, 0o604))
	_, err = s.Sign(testProfile(t))
	require.NoError(t, err)
	assert.Equal(t, renewed.leaf.Raw, s.Certificate().Raw)
	assert.Contains(t, logs.String(), "readable by every local user", "the renewed key is checked too")
}
