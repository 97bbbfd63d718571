package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/reload"
)

func TestServe_FlagCombinationsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*serveOptions)
		want string
	}{
		{"cert without key", func(o *serveOptions) { o.tlsCert = "c.pem" }, "--tls-cert and --tls-key go together"},
		{"files and acme", func(o *serveOptions) { o.tlsCert, o.tlsKey, o.acmeCache = "c", "k", "d" }, "not both"},
		{"acme email alone", func(o *serveOptions) { o.acmeEmail = "ops@example.com" }, "need --acme-cache"},
		{"plain listener without TLS", func(o *serveOptions) { o.httpListen = ":0" }, "--http-listen needs TLS"},
		{"bad proxies", func(o *serveOptions) { o.trustedProxies = "proxy.local" }, "--trusted-proxies"},
		{"bad rate", func(o *serveOptions) { o.rateLimit = "fast" }, "--rate-limit"},
		{"bad log format", func(o *serveOptions) { o.logFormat = "xml" }, "--log-format must be text or json"},
		{"missing certificate", func(o *serveOptions) { o.tlsCert, o.tlsKey = "/nonexistent/c.pem", "/nonexistent/k.pem" }, "reading certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(t)
			tc.edit(&o)
			_, err := newServer(o, io.Discard)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// tlsClient trusts the certificates in pool and sends SNI serverName.
func tlsClient(pool *x509.CertPool, serverName string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: serverName},
		DisableKeepAlives: true,
	}}
}

func TestServe_TLSCertificateRenewedOnDiskIsServed(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, first := testkit.WriteValidServerCert(t, dir, "autoconfig.example.com")
	o := testOptions(t)
	o.tlsCert, o.tlsKey = certPath, keyPath
	rs := startServer(t, o)

	served := func() *x509.Certificate {
		conn, err := tls.Dial("tcp", rs.mainLn.Addr().String(), &tls.Config{ServerName: "autoconfig.example.com", InsecureSkipVerify: true})
		require.NoError(t, err)
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0]
	}
	require.Equal(t, first.SerialNumber, served().SerialNumber)

	pool := x509.NewCertPool()
	pool.AddCert(first)
	resp, err := tlsClient(pool, "autoconfig.example.com").Get(rs.url("/mail/config-v1.1.xml?emailaddress=a@example.com"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "max-age=31536000", resp.Header.Get("Strict-Transport-Security"))

	_, _, second := testkit.WriteValidServerCert(t, dir, "autoconfig.example.com")
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(certPath, later, later))
	assert.Equal(t, second.SerialNumber, served().SerialNumber, "renewed without restart or signal")

	status, _ := get(t, http.DefaultClient, "http://"+rs.mainLn.Addr().String()+"/readyz")
	assert.Equal(t, http.StatusBadRequest, status, "plain HTTP to the TLS port is refused by net/http")
}

func TestServe_ReadyzFailsWithExpiredCertificate(t *testing.T) {
	now := time.Now()
	certPath, keyPath, cert := testkit.WriteServerCert(t, t.TempDir(), now.Add(-48*time.Hour), now.Add(-time.Hour), "autoconfig.example.com")
	o := testOptions(t)
	o.tlsCert, o.tlsKey = certPath, keyPath
	rs := startServer(t, o)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	status, body := get(t, client, rs.url("/readyz"))
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, body, "expired at")
	status, _ = get(t, client, rs.url("/healthz"))
	assert.Equal(t, http.StatusOK, status)
	// Said at start, not only by the probe.
	assert.Contains(t, rs.logs.String(), "TLS certificate needs renewing")
	assert.Contains(t, rs.logs.String(), "expired at")
}

func TestServe_PlainListenerServesAutoconfigAndRedirectsTheRest(t *testing.T) {
	certPath, keyPath, _ := testkit.WriteValidServerCert(t, t.TempDir(), "autoconfig.example.com")
	o := testOptions(t)
	o.tlsCert, o.tlsKey = certPath, keyPath
	o.httpListen = "127.0.0.1:0"
	o.httpsPort = 443
	rs := startServer(t, o)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + rs.plainLn.Addr().String()

	send := func(method, path, host string) *http.Response {
		req, err := http.NewRequest(method, base+path, strings.NewReader(""))
		require.NoError(t, err)
		req.Host = host
		resp, err := noFollow.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	// Thunderbird falls back to http:// and must get the document there.
	resp := send("GET", "/mail/config-v1.1.xml?emailaddress=a@example.com", "autoconfig.example.com")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Strict-Transport-Security"))
	assert.Equal(t, http.StatusOK, send("GET", "/.well-known/autoconfig/mail/config-v1.1.xml", "example.com").StatusCode)
	assert.Equal(t, http.StatusOK, send("GET", "/healthz", "10.0.0.1").StatusCode)

	// Outlook's probe of http://autodiscover.<domain>/Autodiscover/Autodiscover.xml:
	// without an https --public-url there is no other HTTPS URL to offer.
	resp = send("GET", "/Autodiscover/Autodiscover.xml", "autodiscover.example.com")
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	assert.Equal(t, "https://autodiscover.example.com/autodiscover/autodiscover.xml", resp.Header.Get("Location"))
	resp = send("POST", "/autodiscover/autodiscover.xml", "autodiscover.example.com")
	assert.Equal(t, http.StatusPermanentRedirect, resp.StatusCode)
	resp = send("GET", "/metrics", "example.com")
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode, "nothing else is served in clear")
	resp = send("GET", "/tls/allowed?domain=autoconfig.example.com", "localhost")
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode, "front proxies ask on the private listener, not here (--public-tls-allowed)")
}

// Outlook sends its plain-HTTP probe after HTTPS on autodiscover.<domain>
// failed: the plain listener answers it with a 302 to the public HTTPS URL,
// not a 301 back to the host Outlook could not reach. A POST is still
// redirected to HTTPS on the same host.
func TestServe_PlainListenerSendsOutlookProbeToPublicURL(t *testing.T) {
	certPath, keyPath, _ := testkit.WriteValidServerCert(t, t.TempDir(), "autoconfig.example.com")
	o := testOptions(t)
	o.tlsCert, o.tlsKey = certPath, keyPath
	o.httpListen = "127.0.0.1:0"
	o.httpsPort = 443
	o.publicURL = "https://autoconfig.example.net"
	rs := startServer(t, o)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		name, method, path string
		status             int
		location           string
	}{
		{"Outlook's probe", "GET", "/Autodiscover/Autodiscover.xml", http.StatusFound, "https://autoconfig.example.net/Autodiscover/Autodiscover.xml"},
		{"lower case", "GET", "/autodiscover/autodiscover.xml", http.StatusFound, "https://autoconfig.example.net/Autodiscover/Autodiscover.xml"},
		{"POST", "POST", "/autodiscover/autodiscover.xml", http.StatusPermanentRedirect, "https://autodiscover.example.com/autodiscover/autodiscover.xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, "http://"+rs.plainLn.Addr().String()+tc.path, strings.NewReader(""))
			require.NoError(t, err)
			req.Host = "autodiscover.example.com"
			resp, err := noFollow.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, tc.location, resp.Header.Get("Location"))
		})
	}
}

// TestServe_ReloadUnderLoadFailsNoRequest swaps between two good
// configurations and a broken one while clients keep asking; every request
// must succeed with one of the two good configurations.
func TestServe_ReloadUnderLoadFailsNoRequest(t *testing.T) {
	path := configFile(t, configA)
	o := testOptions(t)
	o.configPath = path
	rs := startServer(t, o)
	target := rs.url("/mail/config-v1.1.xml?emailaddress=jane@example.com")

	var stop atomic.Bool
	var requests, failures atomic.Int64
	var seenA, seenB atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for !stop.Load() {
				resp, err := client.Get(target)
				if err != nil {
					failures.Add(1)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				requests.Add(1)
				switch {
				case resp.StatusCode == http.StatusOK && strings.Contains(string(body), "imap-a.example.com"):
					seenA.Store(true)
				case resp.StatusCode == http.StatusOK && strings.Contains(string(body), "imap-b.example.com"):
					seenB.Store(true)
				default:
					failures.Add(1)
				}
			}
		}()
	}
	for i := range 30 {
		writeFile(t, path, []string{configB, configBroken, configA}[i%3])
		rs.hup <- syscall.SIGHUP
		// The file is written again only once this reload has read it.
		waitForReloads(t, rs, i+1)
		// A request between reloads shows each configuration served.
		status, _ := get(t, http.DefaultClient, target)
		require.Equal(t, http.StatusOK, status)
	}
	stop.Store(true)
	wg.Wait()

	t.Logf("%d requests during 30 reloads, %d failed", requests.Load(), failures.Load())
	assert.Zero(t, failures.Load(), "failed requests out of %d", requests.Load())
	assert.Greater(t, requests.Load(), int64(30))
	assert.True(t, seenA.Load() && seenB.Load(), "both configurations were served")
	status, body := get(t, http.DefaultClient, rs.privateURL("/metrics"))
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `mailautoconf_config_reloads_total{result="failure"} 10`)
}

func TestServe_SIGHUPWithBrokenConfigKeepsServingTheOldOne(t *testing.T) {
	path := configFile(t, configA)
	o := testOptions(t)
	o.configPath = path
	rs := startServer(t, o)
	org := rs.url("/mail/config-v1.1.xml?emailaddress=jane@example.org")

	writeFile(t, path, configBroken)
	rs.hup <- syscall.SIGHUP
	require.Eventually(t, func() bool { return strings.Contains(rs.logs.String(), "reload refused") }, 10*time.Second, 5*time.Millisecond)
	status, body := get(t, http.DefaultClient, rs.url("/mail/config-v1.1.xml?emailaddress=jane@example.com"))
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "imap-a.example.com")
	assert.True(t, hasLine(rs.logs.String(), "file="+path+" line=5"), rs.logs.String())

	writeFile(t, path, configB)
	rs.hup <- syscall.SIGHUP
	require.Eventually(t, func() bool { s, _ := get(t, http.DefaultClient, org); return s == http.StatusOK }, 10*time.Second, 5*time.Millisecond)
}

func TestServe_ShutdownIsBounded(t *testing.T) {
	o := testOptions(t)
	o.shutdownGrace = 200 * time.Millisecond
	o.readHeaderTimeout = time.Minute
	rs := startServer(t, o)
	// A client that never finishes its request keeps its connection active.
	conn, err := net.Dial("tcp", rs.mainLn.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: example.com\r\n")
	require.NoError(t, err)
	require.Eventually(t, func() bool { s, _ := get(t, http.DefaultClient, rs.url("/healthz")); return s == 200 }, 5*time.Second, 5*time.Millisecond)

	rs.stop()
	select {
	case err := <-rs.done:
		require.ErrorContains(t, err, "shutting down")
		rs.done <- err // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("shutdown did not end after its grace period")
	}
	assert.Contains(t, rs.logs.String(), "finishing requests in flight")
}

func TestServe_OperationsArePrivateByDefault(t *testing.T) {
	o := testOptions(t)
	o.adminToken = "the-admin-token-of-tests"
	rs := startServer(t, o)
	post := func(url string) int {
		req, err := http.NewRequest(http.MethodPost, url, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer the-admin-token-of-tests")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	status, _ := get(t, http.DefaultClient, rs.url("/metrics"))
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, http.StatusNotFound, post(rs.url(reload.AdminPath)))

	status, body := get(t, http.DefaultClient, rs.privateURL("/metrics"))
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "mailautoconf_build_info")
	assert.Equal(t, http.StatusOK, post(rs.privateURL(reload.AdminPath)))
	status, _ = get(t, http.DefaultClient, rs.privateURL("/readyz"))
	assert.Equal(t, http.StatusOK, status)
	status, _ = get(t, http.DefaultClient, rs.privateURL("/mail/config-v1.1.xml?emailaddress=jane@example.com"))
	assert.Equal(t, http.StatusNotFound, status, "the private listener serves operations only")
}

// TestServe_KillHUPOfTheBinary is the operator's view: the built binary,
// a real SIGHUP, a broken file.
func TestServe_KillHUPOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	addr := freeAddr(t)
	path := configFile(t, configA)
	com := "http://" + addr + "/mail/config-v1.1.xml?emailaddress=jane@example.com"
	org := "http://" + addr + "/mail/config-v1.1.xml?emailaddress=jane@example.org"
	cmd, logs := startBinary(t, "", com, "--config", path, "--listen", addr, "--watch-config=false")
	client := &http.Client{Timeout: 5 * time.Second}

	writeFile(t, path, configBroken)
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "reload refused") }, 10*time.Second, 10*time.Millisecond)
	status, body := get(t, client, com)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "imap-a.example.com", "the old configuration keeps serving")

	writeFile(t, path, configB)
	require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { s, _ := get(t, client, org); return s == http.StatusOK }, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "SIGTERM is a clean exit")
}

var reloadCount = regexp.MustCompile(`mailautoconf_config_reloads_total\{result="(?:success|failure)"\} (\d+)`)

// waitForReloads waits until the metrics count n reloads, successful or not.
func waitForReloads(t *testing.T, rs *runningServer, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := get(t, http.DefaultClient, rs.privateURL("/metrics"))
		total := 0
		for _, m := range reloadCount.FindAllStringSubmatch(body, -1) {
			k, _ := strconv.Atoi(m[1])
			total += k
		}
		if total >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reloads counted, want %d", total, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// certificateExpirySeries is the scrape's certificate-expiry lines, label set
// to value.
func certificateExpirySeries(t *testing.T, scrape string) map[string]float64 {
	t.Helper()
	const name = "mailautoconf_certificate_expiry_timestamp_seconds"
	series := map[string]float64{}
	for _, line := range strings.Split(scrape, "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		labels, value, ok := strings.Cut(strings.TrimPrefix(line, name), " ")
		require.True(t, ok, line)
		v, err := strconv.ParseFloat(value, 64)
		require.NoError(t, err, line)
		series[labels] = v
	}
	return series
}

func TestServe_CertificateExpiryFollowsRenewalOnDisk(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	certPath, keyPath, first := testkit.WriteServerCert(t, dir, now.Add(-time.Hour), now.Add(24*time.Hour), "autoconfig.example.com")
	o := testOptions(t)
	o.tlsCert, o.tlsKey = certPath, keyPath
	rs := startServer(t, o)
	scrape := func() map[string]float64 {
		// A handshake reads renewed files; the metrics are private.
		conn, err := tls.Dial("tcp", rs.mainLn.Addr().String(), &tls.Config{ServerName: "autoconfig.example.com", InsecureSkipVerify: true})
		require.NoError(t, err)
		conn.Close()
		_, body := get(t, http.DefaultClient, rs.privateURL("/metrics"))
		return certificateExpirySeries(t, body)
	}
	assert.Equal(t, map[string]float64{`{certificate="autoconfig.example.com"}`: float64(first.NotAfter.Unix())}, scrape())

	// Renewed on disk, no signal: the next handshake reads it.
	_, _, second := testkit.WriteServerCert(t, dir, now.Add(-time.Hour), now.Add(90*24*time.Hour), "autoconfig.example.com")
	later := now.Add(time.Minute)
	require.NoError(t, os.Chtimes(certPath, later, later))
	assert.Equal(t, map[string]float64{`{certificate="autoconfig.example.com"}`: float64(second.NotAfter.Unix())}, scrape(),
		"one series per name, with the renewed expiry")
}

// configAcceptMX serves example.com and accepts any domain whose MX is the
// provider's.
const configAcceptMX = `providers:
  - id: example.com
    display_name: Example MX
    domains: [example.com]
    accept:
      mx: [mx.example.com]
    incoming: [{protocol: imap, host: imap-mx.example.com, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp-mx.example.com, port: 587, security: starttls}]
`

func TestReload_AcceptMXWithoutResolverIsRefused(t *testing.T) {
	path := configFile(t, configA)
	for _, tc := range []struct {
		name         string
		haveResolver bool
		want         int
	}{
		{"without a resolver", false, http.StatusUnprocessableEntity},
		{"with a resolver", true, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, path, configA)
			cfg, err := loadConfig(path)
			require.NoError(t, err)
			logs := &bytes.Buffer{}
			m := metrics.New("test", (&httpkit.Formats{}).Of)
			r := &reload.Reloader{
				Load: reloadConfig(path, tc.haveResolver), Store: autoconfig.NewStore(cfg),
				Metrics: m, Logger: slog.New(slog.NewTextHandler(logs, nil)),
			}
			before := r.Store.Config()
			e := testkit.Engine(t)
			e.POST(reload.AdminPath, r.AdminHandler("s3cret-token"))

			writeFile(t, path, configAcceptMX)
			w := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, reload.AdminPath, nil)
			req.Header.Set("Authorization", "Bearer s3cret-token")
			e.ServeHTTP(w, req)
			require.Equal(t, tc.want, w.Code, w.Body.String())
			if tc.haveResolver {
				assert.True(t, r.Store.Config().AcceptsMX())
				return
			}
			const why = "accept.mx needs a DNS resolver: start with --resolver HOST:PORT"
			assert.Contains(t, w.Body.String(), why)
			assert.Contains(t, logs.String(), why)
			assert.Same(t, before, r.Store.Config(), "the previous configuration stays in force")
			assert.Equal(t, 1.0, testutil.ToFloat64(m.ReloadsCounter("failure")))
			assert.Equal(t, 0.0, testutil.ToFloat64(m.ReloadsCounter("success")))
		})
	}
}

// TestServe_FollowsAConfigMapUpdate replaces the configuration as the
// kubelet updates a mounted ConfigMap (a new data directory, then the
// "..data" symlink swapped to it): one reload; then an invalid one, which
// is refused with the previous configuration kept.
func TestServe_FollowsAConfigMapUpdate(t *testing.T) {
	dir := t.TempDir()
	swap := func(version, content string) {
		data := filepath.Join(dir, version)
		require.NoError(t, os.Mkdir(data, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(data, "config.yaml"), []byte(content), 0o644))
		require.NoError(t, os.Symlink(version, filepath.Join(dir, "..data_tmp")))
		require.NoError(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	}
	swap("..2026_11_30_12_00_00.1", configA)
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.Symlink("..data/config.yaml", path))

	o := testOptions(t)
	o.configPath = path
	o.watchConfig = true
	o.watchDebounce = 50 * time.Millisecond
	rs := startServer(t, o)
	m := rs.metrics
	org := rs.url("/mail/config-v1.1.xml?emailaddress=jane@example.org")
	status, _ := get(t, http.DefaultClient, org)
	require.Equal(t, http.StatusNotFound, status)

	swap("..2026_11_30_12_01_00.2", configB)
	require.Eventually(t, func() bool { s, _ := get(t, http.DefaultClient, org); return s == http.StatusOK }, 10*time.Second, 10*time.Millisecond)

	// The broken update is the marker: the watcher reloads in order, so a
	// second reload of the first update would be counted before it.
	swap("..2026_11_30_12_02_00.3", configBroken)
	require.Eventually(t, func() bool { return testutil.ToFloat64(m.ReloadsCounter("failure")) == 1 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1.0, testutil.ToFloat64(m.ReloadsCounter("success")), "one update, one reload")
	status, body := get(t, http.DefaultClient, org)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "imap-b.example.com", "the previous configuration stays in force")
	assert.True(t, hasLine(rs.logs.String(), "line=5"), rs.logs.String())
}

// TestServe_TLSRefusesCBCSuites connects with one TLS 1.2 suite at a time
// to an RSA certificate: the CBC suites with SHA-1 MACs are refused, the
// AEAD ones and TLS 1.3 work.
func TestServe_TLSRefusesCBCSuites(t *testing.T) {
	pki := testkit.MustPKI(t, testkit.LeafOptions{Kind: testkit.RSA, Names: []string{"autoconfig.example.com"}})
	o := testOptions(t)
	o.tlsCert, o.tlsKey = pki.MustWriteFiles(t, t.TempDir())
	rs := startServer(t, o)
	pool := pki.Pool()
	dial := func(version uint16, suite uint16) error {
		c := &tls.Config{ServerName: "autoconfig.example.com", RootCAs: pool, MinVersion: version, MaxVersion: version}
		if suite != 0 {
			c.CipherSuites = []uint16{suite}
		}
		conn, err := tls.Dial("tcp", rs.mainLn.Addr().String(), c)
		if err == nil {
			conn.Close()
		}
		return err
	}
	for _, tc := range []struct {
		name    string
		version uint16
		suite   uint16
		ok      bool
	}{
		{"ECDHE-RSA-AES128-SHA", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{"ECDHE-RSA-AES256-SHA", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, false},
		{"ECDHE-RSA-AES128-SHA256", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, false},
		{"AES128-GCM-SHA256 (no ECDHE)", tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{"ECDHE-RSA-AES128-GCM-SHA256", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true},
		{"ECDHE-RSA-AES256-GCM-SHA384", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, true},
		{"ECDHE-RSA-CHACHA20-POLY1305", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, true},
		{"TLS 1.3", tls.VersionTLS13, 0, true},
		{"TLS 1.1", tls.VersionTLS11, 0, false},
	} {
		err := dial(tc.version, tc.suite)
		if tc.ok {
			assert.NoError(t, err, tc.name)
		} else {
			assert.Error(t, err, tc.name)
		}
	}
}
