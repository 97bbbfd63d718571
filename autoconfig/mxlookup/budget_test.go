package mxlookup_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/mxlookup"
)

// testBudget is small, so that the tests can spend it.
var testBudget = mxlookup.Budget{PerClient: 1, ClientBurst: 5, Global: 10, GlobalBurst: 20, InFlight: 4, MaxClients: 100}

func TestBudget_OneClientFloodIsBoundedByItsBudget(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.resolver.SetBudget(testBudget)
	for i := range 1000 {
		ctx := mxlookup.WithClient(context.Background(), "192.0.2.1")
		_, err := f.service.Provider(ctx, fmt.Sprintf("r%d.customer.test", i))
		require.ErrorIs(t, err, autoconfig.ErrUnknownDomain, "past the budget: the 404 of an unknown domain")
	}
	assert.Equal(t, testBudget.ClientBurst, f.dns.Queries(), "one client gets its burst, no more")
	st := f.resolver.Stats()
	assert.EqualValues(t, testBudget.ClientBurst, st.Queries)
	assert.EqualValues(t, 1000-testBudget.ClientBurst, st.Refused[mxlookup.LimitClient])

	// Its budget refills with time; another client has its own.
	f.clock.Advance(2 * time.Second)
	for i := range 10 {
		_, _ = f.service.Provider(mxlookup.WithClient(context.Background(), "192.0.2.1"), fmt.Sprintf("s%d.customer.test", i))
	}
	assert.Equal(t, testBudget.ClientBurst+2, f.dns.Queries())
	_, err := f.service.Provider(mxlookup.WithClient(context.Background(), "192.0.2.2"), "customer.test")
	require.NoError(t, err, "a client within its budget is served")
}

func TestBudget_ManyClientsAreBoundedByTheCeiling(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.resolver.SetBudget(testBudget)
	for i := range 1000 {
		ctx := mxlookup.WithClient(context.Background(), fmt.Sprintf("198.51.100.%d", i%200))
		_, _ = f.service.Provider(ctx, fmt.Sprintf("r%d.customer.test", i))
	}
	assert.Equal(t, testBudget.GlobalBurst, f.dns.Queries(), "200 clients together get the global burst, no more")
	assert.EqualValues(t, 1000-testBudget.GlobalBurst, f.resolver.Stats().Refused[mxlookup.LimitGlobal])

	// A lookup without a client (the CLI) is bounded by the ceiling too.
	_, err := f.resolver.LookupMX(context.Background(), "customer.test")
	require.ErrorIs(t, err, mxlookup.ErrBudget)
}

func TestBudget_CachedAnswersCostNothing(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.resolver.SetBudget(testBudget)
	ctx := mxlookup.WithClient(context.Background(), "192.0.2.1")
	for range 100 {
		_, err := f.service.Provider(ctx, "customer.test")
		require.NoError(t, err)
		_, _ = f.service.Provider(ctx, "missing.test")
	}
	assert.Equal(t, 2, f.dns.Queries())
	assert.EqualValues(t, 99, f.resolver.Stats().NegativeHits)
	assert.Zero(t, f.resolver.Stats().Refused[mxlookup.LimitClient])
}

// RFC 8020: below a name that does not exist, nothing exists; the cached
// NXDOMAIN answers every name under it.
func TestBudget_NXDOMAINCoversTheNamesBelow(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	ctx := context.Background()
	_, err := f.service.Provider(ctx, "missing.test")
	require.ErrorIs(t, err, autoconfig.ErrUnknownDomain)
	for i := range 50 {
		_, err := f.service.Provider(ctx, fmt.Sprintf("r%d.deeper.missing.test", i))
		require.ErrorIs(t, err, autoconfig.ErrUnknownDomain)
	}
	assert.Equal(t, 1, f.dns.Queries())
	assert.EqualValues(t, 50, f.resolver.Stats().NegativeHits)

	// NODATA says nothing of the names below: those are asked.
	_, _ = f.service.Provider(ctx, "nomx.test")
	_, _ = f.service.Provider(ctx, "sub.nomx.test")
	assert.Equal(t, 3, f.dns.Queries())

	f.clock.Advance(301 * time.Second) // SOA minimum: the NXDOMAIN expires
	_, _ = f.service.Provider(ctx, "r0.deeper.missing.test")
	assert.Equal(t, 4, f.dns.Queries())
}

func TestBudget_NegativeAnswersDoNotEvictServedDomains(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.resolver = mxlookup.New(f.dns.Addr, 10, nil)
	mxlookup.SetClock(f.resolver, f.clock.Now)
	f.service.MX = f.resolver
	ctx := context.Background()
	_, err := f.service.Provider(ctx, "customer.test")
	require.NoError(t, err)
	for i := range 15 {
		_, _ = f.service.Provider(ctx, fmt.Sprintf("nope%d.test", i))
	}
	queries := f.dns.Queries()
	_, err = f.service.Provider(ctx, "customer.test")
	require.NoError(t, err)
	assert.Equal(t, queries, f.dns.Queries(), "still cached after a flood of unknown names")
}

func TestBudget_LookupsInFlightAreBoundedAndNeverWait(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.resolver.SetBudget(mxlookup.Budget{PerClient: 1000, ClientBurst: 1000, Global: 1000, GlobalBurst: 1000, InFlight: 4})
	arrived := f.dns.Hold()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() { _, _ = f.resolver.LookupMX(context.Background(), fmt.Sprintf("held%d.test", i)) })
	}
	for range 4 {
		<-arrived
	}
	start := time.Now()
	for i := range 20 {
		_, err := f.resolver.LookupMX(context.Background(), fmt.Sprintf("more%d.test", i))
		require.ErrorIs(t, err, mxlookup.ErrBudget)
	}
	assert.Less(t, time.Since(start), time.Second, "refused at once, not queued")
	assert.Equal(t, 4, f.dns.Queries())
	assert.EqualValues(t, 20, f.resolver.Stats().Refused[mxlookup.LimitInFlight])
	f.dns.Release()
	wg.Wait()

	// A refusal is not cached: once a slot is free, the name is asked.
	_, err := f.resolver.LookupMX(context.Background(), "more0.test")
	require.NoError(t, err)
	assert.Equal(t, 5, f.dns.Queries())
}

func TestBudget_FailuresAreSummedUpInTheLog(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.resolver = mxlookup.New(dnstest.StartSilent(t), 10, slogTo(f))
	f.resolver.Timeout = 20 * time.Millisecond
	f.resolver.SetLogInterval(500 * time.Millisecond)
	f.resolver.SetBudget(mxlookup.Budget{PerClient: 1, ClientBurst: 3, Global: 1000, GlobalBurst: 1000, InFlight: 8})
	f.service.MX = f.resolver
	ctx := mxlookup.WithClient(context.Background(), "192.0.2.1")
	for i := range 30 {
		_, err := f.service.Provider(ctx, fmt.Sprintf("r%d.customer.test", i))
		require.ErrorIs(t, err, autoconfig.ErrUnknownDomain)
	}
	require.Eventually(t, func() bool { return strings.Count(f.logs.String(), "\n") == 2 }, 3*time.Second, 10*time.Millisecond)
	lines := strings.Split(strings.TrimSpace(f.logs.String()), "\n")
	assert.Contains(t, lines[0], "failed=1 refused=0", "the first failure is logged at once")
	assert.Contains(t, lines[1], "failed=2 refused=27", "the rest in one line for the interval")
	assert.EqualValues(t, 3, f.resolver.Stats().Failed)
	time.Sleep(time.Second)
	assert.Equal(t, 2, strings.Count(f.logs.String(), "\n"), "nothing more once quiet")
	f.resolver.FlushLog()
	assert.Equal(t, 2, strings.Count(f.logs.String(), "\n"), "nothing left to flush")
	other := mxlookup.WithClient(context.Background(), "192.0.2.9")
	_, _ = f.resolver.LookupMX(other, "one-more.customer.test") // logged at once
	_, _ = f.resolver.LookupMX(other, "two-more.customer.test") // gathered
	f.resolver.FlushLog()
	lines = strings.Split(strings.TrimSpace(f.logs.String()), "\n")
	require.Len(t, lines, 4)
	assert.Contains(t, lines[3], "failed=1 refused=0 last_domain=two-more.customer.test", "a flush at shutdown writes what the interval had")
}

func TestBudget_ServfailIsCachedNegatively(t *testing.T) {
	f := newMXFixture(t, acceptMXConfig)
	f.dns.SetRcode(dns.RcodeServerFailure)
	for range 5 {
		_, err := f.resolver.LookupMX(context.Background(), "customer.test")
		require.ErrorIs(t, err, mxlookup.ErrLookup)
	}
	assert.Equal(t, 1, f.dns.Queries())
}

func slogTo(f *mxFixture) *slog.Logger {
	return slog.New(slog.NewTextHandler(f.logs, nil))
}
