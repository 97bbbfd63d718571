// Package dnsclient is the one DNS client of the service: it asks one
// server, over UDP and again over TCP when the answer is truncated, and
// follows CNAME chains, within limits that live here only. Callers keep
// their own caches, budgets and guards and pass their lookup to Resolve.
package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Limits of every query and chain.
const (
	// MaxCNAMEHops bounds a CNAME chain followed to an address, as
	// resolvers do (BIND and Unbound give up after a few more; a real
	// chain has one or two).
	MaxCNAMEHops = 8
	// UDPSize is the EDNS0 buffer advertised (RFC 6891): a larger answer
	// comes truncated and is asked again over TCP.
	UDPSize = dns.DefaultMsgSize
	// MaxResponseSize bounds an answer over TCP (DNS allows 64 KiB): no
	// name the service asks about needs more, and a larger one is refused
	// before its records are read.
	MaxResponseSize = 16 << 10
	// DefaultTimeout bounds one exchange, TCP retry included, when the
	// client sets none.
	DefaultTimeout = 2 * time.Second
)

// ErrTooLarge is an answer over MaxResponseSize.
var ErrTooLarge = errors.New("the DNS answer is larger than allowed")

// ErrLongChain is a CNAME chain longer than MaxCNAMEHops, or a loop.
var ErrLongChain = fmt.Errorf("CNAME chain longer than %d", MaxCNAMEHops)

// Server is the DNS server asked, recursive or authoritative.
type Server struct {
	Addr    string        // host:port
	Timeout time.Duration // one exchange (0: DefaultTimeout)
}

// New returns the server at addr (host:port) with the default timeout.
func New(addr string) *Server { return &Server{Addr: addr} }

// Exchange asks for one name and type, with recursion desired and AD set:
// a validating resolver then says whether the answer is DNSSEC validated
// (RFC 6840 §5.7; Thunderbird for Android trusts MX answers only then).
// A truncated UDP answer is asked again over TCP. Every response code comes
// back as an answer: the caller decides what NXDOMAIN or SERVFAIL mean.
func (s *Server) Exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(UDPSize, false)
	m.AuthenticatedData = true
	resp, _, err := (&dns.Client{Net: "udp", UDPSize: UDPSize}).ExchangeContext(ctx, m, s.Addr)
	if err == nil && resp.Truncated {
		resp, err = s.exchangeTCP(ctx, m)
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// exchangeTCP asks again over TCP, reading at most MaxResponseSize.
func (s *Server) exchangeTCP(ctx context.Context, m *dns.Msg) (*dns.Msg, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return nil, err
	}
	conn := &dns.Conn{Conn: &limitedConn{Conn: nc}}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if err := conn.WriteMsg(m); err != nil {
		return nil, err
	}
	resp, err := conn.ReadMsg()
	if errors.Is(err, ErrTooLarge) {
		return nil, fmt.Errorf("%s: %w (%d bytes)", strings.TrimSuffix(m.Question[0].Name, "."), ErrTooLarge, MaxResponseSize)
	}
	return resp, err
}

// limitedConn refuses a TCP message whose length prefix is over
// MaxResponseSize, before reading it.
type limitedConn struct {
	net.Conn
	prefix []byte // the length prefix read so far
}

func (l *limitedConn) Read(p []byte) (int, error) {
	n, err := l.Conn.Read(p)
	if len(l.prefix) < 2 {
		l.prefix = append(l.prefix, p[:min(n, 2-len(l.prefix))]...)
		if len(l.prefix) == 2 && int(l.prefix[0])<<8|int(l.prefix[1]) > MaxResponseSize {
			return 0, ErrTooLarge
		}
	}
	return n, err
}

// Chain is where a name leads: the CNAMEs followed, in order, and the
// addresses of the last name.
type Chain struct {
	CNAMEs []string // lower case, fully qualified
	Addrs  []netip.Addr
}

// Last is the name at the end of the chain (name itself without CNAMEs).
func (c Chain) Last(name string) string {
	if len(c.CNAMEs) == 0 {
		return strings.ToLower(dns.Fqdn(name))
	}
	return c.CNAMEs[len(c.CNAMEs)-1]
}

// Lookup asks for one name and type: a Server's Exchange, or a caller's
// cached or budgeted way to it.
type Lookup func(name string, qtype uint16) (*dns.Msg, error)

// Resolve follows name's CNAMEs to its A and AAAA addresses through
// lookup, up to MaxCNAMEHops: an authoritative server answers a CNAME
// alone, a recursive one adds the target's records, and both are read.
// A name without address gives an empty chain end and no error.
func Resolve(name string, lookup Lookup) (Chain, error) {
	var c Chain
	current := strings.ToLower(dns.Fqdn(name))
	seen := map[string]bool{current: true}
	for {
		next := current
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
			msg, err := lookup(current, qtype)
			if err != nil {
				return c, err
			}
			cnames, addrs := chase(msg, current)
			c.Addrs = append(c.Addrs, addrs...)
			if len(cnames) > 0 && next == current {
				for _, n := range cnames {
					if seen[n] || len(c.CNAMEs) == MaxCNAMEHops {
						return c, fmt.Errorf("%s: %w", strings.TrimSuffix(name, "."), ErrLongChain)
					}
					seen[n] = true
					c.CNAMEs = append(c.CNAMEs, n)
				}
				next = cnames[len(cnames)-1]
			}
		}
		if len(c.Addrs) > 0 || next == current {
			return c, nil
		}
		current = next
	}
}

// chase follows the CNAMEs of msg from name and returns them, and the
// addresses msg gives for the last name.
func chase(msg *dns.Msg, name string) ([]string, []netip.Addr) {
	if msg == nil {
		return nil, nil
	}
	var cnames []string
	for range MaxCNAMEHops + 1 {
		moved := false
		for _, rr := range msg.Answer {
			if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, name) {
				name, moved = strings.ToLower(c.Target), true
				cnames = append(cnames, name)
				break
			}
		}
		if !moved {
			break
		}
	}
	var out []netip.Addr
	for _, rr := range msg.Answer {
		if !strings.EqualFold(rr.Header().Name, name) {
			continue
		}
		var ip net.IP
		switch v := rr.(type) {
		case *dns.A:
			ip = v.A
		case *dns.AAAA:
			ip = v.AAAA
		}
		if a, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, a.Unmap())
		}
	}
	return cnames, out
}
