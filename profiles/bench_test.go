package profiles

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

func BenchmarkRender(b *testing.B) {
	acct := account(b, autoconfig.Default(), "jane@example.ch")
	opts := Options{Name: "Jane Doe", Include: IncludeMail}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(acct, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHandlerUnsigned(b *testing.B) {
	e := newTestEngine(b, autoconfig.Default(), nil)
	req := httptest.NewRequest(http.MethodGet, DownloadPath+"?email=jane@example.ch&name=Jane+Doe", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// Signing one rendered profile, including the per-call check of the
// certificate files.
func BenchmarkSign(b *testing.B) {
	for _, kind := range []keyKind{keyECDSA, keyRSA} {
		b.Run(string(kind), func(b *testing.B) {
			pki := newTestPKI(b, kind)
			s, err := NewSigner(pki.writeFiles(b, b.TempDir()))
			if err != nil {
				b.Fatal(err)
			}
			content := testProfile(b)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Sign(content); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The whole signed request, in parallel as a server runs it.
func BenchmarkHandlerSignedParallel(b *testing.B) {
	for _, kind := range []keyKind{keyECDSA, keyRSA} {
		b.Run(string(kind), func(b *testing.B) {
			pki := newTestPKI(b, kind)
			s, err := NewSigner(pki.writeFiles(b, b.TempDir()))
			if err != nil {
				b.Fatal(err)
			}
			e := newTestEngine(b, autoconfig.Default(), s)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest(http.MethodGet, DownloadPath+"?email=jane@example.ch&name=Jane+Doe", nil)
				for pb.Next() {
					w := httptest.NewRecorder()
					e.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Error(w.Code)
						return
					}
				}
			})
		})
	}
}
