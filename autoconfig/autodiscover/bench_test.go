package autodiscover_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// Run with: go test ./autoconfig/ -run '^$' -bench Autodiscover -benchmem

func BenchmarkAutodiscoverResponse(b *testing.B) {
	acct, err := autoconfig.NewAccount(autoconfig.Default().CatchAll, mustAddress(b, "jane.doe@example.ch"), ""), error(nil)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = autodiscover.AppendResponse(buf[:0], acct)
	}
}

func BenchmarkParseAutodiscoverRequest(b *testing.B) {
	body := []byte(requestBody(b, "outlook.xml"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := autodiscover.ParseRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAutodiscoverHandler is one POX request through gin and the
// case-insensitive path rewrite, recorder included.
func BenchmarkAutodiscoverHandler(b *testing.B) {
	h := newAutodiscoverHandler(b, autoconfig.Default(), "")
	body := requestBody(b, "outlook.xml")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/Autodiscover/Autodiscover.xml", strings.NewReader(body))
		req.Header.Set("Content-Type", "text/xml")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkAutodiscoverJSONHandler(b *testing.B) {
	h := newAutodiscoverHandler(b, autoconfig.Default(), "https://autoconfig.example.net")
	b.ReportAllocs()
	for b.Loop() {
		rec := testkit.Get(h, "/autodiscover/autodiscover.json?Email=jane@example.ch&Protocol=Autodiscoverv1")
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
