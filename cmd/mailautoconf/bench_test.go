package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// discardWriter is a ResponseWriter that keeps nothing, so that the
// benchmarks measure the engine, not httptest's recorder.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// BenchmarkEngine sends one request of each endpoint through the whole
// handler as serve builds it (path rewrite, every middleware, access log
// formatting included), repeatedly: the cached path of each endpoint.
func BenchmarkEngine(b *testing.B) {
	s := siteFor(autoconfig.Default())
	s.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	h := newHandler(s)
	const pox = `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>jane.doe@example.ch</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`
	endpoints := []struct {
		name, method, target, body string
		gzip                       bool // the client sends Accept-Encoding: gzip, as Thunderbird and browsers do
	}{
		{"thunderbird", "GET", "/mail/config-v1.1.xml?emailaddress=jane.doe@example.ch", "", false},
		{"thunderbird-gzip", "GET", "/mail/config-v1.1.xml?emailaddress=jane.doe@example.ch", "", true},
		{"autodiscover-pox", "POST", "/Autodiscover/Autodiscover.xml", pox, false},
		{"autodiscover-json", "GET", "/autodiscover/autodiscover.json?Email=jane.doe@example.ch&Protocol=AutodiscoverV1", "", false},
		{"pacc", "GET", "/.well-known/user-agent-configuration.json?emailaddress=jane.doe@example.ch", "", false},
		{"mobileconfig", "GET", "/apple/mail.mobileconfig?email=jane.doe@example.ch&name=Jane", "", false},
		{"qr", "GET", "/qr.png?email=jane.doe@example.ch&client=apple-ios", "", false},
		{"wizard-page", "GET", "/setup/thunderbird?email=jane.doe@example.ch&lang=en", "", false},
		{"wizard-page-gzip", "GET", "/setup/thunderbird?email=jane.doe@example.ch&lang=en", "", true},
	}
	for _, ep := range endpoints {
		b.Run(ep.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(ep.method, ep.target, strings.NewReader(ep.body))
				if ep.body != "" {
					req.Header.Set("Content-Type", "text/xml; charset=utf-8")
				}
				if ep.gzip {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				w := &discardWriter{header: http.Header{}}
				h.ServeHTTP(w, req)
				if w.status != 0 && w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}
