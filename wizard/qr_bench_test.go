package wizard

import "testing"

func BenchmarkQRPNG(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := qrPNG("https://autoconfig.example.com/apple/mail.mobileconfig?email=jane.doe%40example.ch", 256); err != nil {
			b.Fatal(err)
		}
	}
}
