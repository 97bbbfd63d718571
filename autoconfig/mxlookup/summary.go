package mxlookup

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultLogInterval is how often failed and refused lookups are summed up
// in the log.
const DefaultLogInterval = time.Minute

// summary logs failed and refused lookups as one line per interval: a
// resolver that stops answering, or a flood of names, would otherwise write
// one line per request. The first event of a quiet period is logged at
// once, so that an operator sees a failing resolver without waiting.
type summary struct {
	logger   *slog.Logger
	server   string
	interval time.Duration

	mu       sync.Mutex
	armed    bool // a flush is scheduled
	failed   int
	refused  int
	lastErr  error
	lastName string
}

func (s *summary) failure(domain string, err error) {
	s.add(domain, err, 1, 0)
}

func (s *summary) refusal(domain string) {
	s.add(domain, nil, 0, 1)
}

func (s *summary) add(domain string, err error, failed, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed += failed
	s.refused += refused
	s.lastName = domain
	if err != nil {
		s.lastErr = err
	}
	if !s.armed {
		s.armed = true
		s.flushLocked()
		time.AfterFunc(s.interval, s.tick)
	}
}

// tick writes what the interval gathered, and stays armed while events
// keep coming.
func (s *summary) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed == 0 && s.refused == 0 {
		s.armed = false
		return
	}
	s.flushLocked()
	time.AfterFunc(s.interval, s.tick)
}

// flush writes what was gathered since the last line, if anything.
func (s *summary) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed > 0 || s.refused > 0 {
		s.flushLocked()
	}
}

func (s *summary) flushLocked() {
	attrs := []any{"failed", s.failed, "refused", s.refused, "last_domain", s.lastName, "resolver", s.server, "interval", s.interval}
	if s.lastErr != nil {
		attrs = append(attrs, "last_error", s.lastErr.Error())
	}
	s.logger.Warn("MX lookups failed or refused: those domains are treated as unserved", attrs...)
	s.failed, s.refused, s.lastErr = 0, 0, nil
}
