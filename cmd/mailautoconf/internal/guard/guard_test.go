package guard

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func serve(e *gin.Engine, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

func TestSecurityHeaders_HSTSOnlyOverHTTPS(t *testing.T) {
	e := testkit.Engine(t)
	e.Use(ForwardedScheme(nil), SecurityHeaders())
	e.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "ok") })

	plain := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, "nosniff", plain.Header().Get("X-Content-Type-Options"))
	assert.Empty(t, plain.Header().Get("Strict-Transport-Security"))

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.TLS = &tls.ConnectionState{}
	assert.Equal(t, HSTSValue, serve(e, r).Header().Get("Strict-Transport-Security"))
}

func TestForwardedScheme_OnlyFromTrustedProxies(t *testing.T) {
	trusted, err := ParseCIDRs("10.0.0.0/8, 192.0.2.1")
	require.NoError(t, err)
	e := testkit.Engine(t)
	e.Use(ForwardedScheme(trusted), SecurityHeaders())
	e.GET("/", func(c *gin.Context) { c.String(http.StatusOK, c.Request.URL.Scheme) })

	for _, tc := range []struct {
		name, remote, proto, target, want string
	}{
		{"trusted proxy, https", "10.1.2.3:5000", "https", "/", "https"},
		{"trusted single address", "192.0.2.1:5000", "HTTPS, http", "/", "https"},
		{"trusted proxy, http", "10.1.2.3:5000", "http", "/", "http"},
		{"untrusted client claims https", "203.0.113.9:5000", "https", "/", "http"},
		{"absolute URI cannot claim https", "203.0.113.9:5000", "", "https://autoconfig.example.com/", "http"},
		{"IPv4-mapped IPv6 peer", "[::ffff:10.0.0.1]:5000", "https", "/", "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			r.TLS = nil // httptest sets it for https targets; a server would not
			r.RemoteAddr = tc.remote
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			w := serve(e, r)
			assert.Equal(t, tc.want, w.Body.String())
			assert.Equal(t, tc.want == "https", w.Header().Get("Strict-Transport-Security") != "")
		})
	}
}

func TestParseCIDRs(t *testing.T) {
	got, err := ParseCIDRs("10.0.0.0/8,2001:db8::/32, 192.0.2.1 ,::1,")
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("::1/128"),
	}, got)
	_, err = ParseCIDRs("10.0.0.0/8,proxy.example.com")
	assert.ErrorContains(t, err, "neither an IP address nor a CIDR prefix")
}

func TestBodyLimit(t *testing.T) {
	e := testkit.Engine(t)
	e.Use(BodyLimit(10))
	e.POST("/", func(c *gin.Context) {
		_, err := io.ReadAll(c.Request.Body)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			c.String(http.StatusRequestEntityTooLarge, "read cut")
			return
		}
		c.String(http.StatusOK, "read all")
	})

	w := serve(e, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("0123456789")))
	assert.Equal(t, "read all", w.Body.String(), "exactly the limit is accepted")

	w = serve(e, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("0123456789x")))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Equal(t, "request body too large: the limit is 10 bytes\n", w.Body.String(), "refused on Content-Length before the handler")

	chunked := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(strings.NewReader(strings.Repeat("x", 100))))
	chunked.ContentLength = -1
	w = serve(e, chunked)
	assert.Equal(t, "read cut", w.Body.String(), "a body without length is cut at the limit")
}

func TestBodyLimit_SelfCappedRouteAnswersItself(t *testing.T) {
	e := testkit.Engine(t)
	e.Use(BodyLimit(10, "/own"))
	handler := func(c *gin.Context) {
		if c.Request.ContentLength > 5 {
			c.String(http.StatusRequestEntityTooLarge, "refused in the route's own format")
			return
		}
		c.String(http.StatusOK, "served")
	}
	e.POST("/own", handler)
	e.POST("/other", handler)

	w := serve(e, httptest.NewRequest(http.MethodPost, "/own", strings.NewReader(strings.Repeat("x", 100))))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Equal(t, "refused in the route's own format", w.Body.String())

	w = serve(e, httptest.NewRequest(http.MethodPost, "/other", strings.NewReader(strings.Repeat("x", 100))))
	assert.Equal(t, "request body too large: the limit is 10 bytes\n", w.Body.String())
}

func TestRedirectPlain(t *testing.T) {
	route := func(port int) *gin.Engine {
		e := testkit.Engine(t)
		e.Use(RedirectPlain(port, func(r *http.Request) bool { return r.URL.Path == "/mail/config-v1.1.xml" }))
		e.Any("/*path", func(c *gin.Context) { c.String(http.StatusOK, "served") })
		return e
	}
	plain := func(method, target, host string) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		r.Host = host
		return r.WithContext(MarkPlain(context.Background()))
	}
	for _, tc := range []struct {
		name, method, target, host string
		port                       int
		status                     int
		location                   string
	}{
		{"thunderbird path served", "GET", "/mail/config-v1.1.xml?emailaddress=a@example.com", "autoconfig.example.com", 443, 200, ""},
		{"autodiscover GET redirected", "GET", "/Autodiscover/Autodiscover.xml", "autodiscover.example.com", 443, 301, "https://autodiscover.example.com/Autodiscover/Autodiscover.xml"},
		{"POST keeps its method", "POST", "/autodiscover/autodiscover.xml", "autodiscover.example.com:80", 443, 308, "https://autodiscover.example.com/autodiscover/autodiscover.xml"},
		{"query kept, port added", "HEAD", "/x?a=b", "example.com:8080", 8443, 301, "https://example.com:8443/x?a=b"},
		{"IPv6 host", "GET", "/", "[2001:db8::1]:80", 443, 301, "https://[2001:db8::1]/"},
		{"quote in host", "GET", "/", `evil".example.com`, 443, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(route(tc.port), plain(tc.method, tc.target, tc.host))
			assert.Equal(t, tc.status, w.Code)
			assert.Equal(t, tc.location, w.Header().Get("Location"))
		})
	}
	// The TLS listener's requests are never redirected.
	w := serve(route(443), httptest.NewRequest(http.MethodGet, "/autodiscover/autodiscover.xml", nil))
	assert.Equal(t, http.StatusOK, w.Code)
}

func TestWellFormedQuery(t *testing.T) {
	e := testkit.Engine(t)
	e.Use(WellFormedQuery())
	e.GET("/", func(c *gin.Context) { c.String(http.StatusOK, c.Query("emailaddress")) })
	for query, want := range map[string]int{
		"emailaddress=a%40example.com": 200,
		"":                             200,
		"emailaddress=%zz":             400,
		"emailaddress=a%":              400,
		"a=1;emailaddress=x":           400,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.RawQuery = query
		assert.Equal(t, want, serve(e, r).Code, query)
	}
}

// FuzzWellFormedQuery checks the allocation-free scan against the parser it
// stands for.
func FuzzWellFormedQuery(f *testing.F) {
	for _, seed := range []string{"", "a=b", "a=%41", "a=%4", "a=%zz", "a;b", "%", "a=b&c=%2F%2f", "%%41", "a=%E2%82%AC"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := url.ParseQuery(raw)
		if got := wellFormedQuery(raw); got != (err == nil) {
			t.Fatalf("wellFormedQuery(%q) = %v, url.ParseQuery error: %v", raw, got, err)
		}
	})
}
