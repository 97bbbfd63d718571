// Package mxlookup looks up the MX hosts of customer domains for MX-based
// acceptance (accept.mx), through one DNS server, with a bounded cache.
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

// Resolver looks up the MX hosts of customer domains for MX-based
// acceptance, through one DNS server, with a bounded cache. Its zero value is
// not usable: build it with New.
type Resolver struct {
	server string // host:port
	client *dns.Client
	logger *slog.Logger
	cache  *lruCache[mxEntry]
	group  singleflight.Group

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
}

// New returns a resolver that asks server (host:port) and caches up
// to cacheSize domains. A nil logger discards the failure logs.
func New(server string, cacheSize int, logger *slog.Logger) *Resolver {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	return &Resolver{
		server:      server,
		client:      &dns.Client{Net: "udp", UDPSize: dns.DefaultMsgSize},
		logger:      logger,
		cache:       newLRUCache[mxEntry](cacheSize),
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
func (r *Resolver) Server() string { return r.server }

// LookupMX returns the MX records of an ASCII domain, most preferred first,
// from the cache or from one query shared by every concurrent caller. A
// domain without MX gives no hosts and no error; a failed lookup gives an
// error wrapping ErrLookup.
func (r *Resolver) LookupMX(ctx context.Context, domain string) ([]autoconfig.MXHost, error) {
	now := r.now()
	if e, ok := r.cache.get(domain); ok && now.Before(e.expires) {
		return e.hosts, e.err
	}
	ch := r.group.DoChan(domain, func() (any, error) {
		// A caller that missed the cache just before another's query
		// filled it starts a new flight after that one ended: the cache,
		// read again, answers it without a second query.
		if e, ok := r.cache.get(domain); ok && r.now().Before(e.expires) {
			return e, nil
		}
		// The shared query must not die with the first caller's request:
		// the others are still waiting for it.
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.Timeout)
		defer cancel()
		e := r.query(qctx, domain)
		r.cache.put(domain, e)
		if e.err != nil {
			r.logger.Warn("MX lookup failed: the domain is treated as unserved",
				"domain", domain, "resolver", r.server, "error", e.err)
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

// query asks the server once and turns the answer into a cache entry.
func (r *Resolver) query(ctx context.Context, domain string) mxEntry {
	now := r.now()
	fail := func(err error) mxEntry {
		return mxEntry{err: fmt.Errorf("%w for %s: %w", ErrLookup, domain, err), expires: now.Add(r.FailureTTL)}
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(domain), dns.TypeMX)
	m.SetEdns0(dns.DefaultMsgSize, false)
	resp, _, err := r.client.ExchangeContext(ctx, m, r.server)
	if err == nil && resp.Truncated {
		tcp := &dns.Client{Net: "tcp"}
		resp, _, err = tcp.ExchangeContext(ctx, m, r.server)
	}
	if err != nil {
		return fail(err)
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return mxEntry{expires: now.Add(r.negativeTTL(resp))}
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

// negativeTTL is the SOA minimum of a negative answer (RFC 2308 §5), or the
// configured default when the answer carries no SOA.
func (r *Resolver) negativeTTL(resp *dns.Msg) time.Duration {
	for _, rr := range resp.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return r.clamp(time.Duration(min(soa.Minttl, soa.Hdr.Ttl)) * time.Second)
		}
	}
	return r.NegativeTTL
}

func (r *Resolver) clamp(d time.Duration) time.Duration {
	return min(max(d, r.MinTTL), r.MaxTTL)
}
