package autoconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Lookalike domains are shown as browsers show them (Chromium's IDN display
// rules): a spoof in punycode, a genuine IDN in Unicode.
func TestUnicodeDomain_Lookalikes(t *testing.T) {
	tests := []struct {
		// shown is "" where the whole domain is shown in ASCII.
		name, unicode, shown string
	}{
		{"Latin IDN", "bücher.example", "bücher.example"},
		{"Cyrillic а in a Latin label", "аpple.com", ""},
		{"Greek ο in a Latin label", "gοogle.com", ""},
		{"Cyrillic-only label that reads as Latin", "соре.com", ""},
		{"the same under a Cyrillic TLD", "соре.рф", "соре.рф"},
		{"Cyrillic label with letters unlike Latin", "пример.com", "пример.com"},
		{"Cyrillic domain", "пример.рф", "пример.рф"},
		{"Japanese: Latin, Han, Hiragana and Katakana mix", "東京カタログtokyo.jp", "東京カタログtokyo.jp"},
		{"Korean with Latin and Han", "한국abc漢.kr", "한국abc漢.kr"},
		{"Hangul with Katakana", "한국カタ.kr", ""},
		{"only the spoofed label falls back", "аpple.bücher.example", "xn--pple-43d.bücher.example"},
		{"digits and hyphens go with any script", "пример-24.com", "пример-24.com"},
		{"Arabic", "مثال.example", "مثال.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, err := ParseAddress("jane@" + tt.unicode)
			require.NoError(t, err)
			want := tt.shown
			if want == "" {
				want = addr.Domain
			}
			assert.Equal(t, want, UnicodeDomain(addr.Domain))
			assert.Equal(t, want, addr.UnicodeDomain)
		})
	}
}

func TestParseAddress_LookalikeKeepsASCIIDomain(t *testing.T) {
	addr, err := ParseAddress("jane@xn--pple-43d.com")
	require.NoError(t, err)
	assert.Equal(t, "xn--pple-43d.com", addr.Domain)
	assert.Equal(t, "jane@xn--pple-43d.com", addr.String())
}
