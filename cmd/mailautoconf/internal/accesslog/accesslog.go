// Package accesslog writes one log line per HTTP request served, and sums
// up refused ones (Refusals).
//
// The line names the route pattern and the mail domain the request was
// about, never the raw URL, headers or body: query strings carry email
// addresses, and headers carry credentials (Basic auth from Outlook,
// cookies from browsers).
//
// Lines have exactly the format of the service's other logs (log/slog's
// text or JSON handler). Every autoconfig request writes one, so the common
// line is encoded here without slog's per-record machinery (about a fifth
// of a cached request's CPU time); a line with a value this encoder does
// not handle, such as a non-ASCII address, is handed to slog itself.
package accesslog

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// NoRoute is the route logged for requests that matched no route.
const NoRoute = "(no route)"

// Format is the encoding of log lines.
type Format int

const (
	Text Format = iota // slog.TextHandler's key=value lines
	JSON               // slog.JSONHandler's objects
)

// Options says what a line may contain.
type Options struct {
	// LogAddresses logs the whole address when a request names one. Off by
	// default: the domain is enough to debug a provider's configuration.
	LogAddresses bool
	// TrustedProxies says the engine takes the client address from
	// X-Forwarded-For of trusted proxies; without them the client is the
	// connection's peer.
	TrustedProxies bool
	// Refusals, when set, counts refused requests (429, 413, 503 with
	// Retry-After; 400, 404 and 405 after each client's first few) and
	// writes them once per client and interval instead of one line each.
	Refusals *Refusals
}

// Logger writes access lines to one writer, which must take each Write as
// one whole line (as slog's handlers also assume).
type Logger struct {
	w      io.Writer
	format Format
	opts   Options
	// slow encodes the lines the fast encoder declines, in the same format.
	slow slog.Handler
}

// New returns a Logger writing lines in format to w.
func New(w io.Writer, format Format, opts Options) *Logger {
	var h slog.Handler = slog.NewTextHandler(w, nil)
	if format == JSON {
		h = slog.NewJSONHandler(w, nil)
	}
	return &Logger{w: w, format: format, opts: opts, slow: h}
}

// entry is what one line says.
type entry struct {
	time     time.Time
	method   string
	route    string
	status   int
	duration time.Duration
	// clientIP is the client when it is the connection's peer; client
	// otherwise (forwarded by a trusted proxy).
	clientIP netip.Addr
	client   string
	domain   string
	address  string
}

// Middleware logs each request after it is answered, and hands its route
// pattern ("" when no route matched), status and duration to observe (the
// metrics), if not nil: one middleware reads the clock twice for both.
func (l *Logger) Middleware(observe func(route string, status int, d time.Duration)) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		// The handler tells what the request was about: it has parsed the
		// address already, and nothing here parses it again.
		tracker := httpkit.Track(c)
		c.Next()
		subject := tracker.Done(c)
		d := time.Since(start)
		e := entry{
			time:     start.Add(d),
			method:   c.Request.Method,
			route:    c.FullPath(),
			status:   c.Writer.Status(),
			duration: d,
		}
		if observe != nil {
			observe(e.route, e.status, d)
		}
		if e.route == "" {
			e.route = NoRoute
		}
		if ip, ok := l.peerIP(c); ok {
			e.clientIP = ip
		} else {
			e.client = c.ClientIP()
		}
		if l.opts.Refusals != nil {
			if reason, refused := refusedStatus(e.status, c.Writer.Header()); refused &&
				!l.opts.Refusals.Add(e.clientAddr(), reason) {
				return
			}
		}
		e.domain = subject.Domain
		if l.opts.LogAddresses {
			e.address = subject.Address()
		}
		l.write(c.Request.Context(), e)
	}
}

// buffers holds line buffers: a line is about 200 bytes.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (l *Logger) write(ctx context.Context, e entry) {
	bp := buffers.Get().(*[]byte)
	defer buffers.Put(bp)
	line, ok := e.encode((*bp)[:0], l.format)
	if ok {
		l.w.Write(line)
		*bp = line
		return
	}
	r := slog.NewRecord(e.time, slog.LevelInfo, "request", 0)
	r.AddAttrs(e.attrs()...)
	l.slow.Handle(ctx, r)
}

// attrs are the line's attributes in the order of the fast encoder.
func (e entry) attrs() []slog.Attr {
	attrs := []slog.Attr{
		slog.String("method", e.method),
		slog.String("route", e.route),
		slog.Int("status", e.status),
		slog.Duration("duration", e.duration),
		slog.String("client", e.clientString()),
	}
	if e.domain != "" {
		attrs = append(attrs, slog.String("domain", e.domain))
	}
	if e.address != "" {
		attrs = append(attrs, slog.String("address", e.address))
	}
	return attrs
}

// clientAddr is the client as an address (the zero Addr when a proxy
// forwarded something else).
func (e entry) clientAddr() netip.Addr {
	if e.clientIP.IsValid() {
		return e.clientIP
	}
	a, _ := netip.ParseAddr(e.client)
	return a.Unmap()
}

func (e entry) clientString() string {
	if e.clientIP.IsValid() {
		return e.clientIP.String()
	}
	return e.client
}

// encode appends e as one line to b, or reports false when a value needs an
// encoding only slog does (non-ASCII or control characters).
func (e entry) encode(b []byte, format Format) ([]byte, bool) {
	enc := encoder{b: b, json: format == JSON}
	enc.begin(e.time)
	enc.str("method", e.method)
	enc.str("route", e.route)
	enc.int("status", int64(e.status))
	enc.duration("duration", e.duration)
	if e.clientIP.IsValid() {
		enc.key("client")
		enc.quote()
		enc.b = e.clientIP.AppendTo(enc.b)
		enc.quote()
	} else {
		enc.str("client", e.client)
	}
	if e.domain != "" {
		enc.str("domain", e.domain)
	}
	if e.address != "" {
		enc.str("address", e.address)
	}
	return enc.end()
}

// peerIP is the connection's peer address when that is the client, which
// it is unless trusted proxies forward it: the common case, without the
// string gin's ClientIP allocates.
func (l *Logger) peerIP(c *gin.Context) (netip.Addr, bool) {
	if l.opts.TrustedProxies {
		return netip.Addr{}, false
	}
	ap, err := netip.ParseAddrPort(c.Request.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// encoder appends attributes as slog's text or JSON handler does, for the
// values it accepts: printable ASCII strings, integers and durations.
type encoder struct {
	b    []byte
	json bool
	ok   bool
}

// begin writes the time, level and message slog's handlers start with. The
// text handler rounds the time to milliseconds; the JSON one keeps it whole.
func (e *encoder) begin(t time.Time) {
	e.ok = true
	if e.json {
		e.b = append(e.b, `{"time":"`...)
		e.b = appendRFC3339Nano(e.b, t)
		e.b = append(e.b, `","level":"INFO","msg":"request"`...)
		return
	}
	e.b = append(e.b, "time="...)
	e.b = millisStamps.append(e.b, t)
	e.b = append(e.b, " level=INFO msg=request"...)
}

func (e *encoder) end() ([]byte, bool) {
	if e.json {
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, '\n')
	return e.b, e.ok
}

func (e *encoder) key(k string) {
	if e.json {
		e.b = append(e.b, ',', '"')
		e.b = append(e.b, k...)
		e.b = append(e.b, '"', ':')
		return
	}
	e.b = append(e.b, ' ')
	e.b = append(e.b, k...)
	e.b = append(e.b, '=')
}

// quote opens or closes a string in JSON; text needs no quotes for an IP.
func (e *encoder) quote() {
	if e.json {
		e.b = append(e.b, '"')
	}
}

func (e *encoder) int(k string, v int64) {
	e.key(k)
	e.b = strconv.AppendInt(e.b, v, 10)
}

// duration is nanoseconds in JSON and Duration.String in text, as slog.
func (e *encoder) duration(k string, d time.Duration) {
	e.key(k)
	if e.json {
		e.b = strconv.AppendInt(e.b, int64(d), 10)
		return
	}
	e.b = append(e.b, d.String()...)
}

// str appends a string value; anything but printable ASCII is left to slog.
func (e *encoder) str(k, v string) {
	e.key(k)
	quote := v == ""
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c < 0x20 || c > 0x7e:
			e.ok = false
			return
		case c == ' ' || c == '=' || c == '"':
			quote = true
		case c == '\\' && e.json:
			quote = true
		}
	}
	switch {
	case e.json && quote:
		// Only '"' and '\' need escaping in printable ASCII.
		e.b = append(e.b, '"')
		for i := 0; i < len(v); i++ {
			if v[i] == '"' || v[i] == '\\' {
				e.b = append(e.b, '\\')
			}
			e.b = append(e.b, v[i])
		}
		e.b = append(e.b, '"')
	case e.json:
		e.b = append(e.b, '"')
		e.b = append(e.b, v...)
		e.b = append(e.b, '"')
	case quote:
		e.b = strconv.AppendQuote(e.b, v)
	default:
		e.b = append(e.b, v...)
	}
}

// Formatting a time costs more than the rest of a line. Lines come by the
// thousand per second, so the last formatted millisecond (text) and second
// (JSON) are kept and copied.
var (
	millisStamps = stampCache{unit: time.Millisecond, format: appendRFC3339Millis}
	secondStamps = stampCache{unit: time.Second, format: func(b []byte, t time.Time) []byte {
		return t.AppendFormat(b, "2006-01-02T15:04:05")
	}}
	zoneStamps = stampCache{unit: time.Second, format: func(b []byte, t time.Time) []byte {
		return t.AppendFormat(b, "Z07:00")
	}}
)

// stampCache remembers the formatting of one time truncated to unit.
type stampCache struct {
	unit   time.Duration
	format func([]byte, time.Time) []byte
	last   atomic.Pointer[stamp]
}

type stamp struct {
	sec  int64 // Unix time
	sub  int   // units within the second
	loc  *time.Location
	text []byte
}

func (c *stampCache) append(b []byte, t time.Time) []byte {
	sec, sub := t.Unix(), t.Nanosecond()/int(c.unit)
	if s := c.last.Load(); s != nil && s.sec == sec && s.sub == sub && s.loc == t.Location() {
		return append(b, s.text...)
	}
	text := c.format(nil, t)
	c.last.Store(&stamp{sec: sec, sub: sub, loc: t.Location(), text: text})
	return append(b, text...)
}

// appendRFC3339Nano is t.AppendFormat(b, time.RFC3339Nano), slog's JSON
// time format: the second and the zone come from caches, the fraction
// (trailing zeros trimmed, none for a whole second) is written here.
func appendRFC3339Nano(b []byte, t time.Time) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	b = secondStamps.append(b, t)
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return zoneStamps.append(b, t)
}

// appendRFC3339Millis is slog's text-handler time format: RFC 3339 with
// exactly three fractional digits.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	// RFC3339Nano trims trailing zeros: a tenth of a millisecond added
	// keeps four digits, and the fourth is dropped.
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}
