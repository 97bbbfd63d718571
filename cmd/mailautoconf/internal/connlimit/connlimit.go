// Package connlimit bounds the connections a server holds open, per client
// (an IPv4 address or an IPv6 /64) and for all clients together, so that
// idle keep-alive connections cannot take every file descriptor of the
// process: past the descriptors, no listener accepts, the private one
// (health, metrics) included.
//
// A connection over a limit is closed as it is accepted, before any TLS
// handshake or goroutine. When many connections are open, idle ones are
// closed sooner, and at the global limit a new connection of a client that
// has none open takes the place of the connection idle the longest:
// keep-alive is a courtesy a server may end at any time (RFC 9112 §9.3),
// and clients reconnect. A client that has a connection open gets no
// second one at the global limit: were it to take another's place, the
// client it displaced would reconnect and take a third's, and a flood of
// held connections would become a flood of new ones, each waiting in the
// kernel's accept queue in front of everyone else's.
//
// Clients suspended (Suspensions) are closed at accept, and after the
// answer in progress on their open connections.
package connlimit

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
)

// Reason says which limit refused a connection.
type Reason int

const (
	ClientLimit Reason = iota // the client has PerClient connections open
	GlobalLimit               // Global connections are open and none is idle, or the client has one
	Suspended                 // the client is suspended (Suspensions)
)

// Config are the limits.
type Config struct {
	// PerClient bounds the connections of one client; 0: no bound.
	PerClient int
	// Proxies are not bounded per client: a reverse proxy brings the
	// connections of many clients from one address.
	Proxies []netip.Prefix
	// Global bounds the connections of every listener of the Limiter
	// together; 0: no bound (and no idle shortening).
	Global int
	// BusyIdle is the idle timeout once more than half of Global are open
	// (connections that sent no request yet count as idle since they were
	// accepted); 0 keeps the server's own.
	BusyIdle time.Duration
	// Suspensions, if not nil, are the clients to turn away.
	Suspensions *Suspensions
	// Refused, if not nil, is called with each refused connection's address.
	Refused func(client netip.Addr, why Reason)
}

// Limiter counts the connections of the listeners it wraps. Safe for
// concurrent use.
type Limiter struct {
	cfg Config
	now func() time.Time

	mu   sync.Mutex
	open int
	// clients counts the open connections of each client (proxies and
	// connections without an address excepted).
	clients map[netip.Prefix]int
	// idle are the connections between requests, longest idle first; fresh
	// those that have not sent a request yet, oldest first.
	idle, fresh connList
	lastSweep   time.Time

	idleClosed atomic.Int64
}

// New returns a limiter with the limits of cfg.
func New(cfg Config) *Limiter {
	return &Limiter{cfg: cfg, now: time.Now, clients: make(map[netip.Prefix]int)}
}

// Stats are the limiter's counts, for the metrics.
type Stats struct {
	Open, Limit int
	// IdleClosed counts idle connections closed early: under pressure or
	// to make room at the global limit.
	IdleClosed int64
}

// Stats returns the counts now.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Open: l.open, Limit: l.cfg.Global, IdleClosed: l.idleClosed.Load()}
}

// Listen wraps ln: its connections count against the limits.
func (l *Limiter) Listen(ln net.Listener) net.Listener { return &listener{Listener: ln, limiter: l} }

type listener struct {
	net.Listener
	limiter *Limiter
}

// Accept returns the next connection within the limits; the others are
// closed here, one after the other, at the cost of an accept and a close.
func (ln *listener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if lc := ln.limiter.admit(c); lc != nil {
			return lc, nil
		}
	}
}

// conn is an admitted connection; its Close gives its place back.
type conn struct {
	net.Conn
	limiter *Limiter
	client  netip.Prefix
	// Under the limiter's lock:
	since      time.Time // accepted, or idle since
	in         *connList // idle, fresh or nil (active)
	prev, next *conn     // neighbours in in
	closed     bool
}

func (c *conn) Close() error {
	c.limiter.release(c)
	return c.Conn.Close()
}

// CloseWrite lets net/http half-close a connection before it closes it, so
// that a refusal it writes (431, 413) reaches the client before the close
// (net/http server.go, closeWriteAndWait): a close with unread input would
// send a reset instead.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps net/http's sendfile path for files (*net.TCPConn's).
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

// writerOnly hides a writer's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// admit counts c in, or closes it and returns nil when it is over a limit.
func (l *Limiter) admit(c net.Conn) *conn {
	addr := remoteAddr(c)
	client := ratelimit.ClientPrefix(addr)
	if l.isProxy(addr) {
		client = netip.Prefix{} // not counted per client
	}
	if l.cfg.Suspensions.Suspended(client) {
		l.refuse(c, addr, Suspended)
		return nil
	}
	now := l.now()
	l.mu.Lock()
	var closing []*conn
	why, ok := l.roomLocked(client)
	if !ok && why == GlobalLimit && l.idle.head != nil && l.clients[client] == 0 {
		// The longest idle connection gives its place.
		closing = append(closing, l.leaveLocked(l.idle.head))
		ok = true
	}
	var lc *conn
	if ok {
		lc = &conn{Conn: c, limiter: l, client: client, since: now}
		lc.enterLocked(&l.fresh)
		l.open++
		if client.IsValid() {
			l.clients[client]++
		}
		closing = append(closing, l.sweepLocked(now)...)
	}
	l.mu.Unlock()

	l.closeIdle(closing)
	if !ok {
		l.refuse(c, addr, why)
	}
	return lc
}

// refuse closes c, refused for why.
func (l *Limiter) refuse(c net.Conn, addr netip.Addr, why Reason) {
	// Counted before the close, so that whoever sees the connection end
	// (a test, a probe) also sees the refusal recorded.
	if l.cfg.Refused != nil {
		l.cfg.Refused(addr, why)
	}
	c.Close()
}

func (l *Limiter) isProxy(addr netip.Addr) bool {
	for _, p := range l.cfg.Proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// roomLocked says whether client may open one more connection, and which
// limit refuses it if not.
func (l *Limiter) roomLocked(client netip.Prefix) (Reason, bool) {
	if l.cfg.PerClient > 0 && client.IsValid() && l.clients[client] >= l.cfg.PerClient {
		return ClientLimit, false
	}
	if l.cfg.Global > 0 && l.open >= l.cfg.Global {
		return GlobalLimit, false
	}
	return 0, true
}

// sweepLocked returns the connections idle (or silent since accepted) for
// BusyIdle, when more than half of Global are open; at most twice per
// BusyIdle, so that a flood of accepts does not walk the lists each time.
func (l *Limiter) sweepLocked(now time.Time) []*conn {
	busy := l.cfg.Global > 0 && l.cfg.BusyIdle > 0 && l.open > l.cfg.Global/2
	if !busy || now.Sub(l.lastSweep) < l.cfg.BusyIdle/2 {
		return nil
	}
	l.lastSweep = now
	var out []*conn
	for _, lst := range []*connList{&l.idle, &l.fresh} {
		for c := lst.head; c != nil && now.Sub(c.since) >= l.cfg.BusyIdle; {
			next := c.next
			out = append(out, l.leaveLocked(c))
			c = next
		}
	}
	return out
}

// closeIdle closes connections taken off the lists, outside the lock.
func (l *Limiter) closeIdle(cs []*conn) {
	for _, c := range cs {
		l.idleClosed.Add(1)
		c.Close()
	}
}

func (l *Limiter) release(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	l.leaveLocked(c)
	l.open--
	if c.client.IsValid() {
		if n := l.clients[c.client] - 1; n > 0 {
			l.clients[c.client] = n
		} else {
			delete(l.clients, c.client)
		}
	}
}

// ConnState is the http.Server's ConnState hook: it follows which
// connections are idle, and closes a suspended client's connection once
// its answer is written. c may be a *tls.Conn over a connection of the
// limiter.
func (l *Limiter) ConnState(c net.Conn, state http.ConnState) {
	lc := unwrap(c)
	if lc == nil || lc.limiter != l {
		return
	}
	if state == http.StateIdle && l.cfg.Suspensions.Suspended(lc.client) {
		// The server sets StateIdle after flushing the answer (net/http
		// server.go, conn.serve); closing c ends its next read.
		c.Close()
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if lc.closed {
		return
	}
	switch state {
	case http.StateActive:
		l.leaveLocked(lc)
	case http.StateIdle:
		l.leaveLocked(lc)
		lc.since = l.now()
		lc.enterLocked(&l.idle)
	}
}

// connList is a list of connections, oldest first, linked through the
// connections themselves: ConnState moves a connection on every request of
// a keep-alive connection, and container/list would allocate each time.
type connList struct{ head, tail *conn }

func (c *conn) enterLocked(lst *connList) {
	c.in, c.prev, c.next = lst, lst.tail, nil
	if lst.tail != nil {
		lst.tail.next = c
	} else {
		lst.head = c
	}
	lst.tail = c
}

// leaveLocked takes c off its list, if on one, and returns it.
func (l *Limiter) leaveLocked(c *conn) *conn {
	if lst := c.in; lst != nil {
		if c.prev != nil {
			c.prev.next = c.next
		} else {
			lst.head = c.next
		}
		if c.next != nil {
			c.next.prev = c.prev
		} else {
			lst.tail = c.prev
		}
		c.in, c.prev, c.next = nil, nil, nil
	}
	return c
}

// unwrap finds the limiter's connection under TLS.
func unwrap(c net.Conn) *conn {
	for {
		switch v := c.(type) {
		case *conn:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
}

// remoteAddr is c's peer address, unmapped; the zero Addr when it has none
// (such connections count only against the global limit).
func remoteAddr(c net.Conn) netip.Addr {
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return tcp.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// DescriptorLimit is the process's limit on open files (RLIMIT_NOFILE),
// as the Go runtime raised it at start (to the hard limit); 0 when unknown.
func DescriptorLimit() int {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || r.Cur > 1<<30 {
		return 0
	}
	return int(r.Cur)
}

// Reserve is the descriptors kept for everything but the public
// connections (the private listener, DNS queries, files, ACME) when the
// global limit is derived from the descriptor limit: an eighth of it,
// between 128 and 1,024.
func Reserve(descriptors int) int {
	return min(max(descriptors/8, 128), 1024)
}
