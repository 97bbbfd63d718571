package mxlookup_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

// lockedBuffer is the shared test kit's log destination.
type lockedBuffer = testkit.LogBuffer

// acceptMXConfig lists one domain and accepts any domain whose MX is the
// reference provider's.
const acceptMXConfig = `
providers:
  - id: infomaniak.com
    display_name: Infomaniak Mail
    domains: [listed.example]
    accept:
      mx: [mta-gw.infomaniak.ch]
    incoming:
      - {protocol: imap, host: mail.infomaniak.com, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: mail.infomaniak.com, port: 587, security: starttls}
`

type mxFixture struct {
	dns      *dnstest.Server
	resolver *mxlookup.Lookup
	service  *autoconfig.Resolver
	clock    *testkit.Clock
	logs     *lockedBuffer
}

func newMXFixture(t *testing.T, config string) *mxFixture {
	t.Helper()
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/mx-acceptance.zone"))
	f := &mxFixture{dns: srv, clock: testkit.NewClock(time.Unix(1_700_000_000, 0)), logs: &lockedBuffer{}}
	f.resolver = mxlookup.New(srv.Addr, 100, slog.New(slog.NewTextHandler(f.logs, nil)))
	mxlookup.SetClock(f.resolver, f.clock.Now)
	cfg, err := autoconfig.Parse("accept-mx.yaml", []byte(config))
	require.NoError(t, err)
	f.service = &autoconfig.Resolver{Store: autoconfig.NewStore(cfg), MX: f.resolver}
	return f
}

func TestMXAcceptance_Lookup(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	tests := []struct {
		domain string
		served bool
	}{
		{"customer.test", true},
		{"backup.test", false}, // accepted host is only a backup MX
		{"other.test", false},  // MX elsewhere
		{"nomx.test", false},   // NODATA
		{"missing.test", false},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			p, err := f.service.Provider(context.Background(), tt.domain)
			if !tt.served {
				require.ErrorIs(t, err, autoconfig.ErrUnknownDomain)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "infomaniak.com", p.ID)
		})
	}
}

func TestMXAcceptance_ListedDomainCostsNoQuery(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	p, err := f.service.Provider(context.Background(), "listed.example")
	require.NoError(t, err)
	assert.Equal(t, "infomaniak.com", p.ID)
	assert.Zero(t, f.dns.Queries())
}

func TestMXAcceptance_CatchAllCostsNoQuery(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.service.Store.Swap(autoconfig.Default()) // catch_all, no accept.mx
	_, err := f.service.Provider(context.Background(), "customer.test")
	require.NoError(t, err)
	assert.Zero(t, f.dns.Queries())
}

func TestMXAcceptance_CacheFollowsRecordTTL(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	ctx := context.Background()
	lookup := func() {
		_, err := f.service.Provider(ctx, "shortttl.test")
		require.NoError(t, err)
	}
	lookup()
	lookup()
	assert.Equal(t, 1, f.dns.Queries(), "second lookup within the TTL is cached")
	f.clock.Advance(59 * time.Second)
	lookup()
	assert.Equal(t, 1, f.dns.Queries())
	f.clock.Advance(2 * time.Second) // record TTL is 60 s
	lookup()
	assert.Equal(t, 2, f.dns.Queries(), "expired entry is looked up again")
}

func TestMXAcceptance_NegativeCacheUsesSOAMinimum(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	ctx := context.Background()
	for range 3 {
		_, err := f.service.Provider(ctx, "missing.test")
		require.ErrorIs(t, err, autoconfig.ErrUnknownDomain)
	}
	assert.Equal(t, 1, f.dns.Queries())
	f.clock.Advance(299 * time.Second)
	_, _ = f.service.Provider(ctx, "missing.test")
	assert.Equal(t, 1, f.dns.Queries())
	f.clock.Advance(2 * time.Second) // SOA minimum is 300 s
	_, _ = f.service.Provider(ctx, "missing.test")
	assert.Equal(t, 2, f.dns.Queries())
}

func TestMXAcceptance_CacheIsBounded(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.resolver = mxlookup.New(f.dns.Addr, 2, nil)
	f.service.MX = f.resolver
	ctx := context.Background()
	for _, d := range []string{"customer.test", "other.test", "backup.test"} {
		_, _ = f.service.Provider(ctx, d)
	}
	assert.Equal(t, 2, mxlookup.CacheLen(f.resolver))
	_, _ = f.service.Provider(ctx, "backup.test") // most recent: cached
	assert.Equal(t, 3, f.dns.Queries())
	_, _ = f.service.Provider(ctx, "customer.test") // least recent: evicted
	assert.Equal(t, 4, f.dns.Queries())
}

func TestMXAcceptance_ConcurrentLookupsCollapse(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	arrived := f.dns.Hold()
	const callers = 20
	var started, done sync.WaitGroup
	started.Add(callers)
	done.Add(callers)
	errs := make(chan error, callers)
	for range callers {
		go func() {
			defer done.Done()
			started.Done()
			_, err := f.service.Provider(context.Background(), "customer.test")
			errs <- err
		}()
	}
	started.Wait()
	<-arrived // the one shared query is at the server, held
	f.dns.Release()
	done.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.dns.Queries(), "callers waiting for the same domain share one query")
}

func TestMXAcceptance_ServfailIsUnknownDomainAndLogged(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.dns.SetRcode(dns.RcodeServerFailure)
	_, err := f.resolver.LookupMX(context.Background(), "customer.test")
	require.ErrorIs(t, err, mxlookup.ErrLookup)
	assert.Contains(t, err.Error(), "SERVFAIL")

	_, err = f.service.Provider(context.Background(), "customer.test")
	require.ErrorIs(t, err, autoconfig.ErrUnknownDomain)
	assert.Contains(t, f.logs.String(), "MX lookups failed")
	assert.Contains(t, f.logs.String(), "domain=customer.test")
	assert.Equal(t, 1, f.dns.Queries(), "the failure is cached briefly")

	f.dns.SetRcode(-1)
	f.clock.Advance(mxlookup.DefaultFailureTTL + time.Second)
	_, err = f.service.Provider(context.Background(), "customer.test")
	require.NoError(t, err, "served again once the failure has expired")
}

func TestMXAcceptance_TimeoutIsUnknownDomain(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.resolver = mxlookup.New(dnstest.StartSilent(t), 10, slog.New(slog.NewTextHandler(f.logs, nil)))
	f.resolver.Timeout = 100 * time.Millisecond
	f.service.MX = f.resolver

	_, err := f.resolver.LookupMX(context.Background(), "customer.test")
	require.ErrorIs(t, err, mxlookup.ErrLookup)

	_, err = f.service.Provider(context.Background(), "other.test")
	require.ErrorIs(t, err, autoconfig.ErrUnknownDomain)
	assert.Contains(t, f.logs.String(), "MX lookups failed")
}

func TestMXAcceptance_CallerDeadlineEndsTheWait(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.dns.Hold()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.resolver.LookupMX(ctx, "customer.test")
	require.ErrorIs(t, err, mxlookup.ErrLookup)
	assert.True(t, errors.Is(err, context.Canceled))
}

func TestMXAcceptance_HTTP(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	deps := httpkit.Deps{Resolver: f.service}
	e := testkit.Engine(t, thunderbird.New(deps), autodiscover.New(deps))
	tests := []struct {
		address string
		rcode   int
		status  int
	}{
		{"jane@customer.test", -1, http.StatusOK},
		{"jane@other.test", -1, http.StatusNotFound},
		{"jane@nomx.test", -1, http.StatusNotFound},
		{"jane@shortttl.test", dns.RcodeServerFailure, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			f.dns.SetRcode(tt.rcode)
			defer f.dns.SetRcode(-1)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mail/config-v1.1.xml?emailaddress="+tt.address, nil))
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status == http.StatusOK {
				assert.Contains(t, rec.Body.String(), "<domain>customer.test</domain>")
			}
		})
	}
}

func TestSystemResolver_ReadsResolvConf(t *testing.T) {
	addr, err := mxlookup.ResolverFromFile(testkit.Testdata(t, "dns/resolv.conf"))
	require.NoError(t, err)
	assert.Equal(t, "192.0.2.53:53", addr)
}

// TestMXAcceptance_CachedDocumentsFollowTheMX checks that a domain whose
// MX moves from one accept.mx provider to another gets the new provider's
// settings at once, although its documents were cached under the old one.
func TestMXAcceptance_CachedDocumentsFollowTheMX(t *testing.T) {
	const twoProviders = acceptMXConfig + `
  - id: elsewhere.example
    display_name: Elsewhere Mail
    accept:
      mx: [mx.elsewhere.example]
    incoming:
      - {protocol: imap, host: imap.elsewhere.example, port: 993, security: tls}
    outgoing:
      - {protocol: smtp, host: smtp.elsewhere.example, port: 587, security: starttls}
`
	f := newMXFixture(t, twoProviders)
	deps := httpkit.Deps{Resolver: f.service}
	e := testkit.Engine(t, thunderbird.New(deps), autodiscover.New(deps))
	pox := `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>jane@customer.test</EMailAddress></Request></Autodiscover>`
	ask := func() (thunderbird, autodiscover string) {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mail/config-v1.1.xml?emailaddress=jane@customer.test", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		thunderbird = rec.Body.String()
		rec = httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/autodiscover/autodiscover.xml", strings.NewReader(pox))
		req.Header.Set("Content-Type", "text/xml")
		e.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		return thunderbird, rec.Body.String()
	}
	tb, ad := ask()
	assert.Contains(t, tb, "mail.infomaniak.com")
	assert.Contains(t, ad, "mail.infomaniak.com")

	// The customer moves its mail: its MX now points at the other provider.
	moved := filepath.Join(t.TempDir(), "moved.zone")
	require.NoError(t, os.WriteFile(moved, []byte("$ORIGIN test.\n$TTL 600\n@ IN SOA ns.test. hostmaster.test. 1 7200 900 1209600 300\ncustomer IN MX 5 mx.elsewhere.example.\n"), 0o644))
	f.service.MX = mxlookup.New(dnstest.Start(t, moved).Addr, 100, nil)

	tb, ad = ask()
	assert.Contains(t, tb, "imap.elsewhere.example")
	assert.NotContains(t, tb, "mail.infomaniak.com")
	assert.Contains(t, ad, "imap.elsewhere.example")
	assert.NotContains(t, ad, "mail.infomaniak.com")
}
