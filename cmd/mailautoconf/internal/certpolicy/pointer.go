package certpolicy

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Pointer tells whether a name resolves to the service: its CNAME chain
// reaches the service host, or it has an address the service host has.
// A customer name that points elsewhere would fail the CA's validation
// anyway, after costing an order and counting against the CA's limit of
// failed validations: it is refused before.
type Pointer struct {
	server  string // HOST:PORT of the DNS resolver
	client  *dns.Client
	timeout time.Duration

	mu    sync.Mutex
	cache map[string]answer
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
	maxCNAMEs        = 8
)

// NewPointer asks the DNS server at server (HOST:PORT).
func NewPointer(server string) *Pointer {
	return &Pointer{server: server, client: &dns.Client{Net: "udp"}, timeout: 2 * time.Second, cache: map[string]answer{}}
}

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
// the end of the chain.
func (p *Pointer) resolve(ctx context.Context, name string) (answer, error) {
	now := time.Now()
	p.mu.Lock()
	a, ok := p.cache[name]
	p.mu.Unlock()
	if ok && now.Before(a.expires) {
		return a, a.err
	}
	a = answer{expires: now.Add(pointerCacheTTL)}
	current := name
	for range maxCNAMEs {
		next := ""
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
			rrs, err := p.query(ctx, current, qtype)
			if err != nil {
				a.err = err
				break
			}
			for _, rr := range rrs {
				switch rr := rr.(type) {
				case *dns.CNAME:
					next = strings.ToLower(strings.TrimSuffix(rr.Target, "."))
				case *dns.A:
					if ip, ok := netip.AddrFromSlice(rr.A.To4()); ok {
						a.addrs = append(a.addrs, ip)
					}
				case *dns.AAAA:
					if ip, ok := netip.AddrFromSlice(rr.AAAA); ok {
						a.addrs = append(a.addrs, ip)
					}
				}
			}
		}
		if a.err != nil || next == "" {
			break
		}
		a.cnames = append(a.cnames, next)
		if len(a.addrs) > 0 {
			break // a recursive resolver answered the whole chain
		}
		current = next
	}
	p.mu.Lock()
	if len(p.cache) >= pointerCacheSize {
		clear(p.cache) // a flood of names: start over rather than grow
	}
	p.cache[name] = a
	p.mu.Unlock()
	return a, a.err
}

func (p *Pointer) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	resp, _, err := p.client.ExchangeContext(ctx, m, p.server)
	if err == nil && resp.Truncated {
		tcp := &dns.Client{Net: "tcp"}
		resp, _, err = tcp.ExchangeContext(ctx, m, p.server)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("resolving %s: %w", name, err)
	case resp.Rcode == dns.RcodeNameError:
		return nil, nil
	case resp.Rcode != dns.RcodeSuccess:
		return nil, fmt.Errorf("resolving %s: %s", name, dns.RcodeToString[resp.Rcode])
	}
	return resp.Answer, nil
}
