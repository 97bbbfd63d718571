package certpolicy

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnsbudget"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsclient"
)

// Pointer tells whether a name resolves to the service: its CNAME chain
// reaches the service host, or it has an address the service host has.
// A customer name that points elsewhere would fail the CA's validation
// anyway, after costing an order and counting against the CA's limit of
// failed validations: it is refused before.
type Pointer struct {
	client *dnsclient.Server
	now    func() time.Time

	// A name costs up to 2×(dnsclient.MaxCNAMEHops+1) queries, for any client that asks:
	// the budget counts queries, and the caches keep answers in use apart
	// from the names a flood makes up (which fill negative, not cache).
	budget   *dnsbudget.Meter
	cache    *dnsbudget.LRU[answer] // names with an address or a CNAME
	negative *dnsbudget.LRU[answer] // names without, and failures
}

type answer struct {
	cnames  []string
	addrs   []netip.Addr
	err     error
	expires time.Time
}

const (
	// pointerCacheTTL bounds how often one name costs queries: each
	// handshake for a name not yet certified asks again.
	pointerCacheTTL  = time.Minute
	pointerCacheSize = 10000
)

// NewPointer asks the DNS server at server (HOST:PORT), within
// dnsbudget.Default until SetBudget.
func NewPointer(server string) *Pointer {
	return &Pointer{
		client: dnsclient.New(server), now: time.Now,
		budget:   dnsbudget.NewMeter(dnsbudget.Default),
		cache:    dnsbudget.NewLRU[answer](pointerCacheSize),
		negative: dnsbudget.NewLRU[answer](pointerCacheSize),
	}
}

// SetBudget replaces the budget of queries (before use: the counters and
// buckets start again).
func (p *Pointer) SetBudget(b dnsbudget.Budget) { p.budget = dnsbudget.NewMeter(b) }

// Stats are the counters of queries, negative-cache hits and refusals.
func (p *Pointer) Stats() dnsbudget.Stats { return p.budget.Stats() }

// PointsAt reports whether name resolves to target (a host name).
func (p *Pointer) PointsAt(ctx context.Context, name, target string) (bool, error) {
	n, err := p.resolve(ctx, name)
	if err != nil {
		return false, err
	}
	for _, c := range n.cnames {
		if c == target {
			return true, nil
		}
	}
	if len(n.addrs) == 0 {
		return false, nil
	}
	t, err := p.resolve(ctx, target)
	if err != nil {
		return false, err
	}
	for _, a := range n.addrs {
		for _, b := range t.addrs {
			if a == b {
				return true, nil
			}
		}
	}
	return false, nil
}

// resolve follows name's CNAMEs and collects the A and AAAA addresses at
// the end of the chain, from the caches or within the budget. A lookup
// over the budget fails with dnsbudget.ErrBudget and is not cached.
func (p *Pointer) resolve(ctx context.Context, name string) (answer, error) {
	now := p.now()
	if a, ok := p.cache.Get(name); ok && now.Before(a.expires) {
		return a, a.err
	}
	if a, ok := p.negative.Get(name); ok && now.Before(a.expires) {
		p.budget.NegativeHits.Add(1)
		return a, a.err
	}
	a := answer{expires: now.Add(pointerCacheTTL)}
	chain, err := dnsclient.Resolve(name, func(name string, qtype uint16) (*dns.Msg, error) {
		return p.budgetedQuery(ctx, name, qtype)
	})
	if errors.Is(err, dnsbudget.ErrBudget) {
		return answer{}, err
	}
	a.err, a.addrs = err, chain.Addrs
	for _, c := range chain.CNAMEs {
		a.cnames = append(a.cnames, strings.TrimSuffix(c, "."))
	}
	if len(a.addrs) > 0 || len(a.cnames) > 0 {
		p.cache.Put(name, a)
	} else {
		p.negative.Put(name, a)
	}
	return a, a.err
}

// budgetedQuery spends one query of ctx's client and of everyone's, and
// holds a slot while it waits for the answer.
func (p *Pointer) budgetedQuery(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	limit := p.budget.Spend(ctx, p.now())
	if limit == "" && !p.budget.Acquire() {
		limit = dnsbudget.LimitInFlight
	}
	if limit != "" {
		return nil, fmt.Errorf("%w for %s: %s limit", dnsbudget.ErrBudget, name, limit)
	}
	defer p.budget.Release()
	p.budget.Queries.Add(1)
	resp, err := p.query(ctx, name, qtype)
	if err != nil {
		p.budget.Failed.Add(1)
	}
	return resp, err
}

func (p *Pointer) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	resp, err := p.client.Exchange(ctx, name, qtype)
	switch {
	case err != nil:
		return nil, fmt.Errorf("resolving %s: %w", name, err)
	case resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError:
		return nil, fmt.Errorf("resolving %s: %s", name, dns.RcodeToString[resp.Rcode])
	}
	return resp, nil
}
