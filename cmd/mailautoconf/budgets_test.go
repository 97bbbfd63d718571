package main

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

const acceptMXSite = `providers:
  - id: example.com
    display_name: Example
    domains: [example.com]
    accept:
      mx: [mta-gw.infomaniak.ch]
    incoming: [{protocol: imap, host: imap.example.com, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.example.com, port: 587, security: starttls}]
`

// A flood of unique unlisted names, the relay of a random-subdomain attack,
// reaches the DNS server as a bounded number of queries, whether it comes
// from one client or from many; the rest get the 404 of an unknown domain.
func TestEngine_MXFloodIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		clients int
		bound   func(elapsed time.Duration) int
	}{
		{"one client", 1, func(d time.Duration) int {
			b := mxlookup.DefaultBudget
			return b.ClientBurst + int(math.Ceil(float64(b.PerClient)*d.Seconds()))
		}},
		{"200 clients", 200, func(d time.Duration) int {
			b := mxlookup.DefaultBudget
			return b.GlobalBurst + int(math.Ceil(float64(b.Global)*d.Seconds()))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := dnstest.Start(t, testkit.Testdata(t, "dns/mx-acceptance.zone"))
			s := siteFor(testkit.ParseConfig(t, acceptMXSite))
			s.mx = mxlookup.New(srv.Addr, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
			h := newHandler(s)
			ask := func(client int, domain string) int {
				req := httptest.NewRequest(http.MethodGet, "/mail/config-v1.1.xml?emailaddress=jane@"+domain, nil)
				req.RemoteAddr = fmt.Sprintf("198.51.100.%d:40000", client%250+1)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				return w.Code
			}
			start := time.Now()
			const requests = 1000
			notFound := 0
			for i := range requests {
				if ask(i%tc.clients, fmt.Sprintf("r%d.customer.test", i)) == http.StatusNotFound {
					notFound++
				}
			}
			elapsed := time.Since(start)
			assert.Equal(t, requests, notFound)
			assert.LessOrEqual(t, srv.Queries(), tc.bound(elapsed), "queries for %d requests in %s", requests, elapsed)
			assert.Greater(t, srv.Queries(), 0)

			// Listed domains cost no lookup and stay served.
			assert.Equal(t, http.StatusOK, ask(0, "example.com"))
		})
	}
}

// The budget follows the client the engine sees: another client is served
// while the flooding one is refused.
func TestEngine_MXBudgetIsPerClient(t *testing.T) {
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/mx-acceptance.zone"))
	s := siteFor(testkit.ParseConfig(t, acceptMXSite))
	s.mx = mxlookup.New(srv.Addr, 0, nil)
	h := newHandler(s)
	ask := func(remote, domain string) int {
		req := httptest.NewRequest(http.MethodGet, "/mail/config-v1.1.xml?emailaddress=jane@"+domain, nil)
		req.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	for i := range 100 {
		ask("192.0.2.1:1000", fmt.Sprintf("r%d.customer.test", i))
	}
	assert.Equal(t, http.StatusNotFound, ask("192.0.2.1:1000", "customer.test"), "the flooding client's budget is spent")
	assert.Equal(t, http.StatusOK, ask("192.0.2.2:1000", "customer.test"), "another client is served")
	require.Equal(t, mxlookup.DefaultBudget.ClientBurst+1, srv.Queries())
}

// Through the binary: the server keys the budget by the connection's peer,
// and the metrics count queries and refusals.
func TestServe_MXBudgetAndMetrics(t *testing.T) {
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/mx-acceptance.zone"))
	o := testOptions(t)
	o.configPath = configFile(t, acceptMXSite)
	o.resolver = srv.Addr
	rs := startServer(t, o)
	client := &http.Client{}
	for i := range 100 {
		code, _ := get(t, client, rs.url(fmt.Sprintf("/mail/config-v1.1.xml?emailaddress=jane@r%d.customer.test", i)))
		require.Equal(t, http.StatusNotFound, code)
	}
	assert.LessOrEqual(t, srv.Queries(), mxlookup.DefaultBudget.ClientBurst+1)
	_, metrics := get(t, client, rs.privateURL("/metrics"))
	assert.Contains(t, metrics, fmt.Sprintf(`mailautoconf_mx_lookups_total{result="success"} %d`, srv.Queries()))
	assert.Contains(t, metrics, fmt.Sprintf(`mailautoconf_mx_budget_refusals_total{limit="client"} %d`, 100-srv.Queries()))
	assert.Contains(t, metrics, `mailautoconf_mx_lookups_total{result="failure"} 0`)
	assert.Contains(t, metrics, "mailautoconf_mx_negative_cache_hits_total 0")
}
