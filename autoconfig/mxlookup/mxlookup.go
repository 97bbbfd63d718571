// Package mxlookup looks up the MX hosts of customer domains for MX-based
// acceptance (accept.mx), through one DNS server, with bounded caches and a
// budget of queries (Budget), so that requests for unlisted domains cannot
// be turned into a flood of queries to someone else's name servers.
package mxlookup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sync/singleflight"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsbudget"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsclient"
)

// MX resolver defaults. A lookup answers a client that is waiting (Thunderbird
// gives each autoconfig URL 5 s), so the timeout is well below that.
const (
	DefaultTimeout     = 2 * time.Second
	DefaultCacheSize   = 10000
	DefaultNegativeTTL = 5 * time.Minute
	DefaultFailureTTL  = 30 * time.Second
	DefaultMinTTL      = 30 * time.Second
	DefaultMaxTTL      = time.Hour
)

// ErrLookup means the MX of a domain could not be looked up (timeout,
// SERVFAIL, unreachable resolver). Callers treat the domain as unserved.
var ErrLookup = errors.New("MX lookup failed")

// Lookup looks up the MX hosts of customer domains for MX-based
// acceptance, through one DNS server, with a bounded cache. Its zero value is
// not usable: build it with New.
type Lookup struct {
	server string // host:port
	cache  *dnsbudget.LRU[mxEntry]
	// negative keeps "no MX", NXDOMAIN and failures apart from the answers
	// that serve domains: a flood of random names fills it, not cache.
	negative *dnsbudget.LRU[mxEntry]
	group    singleflight.Group
	// txt caches TXT answers (LookupTXT), apart from the MX caches.
	txt     *dnsbudget.LRU[txtEntry]
	budget  *dnsbudget.Meter
	summary *summary

	// Timeout bounds one lookup; NegativeTTL caches "no MX" when the answer
	// carries no SOA; FailureTTL caches failures briefly so that a dead
	// resolver is not hammered; MinTTL and MaxTTL clamp record TTLs.
	Timeout     time.Duration
	NegativeTTL time.Duration
	FailureTTL  time.Duration
	MinTTL      time.Duration
	MaxTTL      time.Duration

	now func() time.Time
}

type mxEntry struct {
	hosts   []autoconfig.MXHost // most preferred first, lower case, no trailing dot
	err     error
	expires time.Time
	// nxdomain: the name does not exist, nor anything below it (RFC 8020).
	nxdomain bool
}

// New returns a resolver that asks server (host:port), caches up to
// cacheSize domains with MX and as many without, and spends DefaultBudget
// (see SetBudget). A nil logger discards the failure logs.
func New(server string, cacheSize int, logger *slog.Logger) *Lookup {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	return &Lookup{
		server:      server,
		cache:       dnsbudget.NewLRU[mxEntry](cacheSize),
		negative:    dnsbudget.NewLRU[mxEntry](cacheSize),
		txt:         dnsbudget.NewLRU[txtEntry](cacheSize),
		budget:      dnsbudget.NewMeter(DefaultBudget),
		summary:     &summary{logger: logger, server: server, interval: DefaultLogInterval},
		Timeout:     DefaultTimeout,
		NegativeTTL: DefaultNegativeTTL,
		FailureTTL:  DefaultFailureTTL,
		MinTTL:      DefaultMinTTL,
		MaxTTL:      DefaultMaxTTL,
		now:         time.Now,
	}
}

// SystemResolver returns the first name server of /etc/resolv.conf as
// host:port.
func SystemResolver() (string, error) {
	return resolverFromFile("/etc/resolv.conf")
}

func resolverFromFile(path string) (string, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	if len(cc.Servers) == 0 {
		return "", fmt.Errorf("reading %s: no nameserver line", path)
	}
	return net.JoinHostPort(cc.Servers[0], cc.Port), nil
}

// Server is the DNS server the resolver asks (host:port).
func (r *Lookup) Server() string { return r.server }

// SetBudget replaces the budget of queries (before use: the counters and
// buckets start again).
func (r *Lookup) SetBudget(b Budget) { r.budget = dnsbudget.NewMeter(b) }

// SetLogInterval sets how often failed and refused lookups are summed up in
// the log (before use).
func (r *Lookup) SetLogInterval(d time.Duration) { r.summary.interval = d }

// FlushLog writes the failed and refused lookups not yet summed up in the
// log, at shutdown.
func (r *Lookup) FlushLog() { r.summary.flush() }

// Stats are the counters of queries, negative-cache hits and refusals.
func (r *Lookup) Stats() Stats { return r.budget.Stats() }

// LookupMX returns the MX records of an ASCII domain, most preferred first,
// from the caches or from one query shared by every concurrent caller. A
// domain without MX gives no hosts and no error; a failed lookup gives an
// error wrapping ErrLookup, a lookup over the budget one wrapping ErrBudget
// (never a wait: the client is waiting too).
func (r *Lookup) LookupMX(ctx context.Context, domain string) ([]autoconfig.MXHost, error) {
	now := r.now()
	if e, ok := r.cache.Get(domain); ok && now.Before(e.expires) {
		return e.hosts, e.err
	}
	if e, ok := r.negativeEntry(domain, now); ok {
		r.budget.NegativeHits.Add(1)
		return e.hosts, e.err
	}
	if limit := r.budget.Spend(ctx, now); limit != "" {
		r.summary.refusal(domain)
		return nil, fmt.Errorf("%w for %s: %s limit", ErrBudget, domain, limit)
	}
	ch := r.group.DoChan(domain, func() (any, error) {
		// A caller that missed the cache just before another's query
		// filled it starts a new flight after that one ended: the caches,
		// read again, answer it without a second query.
		if e, ok := r.cache.Get(domain); ok && r.now().Before(e.expires) {
			return e, nil
		}
		if e, ok := r.negativeEntry(domain, r.now()); ok {
			return e, nil
		}
		if !r.budget.Acquire() {
			r.summary.refusal(domain)
			return mxEntry{err: fmt.Errorf("%w for %s: %s limit", ErrBudget, domain, LimitInFlight)}, nil
		}
		defer r.budget.Release()
		// The shared query must not die with the first caller's request:
		// the others are still waiting for it.
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.Timeout)
		defer cancel()
		r.budget.Queries.Add(1)
		e := r.query(qctx, domain)
		if len(e.hosts) > 0 {
			r.cache.Put(domain, e)
		} else {
			r.negative.Put(domain, e)
		}
		if e.err != nil {
			r.budget.Failed.Add(1)
			r.summary.failure(domain, e.err)
		}
		return e, nil
	})
	select {
	case res := <-ch:
		e := res.Val.(mxEntry)
		return e.hosts, e.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w for %s: %w", ErrLookup, domain, ctx.Err())
	}
}

// negativeEntry is the cached negative answer for domain: its own, or an
// NXDOMAIN of a name above it, since nothing exists below a name that does
// not exist (RFC 8020 §2).
func (r *Lookup) negativeEntry(domain string, now time.Time) (mxEntry, bool) {
	if e, ok := r.negative.Get(domain); ok && now.Before(e.expires) {
		return e, true
	}
	for name := domain; ; {
		dot := strings.IndexByte(name, '.')
		if dot < 0 {
			return mxEntry{}, false
		}
		name = name[dot+1:]
		if e, ok := r.negative.Get(name); ok && e.nxdomain && now.Before(e.expires) {
			return mxEntry{expires: e.expires}, true
		}
	}
}

// query asks the server once and turns the answer into a cache entry.
func (r *Lookup) query(ctx context.Context, domain string) mxEntry {
	now := r.now()
	fail := func(err error) mxEntry {
		return mxEntry{err: fmt.Errorf("%w for %s: %w", ErrLookup, domain, err), expires: now.Add(r.FailureTTL)}
	}
	resp, err := r.exchange(ctx, domain, dns.TypeMX)
	if err != nil {
		return fail(err)
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return mxEntry{expires: now.Add(r.negativeTTL(resp)), nxdomain: true}
	default:
		return fail(fmt.Errorf("the resolver answered %s", dns.RcodeToString[resp.Rcode]))
	}
	var mxs []autoconfig.MXHost
	ttl := uint32(0)
	for _, rr := range resp.Answer {
		mx, ok := rr.(*dns.MX)
		if !ok {
			continue
		}
		if len(mxs) == 0 || mx.Hdr.Ttl < ttl {
			ttl = mx.Hdr.Ttl
		}
		mxs = append(mxs, autoconfig.MXHost{Host: strings.ToLower(strings.TrimSuffix(mx.Mx, ".")), Priority: int(mx.Preference)})
	}
	if len(mxs) == 0 {
		return mxEntry{expires: now.Add(r.negativeTTL(resp))}
	}
	slices.SortStableFunc(mxs, func(a, b autoconfig.MXHost) int { return a.Priority - b.Priority })
	return mxEntry{hosts: mxs, expires: now.Add(r.clamp(time.Duration(ttl) * time.Second))}
}

// exchange asks the server one question through the one DNS client
// (dnsclient: TCP when the UDP answer is truncated, its size limits).
func (r *Lookup) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	client := dnsclient.Server{Addr: r.server, Timeout: r.Timeout}
	return client.Exchange(ctx, name, qtype)
}

// negativeTTL is the SOA minimum of a negative answer (RFC 2308 §5), or the
// configured default when the answer carries no SOA.
func (r *Lookup) negativeTTL(resp *dns.Msg) time.Duration {
	for _, rr := range resp.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return r.clamp(time.Duration(min(soa.Minttl, soa.Hdr.Ttl)) * time.Second)
		}
	}
	return r.NegativeTTL
}

func (r *Lookup) clamp(d time.Duration) time.Duration {
	return min(max(d, r.MinTTL), r.MaxTTL)
}
