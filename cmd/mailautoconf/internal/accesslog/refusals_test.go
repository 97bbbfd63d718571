package accesslog

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// lockedBuffer is the shared test kit's log destination.
type lockedBuffer = testkit.LogBuffer

// Refused requests are counted per client and written once per interval;
// served ones keep their line; many clients are bounded too.
func TestRefusals_OneLinePerClientAndInterval(t *testing.T) {
	out := &lockedBuffer{}
	counted := map[Reason]int{}
	var mu sync.Mutex
	// An hour: the lines are written by Flush, not by a tick that a loaded
	// machine could fire in the middle of the flood.
	refusals := NewRefusals(slog.New(slog.NewTextHandler(out, nil)), time.Hour, func(_ netip.Addr, r Reason) {
		mu.Lock()
		counted[r]++
		mu.Unlock()
	})
	refusals.maxClients = 3
	e := testkit.Engine(t)
	e.Use(New(out, Text, Options{Refusals: refusals}).Middleware(nil))
	e.GET("/limited", func(c *gin.Context) { c.String(http.StatusTooManyRequests, "slow down") })
	e.GET("/busy", func(c *gin.Context) { c.Header("Retry-After", "1"); c.String(http.StatusServiceUnavailable, "busy") })
	e.GET("/notready", func(c *gin.Context) { c.String(http.StatusServiceUnavailable, "not ready") })
	e.GET("/ok", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	send := func(path, client string) {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = client + ":1234"
		e.ServeHTTP(httptest.NewRecorder(), r)
	}
	for i := range 1000 {
		send("/limited", fmt.Sprintf("192.0.2.%d", i%10))
		send("/busy", "192.0.2.0")
	}
	send("/ok", "192.0.2.0")
	send("/notready", "192.0.2.0")
	assert.Len(t, out.Lines(), 2, "served requests (a 503 without Retry-After too) are logged at once, refusals are not")

	refusals.Flush()
	require.Len(t, out.Lines(), 6)
	lines := out.Lines()[2:]
	assert.Contains(t, lines[0], "client=192.0.2.0 rate_limited=100 busy=1000 total=1100")
	assert.Contains(t, lines[1], "client=192.0.2.1 rate_limited=100 total=100")
	assert.Contains(t, lines[2], "client=192.0.2.2 rate_limited=100 total=100")
	assert.Contains(t, lines[3], `client="(other clients)" rate_limited=700 total=700`)
	assert.Equal(t, map[Reason]int{RateLimited: 1000, Busy: 1000}, counted)
}

// The interval writes what it gathered without a Flush.
func TestRefusals_WrittenEachInterval(t *testing.T) {
	out := &lockedBuffer{}
	refusals := NewRefusals(slog.New(slog.NewTextHandler(out, nil)), 20*time.Millisecond, nil)
	refusals.Add(netip.MustParseAddr("192.0.2.1"), RateLimited)
	require.Eventually(t, func() bool { return len(out.Lines()) == 1 }, 5*time.Second, 5*time.Millisecond)
	assert.Contains(t, out.Lines()[0], "client=192.0.2.1 rate_limited=1 total=1")
}

func TestServerErrors_HandshakesAreRefusalsOtherLinesBounded(t *testing.T) {
	out := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(out, nil))
	refusals := NewRefusals(logger, time.Hour, nil)
	errLog := ServerErrors(refusals, logger)
	for i := range 500 {
		errLog.Printf("http: TLS handshake error from 192.0.2.%d:5555: EOF", i%2)
		errLog.Printf("http: TLS handshake error from [2001:db8::1]:5555: read tcp: i/o timeout")
		errLog.Printf("http2: server: error reading preface from client 192.0.2.9:4444: bogus greeting")
		errLog.Printf("http: something else %d", i)
	}
	assert.Len(t, out.Lines(), 10, "other server errors: a burst, then suppressed")
	refusals.Flush()
	lines := out.Lines()[10:]
	require.Len(t, lines, 4)
	assert.Contains(t, lines[0], "client=192.0.2.0 tls_handshake=250 total=250")
	assert.Contains(t, lines[1], "client=192.0.2.1 tls_handshake=250 total=250")
	assert.Contains(t, lines[2], "client=192.0.2.9 bad_connection=500 total=500")
	assert.Contains(t, lines[3], "client=2001:db8::1 timeout=500 total=500")
}

// A flood of bad requests from many clients writes a bounded number of
// lines: the first few of each named client in full, then one summary line
// per client and one for the rest, whatever the number of requests.
func TestRefusals_BadRequestFloodIsBoundedWithFirstLinesInFull(t *testing.T) {
	out := &lockedBuffer{}
	refusals := NewRefusals(slog.New(slog.NewTextHandler(out, nil)), time.Hour, nil)
	refusals.maxClients = 20
	e := testkit.Engine(t)
	e.Use(New(out, Text, Options{Refusals: refusals}).Middleware(nil))
	e.GET("/bad", func(c *gin.Context) { c.String(http.StatusBadRequest, "bad") })
	e.NoRoute(func(c *gin.Context) { c.String(http.StatusNotFound, "not found") })
	const clients, each = 500, 40
	for i := range clients * each {
		path := "/bad"
		if (i/clients)%4 == 0 { // each client's first request, and one in four
			path = "/nowhere"
		}
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = fmt.Sprintf("10.0.%d.%d:1234", (i%clients)/250, (i%clients)%250)
		e.ServeHTTP(httptest.NewRecorder(), r)
	}
	full := out.Lines()
	assert.Len(t, full, 20*DefaultFullLines, "the first lines of each named client, no more")
	assert.Contains(t, full[0], `method=GET route="(no route)" status=404`)
	assert.Contains(t, full[0], "client=10.0.0.0", "in full: the route, the status and the client")

	refusals.Flush()
	summary := out.Lines()[len(full):]
	require.Len(t, summary, 21, "one line per named client and one for the others")
	assert.Contains(t, summary[0], "client=10.0.0.0 bad_request=30 not_found=10 total=40")
	assert.Contains(t, summary[20], fmt.Sprintf(`client="(other clients)" bad_request=%d not_found=%d total=%d`, 480*30, 480*10, 480*each))
}
