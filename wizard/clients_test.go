package wizard

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGuessClient(t *testing.T) {
	tests := []struct{ name, userAgent, want string }{
		{"iPhone Safari", userAgentIPhone, "apple-ios"},
		{"iPad Safari (mobile site)", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", "apple-ios"},
		{"Android Chrome", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36", "android"},
		{"Mac Safari", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15", "apple-mac"},
		{"Windows Edge", userAgentWindows + " Edg/126.0", "outlook-windows"},
		{"Linux Firefox", "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "thunderbird"},
		{"unknown", "curl/8.8.0", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, guessClient(tt.userAgent))
		})
	}
}

func TestIsPhone(t *testing.T) {
	assert.True(t, isPhone(userAgentIPhone))
	assert.True(t, isPhone("Mozilla/5.0 (Linux; Android 14) Mobile Safari"))
	assert.False(t, isPhone(userAgentWindows))
	assert.False(t, isPhone(""))
}

func TestOrderedClients_GuessFirstOthersInSeedOrder(t *testing.T) {
	ids := func(cs []App) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.ID
		}
		return out
	}
	assert.Equal(t, []string{"outlook-windows", "outlook-classic", "outlook-mac", "apple-mac", "apple-ios", "android", "outlook-mobile", "gmail", "thunderbird", "emclient", "other"}, ids(orderedClients("")))
	assert.Equal(t, []string{"gmail", "outlook-windows", "outlook-classic", "outlook-mac", "apple-mac", "apple-ios", "android", "outlook-mobile", "thunderbird", "emclient", "other"}, ids(orderedClients("gmail")))
	assert.Equal(t, []string{"apple-mac", "apple-ios", "outlook-windows", "outlook-classic", "outlook-mac", "android", "outlook-mobile", "gmail", "thunderbird", "emclient", "other"}, ids(orderedClients("apple-mac", "apple-ios")))
}

// TestAlsoSuggested_IPadPresentsItselfAsAMac: iPadOS Safari sends a Mac
// User-Agent by default, so a Mac is also offered Apple Mail for iPadOS.
func TestAlsoSuggested_IPadPresentsItselfAsAMac(t *testing.T) {
	assert.Equal(t, "apple-ios", alsoSuggested("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"))
	assert.Empty(t, alsoSuggested(userAgentWindows))
	assert.Empty(t, alsoSuggested(userAgentIPhone), "an iPhone is already offered its own entry")
}
