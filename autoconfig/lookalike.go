package autoconfig

import (
	"slices"
	"strings"
	"unicode"
)

// The browsers' IDN display rules, as Chromium applies them
// (https://chromium.googlesource.com/chromium/src/+/main/docs/idn.md), so
// that a domain shows the same here as in the address bar: a label that
// could pass for another one is shown in punycode. Two rules cover the
// spoofs seen in practice: mixed scripts ("аpple", Cyrillic а + Latin), and
// whole-script confusables (a Cyrillic-only "соре" reads as Latin "cope").

// scriptSets are the mixes of scripts a label may have beyond a single
// script: UTS #39's "highly restrictive" level, which Chromium enforces.
// Common and Inherited characters (digits, hyphens, combining marks) belong
// to every script.
var scriptSets = [][]*unicode.RangeTable{
	{unicode.Latin, unicode.Han, unicode.Hiragana, unicode.Katakana},
	{unicode.Latin, unicode.Han, unicode.Bopomofo},
	{unicode.Latin, unicode.Han, unicode.Hangul},
}

// latinLookalikes are, per script, the letters that look like Latin ones: a
// label made only of them is a whole-script confusable of a Latin label,
// shown in ASCII unless the top-level domain is in that script (.рф).
// Cyrillic is Chromium's set (idn_spoof_checker.cc); Greek the letters of
// its confusables list that read as Latin in lower case.
var latinLookalikes = map[*unicode.RangeTable]string{
	unicode.Cyrillic: "асԁеһіјӏорԛѕԝхуъЬҽпгѵѡ",
	unicode.Greek:    "αικνορτυχ",
}

// displayable reports whether a Unicode label may be shown as is, in a
// domain whose top-level label is tld.
func displayable(label, tld string) bool {
	scripts := labelScripts(label)
	if len(scripts) == 0 {
		return true
	}
	if len(scripts) > 1 && !allowedMix(scripts) {
		return false
	}
	if len(scripts) == 1 {
		if set, ok := latinLookalikes[scripts[0]]; ok && onlyFrom(label, set) && !inScript(tld, scripts[0]) {
			return false
		}
	}
	return true
}

// labelScripts lists the scripts of the letters of label, each once,
// leaving out Common and Inherited. A label names at most a few.
func labelScripts(label string) []*unicode.RangeTable {
	var scripts []*unicode.RangeTable
	for _, r := range label {
		s := scriptOf(r)
		if s == nil {
			continue
		}
		if !slices.Contains(scripts, s) {
			scripts = append(scripts, s)
		}
	}
	return scripts
}

// commonScripts are tried first: most labels are in one of them.
var commonScripts = []*unicode.RangeTable{
	unicode.Latin, unicode.Cyrillic, unicode.Greek, unicode.Han, unicode.Hiragana,
	unicode.Katakana, unicode.Hangul, unicode.Arabic, unicode.Hebrew, unicode.Bopomofo,
}

// scriptOf is the script of r, or nil for Common and Inherited characters.
func scriptOf(r rune) *unicode.RangeTable {
	if r < 0x80 {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return unicode.Latin
		}
		return nil
	}
	if unicode.In(r, unicode.Common, unicode.Inherited) {
		return nil
	}
	for _, s := range commonScripts {
		if unicode.Is(s, r) {
			return s
		}
	}
	for _, s := range unicode.Scripts {
		if unicode.Is(s, r) {
			return s
		}
	}
	// Unassigned code points fail IDNA before they come here; a rune of no
	// script is its own, so that it never passes as part of a mix.
	return unknownScript
}

// unknownScript stands for the script of a rune found in no script table.
var unknownScript = &unicode.RangeTable{}

func allowedMix(scripts []*unicode.RangeTable) bool {
	for _, set := range scriptSets {
		all := true
		for _, s := range scripts {
			if !slices.Contains(set, s) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// onlyFrom reports whether every letter of label is in set (other
// characters, digits and hyphens, are ignored).
func onlyFrom(label, set string) bool {
	for _, r := range label {
		if scriptOf(r) != nil && !strings.ContainsRune(set, r) {
			return false
		}
	}
	return true
}

func inScript(label string, script *unicode.RangeTable) bool {
	for _, r := range label {
		if unicode.Is(script, r) {
			return true
		}
	}
	return false
}
