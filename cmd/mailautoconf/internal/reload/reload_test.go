package reload

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certs"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
)

const goodConfig = `providers:
  - id: example.com
    display_name: Example Mail
    domains: [%s]
    incoming:
      - {protocol: imap, host: imap.example.com, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: smtp.example.com, port: 587, security: starttls}
`

// brokenConfig has an error on line 5.
const brokenConfig = `providers:
  - id: example.com
    display_name: Example Mail
    domains: [example.com]
    incoming: [{protocol: imap, host: imap.example.com, port: 99999, security: tls}]
    outgoing:
      - {protocol: smtp, host: smtp.example.com, port: 587, security: starttls}
`

type fixture struct {
	path string
	r    *Reloader
	logs *bytes.Buffer
	m    *metrics.Metrics
}

func newFixture(t *testing.T, domain string) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	writeConfig(t, path, strings.Replace(goodConfig, "%s", domain, 1))
	cfg, err := autoconfig.LoadFile(path)
	require.NoError(t, err)
	logs := &bytes.Buffer{}
	m := metrics.New("test", func(string) string { return "other" })
	return &fixture{path: path, logs: logs, m: m, r: &Reloader{
		Load:    func() (*autoconfig.Config, error) { return autoconfig.LoadFile(path) },
		Store:   autoconfig.NewStore(cfg),
		Metrics: m,
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	}}
}

func writeConfig(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
}

func (f *fixture) serves(domain string) bool {
	_, err := f.r.Store.Config().Lookup(domain)
	return err == nil
}

func (f *fixture) reloads(result string) float64 {
	return testutil.ToFloat64(f.m.ReloadsCounter(result))
}

func TestReload_GoodFileIsPutInForce(t *testing.T) {
	f := newFixture(t, "example.com")
	writeConfig(t, f.path, strings.Replace(goodConfig, "%s", "example.org", 1))
	require.NoError(t, f.r.Reload())
	assert.True(t, f.serves("example.org"))
	assert.False(t, f.serves("example.com"))
	assert.Equal(t, 1.0, f.reloads("success"))
	assert.Equal(t, 0.0, f.reloads("failure"))
}

func TestReload_BrokenFileChangesNothing(t *testing.T) {
	f := newFixture(t, "example.com")
	before := f.r.Store.Config()
	writeConfig(t, f.path, brokenConfig)

	err := f.r.Reload()
	require.Error(t, err)
	assert.Same(t, before, f.r.Store.Config(), "the previous configuration stays in force")
	assert.Equal(t, 1.0, f.reloads("failure"))
	assert.Equal(t, 0.0, f.reloads("success"))
	assert.Contains(t, f.logs.String(), "file="+f.path)
	assert.Contains(t, f.logs.String(), "line=5")
	assert.Contains(t, f.logs.String(), "must be between 1 and 65535")
}

func TestReload_BrokenCertificateKeepsConfigAndCertificate(t *testing.T) {
	f := newFixture(t, "example.com")
	dir := t.TempDir()
	certPath, keyPath, first := testkit.WriteValidServerCert(t, dir, "autoconfig.example.com")
	cf, err := certs.Load(certPath, keyPath, nil)
	require.NoError(t, err)
	f.r.Certs = cf
	before := f.r.Store.Config()

	writeConfig(t, f.path, strings.Replace(goodConfig, "%s", "example.org", 1))
	require.NoError(t, os.WriteFile(certPath, []byte("garbage"), 0o600))

	require.ErrorContains(t, f.r.Reload(), "certificate")
	assert.Same(t, before, f.r.Store.Config(), "a valid config is not put in force with a broken certificate")
	assert.Equal(t, first.SerialNumber, cf.Leaf().SerialNumber)
	assert.Equal(t, 1.0, f.reloads("failure"))
}

func TestWatch_EachSignalReloads(t *testing.T) {
	f := newFixture(t, "example.com")
	signals := make(chan os.Signal)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.r.Watch(ctx, signals); close(done) }()

	reloaded := func(success, failure float64) func() bool {
		return func() bool { return f.reloads("success") == success && f.reloads("failure") == failure }
	}
	writeConfig(t, f.path, strings.Replace(goodConfig, "%s", "example.org", 1))
	signals <- syscall.SIGHUP
	require.Eventually(t, reloaded(1, 0), 5*time.Second, time.Millisecond)
	writeConfig(t, f.path, brokenConfig)
	signals <- syscall.SIGHUP
	require.Eventually(t, reloaded(1, 1), 5*time.Second, time.Millisecond)
	signals <- syscall.SIGHUP
	require.Eventually(t, reloaded(1, 2), 5*time.Second, time.Millisecond)
	cancel()
	<-done

	assert.True(t, f.serves("example.org"), "the good reload took effect, the broken ones did not")
	assert.Equal(t, 1.0, f.reloads("success"))
	assert.Equal(t, 2.0, f.reloads("failure"))
}

func TestAdminHandler(t *testing.T) {
	f := newFixture(t, "example.com")
	e := testkit.Engine(t)
	e.POST(AdminPath, f.r.AdminHandler("s3cret-token"))
	post := func(auth string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, AdminPath, nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		e.ServeHTTP(w, r)
		return w
	}
	for _, auth := range []string{"", "Bearer wrong", "Bearer s3cret-token-longer", "Basic s3cret-token", "Bearer ", "s3cret-token"} {
		w := post(auth)
		assert.Equal(t, http.StatusUnauthorized, w.Code, auth)
		assert.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
	}
	assert.Equal(t, 0.0, f.reloads("success")+f.reloads("failure"), "no reload without the token")

	w := post("Bearer s3cret-token")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "reloaded\n", w.Body.String())

	writeConfig(t, f.path, brokenConfig)
	w = post("bearer s3cret-token")
	assert.Equal(t, http.StatusUnprocessableEntity, w.Code)
	assert.Contains(t, w.Body.String(), ":5: providers[0].incoming[0].port")
}

// /readyz fails with an expired certificate file: the log must say so at
// each reload too, not only the probe.
func TestReload_ExpiringCertificateIsWarnedAbout(t *testing.T) {
	f := newFixture(t, "example.com")
	dir := t.TempDir()
	now := time.Now()
	certPath, keyPath, _ := testkit.WriteServerCert(t, dir, now.Add(-time.Hour), now.Add(60*24*time.Hour), "autoconfig.example.com")
	cf, err := certs.Load(certPath, keyPath, nil)
	require.NoError(t, err)
	f.r.Certs = cf
	require.NoError(t, f.r.Reload())
	assert.NotContains(t, f.logs.String(), "needs renewing", "60 days left")

	testkit.WriteServerCert(t, dir, now.Add(-time.Hour), now.Add(3*24*time.Hour), "autoconfig.example.com")
	later := now.Add(time.Minute)
	require.NoError(t, os.Chtimes(certPath, later, later))
	require.NoError(t, f.r.Reload())
	assert.Contains(t, f.logs.String(), "TLS certificate needs renewing")
	assert.Contains(t, f.logs.String(), "in less than 14 days")
}
