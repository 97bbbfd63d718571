// Package ratelimit limits requests per client (IPv4 address or IPv6 /64) with token
// buckets (golang.org/x/time/rate), in a table of bounded size.
package ratelimit

import (
	"container/list"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"golang.org/x/time/rate"
)

// DefaultMaxClients bounds the table: at about 200 bytes a client, 100,000
// clients cost about 20 MB whatever the number of addresses a scanner uses.
const DefaultMaxClients = 100_000

// Limiter holds one token bucket per client key. When the table is full,
// the least recently seen client is forgotten: it starts again with a full
// bucket, which only ever errs on the side of serving.
type Limiter struct {
	rate  rate.Limit
	burst int
	max   int
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*list.Element // of *client
	order   *list.List               // front: most recently seen
}

type client struct {
	key     string
	limiter *rate.Limiter
}

// New returns a limiter allowing perSecond requests a second per client on
// average, in bursts of up to burst, for at most maxClients clients.
func New(perSecond float64, burst, maxClients int) *Limiter {
	if maxClients <= 0 {
		maxClients = DefaultMaxClients
	}
	return &Limiter{
		rate:    rate.Limit(perSecond),
		burst:   burst,
		max:     maxClients,
		now:     time.Now,
		clients: make(map[string]*list.Element),
		order:   list.New(),
	}
}

// Allow reports whether the client may make a request now and, if not, how
// long it should wait before the next one.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	lim := l.bucket(key)
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		// A burst of 0 never allows anything.
		return false, time.Duration(math.MaxInt64)
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Len is the number of clients in the table.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

func (l *Limiter) bucket(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.clients[key]; ok {
		l.order.MoveToFront(el)
		return el.Value.(*client).limiter
	}
	if len(l.clients) >= l.max {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		delete(l.clients, oldest.Value.(*client).key)
	}
	c := &client{key: key, limiter: rate.NewLimiter(l.rate, l.burst)}
	l.clients[key] = l.order.PushFront(c)
	return c.limiter
}

// Middleware refuses a request over the client's limit with 429 and a
// Retry-After header (RFC 6585 §4), in whole seconds rounded up. The client
// is gin's ClientIP, which honours only the configured trusted proxies,
// keyed by ClientKey. onReject is called with the route pattern of each
// refused request.
func (l *Limiter) Middleware(onReject func(route string)) gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, wait := l.Allow(ClientKey(c.ClientIP()))
		if ok {
			c.Next()
			return
		}
		if onReject != nil {
			onReject(c.FullPath())
		}
		secs := RetryAfterSeconds(wait)
		c.Header("Retry-After", strconv.FormatInt(secs, 10))
		httpkit.WriteText(c, http.StatusTooManyRequests, fmt.Sprintf("too many requests: try again in %d s", secs))
		c.Abort()
	}
}

// RetryAfterSeconds is the Retry-After of a refusal that must wait wait:
// whole seconds rounded up, at least 1 (also for a burst of 0, which never
// allows anything).
func RetryAfterSeconds(wait time.Duration) int64 {
	secs := int64(math.Ceil(wait.Seconds()))
	if secs < 1 || wait == time.Duration(math.MaxInt64) {
		secs = 1
	}
	return secs
}

// Limit is the per-client check of a handler that answers refusals in its
// own format (the wizard's pages): allowed, or the Retry-After in seconds.
// onReject is called with the route pattern of each refused request.
func (l *Limiter) Limit(c *gin.Context, onReject func(route string)) (allowed bool, retryAfterSeconds int64) {
	ok, wait := l.Allow(ClientKey(c.ClientIP()))
	if ok {
		return true, 0
	}
	if onReject != nil {
		onReject(c.FullPath())
	}
	return false, RetryAfterSeconds(wait)
}

// ClientKey is the rate-limited client of an IP address: an IPv4 address
// itself (IPv4-mapped IPv6 included), an IPv6 address its /64. One IPv6
// subscriber gets a whole /64 (RFC 6177), so per address it could make
// 2^64 clients and churn the table. Anything unparseable is its own key.
func ClientKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	prefix := ClientPrefix(addr)
	if prefix.Addr().Is4() {
		return prefix.Addr().String()
	}
	return prefix.String()
}

// ClientPrefix is the client of addr as a prefix: an IPv4 address's /32,
// an IPv6 address's /64 (see ClientKey); the zero Prefix for the zero Addr.
func ClientPrefix(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap()
	if addr.Is4() {
		return netip.PrefixFrom(addr, 32)
	}
	prefix, _ := addr.WithZone("").Prefix(64)
	return prefix
}

// ParseRate reads a rate as "N/s", "N/m" or "N/h" (or a bare N, per
// second) and returns requests per second.
func ParseRate(s string) (float64, error) {
	num, unit, hasUnit := cutLast(s, '/')
	if !hasUnit {
		num, unit = s, "s"
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("rate %q must be a positive number of requests per s, m or h, e.g. 2/s", s)
	}
	switch unit {
	case "s":
		return n, nil
	case "m":
		return n / 60, nil
	case "h":
		return n / 3600, nil
	}
	return 0, fmt.Errorf("rate %q must end in /s, /m or /h", s)
}

func cutLast(s string, sep byte) (before, after string, found bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
