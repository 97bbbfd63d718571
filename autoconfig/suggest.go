package autoconfig

import "github.com/hbollon/go-edlib"

// maxSuggestDistance is the largest edit distance at which a domain is
// offered as the one meant: one or two typos ("exmaple.ch", "gmial.com").
const maxSuggestDistance = 2

// NearDomain is the domain a mistyped ASCII domain most likely meant: a
// served domain, or one of the site's suggest_domains, one or two edits
// away (Damerau-Levenshtein, so a swap of two letters is one edit), in
// the form people read (UnicodeDomain). "" when none is that close. Ties
// go to the alphabetically first, so the answer is stable.
func (c *Config) NearDomain(ascii string) string {
	typed := []rune(UnicodeDomain(ascii))
	best, bestDist := "", maxSuggestDistance+1
	consider := func(d string) {
		shown := UnicodeDomain(d)
		// The lengths alone bound the distance: skip the computation.
		if diff := len([]rune(shown)) - len(typed); diff > maxSuggestDistance || -diff > maxSuggestDistance {
			return
		}
		dist := edlib.OSADamerauLevenshteinDistance(string(typed), shown)
		if dist > 0 && (dist < bestDist || dist == bestDist && shown < best) {
			best, bestDist = shown, dist
		}
	}
	// The served exact domains (a wildcard's suffix is not itself served)
	// and the site's own list.
	for d := range c.exact {
		consider(d)
	}
	for _, d := range c.Site.SuggestDomains {
		consider(d)
	}
	return best
}
