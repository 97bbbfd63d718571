package connlimit

import (
	"crypto/tls"
	"errors"
	"io"

	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock makes l's clock one the test moves forward.
func fakeClock(l *Limiter) *atomic.Int64 {
	start := time.Now()
	var offset atomic.Int64
	l.now = func() time.Time { return start.Add(time.Duration(offset.Load())) }
	return &offset
}

// refusals records the limiter's refusals.
type refusals struct {
	mu  sync.Mutex
	got []string
}

func (r *refusals) add(client netip.Addr, why Reason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, client.String()+" "+[]string{"client", "global", "suspended"}[why])
}

func (r *refusals) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// start serves a limited loopback listener: each admitted connection is
// sent on the returned channel.
func start(t *testing.T, l *Limiter) (string, <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	limited := l.Listen(ln)
	t.Cleanup(func() { limited.Close() })
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := limited.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	return ln.Addr().String(), accepted
}

// dialFrom connects from source (all of 127.0.0.0/8 is loopback on Linux).
func dialFrom(t *testing.T, addr, source string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer waits until the server closes c (the read ends), or fails
// after a few seconds.
func closedByServer(t *testing.T, c net.Conn) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil
}

// next is the next admitted connection.
func next(t *testing.T, accepted <-chan net.Conn) net.Conn {
	t.Helper()
	select {
	case c := <-accepted:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no connection admitted")
		return nil
	}
}

func TestLimiter_PerClientLimitClosesTheExtraConnectionAtAccept(t *testing.T) {
	var refused refusals
	l := New(Config{PerClient: 2, Refused: refused.add})
	addr, accepted := start(t, l)
	dialFrom(t, addr, "127.0.0.2")
	first := next(t, accepted)
	dialFrom(t, addr, "127.0.0.2")
	next(t, accepted)

	third := dialFrom(t, addr, "127.0.0.2")
	assert.True(t, closedByServer(t, third), "a third connection of the client is closed")
	assert.Equal(t, []string{"127.0.0.2 client"}, refused.list())

	dialFrom(t, addr, "127.0.0.3")
	next(t, accepted)
	assert.Equal(t, 3, l.Stats().Open, "another client is admitted")

	require.NoError(t, first.Close())
	first.Close() // a second Close must not give a second place back
	dialFrom(t, addr, "127.0.0.2")
	next(t, accepted)
	assert.Equal(t, 3, l.Stats().Open)
	assert.Len(t, refused.list(), 1)
}

func TestLimiter_GlobalLimitEvictsTheLongestIdleConnection(t *testing.T) {
	var refused refusals
	l := New(Config{Global: 3, Refused: refused.add})
	addr, accepted := start(t, l)
	var clients, servers []net.Conn
	for _, src := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		clients = append(clients, dialFrom(t, addr, src))
		servers = append(servers, next(t, accepted))
	}
	// The second went idle before the first; the third is in a request.
	l.ConnState(servers[1], http.StateIdle)
	l.ConnState(servers[0], http.StateIdle)
	l.ConnState(servers[2], http.StateActive)

	dialFrom(t, addr, "127.0.0.5")
	next(t, accepted)
	assert.True(t, closedByServer(t, clients[1]), "the connection idle the longest made room")
	dialFrom(t, addr, "127.0.0.6")
	next(t, accepted)
	assert.True(t, closedByServer(t, clients[0]))
	assert.Equal(t, int64(2), l.Stats().IdleClosed)

	// Now none is idle: the next connection is refused.
	l.ConnState(servers[2], http.StateActive)
	late := dialFrom(t, addr, "127.0.0.7")
	assert.True(t, closedByServer(t, late))
	assert.Equal(t, []string{"127.0.0.7 global"}, refused.list())
	assert.Equal(t, Stats{Open: 3, Limit: 3, IdleClosed: 2}, l.Stats())
}

func TestLimiter_UnderPressureIdleConnectionsCloseAfterBusyIdle(t *testing.T) {
	l := New(Config{Global: 6, BusyIdle: time.Second})
	clock := fakeClock(l)
	addr, accepted := start(t, l)
	var clients, servers []net.Conn
	for range 4 {
		clients = append(clients, dialFrom(t, addr, "127.0.0.2"))
		servers = append(servers, next(t, accepted))
	}
	l.ConnState(servers[0], http.StateIdle) // idle since now
	l.ConnState(servers[1], http.StateActive)
	l.ConnState(servers[2], http.StateIdle)
	l.ConnState(servers[2], http.StateActive)
	// servers[3] never sent a request.

	clock.Add(int64(2 * time.Second))
	clients = append(clients, dialFrom(t, addr, "127.0.0.3"))
	next(t, accepted)
	assert.True(t, closedByServer(t, clients[0]), "idle for longer than BusyIdle while 4 of 6 are open")
	assert.True(t, closedByServer(t, clients[3]), "silent since accepted for longer than BusyIdle")
	assert.Equal(t, Stats{Open: 3, Limit: 6, IdleClosed: 2}, l.Stats(), "the connections in a request stay")
}

func TestLimiter_BelowHalfTheLimitIdleConnectionsStay(t *testing.T) {
	l := New(Config{Global: 10, BusyIdle: time.Second})
	clock := fakeClock(l)
	addr, accepted := start(t, l)
	dialFrom(t, addr, "127.0.0.2")
	l.ConnState(next(t, accepted), http.StateIdle)
	clock.Add(int64(time.Hour))
	dialFrom(t, addr, "127.0.0.2")
	next(t, accepted)
	assert.Equal(t, Stats{Open: 2, Limit: 10}, l.Stats())
}

func TestLimiter_FollowsConnectionsUnderTLS(t *testing.T) {
	l := New(Config{Global: 1})
	addr, accepted := start(t, l)
	client := dialFrom(t, addr, "127.0.0.2")
	server := tls.Server(next(t, accepted), &tls.Config{})
	l.ConnState(server, http.StateIdle)
	dialFrom(t, addr, "127.0.0.3")
	next(t, accepted)
	assert.True(t, closedByServer(t, client), "the idle TLS connection was found under its tls.Conn")
}

func TestLimiter_IgnoresConnectionsOfOthers(t *testing.T) {
	l := New(Config{Global: 1})
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	l.ConnState(a, http.StateIdle)
	assert.Equal(t, Stats{Limit: 1}, l.Stats())
}

func TestReserve(t *testing.T) {
	for _, tc := range []struct{ descriptors, want int }{
		{256, 128}, {1024, 128}, {4096, 512}, {20000, 1024}, {65536, 1024},
	} {
		assert.Equal(t, tc.want, Reserve(tc.descriptors), tc.descriptors)
	}
}

func TestDescriptorLimit(t *testing.T) {
	assert.Positive(t, DescriptorLimit())
}

// net/http half-closes a connection to deliver a refusal (431) before it
// closes it; without CloseWrite the client got a reset instead.
func TestLimiter_ConnectionsHalfClose(t *testing.T) {
	l := New(Config{Global: 1})
	addr, accepted := start(t, l)
	client := dialFrom(t, addr, "127.0.0.2")
	server := next(t, accepted)
	require.Implements(t, (*interface{ CloseWrite() error })(nil), server)
	require.NoError(t, server.(interface{ CloseWrite() error }).CloseWrite())
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := client.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "a half-close, not a reset")
}

// A reverse proxy brings many clients' connections from one address.
func TestLimiter_ProxiesAreNotLimitedPerClient(t *testing.T) {
	var refused refusals
	l := New(Config{PerClient: 1, Global: 10, Proxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")},
		Refused: refused.add})
	addr, accepted := start(t, l)
	for range 3 {
		dialFrom(t, addr, "127.0.0.2")
		next(t, accepted)
	}
	dialFrom(t, addr, "127.0.0.3")
	next(t, accepted)
	assert.True(t, closedByServer(t, dialFrom(t, addr, "127.0.0.3")), "another client keeps its limit")
	assert.Equal(t, []string{"127.0.0.3 client"}, refused.list())
	assert.Equal(t, 4, l.Stats().Open, "the proxy's connections count globally")
}

// Were a client with a connection open to take another's place at the
// global limit, the one displaced would reconnect and take a third's: a
// flood of held connections would turn into a flood of new ones.
func TestLimiter_AtTheGlobalLimitOnlyAClientWithoutAConnectionTakesAPlace(t *testing.T) {
	var refused refusals
	l := New(Config{Global: 2, Refused: refused.add})
	addr, accepted := start(t, l)
	first := dialFrom(t, addr, "127.0.0.2")
	l.ConnState(next(t, accepted), http.StateIdle)
	dialFrom(t, addr, "127.0.0.3")
	l.ConnState(next(t, accepted), http.StateIdle)

	again := dialFrom(t, addr, "127.0.0.3")
	assert.True(t, closedByServer(t, again), "127.0.0.3 has a connection: it gets no second at the limit")
	assert.Equal(t, []string{"127.0.0.3 global"}, refused.list())

	dialFrom(t, addr, "127.0.0.4")
	next(t, accepted)
	assert.True(t, closedByServer(t, first), "a client with none takes the place of the longest idle")
	assert.Equal(t, Stats{Open: 2, Limit: 2, IdleClosed: 1}, l.Stats())
}

func TestSuspensions(t *testing.T) {
	s := NewSuspensions(3, 30*time.Second)
	start := time.Now()
	var offset time.Duration
	s.now = func() time.Time { return start.Add(offset) }
	client := netip.MustParseAddr("192.0.2.7")
	prefix := netip.MustParsePrefix("192.0.2.7/32")

	for range 3 {
		s.Refused(client)
	}
	assert.False(t, s.Suspended(prefix), "within its budget of 3")
	s.Refused(client)
	assert.True(t, s.Suspended(prefix), "the 4th refusal in a burst")
	assert.False(t, s.Suspended(netip.MustParsePrefix("192.0.2.8/32")), "another client")
	assert.Equal(t, SuspensionStats{Suspended: 1, Total: 1}, s.Stats())
	s.Refused(client)
	assert.Equal(t, int64(1), s.Stats().Total, "refused while suspended: the same suspension, extended")

	offset = 31 * time.Second
	assert.False(t, s.Suspended(prefix), "over after --suspend-for")
	assert.Equal(t, SuspensionStats{Total: 1}, s.Stats())

	// IPv6: the /64 is the client; the zero Addr (unknown) is nobody.
	for _, a := range []string{"2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4"} {
		s.Refused(netip.MustParseAddr(a))
	}
	assert.True(t, s.Suspended(netip.MustParsePrefix("2001:db8::/64")))
	for range 10 {
		s.Refused(netip.Addr{})
	}
	assert.False(t, s.Suspended(netip.Prefix{}))
}

func TestSuspensions_OffAndFull(t *testing.T) {
	assert.Nil(t, NewSuspensions(0, time.Minute))
	assert.Nil(t, NewSuspensions(20, 0))
	var off *Suspensions
	off.Refused(netip.MustParseAddr("192.0.2.1"))
	assert.False(t, off.Suspended(netip.MustParsePrefix("192.0.2.1/32")))
	assert.Equal(t, SuspensionStats{}, off.Stats())

	s := NewSuspensions(1, time.Minute)
	s.max = 1
	for _, a := range []string{"192.0.2.1", "192.0.2.2"} {
		s.Refused(netip.MustParseAddr(a))
		s.Refused(netip.MustParseAddr(a))
	}
	assert.True(t, s.Suspended(netip.MustParsePrefix("192.0.2.1/32")))
	assert.False(t, s.Suspended(netip.MustParsePrefix("192.0.2.2/32")), "a full table errs on the side of serving")
}

func TestLimiter_SuspendedClientsAreClosedAtAcceptAndAfterTheirAnswer(t *testing.T) {
	var refused refusals
	suspensions := NewSuspensions(1, time.Minute)
	l := New(Config{Global: 10, Suspensions: suspensions, Refused: refused.add,
		Proxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")}})
	addr, accepted := start(t, l)
	open := dialFrom(t, addr, "127.0.0.2")
	server := next(t, accepted)
	dialFrom(t, addr, "127.0.0.3")
	other := next(t, accepted)
	dialFrom(t, addr, "127.0.0.9")
	proxy := next(t, accepted)

	for _, a := range []string{"127.0.0.2", "127.0.0.2", "127.0.0.9", "127.0.0.9"} {
		suspensions.Refused(netip.MustParseAddr(a))
	}
	l.ConnState(server, http.StateActive)
	l.ConnState(server, http.StateIdle)
	assert.True(t, closedByServer(t, open), "closed once its answer is written")
	late := dialFrom(t, addr, "127.0.0.2")
	assert.True(t, closedByServer(t, late), "closed at accept")
	assert.Equal(t, []string{"127.0.0.2 suspended"}, refused.list())

	l.ConnState(other, http.StateIdle)
	l.ConnState(proxy, http.StateIdle)
	dialFrom(t, addr, "127.0.0.9")
	next(t, accepted)
	assert.Equal(t, 3, l.Stats().Open, "another client and a trusted proxy (its clients are suspended by address, not its connections) stay")
}
