package main

import (
	"bytes"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/smallstep/pkcs7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

func TestGenerateMobileconfig_MatchesGolden(t *testing.T) {
	out := filepath.Join(t.TempDir(), "p.mobileconfig")
	var stdout, stderr bytes.Buffer
	code := run([]string{"generate", "mobileconfig", "--email", "jane@example.ch", "--name", "Jane Doe", "-o", out}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	testkit.Golden(t, "mobileconfig/default-imap-587.mobileconfig", got)
	assert.Empty(t, stdout.String())
}

func TestGenerateMobileconfig_StdoutWithConfigAndInclude(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"generate", "mobileconfig", "--email", "jane@example.net", "--name", "Jane Doe",
		"--include", "mail,calendar,contacts", "--config", testkit.Testdata(t, "config/apple-dav.yaml")}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	testkit.Golden(t, "mobileconfig/dav-all-465.mobileconfig", stdout.Bytes())
}

func TestGenerateMobileconfig_Signed(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, root := writeSigningFiles(t, dir)
	out := filepath.Join(dir, "signed.mobileconfig")
	var stderr bytes.Buffer
	code := run([]string{"generate", "mobileconfig", "--email", "jane@example.ch", "--sign-cert", certPath, "--sign-key", keyPath, "-o", out}, io.Discard, &stderr)
	require.Equal(t, 0, code, stderr.String())
	der, err := os.ReadFile(out)
	require.NoError(t, err)
	p7, err := pkcs7.Parse(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	require.NoError(t, p7.VerifyWithChain(pool))
	assert.Contains(t, string(p7.Content), "<string>jane@example.ch</string>")
}

func TestGenerateMobileconfig_BadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no email", nil, "--email is required"},
		{"bad name", []string{"--email", "a@example.ch", "--name", "a\x07b"}, "--name: the name contains a control"},
		{"bad include", []string{"--email", "a@example.ch", "--include", "notes"}, "--include: include takes"},
		{"cert without key", []string{"--email", "a@example.ch", "--sign-cert", "x.pem"}, "--sign-cert and --sign-key go together"},
		{"nothing to include", []string{"--email", "a@example.ch", "--include", "calendar"}, "none of the requested services"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(append([]string{"generate", "mobileconfig"}, tc.args...), io.Discard, &stderr)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
}

// The engine mounts the profile routes, signed when a signer is set.
func TestEngine_ServesSignedProfiles(t *testing.T) {
	certPath, keyPath, _ := writeSigningFiles(t, t.TempDir())
	signer, err := profiles.NewSigner(certPath, keyPath)
	require.NoError(t, err)
	e := newEngine(site{store: autoconfig.NewStore(autoconfig.Default()), logger: slog.New(slog.DiscardHandler), signer: signer})
	for _, path := range []string{profiles.DownloadPath, profiles.AliasPath} {
		w := testkit.Get(e, path+"?email=jane@example.ch")
		require.Equal(t, http.StatusOK, w.Code, path)
		assert.Equal(t, profiles.ContentType, w.Header().Get("Content-Type"))
		_, err := pkcs7.Parse(w.Body.Bytes())
		assert.NoError(t, err)
	}
}

// writeSigningFiles writes a signing chain and key as fullchain.pem and
// privkey.pem; it returns the root CA.
func writeSigningFiles(t *testing.T, dir string) (certPath, keyPath string, root *x509.Certificate) {
	t.Helper()
	pki := testkit.MustPKI(t, testkit.LeafOptions{Names: []string{"autoconfig.example.ch"}})
	certPath, keyPath = pki.MustWriteFiles(t, dir)
	return certPath, keyPath, pki.Root
}
