package accesslog

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
	refusals := NewRefusals(slog.New(slog.NewTextHandler(out, nil)), 200*time.Millisecond, func(r Reason) {
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

	require.Eventually(t, func() bool { return len(out.Lines()) == 6 }, 3*time.Second, 10*time.Millisecond)
	lines := out.Lines()[2:]
	assert.Contains(t, lines[0], "client=192.0.2.0 rate_limited=100 busy=1000 total=1100")
	assert.Contains(t, lines[1], "client=192.0.2.1 rate_limited=100 total=100")
	assert.Contains(t, lines[2], "client=192.0.2.2 rate_limited=100 total=100")
	assert.Contains(t, lines[3], `client="(other clients)" rate_limited=700 total=700`)
	assert.Equal(t, map[Reason]int{RateLimited: 1000, Busy: 1000}, counted)

	time.Sleep(500 * time.Millisecond)
	assert.Len(t, out.Lines(), 6, "nothing more while quiet")
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
