package dnscheck

import (
	"strings"
	"sync"

	"github.com/mailautoconf/mailautoconf/templates"
)

// The checker's texts (findings, notes, verdicts, what to say, groups,
// clients, outcomes) live in the catalogs, templates/i18n/<lang>.json,
// under "check.<key>": the CLI and the JSON say en.json's, the helpdesk
// page its language's.

// CatalogKey is the catalog key of a checker text key such as
// "finding.record-missing".
func CatalogKey(key string) string { return "check." + key }

// Translate is a checker text in lang from cats, with its arguments
// (technical values, shown as found).
func Translate(cats templates.Catalogs, lang, key string, args ...string) string {
	a := make([]any, len(args))
	for i, s := range args {
		a[i] = s
	}
	// A fully qualified name ends the sentence: one period is enough.
	return strings.Replace(cats.Translate(lang, CatalogKey(key), a...), "..", ".", 1)
}

// Text is a checker text in English.
func Text(key string, args ...string) string {
	return Translate(catalogs(), templates.FallbackLang, key, args...)
}

// catalogs are the embedded catalogs, read once: they are part of the
// binary, so failing to read them is a broken build.
var catalogs = sync.OnceValue(func() templates.Catalogs {
	cats, err := templates.LoadCatalogs()
	if err != nil {
		panic("dnscheck: " + err.Error())
	}
	return cats
})
