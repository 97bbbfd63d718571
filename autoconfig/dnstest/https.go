package dnstest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

// HTTPSServer is a TLS server on loopback with a certificate from a test CA,
// standing in for every customer host name.
type HTTPSServer struct {
	Addr  string
	Roots *x509.CertPool
}

// StartHTTPS serves handler over TLS with a certificate valid for names
// only, until the test ends.
func StartHTTPS(t testing.TB, handler http.Handler, names ...string) *HTTPSServer {
	t.Helper()
	pki := testkit.MustPKI(t, testkit.LeafOptions{Names: names})
	srv := httptest.NewUnstartedServer(handler)
	// Handshake failures are what some tests are about: keep them out of
	// the test log.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.TLSCertificate()}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &HTTPSServer{Addr: srv.Listener.Addr().String(), Roots: pki.Pool()}
}

// Client returns a client that trusts the test CA and connects to the
// server whatever host name a URL names: DNS for the customer names is the
// test's DNS server, not the system's.
func (s *HTTPSServer) Client() *http.Client { return Client(s.Addr, s.Roots) }

// Client returns a client that trusts roots only and connects to addr
// whatever host name a URL names.
func Client(addr string, roots *x509.CertPool) *http.Client {
	var d net.Dialer
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
		},
	}
}

// CustomerSites serves the discovery documents of the two customer domains
// of testdata/dns: example.ch with the embedded default provider, and
// broken.example with planted mistakes (settings that differ from the model,
// and a certificate that does not cover autodiscover.broken.example).
// Autodiscover answers with testdata/dns/autodiscover-response.xml, so that
// these tests do not depend on the Autodiscover renderer.
func CustomerSites(t testing.TB) *HTTPSServer {
	t.Helper()
	return StartHTTPS(t, customerHandler(t), customerNames...)
}

// ISPDB is the base URL of the ISP database stand-in that the customer
// sites serve (ispdb.test in testdata/dns/clients.zone): it has no entry
// for the customer domains.
const ISPDB = "https://ispdb.test/v1.1/"

// customerNames are the names the customer sites' certificate covers.
var customerNames = []string{
	"autoconfig.example.ch", "autodiscover.example.ch", "ua-auto-config.example.ch",
	"autoconfig.broken.example", "ua-auto-config.broken.example", "ispdb.test",
}

func customerHandler(t testing.TB) http.Handler {
	t.Helper()
	wrong, err := autoconfig.Parse("wrong.yaml", []byte(`
catch_all: wrong.example
providers:
  - id: wrong.example
    display_name: Wrong
    incoming: [{protocol: imap, host: imap.wrong.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.wrong.example, port: 465, security: tls}]
`))
	require.NoError(t, err)
	good := engineFor(autoconfig.Default())
	bad := engineFor(wrong)
	autodiscover, err := os.ReadFile(testkit.Testdata(t, "dns/autodiscover-response.xml"))
	require.NoError(t, err)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.URL.Path, "/autodiscover/autodiscover.xml") && r.Method == http.MethodPost {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.Write(autodiscover)
			return
		}
		if strings.HasSuffix(r.Host, ".broken.example") {
			bad.ServeHTTP(w, r)
			return
		}
		good.ServeHTTP(w, r)
	})
}

func engineFor(cfg *autoconfig.Config) http.Handler {
	gin.SetMode(gin.TestMode)
	e := gin.New()
	deps := httpkit.Deps{Resolver: &autoconfig.Resolver{Store: autoconfig.NewStore(cfg)}}
	thunderbird.New(deps).Register(e)
	pacc.New(deps).Register(e)
	return e
}
