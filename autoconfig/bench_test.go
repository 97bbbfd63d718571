package autoconfig

import "testing"

func BenchmarkParseAddress(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAddress("Jane.Doe@Example.CH"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewAccount(b *testing.B) {
	p := Default().CatchAll
	addr, err := ParseAddress("Jane.Doe@Example.CH")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		NewAccount(p, addr, "")
	}
}
