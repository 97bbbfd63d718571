package autoconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// FuzzASCIIFastPathAgreesWithIDNA checks that the ASCII fast path of domain
// normalization gives exactly what the UTS #46 lookup profile gives.
func FuzzASCIIFastPathAgreesWithIDNA(f *testing.F) {
	for _, seed := range []string{"example.ch", "Example.CH", "a-b.example", "-a.example", "a-.example", "a..b", "xn--bcher-kva.example", "ab--cd.example", "1.2.3.4", "EXAMPLE", "a.b-"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, domain string) {
		fast, ok := asciiLDH(domain)
		if !ok {
			return
		}
		slow, err := lookupProfile.ToASCII(domain)
		if assert.NoError(t, err, "fast path accepted %q, idna rejects it", domain) {
			assert.Equal(t, slow, fast, domain)
		}
	})
}
