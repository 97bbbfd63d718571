package dav_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mailautoconf/mailautoconf/autoconfig/dav"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// A client that tries the well-known path on the service's names for a
// domain (RFC 6764 §5) is sent to the provider's DAV URL; a domain whose
// provider has no such server, or no provider, gets 404.
func TestWellKnown_Redirects(t *testing.T) {
	e := testkit.Engine(t, dav.New(testkit.Deps(testkit.Config(t, "apple-dav.yaml"))))
	tests := []struct {
		name, method, path, host string
		status                   int
		location                 string
	}{
		{"CalDAV on autoconfig.", http.MethodGet, dav.CalDAVPath, "autoconfig.example.net", http.StatusMovedPermanently, "https://dav.example.net/caldav/"},
		{"CardDAV with its port", http.MethodGet, dav.CardDAVPath, "autoconfig.example.net", http.StatusMovedPermanently, "https://dav.example.net:8443/carddav/"},
		{"PROPFIND keeps working", "PROPFIND", dav.CalDAVPath, "autodiscover.example.net", http.StatusMovedPermanently, "https://dav.example.net/caldav/"},
		{"HEAD", http.MethodHead, dav.CardDAVPath, "example.net", http.StatusMovedPermanently, "https://dav.example.net:8443/carddav/"},
		{"wildcard domain", http.MethodGet, dav.CalDAVPath, "autoconfig.shop.example.org:8443", http.StatusMovedPermanently, "https://dav.example.net/caldav/"},
		{"address in the query", http.MethodGet, dav.CalDAVPath + "?emailaddress=jane%40example.net", "service.example", http.StatusMovedPermanently, "https://dav.example.net/caldav/"},
		{"provider without DAV", http.MethodGet, dav.CalDAVPath, "autoconfig.legacy.example.com", http.StatusNotFound, ""},
		{"unknown domain", http.MethodGet, dav.CardDAVPath, "autoconfig.unknown.example", http.StatusNotFound, ""},
		{"IP address host", http.MethodGet, dav.CalDAVPath, "192.0.2.1", http.StatusBadRequest, ""},
		{"other method", http.MethodPost, dav.CalDAVPath, "autoconfig.example.net", http.StatusMethodNotAllowed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := testkit.Do(e, tc.method, tc.path, tc.host, nil)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			assert.Equal(t, tc.location, w.Header().Get("Location"))
			if tc.status == http.StatusMovedPermanently {
				assert.Equal(t, "public, max-age=3600", w.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestWellKnown_NotFoundSaysWhy(t *testing.T) {
	cfg := testkit.ParseConfig(t, `
providers:
  - id: h.example
    display_name: H
    domains: [h.example]
    incoming: [{protocol: imap, host: mail.h.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: mail.h.example, port: 465, security: tls}]
    caldav_url: https://dav.h.example/cal/
`)
	e := testkit.Engine(t, dav.New(testkit.Deps(cfg)))
	w := testkit.Do(e, http.MethodGet, dav.CardDAVPath, "autoconfig.h.example", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, w.Body.String(), "no contacts (CardDAV) server")
	w = testkit.Do(e, http.MethodGet, dav.CalDAVPath, "autoconfig.h.example", nil)
	assert.Equal(t, http.StatusMovedPermanently, w.Code)
	assert.Equal(t, "https://dav.h.example/cal/", w.Header().Get("Location"))

	w = testkit.Do(e, http.MethodGet, dav.CalDAVPath, "autoconfig.other.example", nil)
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, w.Body.String(), "no mail settings for other.example")
}
