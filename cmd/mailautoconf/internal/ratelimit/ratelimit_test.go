package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock lets tests move time without sleeping.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestLimiter(perSecond float64, burst, max int) (*Limiter, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(perSecond, burst, max)
	l.now = clock.now
	return l, clock
}

func TestAllow_BurstThenRefillAtRate(t *testing.T) {
	l, clock := newTestLimiter(2, 3, 10)
	for i := range 3 {
		ok, _ := l.Allow("192.0.2.1")
		require.True(t, ok, "request %d of the burst", i)
	}
	ok, wait := l.Allow("192.0.2.1")
	require.False(t, ok)
	assert.Equal(t, 500*time.Millisecond, wait)

	clock.t = clock.t.Add(500 * time.Millisecond)
	ok, _ = l.Allow("192.0.2.1")
	assert.True(t, ok, "one token refilled after 1/rate")
}

func TestAllow_ClientsAreIndependent(t *testing.T) {
	l, _ := newTestLimiter(1, 1, 10)
	ok, _ := l.Allow("192.0.2.1")
	require.True(t, ok)
	ok, _ = l.Allow("192.0.2.1")
	require.False(t, ok)
	ok, _ = l.Allow("192.0.2.2")
	assert.True(t, ok)
}

func TestAllow_RefusedRequestsDoNotConsumeTokens(t *testing.T) {
	l, clock := newTestLimiter(1, 1, 10)
	l.Allow("a")
	for range 5 {
		ok, _ := l.Allow("a")
		require.False(t, ok)
	}
	clock.t = clock.t.Add(time.Second)
	ok, _ := l.Allow("a")
	assert.True(t, ok, "hammering while limited must not push the next slot further away")
}

func TestTable_BoundedWithLeastRecentlySeenEvicted(t *testing.T) {
	l, _ := newTestLimiter(1, 1, 3)
	for i := range 1000 {
		l.Allow("198.51.100." + strconv.Itoa(i%250) + "/" + strconv.Itoa(i))
	}
	assert.Equal(t, 3, l.Len())

	l, _ = newTestLimiter(1, 1, 2)
	l.Allow("a") // a used up
	l.Allow("b")
	l.Allow("a") // a seen again: b is now the oldest
	l.Allow("c") // evicts b
	ok, _ := l.Allow("a")
	assert.False(t, ok, "a was kept, with its empty bucket")
	ok, _ = l.Allow("b")
	assert.True(t, ok, "b was forgotten and starts with a full bucket")
}

func TestMiddleware_429WithRetryAfter(t *testing.T) {
	l, _ := newTestLimiter(0.25, 1, 10)
	var rejected []string
	e := testkit.Engine(t)
	e.GET("/qr", l.Middleware(func(route string) { rejected = append(rejected, route) }), func(c *gin.Context) {
		c.String(http.StatusOK, "ok")
	})
	get := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/qr?email=a@example.com", nil)
		r.RemoteAddr = "192.0.2.7:1234"
		e.ServeHTTP(w, r)
		return w
	}
	require.Equal(t, http.StatusOK, get().Code)
	w := get()
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "4", w.Header().Get("Retry-After"), "1 token every 4 s")
	assert.Contains(t, w.Body.String(), "too many requests")
	assert.Equal(t, []string{"/qr"}, rejected)
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{{"2/s", 2}, {"2", 2}, {"0.5/s", 0.5}, {"60/m", 1}, {"3600/h", 1}} {
		got, err := ParseRate(tc.in)
		require.NoError(t, err, tc.in)
		assert.InDelta(t, tc.want, got, 1e-9, tc.in)
	}
	for _, bad := range []string{"", "x", "-1/s", "0/s", "2/d", "1/", "NaN/s", "Inf/s"} {
		_, err := ParseRate(bad)
		assert.Error(t, err, bad)
	}
}

func TestClientKey_IPv6ByItsSlash64(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"}, // IPv4-mapped: the IPv4 client it is
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"}, // same /64, same client
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"", ""}, // gin's ClientIP when it found no address
		{"not-an-ip", "not-an-ip"},
	} {
		assert.Equal(t, tc.want, ClientKey(tc.ip), tc.ip)
	}
}

func TestMiddleware_OneBucketPerIPv6Slash64(t *testing.T) {
	l, _ := newTestLimiter(0.25, 1, 10)
	e := testkit.Engine(t)
	e.GET("/qr", l.Middleware(nil), func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	from := func(remote string) int {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/qr", nil)
		r.RemoteAddr = remote
		e.ServeHTTP(w, r)
		return w.Code
	}
	require.Equal(t, http.StatusOK, from("[2001:db8:1:2::1]:1234"))
	assert.Equal(t, http.StatusTooManyRequests, from("[2001:db8:1:2::2]:1234"), "another address of the same /64")
	assert.Equal(t, http.StatusTooManyRequests, from("[2001:db8:1:2:dead:beef:0:1]:1234"))
	assert.Equal(t, http.StatusOK, from("[2001:db8:1:3::1]:1234"), "another /64 is another client")
	assert.Equal(t, 2, l.Len(), "a /64 costs one entry of the table, whatever the addresses it uses")
}

func TestClientPrefix_SameClientsAsClientKey(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"192.0.2.7", "192.0.2.7/32"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
	} {
		assert.Equal(t, tc.want, ClientPrefix(netip.MustParseAddr(tc.ip)).String(), tc.ip)
	}
	assert.False(t, ClientPrefix(netip.Addr{}).IsValid(), "no address: the zero prefix")
}
