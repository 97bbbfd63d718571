package certpolicy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnsbudget"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
)

// pointerBudget is small enough to be spent by a test, and refills not at
// all on the frozen clock of frozenPointer.
var pointerBudget = dnsbudget.Budget{PerClient: 1, ClientBurst: 10, Global: 1, GlobalBurst: 40, InFlight: 4}

// frozenPointer asks a counting loopback DNS server, within pointerBudget,
// on a clock that does not move.
func frozenPointer(t *testing.T) (*Pointer, *dnstest.Server) {
	srv := dnstest.Start(t, "../../../../testdata/dns/certificates.zone")
	p := NewPointer(srv.Addr)
	p.SetBudget(pointerBudget)
	now := time.Now()
	p.now = func() time.Time { return now }
	return p, srv
}

// wildcardPolicy serves every domain under wild.test, as "*.wild.test"
// would: a flood of made-up names passes the configuration and reaches the
// pointer check, each name its own A and AAAA queries.
func wildcardPolicy(p *Pointer) *Policy {
	served := func(context.Context, string) (Match, error) { return Wildcard, nil }
	return &Policy{Served: served, Pointer: p, ServiceHost: func() string { return "mail-setup.provider.test" }}
}

func TestPointer_FloodOfDistinctNamesFromOneClientIsBounded(t *testing.T) {
	p, srv := frozenPointer(t)
	policy := wildcardPolicy(p)
	ctx := dnsbudget.WithClient(context.Background(), "192.0.2.1")
	for i := range 1000 {
		d := policy.Decide(ctx, fmt.Sprintf("autoconfig.r%d.wild.test", i))
		require.False(t, d.Allowed)
	}
	assert.Equal(t, pointerBudget.ClientBurst, srv.Queries(), "the client's burst, not two queries a name")
	st := p.Stats()
	assert.EqualValues(t, srv.Queries(), st.Queries)
	assert.NotZero(t, st.Refused[dnsbudget.LimitClient])

	other := dnsbudget.WithClient(context.Background(), "192.0.2.2")
	assert.Equal(t, Decision{true, ReasonWildcard}, policy.Decide(other, "autoconfig.listed.test"), "another client is still served")
}

func TestPointer_FloodFromManyClientsIsBoundedGlobally(t *testing.T) {
	p, srv := frozenPointer(t)
	policy := wildcardPolicy(p)
	for i := range 1000 {
		ctx := dnsbudget.WithClient(context.Background(), fmt.Sprintf("198.51.%d.%d", i/250, i%250))
		policy.Decide(ctx, fmt.Sprintf("autoconfig.r%d.wild.test", i))
	}
	assert.Equal(t, pointerBudget.GlobalBurst, srv.Queries())
	assert.NotZero(t, p.Stats().Refused[dnsbudget.LimitGlobal])
}

func TestPointer_NegativeAnswersAreCached(t *testing.T) {
	p, srv := frozenPointer(t)
	ctx := dnsbudget.WithClient(context.Background(), "192.0.2.1")
	for range 100 {
		here, err := p.PointsAt(ctx, "autoconfig.nowhere.test", "mail-setup.provider.test")
		require.NoError(t, err)
		require.False(t, here)
	}
	assert.Equal(t, 2, srv.Queries(), "A and AAAA once")
	assert.EqualValues(t, 99, p.Stats().NegativeHits)
}

// A refused lookup is not cached as "does not point here": once the
// budget refills, the name is asked for real.
func TestPointer_RefusalIsNotCached(t *testing.T) {
	p, _ := frozenPointer(t)
	p.SetBudget(dnsbudget.Budget{PerClient: 1, ClientBurst: 1, Global: 1, GlobalBurst: 1})
	ctx := context.Background()
	_, err := p.PointsAt(ctx, "autoconfig.customer.test", "mail-setup.provider.test")
	require.ErrorIs(t, err, dnsbudget.ErrBudget)
	p.SetBudget(pointerBudget)
	here, err := p.PointsAt(ctx, "autoconfig.customer.test", "mail-setup.provider.test")
	require.NoError(t, err)
	assert.True(t, here)
}
