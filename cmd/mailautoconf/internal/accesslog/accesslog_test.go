package accesslog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logged serves one request and returns the JSON line logged for it.
func logged(t *testing.T, opts Options, r *http.Request) (map[string]any, string) {
	t.Helper()
	var buf bytes.Buffer
	e := testkit.Engine(t)
	e.Use(New(&buf, JSON, opts).Middleware(nil))
	// A handler tells what the request was about, as the format packages'
	// handlers do.
	e.Any("/mail/config-v1.1.xml", func(c *gin.Context) {
		_, _ = httpkit.RequestedDomain(c, "emailaddress")
		c.String(http.StatusOK, "ok")
	})
	e.Any("/silent", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	e.ServeHTTP(httptest.NewRecorder(), r)
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
	return line, buf.String()
}

func TestAccessLog_NoPasswordCookieOrLocalPart(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/mail/config-v1.1.xml?emailaddress=Jane.Doe%40Example.CH&password=hunter2", nil)
	r.SetBasicAuth("jane.doe@example.ch", "S3cret-Device-Pw")
	r.Header.Set("Cookie", "session=cookie-value-xyz")
	r.RemoteAddr = "192.0.2.44:5555"

	line, raw := logged(t, Options{}, r)
	assert.Equal(t, "/mail/config-v1.1.xml", line["route"])
	assert.Equal(t, float64(200), line["status"])
	assert.Equal(t, "192.0.2.44", line["client"])
	assert.Equal(t, "example.ch", line["domain"])
	assert.NotContains(t, line, "address")
	for _, secret := range []string{"S3cret-Device-Pw", "hunter2", "cookie-value-xyz", "Jane.Doe", "jane.doe", "Basic ", "password"} {
		assert.NotContains(t, raw, secret)
	}
}

func TestAccessLog_LogAddressesLogsTheAddressButNoSecret(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/mail/config-v1.1.xml?emailaddress=Jane.Doe%40B%C3%BCcher.example", nil)
	r.SetBasicAuth("jane", "S3cret-Device-Pw")
	line, raw := logged(t, Options{LogAddresses: true}, r)
	assert.Equal(t, "Jane.Doe@xn--bcher-kva.example", line["address"])
	assert.Equal(t, "xn--bcher-kva.example", line["domain"])
	assert.NotContains(t, raw, "S3cret-Device-Pw")
}

func TestAccessLog_DomainSources(t *testing.T) {
	for _, tc := range []struct{ name, target, host, want string }{
		{"address told by the handler", "/mail/config-v1.1.xml?emailaddress=a@example.org", "x", "example.org"},
		{"Host header without address", "/mail/config-v1.1.xml", "autoconfig.example.com", "example.com"},
		{"a handler that tells nothing", "/silent?emailaddress=a@example.org", "autoconfig.example.com", ""},
		{"invalid address is not logged", "/mail/config-v1.1.xml?emailaddress=%22%0d%0aevil", "autoconfig.example.com", ""},
		{"IP host has no domain", "/mail/config-v1.1.xml", "192.0.2.1:8080", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			r.Host = tc.host
			line, raw := logged(t, Options{LogAddresses: true}, r)
			if tc.want == "" {
				assert.NotContains(t, line, "domain")
				assert.NotContains(t, raw, "evil")
			} else {
				assert.Equal(t, tc.want, line["domain"])
			}
		})
	}
}

func TestAccessLog_UnmatchedRouteIsNotTheRawPath(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/secret/jane@example.com", nil)
	line, raw := logged(t, Options{}, r)
	assert.Equal(t, NoRoute, line["route"])
	assert.Equal(t, float64(404), line["status"])
	assert.NotContains(t, raw, "jane")
}

// slogLine is the line slog's own handler writes for e: the format the fast
// encoder must reproduce byte for byte.
func slogLine(t testing.TB, e entry, format Format) string {
	t.Helper()
	var buf bytes.Buffer
	var h slog.Handler = slog.NewTextHandler(&buf, nil)
	if format == JSON {
		h = slog.NewJSONHandler(&buf, nil)
	}
	r := slog.NewRecord(e.time, slog.LevelInfo, "request", 0)
	r.AddAttrs(e.attrs()...)
	require.NoError(t, h.Handle(context.Background(), r))
	return buf.String()
}

func TestEncode_SameBytesAsSlog(t *testing.T) {
	at := time.Date(2026, 11, 25, 2, 43, 18, 120_000_000, time.FixedZone("CET", 3600))
	base := entry{time: at, method: "GET", route: "/mail/config-v1.1.xml", status: 200,
		duration: 52100 * time.Nanosecond, clientIP: netip.MustParseAddr("192.0.2.44"), domain: "example.ch"}
	for _, tc := range []struct {
		name string
		edit func(*entry)
	}{
		{"common line", func(*entry) {}},
		{"no domain", func(e *entry) { e.domain = "" }},
		{"whole second and zero duration", func(e *entry) { e.time = at.Truncate(time.Second); e.duration = 0 }},
		{"sub-millisecond time", func(e *entry) { e.time = at.Add(999_999) }},
		{"UTC", func(e *entry) { e.time = at.UTC() }},
		{"long duration", func(e *entry) { e.duration = 3*time.Second + 7*time.Microsecond }},
		{"IPv6 client", func(e *entry) { e.clientIP = netip.MustParseAddr("2001:db8::1") }},
		{"forwarded client", func(e *entry) { e.clientIP = netip.Addr{}; e.client = "198.51.100.7" }},
		{"unknown client", func(e *entry) { e.clientIP = netip.Addr{}; e.client = "" }},
		{"no route", func(e *entry) { e.route = NoRoute; e.status = 404 }},
		{"route with parameter", func(e *entry) { e.route = "/.well-known/acme-challenge/:token" }},
		{"plain address", func(e *entry) { e.address = "jane.doe@example.ch" }},
		{"quoted local part", func(e *entry) { e.address = `"john\"q=1 doe"@example.ch` }},
		{"backslash", func(e *entry) { e.address = `a\b@example.ch` }},
		{"non-ASCII falls back", func(e *entry) { e.address = "jürgen@example.ch" }},
		{"control character falls back", func(e *entry) { e.address = "a\x7f\x01@example.ch" }},
	} {
		for _, format := range []Format{Text, JSON} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, format), func(t *testing.T) {
				e := base
				tc.edit(&e)
				want := slogLine(t, e, format)
				var buf bytes.Buffer
				l := New(&buf, format, Options{})
				l.write(context.Background(), e)
				assert.Equal(t, want, buf.String())
			})
		}
	}
}

// Times are formatted from caches of the last millisecond and second: lines
// in the same millisecond, the next one, the next second and another zone
// must all still match slog.
func TestEncode_TimesAsSlogAcrossCachedStamps(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 23, 59, 59, 998_000_000, time.UTC)
	zones := []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("NPT", 5*3600+45*60)}
	for i := 0; i < 60; i++ {
		at := t0.Add(time.Duration(i) * 137 * time.Microsecond).In(zones[i/20])
		if i%7 == 0 {
			at = at.Truncate(time.Millisecond)
		}
		e := entry{time: at, method: "GET", route: "/", status: 200, client: "192.0.2.1"}
		for _, format := range []Format{Text, JSON} {
			var buf bytes.Buffer
			New(&buf, format, Options{}).write(context.Background(), e)
			require.Equal(t, slogLine(t, e, format), buf.String(), "%s", at)
		}
	}
}

// The fast encoder is what runs for ordinary lines: no allocation.
func TestEncode_CommonLineAllocatesNothing(t *testing.T) {
	e := entry{time: time.Now(), method: "GET", route: "/mail/config-v1.1.xml", status: 200,
		duration: time.Millisecond, clientIP: netip.MustParseAddr("192.0.2.44"), domain: "example.ch"}
	l := New(io.Discard, Text, Options{})
	assert.Zero(t, testing.AllocsPerRun(100, func() { l.write(context.Background(), e) }))
}

func FuzzEncodeAgreesWithSlog(f *testing.F) {
	f.Add("GET", "/mail/config-v1.1.xml", "example.ch", "jane@example.ch", int64(52100))
	f.Add("POST", NoRoute, "", `"a b"@x.ch`, int64(0))
	f.Fuzz(func(t *testing.T, method, route, domain, address string, nanos int64) {
		e := entry{time: time.Unix(0, nanos).UTC(), method: method, route: route, status: 200,
			duration: time.Duration(nanos), client: "198.51.100.7", domain: domain, address: address}
		for _, format := range []Format{Text, JSON} {
			var buf bytes.Buffer
			New(&buf, format, Options{}).write(context.Background(), e)
			assert.Equal(t, slogLine(t, e, format), buf.String())
		}
	})
}
