package autoconfig

import "testing"

// The renderers alone, without HTTP: what a cache miss costs.

func BenchmarkThunderbirdConfig(b *testing.B) {
	p := Default().CatchAll
	b.ReportAllocs()
	for b.Loop() {
		ThunderbirdConfig(p, "example.ch")
	}
}

func BenchmarkPACCDocument(b *testing.B) {
	p := Default().CatchAll
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PACCDocument(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAddress(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAddress("Jane.Doe@Example.CH"); err != nil {
			b.Fatal(err)
		}
	}
}
