package probe_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/probe"
)

// zone names one host on loopback, where the test's web servers are.
const zone = `$ORIGIN test.
$TTL 60
@          IN SOA ns.test. hostmaster.test. 1 7200 900 1209600 30
site.probe IN A   127.0.0.1
alias.probe IN CNAME site.probe.test.
`

// fixture is a DNS server for zone and a loopback web serving handler
// with a certificate valid for certNames.
type fixture struct {
	dns *dnstest.Server
	web *dnstest.Web
}

func start(t *testing.T, handler http.Handler, certNames ...string) fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "probe.zone")
	require.NoError(t, os.WriteFile(path, []byte(zone), 0o600))
	return fixture{dns: dnstest.Start(t, path), web: dnstest.StartWeb(t, handler, certNames...)}
}

func (f fixture) session(t *testing.T, allowInternal bool) *probe.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	// The web's port map sends HTTPS through its connection counter.
	ports := f.web.Checker(f.dns.Addr, "").PortMap
	return probe.New(ctx, probe.Config{
		Resolver: f.dns.Addr, Timeout: 10 * time.Second, AllowInternal: allowInternal,
		RootCAs: f.web.HTTPS.Roots, MaxBody: 1 << 10,
		PortMap: ports,
	})
}

func hello(hits *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("hello"))
	})
}

func TestFetch_RefusesInternalAddressWithoutConnecting(t *testing.T) {
	var hits atomic.Int64
	f := start(t, hello(&hits), "site.probe.test", "alias.probe.test")
	for _, url := range []string{"https://site.probe.test/", "http://alias.probe.test/", "https://127.0.0.1/"} {
		t.Run(url, func(t *testing.T) {
			res := f.session(t, false).Fetch(http.MethodGet, url, nil, false)

			var internal *probe.InternalAddressError
			require.ErrorAs(t, res.Err, &internal)
			assert.Equal(t, "127.0.0.1", internal.Addr.String())
			assert.False(t, res.OK())
			assert.Zero(t, res.Status)
		})
	}
	assert.Zero(t, f.web.Connections(), "the guard refuses before connecting")
	assert.Zero(t, hits.Load())
}

func TestFetch_AllowInternalConnects(t *testing.T) {
	var hits atomic.Int64
	f := start(t, hello(&hits), "site.probe.test")

	res := f.session(t, true).Fetch(http.MethodGet, "https://site.probe.test/", nil, false)

	require.NoError(t, res.Err)
	assert.True(t, res.OK())
	assert.Equal(t, "hello", string(res.Body))
	assert.Equal(t, 1, f.web.Connections())
}

func TestFetch_OneURLFetchedOncePerSession(t *testing.T) {
	var hits atomic.Int64
	f := start(t, hello(&hits), "site.probe.test")
	s := f.session(t, true)
	const url = "https://site.probe.test/doc"

	s.Prefetch(http.MethodGet, nil, url, url)
	var wg sync.WaitGroup
	results := make([]probe.Result, 4)
	for i := range results {
		wg.Go(func() { results[i] = s.Fetch(http.MethodGet, url, nil, false) })
	}
	wg.Wait()

	assert.Equal(t, int64(1), hits.Load(), "one request for every caller")
	for _, res := range results {
		assert.Equal(t, results[0], res)
		assert.Equal(t, "hello", string(res.Body))
	}
	assert.Equal(t, []probe.Result{results[0]}, s.Results())

	// Another session asks again: the cache is per check.
	f.session(t, true).Fetch(http.MethodGet, url, nil, false)
	assert.Equal(t, int64(2), hits.Load())
}

func TestFetch_ClassifiesCertificateErrors(t *testing.T) {
	var hits atomic.Int64
	f := start(t, hello(&hits), "elsewhere.test") // not valid for site.probe.test
	s := f.session(t, true)
	const url = "https://site.probe.test/"

	res := s.Fetch(http.MethodGet, url, nil, false)

	assert.True(t, res.CertError())
	assert.ErrorContains(t, res.Err, "the certificate is not valid for site.probe.test")
	assert.Zero(t, hits.Load())

	// What a client that asks the user to approve the certificate gets.
	insecure := s.Fetch(http.MethodGet, url, nil, true)
	require.NoError(t, insecure.Err)
	assert.False(t, insecure.CertError())
	assert.True(t, insecure.OK())
}

func TestLookup_ResolverDownFailsTheRestAtOnce(t *testing.T) {
	var hits atomic.Int64
	f := start(t, hello(&hits), "site.probe.test")
	f.dns.SetRcode(5) // REFUSED
	s := f.session(t, true)

	_, err := s.Lookup("site.probe.test", 1)
	require.ErrorIs(t, err, probe.ErrResolverDown)
	assert.True(t, s.ResolverDown())
	asked := f.dns.Queries()

	res := s.Fetch(http.MethodGet, "https://alias.probe.test/", nil, false)
	require.ErrorIs(t, res.Err, probe.ErrResolverDown)
	assert.Equal(t, asked, f.dns.Queries(), "no query after the resolver is known down")
	assert.Zero(t, f.web.Connections())
}
