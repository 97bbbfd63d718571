package templates

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

// languages are the catalogs' languages, the fallback first. The reference
// provider is Swiss: French, German and Italian, and English for everyone else.
var languages = []language.Tag{language.English, language.French, language.German, language.Italian}

var languageMatcher = language.NewMatcher(languages)

// LangCodes are the catalogs' language codes, the fallback first.
var LangCodes = func() []string {
	codes := make([]string, len(languages))
	for i, tag := range languages {
		base, _ := tag.Base()
		codes[i] = base.String()
	}
	return codes
}()

// FallbackLang is the language of a message that a catalog lacks.
const FallbackLang = "en"

// Catalog is one language's messages: key → text with {0}, {1}… arguments.
type Catalog map[string]string

// Catalogs holds every language's messages.
type Catalogs map[string]Catalog

// LoadCatalogs reads i18n/<lang>.json for every language.
func LoadCatalogs() (Catalogs, error) {
	cats := Catalogs{}
	for _, code := range LangCodes {
		name := "i18n/" + code + ".json"
		data, err := FS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		var c Catalog
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
		cats[code] = c
	}
	return cats, nil
}

// MissingMarker shows a message key that no catalog has; tests look for it.
const MissingMarker = "⟦missing:"

// Translate returns the message key in lang (or English) with its {N}
// arguments filled in. Arguments are plain text: html/template escapes the
// result like any other value.
func (cats Catalogs) Translate(lang, key string, args ...any) string {
	msg, ok := cats[lang][key]
	if !ok {
		msg, ok = cats[FallbackLang][key]
	}
	if !ok {
		return MissingMarker + key + "⟧"
	}
	if len(args) == 0 {
		return msg
	}
	pairs := make([]string, 0, 2*len(args))
	for i, a := range args {
		pairs = append(pairs, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// IsLangCode reports whether code is one of LangCodes.
func IsLangCode(code string) bool {
	for _, c := range LangCodes {
		if c == code {
			return true
		}
	}
	return false
}

// MatchAcceptLanguage picks the catalog language that best fits an
// Accept-Language header, or FallbackLang.
func MatchAcceptLanguage(header string) string {
	prefs, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(prefs) == 0 {
		return FallbackLang
	}
	_, index, confidence := languageMatcher.Match(prefs...)
	if confidence == language.No {
		return FallbackLang
	}
	return LangCodes[index]
}
