package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsbudget"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/certpolicy"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/metrics"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
)

// wildcardSite serves every domain under wild.test, so that a flood of
// made-up names reaches the pointer check's DNS queries.
const wildcardSite = `service_host: mail-setup.provider.test
providers:
  - id: provider.test
    display_name: Wild
    domains: [listed.test, "*.wild.test"]
    incoming: [{protocol: imap, host: imap.example.com, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.example.com, port: 587, security: starttls}]
`

// tlsAllowedSite is a site whose certificate policy asks a counting
// loopback DNS server, within a budget that does not refill during the
// test.
func tlsAllowedSite(t *testing.T) (site, *dnstest.Server, dnsbudget.Budget) {
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/certificates.zone"))
	s := siteFor(testkit.ParseConfig(t, wildcardSite))
	s.metrics = metrics.New(versionString(), (&httpkit.Formats{}).Of)
	s.certPolicy = newCertPolicy(s.store, nil, nil, false, s.metrics)
	s.certPolicy.Pointer = certpolicy.NewPointer(srv.Addr)
	b := dnsbudget.Budget{PerClient: rate.Every(time.Hour), ClientBurst: 4, Global: rate.Every(time.Hour), GlobalBurst: 30}
	s.certPolicy.Pointer.SetBudget(b)
	return s, srv, b
}

func askAllowed(h http.Handler, remote, name string) int {
	req := httptest.NewRequest(http.MethodGet, certpolicy.AllowedPath+"?domain="+name, nil)
	req.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code
}

func TestTLSAllowed_OnlyOnThePrivateEngineByDefault(t *testing.T) {
	s, _, _ := tlsAllowedSite(t)
	assert.Equal(t, http.StatusNotFound, askAllowed(newHandler(s), "192.0.2.1:1000", "autoconfig.listed.test"), "not public by default")
	assert.Equal(t, http.StatusForbidden, askAllowed(newPrivateEngine(s), "127.0.0.1:1000", "autoconfig.r1.wild.test"))

	s.publicTLSAllowed = true
	assert.Equal(t, http.StatusForbidden, askAllowed(newHandler(s), "127.0.0.1:1000", "autoconfig.r2.wild.test"), "--public-tls-allowed")
}

func TestTLSAllowed_RateLimitedPerClient(t *testing.T) {
	s, _, _ := tlsAllowedSite(t)
	s.limiter = ratelimit.New(0.001, 3, 10)
	h := newPrivateEngine(s)
	for i := range 3 {
		assert.Equal(t, http.StatusForbidden, askAllowed(h, "127.0.0.1:1000", fmt.Sprintf("autoconfig.r%d.wild.test", i)))
	}
	assert.Equal(t, http.StatusTooManyRequests, askAllowed(h, "127.0.0.1:1000", "autoconfig.r9.wild.test"))
}

// A flood of distinct names under a wildcard domain, from many addresses:
// the upstream queries stop at the budget, whatever the number of requests.
func TestTLSAllowed_UpstreamQueriesBoundedUnderFlood(t *testing.T) {
	s, srv, b := tlsAllowedSite(t)
	h := newPrivateEngine(s)
	for i := range 2000 {
		askAllowed(h, fmt.Sprintf("10.0.%d.%d:1000", i/200, i%200), fmt.Sprintf("autoconfig.r%d.wild.test", i))
	}
	assert.Equal(t, b.GlobalBurst, srv.Queries(), "2 queries a name without the budget: 4000")
	for i := range 50 {
		askAllowed(h, "192.0.2.1:1000", fmt.Sprintf("autoconfig.s%d.wild.test", i))
	}
	assert.Equal(t, b.GlobalBurst, srv.Queries(), "nothing left for anyone")
}

// The certificate policy's pointer check spends a DNS budget of the
// accept.mx resolver: /metrics counts its queries as it counts the MX ones.
func TestCertPolicy_PointerQueriesInTheMetrics(t *testing.T) {
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/certificates.zone"))
	cfg := testkit.ParseConfig(t, wildcardSite)
	m := metrics.New(versionString(), (&httpkit.Formats{}).Of)
	policy := newCertPolicy(autoconfig.NewStore(cfg), mxlookup.New(srv.Addr, 0, nil), nil, false, m)
	_, err := policy.Pointer.PointsAt(context.Background(), "autoconfig.listed.test", "mail-setup.provider.test")
	require.NoError(t, err)
	require.Positive(t, srv.Queries())

	families, err := m.Registry.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			got[f.GetName()] += metric.GetCounter().GetValue()
		}
	}
	assert.Equal(t, float64(srv.Queries()), got["mailautoconf_cert_pointer_lookups_total"])
	assert.Zero(t, got["mailautoconf_mx_lookups_total"], "the MX series count MX lookups only")
	assert.Contains(t, got, "mailautoconf_cert_pointer_budget_refusals_total")
}
