package wizard

import (
	"io/fs"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/templates"
)

func TestCatalogs_EveryKeyInEveryLanguage(t *testing.T) {
	cats := testCatalogs(t)
	require.Len(t, cats, len(langCodes))
	for _, lang := range langCodes {
		for key := range cats[fallbackLang] {
			assert.Contains(t, cats[lang], key, "%s.json lacks %q", lang, key)
		}
		for key, msg := range cats[lang] {
			assert.Contains(t, cats[fallbackLang], key, "%s.json has %q, which en.json lacks", lang, key)
			assert.NotEmpty(t, strings.TrimSpace(msg), "%s.json: %q is empty", lang, key)
			// Arguments must match: a translation that drops {0} hides the address.
			assert.Equal(t, placeholders(cats[fallbackLang][key]), placeholders(msg), "%s.json: %q has other {N} arguments than en.json", lang, key)
		}
	}
}

var placeholderRE = regexp.MustCompile(`\{\d\}`)

func placeholders(s string) []string {
	p := placeholderRE.FindAllString(s, -1)
	sort.Strings(p)
	return p
}

func TestCatalogs_TranslationsAreNotEnglish(t *testing.T) {
	cats := testCatalogs(t)
	// Words that read the same in every language.
	same := map[string]bool{"security.tls": true, "security.starttls": true, "settings.port": true, "settings.server": true,
		"helpdesk.client": true, "settings.password": true, "helpdesk.page": true,
		"helpdesk.name":         true, // German "Name (optional)"
		"helpdesk.dns.document": true, // French "Document"
		// Product names.
		"check.client.thunderbird": true, "check.client.deltachat": true, "check.client.apple": true,
		// The apps' own words and store names, the same in every language.
		"labels.default.security.starttls": true, "labels.outlook-mobile.security.starttls": true,
		"labels.emclient.incoming.server": true, "labels.emclient.outgoing.server": true,
		"apps.app_store": true, "apps.google_play": true,
		"profile.contacts.name": true, // French "Contacts"
		// Device names that are app names.
		"devicepass.device.outlook-windows": true, "devicepass.device.outlook-classic": true,
		"devicepass.device.outlook-mac": true, "devicepass.device.emclient": true, "devicepass.device.thunderbird": true}
	for _, lang := range langCodes[1:] {
		for key, msg := range cats[lang] {
			if same[key] || len(msg) < 8 {
				continue
			}
			assert.NotEqual(t, cats[fallbackLang][key], msg, "%s.json: %q is not translated", lang, key)
		}
	}
}

// templateKeyRE finds {{t "key" …}} calls with a literal key; keys built
// at run time (client names, steps) are covered by the page tests, which
// fail on the missing-key marker.
var templateKeyRE = regexp.MustCompile(`\{\{-?\s*t\s+"([^"]+)"`)

func TestCatalogs_EveryTemplateKeyExists(t *testing.T) {
	cats := testCatalogs(t)
	files, err := fs.Glob(templates.FS, "*.html")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	found := 0
	for _, name := range files {
		data, err := templates.FS.ReadFile(name)
		require.NoError(t, err)
		for _, m := range templateKeyRE.FindAllStringSubmatch(string(data), -1) {
			found++
			assert.Contains(t, cats[fallbackLang], m[1], "%s uses %q, which en.json lacks", name, m[1])
		}
	}
	assert.Greater(t, found, 50, "the key pattern no longer matches the templates")
}

func TestCatalogs_EveryClientKeyExists(t *testing.T) {
	cats := testCatalogs(t)
	for _, c := range clients {
		assert.Contains(t, cats[fallbackLang], c.NameKey())
		for _, k := range c.StepKeys() {
			assert.Contains(t, cats[fallbackLang], k)
		}
		// No step beyond the declared count is left unused in the catalog.
		assert.NotContains(t, cats[fallbackLang], "steps."+c.ID+"."+string(rune('1'+len(c.StepKeys()))))
	}
	for _, sec := range []autoconfig.Security{autoconfig.SecurityTLS, autoconfig.SecuritySTARTTLS, autoconfig.SecurityNone} {
		assert.Contains(t, cats[fallbackLang], "security."+string(sec))
	}
}

// Every reason ParseAddress gives must be translated: the catalog key is
// the English reason.
func TestCatalogs_EveryAddressReasonTranslated(t *testing.T) {
	cats := testCatalogs(t)
	inputs := []string{
		"", strings.Repeat("a", 1100), "a\xffb@example.com", "a b@example.com", "a\u200b@example.com",
		"jane.example.com", "a@b@example.com", "@example.com", strings.Repeat("a", 65) + "@example.com",
		".jane@example.com", "ja..ne@example.com", "ja(ne@example.com", `"ab\"@example.com`, `"a"b"@example.com`,
		"jane@", "jane@[192.0.2.1]", "jane@" + strings.Repeat("a.", 130) + "com", "jane@exa_mple.com",
		"jane@localhost", "jane@x..com", "jane@" + strings.Repeat("a", 64) + ".com", "jane@-example.com", "jane@192.0.2.1",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com",
	}
	seen := map[string]bool{}
	for _, in := range inputs {
		_, err := autoconfig.ParseAddress(in)
		var ae *autoconfig.AddressError
		require.ErrorAs(t, err, &ae, "input %q", in)
		seen[ae.Reason] = true
		for _, lang := range langCodes {
			assert.Contains(t, cats[lang], "reason."+ae.Reason, "%s.json lacks the reason %q", lang, ae.Reason)
		}
	}
	assert.GreaterOrEqual(t, len(seen), 19, "the inputs no longer cover the reasons")
}

func TestNegotiateLang(t *testing.T) {
	tests := []struct {
		name, query, acceptLanguage, want string
	}{
		{"default", "", "", "en"},
		{"query wins over header", "lang=it", "de-CH", "it"},
		{"unsupported query falls back to header", "lang=es", "fr-CH,fr;q=0.9", "fr"},
		{"swiss german", "", "de-CH", "de"},
		{"swiss italian with q", "", "en;q=0.5, it-CH;q=0.9", "it"},
		{"unsupported header", "", "ja-JP", "en"},
		{"malformed header", "", ";;;=,", "en"},
		{"wildcard", "", "*", "en"},
		{"hostile query", "lang=%3Cscript%3E", "", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/?"+tt.query, nil)
			if tt.acceptLanguage != "" {
				r.Header.Set("Accept-Language", tt.acceptLanguage)
			}
			assert.Equal(t, tt.want, negotiateLang(r))
		})
	}
}

func TestTranslate_FillsArgumentsAndFallsBack(t *testing.T) {
	cats := catalogs{"en": {"a": "x {0} y {1}", "only.en": "english"}, "fr": {"a": "{1} puis {0}"}}
	assert.Equal(t, "b puis a", cats.translate("fr", "a", "a", "b"))
	assert.Equal(t, "english", cats.translate("fr", "only.en"))
	assert.Equal(t, missingMarker+"nope⟧", cats.translate("fr", "nope"))
	// An argument that looks like a placeholder is not expanded again.
	assert.Equal(t, "x {1} y z", cats.translate("en", "a", "{1}", "z"))
}
