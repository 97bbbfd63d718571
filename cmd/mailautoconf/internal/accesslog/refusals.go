package accesslog

import (
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"sync"
	"time"
)

// Why a request or a connection was refused. A refusal costs the service
// almost nothing, so an attacker can send them by the million: each is
// counted, and written as one line per client and interval (Refusals), not
// one line each. A bad, unknown or unauthorized request (400, 401, 403,
// 404, 405) is summed up the same way after the first few of each client,
// which keep their own line: enough for an operator to see what a client
// asks for.
type Reason int

const (
	RateLimited   Reason = iota // 429: the client's rate limit
	TooLarge                    // 413: the request body is over the limit
	Busy                        // 503 with Retry-After: a global budget is spent
	TLSHandshake                // the TLS handshake failed
	Timeout                     // the client was too slow (handshake, HTTP/2 preface)
	BadConnection               // the client broke the connection's protocol (HTTP/2 preface)
	ClientConns                 // the client has its share of connections open (--max-client-connections)
	AllConns                    // the service holds all the connections it may (--max-connections)
	Suspended                   // the client is suspended: refused too often (--suspend-after)
	// From here on the first requests of each client keep their line (inFull).
	BadRequest       // 400: the request does not parse
	NotFound         // 404: no such path, domain or client
	MethodNotAllowed // 405: the path exists, not with this method
	Unauthorized     // 401: no or a wrong token (helpdesk, admin)
	Forbidden        // 403: refused, e.g. a name /tls/allowed turns down
	numReasons
)

var reasonNames = [numReasons]string{"rate_limited", "too_large", "busy", "tls_handshake", "timeout", "bad_connection",
	"client_connections", "connections", "suspended",
	"bad_request", "not_found", "method_not_allowed", "unauthorized", "forbidden"}

// inFull tells the reasons whose first DefaultFullLines requests of each
// client and interval keep their access line: they may be a person's
// mistake worth reading, where a 429 or a failed handshake says nothing
// more than its count.
func (r Reason) inFull() bool { return r >= BadRequest }

func (r Reason) String() string { return reasonNames[r] }

// ByClient tells the refusals a client brings on itself by what it sends,
// which count towards its suspension (--suspend-after): not those of the
// connection limits, which it may meet through no fault of its own, nor
// those of a suspension, which would never let it end.
func (r Reason) ByClient() bool { return r != ClientConns && r != AllConns && r != Suspended }

// Reasons lists every reason, for the metrics.
func Reasons() []Reason {
	out := make([]Reason, numReasons)
	for i := range out {
		out[i] = Reason(i)
	}
	return out
}

// refusedStatus is the reason of a refused request, by its status: 429,
// 413, 400, 401, 403, 404 and 405 always; 503 when it carries Retry-After (a budget
// answer, not the readiness probe, which keeps its line).
func refusedStatus(status int, h http.Header) (Reason, bool) {
	switch {
	case status == http.StatusBadRequest:
		return BadRequest, true
	case status == http.StatusNotFound:
		return NotFound, true
	case status == http.StatusMethodNotAllowed:
		return MethodNotAllowed, true
	case status == http.StatusUnauthorized:
		return Unauthorized, true
	case status == http.StatusForbidden:
		return Forbidden, true
	case status == http.StatusTooManyRequests:
		return RateLimited, true
	case status == http.StatusRequestEntityTooLarge:
		return TooLarge, true
	case status == http.StatusServiceUnavailable && len(h["Retry-After"]) > 0:
		return Busy, true
	}
	return 0, false
}

// DefaultRefusalInterval is how often refusals are written.
const DefaultRefusalInterval = time.Minute

// DefaultMaxRefusalClients bounds the clients named each interval: the rest
// are summed up in one line, so that many source addresses cannot inflate
// the log either.
const DefaultMaxRefusalClients = 100

// DefaultFullLines is how many bad or unknown requests (400, 401, 403,
// 404, 405) of
// each named client keep their access line per interval; the others are
// only counted. At most DefaultMaxRefusalClients × (DefaultFullLines + 1)
// + 1 lines an interval, however many requests.
const DefaultFullLines = 3

// Refusals counts refused requests and connections per client and writes
// them as one line per client and interval, with the counts by reason. It
// is shared by the access log (429, 413, 503) and the server's error log
// (TLS handshakes, timeouts).
type Refusals struct {
	logger     *slog.Logger
	interval   time.Duration
	maxClients int
	fullLines  int
	count      func(netip.Addr, Reason)

	mu      sync.Mutex
	armed   bool
	clients map[netip.Addr]*clientRefusals
	others  [numReasons]int // of clients beyond maxClients
	nothers int             // refusals counted in others
}

// clientRefusals are one client's refusals in the interval.
type clientRefusals struct {
	counts [numReasons]int
	full   int // access lines written in full (Reason.inFull)
}

// NewRefusals writes to logger every interval (DefaultRefusalInterval when
// 0); count, if not nil, is called with each refusal and its client (the
// metrics, the suspensions).
func NewRefusals(logger *slog.Logger, interval time.Duration, count func(client netip.Addr, reason Reason)) *Refusals {
	if interval <= 0 {
		interval = DefaultRefusalInterval
	}
	return &Refusals{
		logger: logger, interval: interval, maxClients: DefaultMaxRefusalClients, fullLines: DefaultFullLines, count: count,
		clients: make(map[netip.Addr]*clientRefusals),
	}
}

// Add counts one refusal of client (the zero Addr when unknown). inFull
// reports whether the request should also get its own access line: one of
// the client's first few bad or unknown requests of the interval.
func (r *Refusals) Add(client netip.Addr, reason Reason) (inFull bool) {
	if r.count != nil {
		r.count(client, reason)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.clients[client]
	switch {
	case ok:
	case len(r.clients) < r.maxClients:
		c = new(clientRefusals)
		r.clients[client] = c
	default:
		r.others[reason]++
		r.nothers++
	}
	if c != nil {
		c.counts[reason]++
		if reason.inFull() && c.full < r.fullLines {
			c.full++
			inFull = true
		}
	}
	if !r.armed {
		r.armed = true
		time.AfterFunc(r.interval, r.tick)
	}
	return inFull
}

func (r *Refusals) tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.clients) == 0 {
		r.armed = false
		return
	}
	r.flushLocked()
	time.AfterFunc(r.interval, r.tick)
}

// Flush writes what was counted so far, at shutdown.
func (r *Refusals) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
}

func (r *Refusals) flushLocked() {
	clients := make([]netip.Addr, 0, len(r.clients))
	for c := range r.clients {
		clients = append(clients, c)
	}
	sort.Slice(clients, func(i, j int) bool { return clients[i].Less(clients[j]) })
	for _, c := range clients {
		name := "unknown"
		if c.IsValid() {
			name = c.String()
		}
		r.write(name, &r.clients[c].counts)
	}
	if r.nothers > 0 {
		r.write("(other clients)", &r.others)
	}
	clear(r.clients)
	r.others, r.nothers = [numReasons]int{}, 0
}

func (r *Refusals) write(client string, counts *[numReasons]int) {
	total := 0
	attrs := []any{"client", client}
	for reason, n := range counts {
		total += n
		if n > 0 {
			attrs = append(attrs, Reason(reason).String(), n)
		}
	}
	attrs = append(attrs, "total", total, "interval", r.interval)
	r.logger.Warn("requests refused", attrs...)
}
