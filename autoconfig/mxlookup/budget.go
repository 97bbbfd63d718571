package mxlookup

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Budget bounds the DNS queries that requests for unlisted domains can
// cause. Without it, every request for a new name is one query: a flood of
// random names (rN.victim.example) is relayed to someone else's
// authoritative servers, one query per request. Cached answers cost
// nothing; only queries are counted.
type Budget struct {
	// PerClient queries a second per client (Client), in bursts of
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

// DefaultBudget fits a service whose unlisted domains are its customers'
// domains: a few new names a minute in normal use, each cached for its TTL.
var DefaultBudget = Budget{
	PerClient: rate.Every(2 * time.Second), ClientBurst: 10,
	Global: 20, GlobalBurst: 50,
	InFlight:   32,
	MaxClients: 10_000,
}

// ErrBudget means a lookup was refused because the budget was spent: the
// domain is treated as unserved (404), and nothing is cached.
var ErrBudget = errors.New("MX lookup refused: budget spent")

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

// Stats are the resolver's counters since it was built.
type Stats struct {
	Queries      uint64            // DNS queries sent
	Failed       uint64            // of which failed (timeout, SERVFAIL, unreachable)
	NegativeHits uint64            // lookups answered by the negative cache
	Refused      map[string]uint64 // refused lookups by limit (LimitClient, ...)
}

// budgetState is a Budget in use.
type budgetState struct {
	Budget
	clients  *lruCache[*rate.Limiter]
	global   *rate.Limiter
	inFlight chan struct{}

	queries, failed, negativeHits             atomic.Uint64
	refusedClient, refusedGlobal, refusedSlot atomic.Uint64
}

func newBudgetState(b Budget) *budgetState {
	if b.MaxClients <= 0 {
		b.MaxClients = DefaultBudget.MaxClients
	}
	if b.InFlight <= 0 {
		b.InFlight = DefaultBudget.InFlight
	}
	return &budgetState{
		Budget:   b,
		clients:  newLRUCache[*rate.Limiter](b.MaxClients),
		global:   rate.NewLimiter(b.Global, b.GlobalBurst),
		inFlight: make(chan struct{}, b.InFlight),
	}
}

// spend takes one query from ctx's client and from the global ceiling, or
// names the limit that refuses it. It never waits.
func (b *budgetState) spend(ctx context.Context, now time.Time) (refusedBy string) {
	if key, ok := clientOf(ctx); ok {
		lim, found := b.clients.get(key)
		if !found {
			lim = rate.NewLimiter(b.PerClient, b.ClientBurst)
			b.clients.put(key, lim)
		}
		if !lim.AllowN(now, 1) {
			b.refusedClient.Add(1)
			return LimitClient
		}
	}
	if !b.global.AllowN(now, 1) {
		b.refusedGlobal.Add(1)
		return LimitGlobal
	}
	return ""
}

// acquire takes a slot for a query in flight, without waiting.
func (b *budgetState) acquire() bool {
	select {
	case b.inFlight <- struct{}{}:
		return true
	default:
		b.refusedSlot.Add(1)
		return false
	}
}

func (b *budgetState) release() { <-b.inFlight }

func (b *budgetState) stats() Stats {
	return Stats{
		Queries:      b.queries.Load(),
		Failed:       b.failed.Load(),
		NegativeHits: b.negativeHits.Load(),
		Refused: map[string]uint64{
			LimitClient:   b.refusedClient.Load(),
			LimitGlobal:   b.refusedGlobal.Load(),
			LimitInFlight: b.refusedSlot.Load(),
		},
	}
}
