package connlimit

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
)

// Suspensions turn away, for a while, the clients that go on asking after
// being refused. A refused request (429, 503 with Retry-After, 400, 404…)
// costs the service little, but a client that sends them without pause
// from hundreds of addresses still takes the CPU from everyone else: each
// request is read, parsed and answered. Once a client has been refused
// more often than its budget allows, its connections are closed after the
// answer in progress and new ones are closed as they are accepted, at the
// cost of an accept and a close, until the suspension ends.
//
// A nil *Suspensions suspends nobody.
type Suspensions struct {
	budget *ratelimit.Limiter // refusals, per client
	length time.Duration
	now    func() time.Time
	max    int

	mu    sync.Mutex
	until map[netip.Prefix]time.Time
	// n is len(until), read without the lock: the common case (nobody
	// suspended) costs an atomic load on each accept and request.
	n     atomic.Int64
	total atomic.Int64 // suspensions so far
}

// NewSuspensions suspends for length a client refused more than after
// times in a burst, the budget filling again at after a minute; nil (no
// suspensions) when after or length is 0.
func NewSuspensions(after int, length time.Duration) *Suspensions {
	if after <= 0 || length <= 0 {
		return nil
	}
	return &Suspensions{
		budget: ratelimit.New(float64(after)/60, after, ratelimit.DefaultMaxClients),
		length: length,
		now:    time.Now,
		max:    ratelimit.DefaultMaxClients,
		until:  make(map[netip.Prefix]time.Time),
	}
}

// Refused counts one refusal of client (the zero Addr: unknown, not
// counted), and suspends it when its budget is spent.
func (s *Suspensions) Refused(client netip.Addr) {
	if s == nil || !client.IsValid() {
		return
	}
	prefix := ratelimit.ClientPrefix(client)
	if ok, _ := s.budget.Allow(prefix.String()); ok {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.until[prefix]; !ok && len(s.until) >= s.max {
		s.dropExpiredLocked(now)
		if len(s.until) >= s.max {
			return // full of live suspensions: err on the side of serving
		}
	}
	if _, ok := s.until[prefix]; !ok {
		s.total.Add(1)
	}
	s.until[prefix] = now.Add(s.length)
	s.n.Store(int64(len(s.until)))
}

// Suspended reports whether client (as ratelimit.ClientPrefix gives it) is
// suspended now.
func (s *Suspensions) Suspended(client netip.Prefix) bool {
	if s == nil || s.n.Load() == 0 || !client.IsValid() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.until[client]
	if !ok {
		return false
	}
	if !s.now().Before(until) {
		delete(s.until, client)
		s.n.Store(int64(len(s.until)))
		return false
	}
	return true
}

func (s *Suspensions) dropExpiredLocked(now time.Time) {
	for client, until := range s.until {
		if !now.Before(until) {
			delete(s.until, client)
		}
	}
	s.n.Store(int64(len(s.until)))
}

// SuspensionStats are the counts of the metrics.
type SuspensionStats struct {
	Suspended int   // clients suspended now (expired ones may count until next seen)
	Total     int64 // suspensions so far
}

// Stats returns the counts now.
func (s *Suspensions) Stats() SuspensionStats {
	if s == nil {
		return SuspensionStats{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropExpiredLocked(s.now())
	return SuspensionStats{Suspended: len(s.until), Total: s.total.Load()}
}
