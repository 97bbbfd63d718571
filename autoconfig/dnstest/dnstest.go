// Package dnstest runs a real DNS server on loopback for tests: it answers
// from a zone file, counts the queries it receives, and can be made to
// answer SERVFAIL or to hold answers back. Tests point resolvers at Addr, so
// that DNS code is exercised over the wire, not against a mock.
package dnstest

import (
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"
)

// Server is an authoritative DNS server on 127.0.0.1 (UDP and TCP on the
// same port).
type Server struct {
	Addr string // host:port

	queries atomic.Int64
	asked   sync.Map     // "name TYPE" → true
	rcode   atomic.Int32 // forced response code, or -1

	mu      sync.Mutex
	records []dns.RR
	soa     *dns.SOA
	gate    chan struct{} // while non-nil, answers wait until it is closed
	arrived chan struct{} // receives one value per query held at the gate
}

// Start serves the zone file at path (its $ORIGIN decides relative names),
// and those at more, until the test ends.
func Start(t testing.TB, path string, more ...string) *Server {
	t.Helper()
	s := &Server{}
	s.rcode.Store(-1)
	for _, p := range append([]string{path}, more...) {
		s.load(t, p)
	}
	pc, ln := listenUDPAndTCP(t)
	s.Addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: s}
	tcp := &dns.Server{Listener: ln, Handler: s}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() {
		s.Release()
		udp.Shutdown()
		tcp.Shutdown()
	})
	return s
}

// listenUDPAndTCP listens on one loopback port for both UDP and TCP (a
// resolver retries truncated answers over TCP on the same port). The port
// the kernel picks for UDP may be taken for TCP: then it tries another.
func listenUDPAndTCP(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		pc.Close()
		lastErr = err
	}
	require.NoError(t, lastErr, "no loopback port free for both UDP and TCP")
	return nil, nil
}

// StartSilent listens on a UDP port and never answers: every query times
// out. It returns the address.
func StartSilent(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

func (s *Server) load(t testing.TB, path string) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zp := dns.NewZoneParser(f, "", path)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rr.Header().Name = strings.ToLower(rr.Header().Name)
		if soa, isSOA := rr.(*dns.SOA); isSOA && s.soa == nil {
			s.soa = soa
		}
		s.records = append(s.records, rr)
	}
	require.NoError(t, zp.Err(), "parsing %s", path)
}

// Asked reports whether a query for name (fully qualified, lower case) and
// type (e.g. "A") was received.
func (s *Server) Asked(name, typ string) bool {
	_, ok := s.asked.Load(name + " " + typ)
	return ok
}

// Queries is the number of queries received so far.
func (s *Server) Queries() int { return int(s.queries.Load()) }

// SetRcode makes every answer carry rcode (e.g. dns.RcodeServerFailure);
// -1 restores normal answers.
func (s *Server) SetRcode(rcode int) { s.rcode.Store(int32(rcode)) }

// Hold makes answers wait until Release; each held query is announced on the
// returned channel.
func (s *Server) Hold() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate = make(chan struct{})
	s.arrived = make(chan struct{}, 1024)
	return s.arrived
}

// Release lets held answers go.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
}

// ServeDNS answers from the zone: the records of the name and type asked,
// else a CNAME of the name, else NODATA or NXDOMAIN with the SOA.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	s.mu.Lock()
	gate, arrived := s.gate, s.arrived
	s.mu.Unlock()
	if gate != nil {
		arrived <- struct{}{}
		<-gate
	}
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	if rc := s.rcode.Load(); rc >= 0 {
		resp.Rcode = int(rc)
		w.WriteMsg(resp)
		return
	}
	if len(req.Question) != 1 {
		resp.Rcode = dns.RcodeFormatError
		w.WriteMsg(resp)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	s.asked.Store(name+" "+dns.TypeToString[q.Qtype], true)
	exists := false
	var cname []dns.RR
	for _, rr := range s.records {
		h := rr.Header()
		if h.Name == name || strings.HasSuffix(h.Name, "."+name) {
			exists = true
		}
		if h.Name != name {
			continue
		}
		switch {
		case h.Rrtype == q.Qtype:
			resp.Answer = append(resp.Answer, dns.Copy(rr))
		case h.Rrtype == dns.TypeCNAME:
			cname = append(cname, dns.Copy(rr))
		}
	}
	if len(resp.Answer) == 0 && len(cname) > 0 {
		resp.Answer = cname
	}
	if len(resp.Answer) == 0 {
		if !exists {
			resp.Rcode = dns.RcodeNameError
		}
		if s.soa != nil {
			resp.Ns = append(resp.Ns, dns.Copy(s.soa))
		}
	}
	if w.LocalAddr().Network() == "udp" {
		// As a real server: an answer over the client's buffer is cut and
		// marked truncated, and the client asks again over TCP.
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		resp.Truncate(size)
	}
	w.WriteMsg(resp)
}
