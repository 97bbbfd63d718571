package wizard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/mailautoconf/mailautoconf/templates"
)

// languages are the wizard's languages, the fallback first. The reference
// provider is Swiss: French, German and Italian, and English for everyone else.
var languages = []language.Tag{language.English, language.French, language.German, language.Italian}

var languageMatcher = language.NewMatcher(languages)

// langCodes are the values ?lang= accepts, in the order of languages.
var langCodes = func() []string {
	codes := make([]string, len(languages))
	for i, tag := range languages {
		base, _ := tag.Base()
		codes[i] = base.String()
	}
	return codes
}()

const fallbackLang = "en"

// catalog is one language's messages: key → text with {0}, {1}… arguments.
type catalog map[string]string

// catalogs holds every language's messages.
type catalogs map[string]catalog

// loadCatalogs reads templates/i18n/<lang>.json for every language.
func loadCatalogs() (catalogs, error) {
	cats := catalogs{}
	for _, code := range langCodes {
		name := "i18n/" + code + ".json"
		data, err := templates.FS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		var c catalog
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
		cats[code] = c
	}
	return cats, nil
}

// missingMarker shows a message key that no catalog has; tests look for it.
const missingMarker = "⟦missing:"

// translate returns the message key in lang (or English) with its {N}
// arguments filled in. Arguments are plain text: html/template escapes the
// result like any other value.
func (cats catalogs) translate(lang, key string, args ...any) string {
	msg, ok := cats[lang][key]
	if !ok {
		msg, ok = cats[fallbackLang][key]
	}
	if !ok {
		return missingMarker + key + "⟧"
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

// negotiateLang picks the page language: a supported ?lang= first (links and
// the language switcher carry it), or the lang field of a parsed form, then
// the browser's Accept-Language.
func negotiateLang(r *http.Request) string {
	if code := r.URL.Query().Get("lang"); isLangCode(code) {
		return code
	}
	// A form's own field, once the handler has parsed the (bounded) body;
	// never parsed here, so that no unauthenticated body is ever read.
	if code := r.PostForm.Get("lang"); isLangCode(code) {
		return code
	}
	prefs, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(prefs) == 0 {
		return fallbackLang
	}
	_, index, confidence := languageMatcher.Match(prefs...)
	if confidence == language.No {
		return fallbackLang
	}
	return langCodes[index]
}

func isLangCode(code string) bool {
	for _, c := range langCodes {
		if c == code {
			return true
		}
	}
	return false
}
