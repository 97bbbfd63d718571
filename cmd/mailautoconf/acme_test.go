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
	"net/url"
	"os"
	"path/filepath"
	"strings"
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
)

// loopbackDNS answers every A query with 127.0.0.1, so that Pebble's
// validation of autoconfig.example.com reaches the server under test.
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

// TestACME_CertificateFromPebble runs Let's Encrypt's test CA in process,
// with its validation pointed at the service's listeners through a DNS
// server that maps every name to loopback, and checks that the first
// handshake for autoconfig.<listed domain> gets a certificate issued by it,
// and that names outside the host policy get none.
func TestACME_CertificateFromPebble(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an ACME CA")
	}
	// Pebble sleeps up to 5 s before validating and rejects 5 % of nonces
	// by default, to exercise clients; neither helps this test.
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")

	// The CA's HTTPS front end starts first: the service needs its URL and
	// certificate, and Pebble needs the service's ports.
	var frontEnd http.Handler
	pebbleSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		frontEnd.ServeHTTP(w, r)
	}))
	pebbleSrv.StartTLS()
	t.Cleanup(pebbleSrv.Close)
	caFile := filepath.Join(t.TempDir(), "pebble-https.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pebbleSrv.Certificate().Raw}), 0o600))

	o := testOptions(t)
	o.configPath = configFile(t, configA) // lists example.com
	o.httpListen = "127.0.0.1:0"
	o.httpsPort = 443
	o.acmeCache = t.TempDir()
	o.acmeDirectory = pebbleSrv.URL + wfe.DirectoryPath
	o.acmeCAFile = caFile
	o.acmeEmail = "ops@example.com"
	rs := startServer(t, o)
	httpPort := rs.plainLn.Addr().(*net.TCPAddr).Port
	tlsPort := rs.mainLn.Addr().(*net.TCPAddr).Port

	pebbleLog := &syncBuffer{}
	logger := log.New(pebbleLog, "pebble ", 0)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	validator := va.New(logger, httpPort, tlsPort, false, loopbackDNS(t), store)
	impl := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 3, 5)
	frontEnd = impl.Handler()

	roots := x509.NewCertPool()
	roots.AddCert(authority.GetRootCert(0).Cert)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	dialer := &tls.Dialer{Config: &tls.Config{ServerName: "autoconfig.example.com", RootCAs: roots}}
	conn, err := dialer.DialContext(ctx, "tcp", rs.mainLn.Addr().String())
	require.NoError(t, err, "pebble log:\n%s\nservice log:\n%s", pebbleLog, rs.logs)
	leaf := conn.(*tls.Conn).ConnectionState().PeerCertificates[0]
	conn.Close()
	assert.Equal(t, []string{"autoconfig.example.com"}, leaf.DNSNames)

	// The certificate serves HTTPS requests, and its expiry is exported.
	client := tlsClient(roots, "autoconfig.example.com")
	status, _ := get(t, client, rs.url("/mail/config-v1.1.xml?emailaddress=jane@example.com"))
	assert.Equal(t, http.StatusOK, status)
	_, metrics := get(t, client, rs.url("/metrics"))
	assert.Contains(t, metrics, `mailautoconf_certificate_expiry_timestamp_seconds{certificate="autoconfig.example.com"}`)
	files, err := os.ReadDir(o.acmeCache)
	require.NoError(t, err)
	assert.NotEmpty(t, files, "the certificate is cached for restarts")

	// Names outside the policy get no certificate and cost no order.
	for _, name := range []string{"autoconfig.not-listed.example", "www.example.com", "example.com"} {
		d := &tls.Dialer{Config: &tls.Config{ServerName: name, RootCAs: roots}}
		_, err := d.DialContext(ctx, "tcp", rs.mainLn.Addr().String())
		assert.Error(t, err, name)
	}
	assert.Equal(t, 1, strings.Count(pebbleLog.String(), "Issued certificate"), pebbleLog.String())
}

func TestACMEHostPolicy(t *testing.T) {
	cfg, err := autoconfig.Parse("test.yaml", []byte(`catch_all: example.com
providers:
  - id: example.com
    display_name: Example
    domains: [example.com, "*.example.org", bücher.example]
    incoming: [{protocol: imap, host: imap.example.com, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.example.com, port: 587, security: starttls}]
`))
	require.NoError(t, err)
	base, _ := url.Parse("https://mail-setup.provider.example")
	policy := acmeHostPolicy(autoconfig.NewStore(cfg), base)
	for host, allowed := range map[string]bool{
		"autoconfig.example.com":              true,
		"AUTODISCOVER.example.com.":           true,
		"ua-auto-config.example.com":          true,
		"autoconfig.xn--bcher-kva.example":    true,
		"mail-setup.provider.example":         true,
		"example.com":                         false,
		"www.example.com":                     false,
		"autoconfig.sub.example.org":          false, // wildcard only
		"autoconfig.anything-else.example":    false, // catch_all only
		"autoconfig.autoconfig.example.com":   false,
		"autoconfig.example.com.evil.example": false,
	} {
		err := policy(context.Background(), host)
		assert.Equal(t, allowed, err == nil, "%s: %v", host, err)
	}
}
