package accesslog

import (
	"log"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ServerErrors is the http.Server's ErrorLog. Go's server writes one line
// per failed TLS handshake and per bad HTTP/2 preface (net/http server.go,
// h2_bundle.go): anyone can open connections by the million, so those are
// counted as refusals of their client instead. Any other line is written
// to logger, at most a burst of them per minute, with the count of those
// left out.
func ServerErrors(refusals *Refusals, logger *slog.Logger) *log.Logger {
	return log.New(&serverErrors{
		refusals: refusals, logger: logger,
		limit: rate.NewLimiter(rate.Every(6*time.Second), 10),
	}, "", 0)
}

type serverErrors struct {
	refusals *Refusals
	logger   *slog.Logger
	limit    *rate.Limiter

	mu         sync.Mutex
	suppressed int
}

// Per-connection failures, as net/http writes them.
const (
	handshakePrefix = "http: TLS handshake error from "
	prefacePrefix   = "http2: server: error reading preface from client "
)

func (w *serverErrors) Write(p []byte) (int, error) {
	line := strings.TrimRight(string(p), "\n")
	if rest, ok := strings.CutPrefix(line, handshakePrefix); ok {
		w.refuse(rest, TLSHandshake)
		return len(p), nil
	}
	if rest, ok := strings.CutPrefix(line, prefacePrefix); ok {
		w.refuse(rest, BadConnection)
		return len(p), nil
	}
	if !w.limit.Allow() {
		w.mu.Lock()
		w.suppressed++
		w.mu.Unlock()
		return len(p), nil
	}
	w.mu.Lock()
	suppressed := w.suppressed
	w.suppressed = 0
	w.mu.Unlock()
	attrs := []any{"error", line}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed_before", suppressed)
	}
	w.logger.Warn("HTTP server error", attrs...)
	return len(p), nil
}

// refuse counts a failed connection; rest is "ADDR: error".
func (w *serverErrors) refuse(rest string, reason Reason) {
	addrText, errText, _ := strings.Cut(rest, ": ")
	if strings.Contains(errText, "timeout") {
		reason = Timeout
	}
	var client netip.Addr
	if ap, err := netip.ParseAddrPort(addrText); err == nil {
		client = ap.Addr().Unmap()
	}
	w.refusals.Add(client, reason)
}
