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
// one line each.
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
	numReasons
)

var reasonNames = [numReasons]string{"rate_limited", "too_large", "busy", "tls_handshake", "timeout", "bad_connection",
	"client_connections", "connections"}

func (r Reason) String() string { return reasonNames[r] }

// Reasons lists every reason, for the metrics.
func Reasons() []Reason {
	out := make([]Reason, numReasons)
	for i := range out {
		out[i] = Reason(i)
	}
	return out
}

// refusedStatus is the reason of a refused request, by its status: 429 and
// 413 always; 503 when it carries Retry-After (a budget answer, not the
// readiness probe, which keeps its line).
func refusedStatus(status int, h http.Header) (Reason, bool) {
	switch {
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

// Refusals counts refused requests and connections per client and writes
// them as one line per client and interval, with the counts by reason. It
// is shared by the access log (429, 413, 503) and the server's error log
// (TLS handshakes, timeouts).
type Refusals struct {
	logger     *slog.Logger
	interval   time.Duration
	maxClients int
	count      func(Reason)

	mu      sync.Mutex
	armed   bool
	clients map[netip.Addr]*[numReasons]int
	others  [numReasons]int // of clients beyond maxClients
	nothers int             // refusals counted in others
}

// NewRefusals writes to logger every interval (DefaultRefusalInterval when
// 0); count, if not nil, is called with each refusal (the metrics).
func NewRefusals(logger *slog.Logger, interval time.Duration, count func(Reason)) *Refusals {
	if interval <= 0 {
		interval = DefaultRefusalInterval
	}
	return &Refusals{
		logger: logger, interval: interval, maxClients: DefaultMaxRefusalClients, count: count,
		clients: make(map[netip.Addr]*[numReasons]int),
	}
}

// Add counts one refusal of client (the zero Addr when unknown).
func (r *Refusals) Add(client netip.Addr, reason Reason) {
	if r.count != nil {
		r.count(reason)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	counts, ok := r.clients[client]
	switch {
	case ok:
	case len(r.clients) < r.maxClients:
		counts = new([numReasons]int)
		r.clients[client] = counts
	default:
		counts = &r.others
		r.nothers++
	}
	counts[reason]++
	if !r.armed {
		r.armed = true
		time.AfterFunc(r.interval, r.tick)
	}
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
		r.write(name, r.clients[c])
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
