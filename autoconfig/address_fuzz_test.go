package autoconfig_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailautoconf/mailautoconf/autoconfig"

	"github.com/stretchr/testify/assert"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// FuzzParseAddress checks that any input is either rejected with a message
// that does not repeat it, or accepted as an address whose ASCII form
// parses back to the same address.
func FuzzParseAddress(f *testing.F) {
	for _, seed := range testkit.FuzzSeeds(f, "FuzzParseAddress") {
		f.Add(seed[0])
	}
	f.Fuzz(func(t *testing.T, in string) {
		addr, err := autoconfig.ParseAddress(in)
		if err != nil {
			if !autoconfig.IsAddressError(err) {
				t.Fatalf("error of another type: %T", err)
			}
			// Messages have "@" only between spaces, so an input with "@"
			// and no space found in a message was copied into it.
			if len(in) > 1 && strings.ContainsRune(in, '@') && !strings.Contains(in, " ") && strings.Contains(err.Error(), in) {
				t.Fatalf("the message repeats the input: %q", err.Error())
			}
			return
		}
		if addr.Local == "" || len(addr.Domain) > autoconfig.MaxDomain || len(addr.ASCII()) > autoconfig.MaxAddress {
			t.Fatalf("accepted out of limits: %+v", addr)
		}
		for i := 0; i < len(addr.Domain); i++ {
			if c := addr.Domain[i]; c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
				t.Fatalf("domain not lower-case ASCII: %q", addr.Domain)
			}
		}
		again, err := autoconfig.ParseAddress(addr.ASCII())
		if err != nil || again != addr {
			t.Fatalf("ASCII form %q does not parse back: %+v, %v", addr.ASCII(), again, err)
		}
	})
}

// FuzzASCIIFastPathAgreesWithIDNA checks that the ASCII fast path of domain
// normalization gives exactly what the UTS #46 lookup profile gives.
func FuzzASCIIFastPathAgreesWithIDNA(f *testing.F) {
	for _, seed := range []string{"example.ch", "Example.CH", "a-b.example", "-a.example", "a-.example", "a..b", "xn--bcher-kva.example", "ab--cd.example", "1.2.3.4", "EXAMPLE", "a.b-"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, domain string) {
		fast, ok := autoconfig.ASCIILDH(domain)
		if !ok {
			return
		}
		slow, err := autoconfig.LookupProfile.ToASCII(domain)
		if assert.NoError(t, err, "fast path accepted %q, idna rejects it", domain) {
			assert.Equal(t, slow, fast, domain)
		}
	})
}
