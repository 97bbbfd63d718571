package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// BenchmarkEngine_Thunderbird measures one autoconfig request through the
// whole engine, middleware included.
func BenchmarkEngine_Thunderbird(b *testing.B) {
	e := newEngine(siteFor(autoconfig.Default()))
	req := httptest.NewRequest(http.MethodGet, "/mail/config-v1.1.xml?emailaddress=jane.doe@example.ch", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
