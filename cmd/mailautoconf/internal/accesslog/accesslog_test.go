package accesslog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/golden"
)

var _ = golden.Updating

// logged serves one request and returns the JSON line logged for it.
func logged(t *testing.T, opts Options, r *http.Request) (map[string]any, string) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	var buf bytes.Buffer
	e := gin.New()
	e.Use(Middleware(slog.New(slog.NewJSONHandler(&buf, nil)), opts))
	e.Any("/mail/config-v1.1.xml", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
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
		{"Outlook's Email parameter", "/mail/config-v1.1.xml?Email=a@example.org", "x", "example.org"},
		{"email parameter", "/mail/config-v1.1.xml?email=a@example.net", "x", "example.net"},
		{"Host header without address", "/mail/config-v1.1.xml", "autoconfig.example.com", "example.com"},
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
