package autoconfig

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailautoconf/mailautoconf/autoconfig/golden"
)

// FuzzParseAddress checks that any input is either rejected with a message
// that does not repeat it, or accepted as an address whose ASCII form
// parses back to the same address.
func FuzzParseAddress(f *testing.F) {
	for _, seed := range golden.FuzzSeeds(f, "FuzzParseAddress") {
		f.Add(seed[0])
	}
	f.Fuzz(func(t *testing.T, in string) {
		addr, err := ParseAddress(in)
		if err != nil {
			if !IsAddressError(err) {
				t.Fatalf("error of another type: %T", err)
			}
			// Messages have "@" only between spaces, so an input with "@"
			// and no space found in a message was copied into it.
			if len(in) > 1 && strings.ContainsRune(in, '@') && !strings.Contains(in, " ") && strings.Contains(err.Error(), in) {
				t.Fatalf("the message repeats the input: %q", err.Error())
			}
			return
		}
		if addr.Local == "" || len(addr.Domain) > maxDomain || len(addr.ASCII()) > maxAddress {
			t.Fatalf("accepted out of limits: %+v", addr)
		}
		for i := 0; i < len(addr.Domain); i++ {
			if c := addr.Domain[i]; c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
				t.Fatalf("domain not lower-case ASCII: %q", addr.Domain)
			}
		}
		again, err := ParseAddress(addr.ASCII())
		if err != nil || again != addr {
			t.Fatalf("ASCII form %q does not parse back: %+v, %v", addr.ASCII(), again, err)
		}
	})
}
