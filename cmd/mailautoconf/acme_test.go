package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/autotls"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certpolicy"
)

// loopbackDNS answers every A query with 127.0.0.1, so that Pebble's
// validation of any name reaches the server under test.
func loopbackDNS(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, question := range q.Question {
			if question.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: question.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return ln.Addr().String()
}

// pebble is Let's Encrypt's test CA run in process. Its HTTPS front end
// starts first, since the service needs its URL and certificate; its
// validation starts once the service's ports are known (validate), and
// requests wait until then.
type pebble struct {
	directory, caFile string
	log               *syncBuffer

	ready    chan struct{}
	frontEnd http.Handler
	roots    *x509.CertPool
}

func startPebble(t *testing.T) *pebble {
	t.Helper()
	// Pebble sleeps up to 5 s before validating and rejects 5 % of nonces
	// by default, to exercise clients; neither helps these tests.
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	p := &pebble{log: &syncBuffer{}, ready: make(chan struct{})}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-p.ready
		p.frontEnd.ServeHTTP(w, r)
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p.directory = srv.URL + wfe.DirectoryPath
	p.caFile = filepath.Join(t.TempDir(), "pebble-https.pem")
	require.NoError(t, os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	return p
}

// validate starts the CA, validating challenges on the given ports of
// 127.0.0.1.
func (p *pebble) validate(t *testing.T, rs *runningServer) {
	httpPort, tlsPort := rs.plainLn.Addr().(*net.TCPAddr).Port, rs.mainLn.Addr().(*net.TCPAddr).Port
	logger := log.New(p.log, "pebble ", 0)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	validator := va.New(logger, httpPort, tlsPort, false, loopbackDNS(t), store)
	impl := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 3, 5)
	p.frontEnd = impl.Handler()
	p.roots = x509.NewCertPool()
	p.roots.AddCert(authority.GetRootCert(0).Cert)
	close(p.ready)
}

func (p *pebble) issued() int { return strings.Count(p.log.String(), "Issued certificate") }

// acmeOptions serve cfg with certificates from p, kept in storage, and
// the names of certificates.zone resolved by its DNS server.
func acmeOptions(t *testing.T, p *pebble, cfg, storage string, resolver string) serveOptions {
	o := testOptions(t)
	o.configPath = configFile(t, cfg)
	o.httpListen = "127.0.0.1:0"
	o.httpsPort = 443
	o.acmeCache = storage
	o.acmeDirectory = p.directory
	o.acmeCAFile = p.caFile
	o.acmeEmail = "ops@provider.test"
	o.resolver = resolver
	return o
}

// handshake connects to rs with SNI name and returns the certificate
// served, verified against roots.
func handshake(ctx context.Context, rs *runningServer, name string, roots *x509.CertPool) (*x509.Certificate, error) {
	d := &tls.Dialer{Config: &tls.Config{ServerName: name, RootCAs: roots}}
	conn, err := d.DialContext(ctx, "tcp", rs.mainLn.Addr().String())
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState().PeerCertificates[0], nil
}

// waitForStorage waits until storage holds certificates for names.
func waitForStorage(t *testing.T, storage string, names []string, logs ...*syncBuffer) {
	t.Helper()
	var got []string
	ok := assert.Eventually(t, func() bool {
		infos, err := autotls.List(storage, time.Now())
		require.NoError(t, err)
		got = got[:0]
		for _, i := range infos {
			got = append(got, i.Name)
		}
		return assert.ObjectsAreEqual(names, got)
	}, 60*time.Second, 50*time.Millisecond)
	if !ok {
		for _, l := range logs {
			t.Log(l.String())
		}
		t.Fatalf("certificates in storage: %v, want %v", got, names)
	}
}

// configListed lists listed.test; service_host is the loopback name of
// certificates.zone.
const configListed = `service_host: mail-setup.provider.test
providers:
  - id: provider.test
    display_name: Provider
    domains: [listed.test]
    accept:
      mx: [mx.provider.test]
    incoming: [{protocol: imap, host: imap.provider.test, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.provider.test, port: 587, security: starttls}]
`

// listedCertNames are the names certified ahead of time for configListed.
var listedCertNames = []string{"autoconfig.listed.test", "autodiscover.listed.test", "mail-setup.provider.test", "ua-auto-config.listed.test"}

// TestACME_AheadOfTimeAndOnDemand: the names of the listed domain are
// certified at start-up without any handshake; a customer domain accepted
// by its MX gets a certificate at its first handshake; a random name, a
// name that resolves elsewhere and a domain served by nobody get none,
// and GET /tls/allowed answers as the handshakes did.
func TestACME_AheadOfTimeAndOnDemand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an ACME CA")
	}
	p := startPebble(t)
	zone := dnstest.Start(t, "../../testdata/dns/certificates.zone")
	storage := t.TempDir()
	rs := startServer(t, acmeOptions(t, p, configListed, storage, zone.Addr))
	p.validate(t, rs)

	waitForStorage(t, storage, listedCertNames, rs.logs, p.log)
	assert.Equal(t, 4, p.issued(), p.log.String())
	assert.True(t, hasLine(rs.logs.String(), "certificate issued"), rs.logs.String())

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	leaf, err := handshake(ctx, rs, "autoconfig.listed.test", p.roots)
	require.NoError(t, err, rs.logs.String())
	assert.Equal(t, []string{"autoconfig.listed.test"}, leaf.DNSNames)

	for _, tc := range []struct {
		name    string
		allowed bool
	}{
		{"autoconfig.customer.test", true},     // MX at the provider, CNAME to the service host
		{"autodiscover.customer.test", true},   // MX at the provider, A record of the service host
		{"autoconfig.r4nd0m-7731.test", false}, // nobody's domain
		{"autoconfig.random.test", false},      // MX elsewhere (catch_all is not configured)
		{"autoconfig.moved.test", false},       // MX at the provider, but the name resolves elsewhere
		{"www.customer.test", false},           // not a name mail clients look up
	} {
		// Asked on the private listener, as a front proxy on the same host would.
		status, body := get(t, http.DefaultClient, rs.privateURL("/tls/allowed?domain="+tc.name))
		want := http.StatusForbidden
		if tc.allowed {
			want = http.StatusOK
		}
		assert.Equal(t, want, status, "%s: %s", tc.name, body)

		leaf, err := handshake(ctx, rs, tc.name, p.roots)
		if !tc.allowed {
			assert.Error(t, err, tc.name)
			continue
		}
		if assert.NoError(t, err, tc.name) {
			assert.Equal(t, []string{tc.name}, leaf.DNSNames)
		}
	}
	assert.Equal(t, 6, p.issued(), "two on-demand certificates, none for the refused names")

	_, metrics := get(t, http.DefaultClient, rs.privateURL("/metrics"))
	for _, want := range []string{
		`mailautoconf_certificates_obtained_total{kind="issued"} 6`,
		`mailautoconf_certificate_decisions_total{reason="accept_mx",result="allowed"}`,
		`mailautoconf_certificate_decisions_total{reason="not_pointing_here",result="denied"}`,
		`mailautoconf_certificate_decisions_total{reason="domain_not_served",result="denied"}`,
		`mailautoconf_certificate_expiry_timestamp_seconds{certificate="autoconfig.listed.test"}`,
	} {
		assert.Contains(t, metrics, want)
	}
	status, _ := get(t, tlsClient(p.roots, "autoconfig.listed.test"), rs.url("/metrics"))
	assert.Equal(t, http.StatusNotFound, status, "metrics are private by default")

	// A reload that lists another domain orders its names ahead of time.
	writeFile(t, rs.opts.configPath, strings.Replace(configListed, "domains: [listed.test]", "domains: [listed.test, newly.test]", 1))
	rs.hup <- syscall.SIGHUP
	waitForStorage(t, storage, []string{
		"autoconfig.customer.test", "autoconfig.listed.test", "autoconfig.newly.test",
		"autodiscover.customer.test", "autodiscover.listed.test", "autodiscover.newly.test",
		"mail-setup.provider.test", "ua-auto-config.listed.test", "ua-auto-config.newly.test",
	}, rs.logs, p.log)
	assert.Equal(t, 9, p.issued())
}

// TestACME_TwoInstancesShareOneStorage: two replicas on one storage
// directory, started together, order each name once between them; the CA
// validates through the first one only, which answers the second's
// challenges from the shared storage.
func TestACME_TwoInstancesShareOneStorage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an ACME CA")
	}
	p := startPebble(t)
	zone := dnstest.Start(t, "../../testdata/dns/certificates.zone")
	storage := t.TempDir()
	instances := make([]*runningServer, 2)
	for i := range instances {
		instances[i] = startServer(t, acmeOptions(t, p, configListed, storage, zone.Addr))
	}
	p.validate(t, instances[0])

	waitForStorage(t, storage, listedCertNames, instances[0].logs, instances[1].logs, p.log)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var serials []string
	for _, rs := range instances {
		leaf, err := handshake(ctx, rs, "autodiscover.listed.test", p.roots)
		require.NoError(t, err, rs.logs.String())
		serials = append(serials, leaf.SerialNumber.String())
	}
	assert.Equal(t, serials[0], serials[1], "both instances serve the one certificate")
	// Give a second order, if any, the time to show.
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, len(listedCertNames), p.issued(), "one certificate per name between both instances:\n%s", p.log.String())
}

func TestClassify(t *testing.T) {
	cfg, err := autoconfig.Parse("test.yaml", []byte(`catch_all: example.com
providers:
  - id: example.com
    display_name: Example
    domains: [example.com, "*.example.org", bücher.example]
    incoming: [{protocol: imap, host: imap.example.com, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.example.com, port: 587, security: starttls}]
  - id: other.example
    display_name: Other
    domains: [other.example]
    incoming: [{protocol: imap, host: imap.other.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.other.example, port: 587, security: starttls}]
`))
	require.NoError(t, err)
	other := cfg.Providers[1]
	for domain, want := range map[string]certpolicy.Match{
		"example.com":           certpolicy.Listed,
		"xn--bcher-kva.example": certpolicy.Listed,
		"sub.example.org":       certpolicy.Wildcard,
		"anything.example":      certpolicy.CatchAll,
	} {
		p, err := cfg.Lookup(domain)
		require.NoError(t, err)
		assert.Equal(t, want, classify(cfg, p, domain), domain)
	}
	// A provider found for a domain it neither lists nor catches found it
	// through the MX (catch_all and accept.mx do not mix in one file).
	assert.Equal(t, certpolicy.AcceptMX, classify(cfg, other, "customer.example"))

	assert.Equal(t, []string{
		"autoconfig.example.com", "autodiscover.example.com", "ua-auto-config.example.com",
		"autoconfig.xn--bcher-kva.example", "autodiscover.xn--bcher-kva.example", "ua-auto-config.xn--bcher-kva.example",
		"autoconfig.other.example", "autodiscover.other.example", "ua-auto-config.other.example",
	}, listedNames(cfg, nil), "wildcards name no host; no service host, no --public-url")
}

// TestCerts_IssueAndList runs `certs issue` beside a running service that
// shares its storage: the service answers the CA's validation, the
// command's refusals follow the same decision, and `certs list` shows
// what the storage holds.
func TestCerts_IssueAndList(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an ACME CA")
	}
	p := startPebble(t)
	zone := dnstest.Start(t, "../../testdata/dns/certificates.zone")
	storage := t.TempDir()
	o := acmeOptions(t, p, configListed, storage, zone.Addr)
	rs := startServer(t, o)
	p.validate(t, rs)
	waitForStorage(t, storage, listedCertNames, rs.logs, p.log)

	httpPort, tlsPort := rs.plainLn.Addr().(*net.TCPAddr).Port, rs.mainLn.Addr().(*net.TCPAddr).Port
	var stdout, stderr strings.Builder
	code := run([]string{"certs", "issue", "customer.test", "random.test",
		"--config", o.configPath, "--acme-cache", storage, "--acme-directory", p.directory, "--acme-directory-ca", p.caFile,
		"--resolver", zone.Addr, "--http-port", strconv.Itoa(httpPort), "--tls-port", strconv.Itoa(tlsPort)}, &stdout, &stderr)
	require.Equal(t, 1, code, "names were refused: stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
	assert.Contains(t, stderr.String(), "4 name(s) refused by the certificate policy: ua-auto-config.customer.test, autoconfig.random.test, autodiscover.random.test, ua-auto-config.random.test")
	for _, want := range []string{
		"ok      autoconfig.customer.test",
		"ok      autodiscover.customer.test",
		"refused ua-auto-config.customer.test: not_pointing_here",
		"refused autoconfig.random.test: domain_not_served",
	} {
		assert.Contains(t, stdout.String(), want)
	}
	assert.Equal(t, 6, p.issued())

	stdout.Reset()
	require.Equal(t, 0, run([]string{"certs", "list", "--acme-cache", storage}, &stdout, &stderr), stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 7, stdout.String())
	assert.Regexp(t, `^NAME +ISSUER +EXPIRES +STATE$`, lines[0])
	assert.Regexp(t, `^autoconfig\.customer\.test +Pebble Intermediate CA \S+ +\S+ +valid$`, lines[1])
}
