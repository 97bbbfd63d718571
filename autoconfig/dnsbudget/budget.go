// Package dnsbudget bounds the DNS queries that requests can cause: a
// budget per client and for all clients together (Budget, Meter), and a
// size-bounded cache (LRU). Every resolver that asks on a client's behalf
// (accept.mx lookups, the certificate policy's pointer check) spends one,
// so that a flood of random names (rN.victim.example) is not relayed to
// someone else's name servers, one query or more per request.
package dnsbudget

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Budget bounds the queries of one resolver. Cached answers cost nothing;
// only queries are counted.
type Budget struct {
	// PerClient queries a second per client (WithClient), in bursts of
	// ClientBurst: a person setting up one address costs one query.
	PerClient   rate.Limit
	ClientBurst int
	// Global queries a second for all clients together, in bursts of
	// GlobalBurst: the ceiling against many clients.
	Global      rate.Limit
	GlobalBurst int
	// InFlight bounds the queries waiting for an answer at once: each holds
	// a socket for up to the timeout when the resolver does not answer.
	InFlight int
	// MaxClients bounds the table of per-client buckets; the least recently
	// seen client is forgotten first.
	MaxClients int
}

// Default fits names that are customers' domains: a few new names a
// minute in normal use, each cached for its TTL.
var Default = Budget{
	PerClient: rate.Every(2 * time.Second), ClientBurst: 10,
	Global: 20, GlobalBurst: 50,
	InFlight:   32,
	MaxClients: 10_000,
}

// ErrBudget means a lookup was refused because the budget was spent: the
// name is treated as unknown, and nothing is cached.
var ErrBudget = errors.New("DNS lookup refused: budget spent")

// The limit a refused lookup hit, for the metrics.
const (
	LimitClient   = "client"
	LimitGlobal   = "global"
	LimitInFlight = "in_flight"
)

type clientKey struct{}

// WithClient returns ctx carrying the client a lookup is made for: its key
// (an IPv4 address or an IPv6 /64) picks the per-client budget. A lookup
// without one counts against the global ceiling only.
func WithClient(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, clientKey{}, key)
}

// HasClient reports whether ctx carries a client.
func HasClient(ctx context.Context) bool {
	_, ok := ctx.Value(clientKey{}).(string)
	return ok
}

func clientOf(ctx context.Context) (string, bool) {
	key, ok := ctx.Value(clientKey{}).(string)
	return key, ok
}

// Stats are a resolver's counters since it was built.
type Stats struct {
	Queries      uint64            // DNS queries sent
	Failed       uint64            // of which failed (timeout, SERVFAIL, unreachable)
	NegativeHits uint64            // lookups answered by the negative cache
	Refused      map[string]uint64 // refused lookups by limit (LimitClient, ...)
}

// Meter is a Budget in use, with the counters of Stats. Queries, Failed
// and NegativeHits are counted by the resolver; Spend and Acquire count
// the refusals.
type Meter struct {
	Budget
	clients  *LRU[*rate.Limiter]
	global   *rate.Limiter
	inFlight chan struct{}

	Queries, Failed, NegativeHits             atomic.Uint64
	refusedClient, refusedGlobal, refusedSlot atomic.Uint64
}

// NewMeter starts spending b; a MaxClients or InFlight of 0 takes
// Default's.
func NewMeter(b Budget) *Meter {
	if b.MaxClients <= 0 {
		b.MaxClients = Default.MaxClients
	}
	if b.InFlight <= 0 {
		b.InFlight = Default.InFlight
	}
	return &Meter{
		Budget:   b,
		clients:  NewLRU[*rate.Limiter](b.MaxClients),
		global:   rate.NewLimiter(b.Global, b.GlobalBurst),
		inFlight: make(chan struct{}, b.InFlight),
	}
}

// Spend takes one query from ctx's client and from the global ceiling, or
// names the limit that refuses it. It never waits.
func (m *Meter) Spend(ctx context.Context, now time.Time) (refusedBy string) {
	if key, ok := clientOf(ctx); ok {
		lim, found := m.clients.Get(key)
		if !found {
			lim = rate.NewLimiter(m.PerClient, m.ClientBurst)
			m.clients.Put(key, lim)
		}
		if !lim.AllowN(now, 1) {
			m.refusedClient.Add(1)
			return LimitClient
		}
	}
	if !m.global.AllowN(now, 1) {
		m.refusedGlobal.Add(1)
		return LimitGlobal
	}
	return ""
}

// Acquire takes a slot for a query in flight, without waiting; Release
// gives it back.
func (m *Meter) Acquire() bool {
	select {
	case m.inFlight <- struct{}{}:
		return true
	default:
		m.refusedSlot.Add(1)
		return false
	}
}

// Release gives back a slot taken by Acquire.
func (m *Meter) Release() { <-m.inFlight }

// Stats reads the counters.
func (m *Meter) Stats() Stats {
	return Stats{
		Queries:      m.Queries.Load(),
		Failed:       m.Failed.Load(),
		NegativeHits: m.NegativeHits.Load(),
		Refused: map[string]uint64{
			LimitClient:   m.refusedClient.Load(),
			LimitGlobal:   m.refusedGlobal.Load(),
			LimitInFlight: m.refusedSlot.Load(),
		},
	}
}
