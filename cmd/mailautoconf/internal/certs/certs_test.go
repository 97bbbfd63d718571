package certs

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func served(t *testing.T, f *File) string {
	t.Helper()
	c, err := f.GetCertificate(&tls.ClientHelloInfo{ServerName: "autoconfig.example.com"})
	require.NoError(t, err)
	return c.Leaf.SerialNumber.String()
}

func TestGetCertificate_RenewedFilesAreServedWithoutReload(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, first := testkit.WriteValidServerCert(t, dir, "autoconfig.example.com")
	f, err := Load(certPath, keyPath, nil)
	require.NoError(t, err)
	require.Equal(t, first.SerialNumber.String(), served(t, f))

	_, _, second := testkit.WriteValidServerCert(t, dir, "autoconfig.example.com")
	// Same-second renewals keep the mtime on coarse file systems; the size
	// or the explicit mtime below tells them apart.
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(certPath, later, later))
	assert.Equal(t, second.SerialNumber.String(), served(t, f))
}

func TestGetCertificate_HalfWrittenRenewalKeepsServingTheOldOne(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, first := testkit.WriteValidServerCert(t, dir, "autoconfig.example.com")
	f, err := Load(certPath, keyPath, nil)
	require.NoError(t, err)

	// The key is replaced but not yet the certificate: they do not match.
	other := t.TempDir()
	_, otherKey, _ := testkit.WriteValidServerCert(t, other, "autoconfig.example.com")
	data, err := os.ReadFile(otherKey)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyPath, data, 0o600))

	assert.Equal(t, first.SerialNumber.String(), served(t, f))
	require.Error(t, f.Reload())
	assert.Equal(t, first.SerialNumber.String(), served(t, f))
}

func TestLoad_Errors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir+"/missing.pem", dir+"/missing.key", nil)
	require.ErrorContains(t, err, "reading certificate")

	garbage := dir + "/garbage.pem"
	require.NoError(t, os.WriteFile(garbage, []byte("not pem"), 0o600))
	_, err = Load(garbage, garbage, nil)
	require.ErrorContains(t, err, "loading certificate "+garbage)
}

func TestCheck_ExpiredAndNotYetValid(t *testing.T) {
	now := time.Now()
	for name, tc := range map[string]struct {
		from, to time.Time
		want     string
	}{
		"expired":       {now.Add(-48 * time.Hour), now.Add(-time.Hour), "expired at"},
		"not yet valid": {now.Add(time.Hour), now.Add(48 * time.Hour), "not valid before"},
		"valid":         {now.Add(-time.Hour), now.Add(time.Hour), ""},
	} {
		t.Run(name, func(t *testing.T) {
			certPath, keyPath, _ := testkit.WriteServerCert(t, t.TempDir(), tc.from, tc.to, "autoconfig.example.com")
			f, err := Load(certPath, keyPath, nil)
			require.NoError(t, err)
			err = f.Check(now)
			if tc.want == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tc.want)
			}
		})
	}
}

func TestLoad_OnLoadHearsOfEveryCertificateRead(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, first := testkit.WriteValidServerCert(t, dir, "autoconfig.example.com")
	var loaded []string
	f, err := Load(certPath, keyPath, func(leaf *x509.Certificate) { loaded = append(loaded, leaf.SerialNumber.String()) })
	require.NoError(t, err)
	assert.Equal(t, []string{first.SerialNumber.String()}, loaded, "at start-up")

	served(t, f)
	assert.Len(t, loaded, 1, "unchanged files are not read again")

	_, _, second := testkit.WriteValidServerCert(t, dir, "autoconfig.example.com")
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(certPath, later, later))
	served(t, f)
	assert.Equal(t, []string{first.SerialNumber.String(), second.SerialNumber.String()}, loaded, "a renewal found at a handshake")

	require.NoError(t, f.Reload())
	assert.Len(t, loaded, 3, "an explicit reload")

	require.NoError(t, os.WriteFile(certPath, []byte("garbage"), 0o600))
	require.Error(t, f.Reload())
	assert.Len(t, loaded, 3, "a failed read is not reported")
}

func TestWarning_ExpiredAndExpiringSoon(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name     string
		notAfter time.Time
		want     string // "" for no warning
	}{
		{"expired", now.Add(-time.Hour), "expired at"},
		{"ends in 5 days", now.Add(5 * 24 * time.Hour), "in less than 14 days: renew it"},
		{"ends just inside the threshold", now.Add(ExpiryWarning - time.Hour), "in less than 14 days"},
		{"ends in 30 days", now.Add(30 * 24 * time.Hour), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certPath, keyPath, _ := testkit.WriteServerCert(t, t.TempDir(), now.Add(-48*time.Hour), tt.notAfter, "autoconfig.example.com")
			f, err := Load(certPath, keyPath, nil)
			require.NoError(t, err)
			var logs testkit.LogBuffer
			f.LogWarning(slog.New(slog.NewTextHandler(&logs, nil)), now)
			if tt.want == "" {
				assert.NoError(t, f.Warning(now))
				assert.Empty(t, logs.String())
				return
			}
			assert.ErrorContains(t, f.Warning(now), tt.want)
			assert.Contains(t, logs.String(), "level=WARN msg=\"TLS certificate needs renewing\"")
			assert.Contains(t, logs.String(), certPath)
		})
	}
}
