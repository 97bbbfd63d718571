package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/ratelimit"
)

func fromClient(h http.Handler, remote, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// A flood of wizard pages for distinct addresses from many clients, with
// the render budget spent: each page is refused with the wizard's 503 page
// (never an error page), while ordinary autoconfig requests still answer.
func TestEngine_PageFloodRefusedWhileAutoconfigAnswers(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	h := newHandler(s)
	testkit.SaturateRenders(t)
	for i := range 500 {
		remote := fmt.Sprintf("10.1.%d.%d:1000", i/250, i%250)
		w := fromClient(h, remote, fmt.Sprintf("/sheet?email=u%d@example.com", i))
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		require.Equal(t, "1", w.Header().Get("Retry-After"))
		require.Contains(t, w.Header().Get("Content-Type"), "text/html")
		if i%50 == 0 {
			ok := fromClient(h, "192.0.2.1:1000", fmt.Sprintf("/mail/config-v1.1.xml?emailaddress=u%d@example.com", i))
			assert.Equal(t, http.StatusOK, ok.Code, "autoconfig is no render")
		}
	}
}

// One client flooding pages is limited per client, with the wizard's 429
// page, while another client still gets its page.
func TestEngine_PagesRateLimitedPerClient(t *testing.T) {
	s := testSite(&bytes.Buffer{})
	s.limiter = ratelimit.New(0.001, 5, 100)
	h := newHandler(s)
	for i := range 5 {
		assert.Equal(t, http.StatusOK, fromClient(h, "192.0.2.1:1000", fmt.Sprintf("/setup/thunderbird?email=u%d@example.com", i)).Code)
	}
	w := fromClient(h, "192.0.2.1:1000", "/sheet?email=jane@example.com")
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
	assert.Contains(t, w.Header().Get("Content-Type"), "text/html")
	assert.Equal(t, http.StatusOK, fromClient(h, "192.0.2.2:1000", "/sheet?email=jane@example.com").Code)
	metrics := fromClient(h, "127.0.0.1:1000", "/metrics").Body.String()
	assert.Contains(t, metrics, `mailautoconf_rate_limited_requests_total{route="/sheet"} 1`)
}
