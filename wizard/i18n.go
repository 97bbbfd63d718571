package wizard

import (
	"net/http"

	"github.com/mailautoconf/mailautoconf/templates"
)

// langCodes are the values ?lang= accepts, the fallback first.
var langCodes = templates.LangCodes

const fallbackLang = templates.FallbackLang

// catalogs holds every language's messages (templates/i18n/<lang>.json).
type catalogs templates.Catalogs

// catalog is one language's messages.
type catalog = templates.Catalog

func loadCatalogs() (catalogs, error) {
	cats, err := templates.LoadCatalogs()
	return catalogs(cats), err
}

// missingMarker shows a message key that no catalog has; tests look for it.
const missingMarker = templates.MissingMarker

// translate returns the message key in lang (or English) with its {N}
// arguments filled in.
func (cats catalogs) translate(lang, key string, args ...any) string {
	return templates.Catalogs(cats).Translate(lang, key, args...)
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
	return templates.MatchAcceptLanguage(r.Header.Get("Accept-Language"))
}

func isLangCode(code string) bool { return templates.IsLangCode(code) }
