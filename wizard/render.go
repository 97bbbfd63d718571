package wizard

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/templates"
)

// pageNames are the page templates; each is parsed with layout.html and
// partials.html, and defines "content".
var pageNames = []string{"start", "choose", "client", "sheet", "message", "helpdesk", "dnscheck", "devicepass"}

// renderer holds every page for every language, so that templates call
// {{t "key"}} with the language already bound. Each page is parsed once and
// cloned per language: the clones share the parse trees, a quarter of the
// memory of parsing it four times.
type renderer struct {
	cats   catalogs
	pages  map[string]map[string]*template.Template // lang → page → template
	logger *slog.Logger                             // a failed page is a logged 500
	// busy answers a page refused by the render budget (the wizard's
	// refusal page).
	busy func(c *gin.Context, lang string)
}

func newRenderer(cats catalogs, logger *slog.Logger) (*renderer, error) {
	r := &renderer{cats: cats, pages: map[string]map[string]*template.Template{}, logger: logger}
	for _, lang := range langCodes {
		r.pages[lang] = map[string]*template.Template{}
	}
	for _, name := range pageNames {
		// "t" is declared for parsing; each clone binds its language.
		parsed, err := template.New("layout").Funcs(template.FuncMap{"t": func(string, ...any) string { return "" }}).
			ParseFS(templates.FS, "layout.html", "partials.html", name+".html")
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		for _, lang := range langCodes {
			t, err := parsed.Clone()
			if err != nil {
				return nil, fmt.Errorf("cloning template %s: %w", name, err)
			}
			r.pages[lang][name] = t.Funcs(template.FuncMap{
				"t": func(key string, args ...any) string { return cats.translate(lang, key, args...) },
			})
		}
	}
	return r, nil
}

// cacheControl says how long a page may be kept.
type cacheControl string

const (
	// noStore is for every page that shows an address: the URL and the
	// page name a person, and shared computers keep browser caches.
	noStore cacheControl = "no-store"
	// revalidate is for pages without personal data.
	revalidate cacheControl = "no-cache"
)

// render executes a page into a buffer first, so that a template error never
// sends half a page, then writes it with the wizard's headers. The render
// spends the render budget (httpkit.LimitCPU), as QR codes and profiles
// do: past it, the page is refused with 503 and Retry-After (busy). Only
// the CPU work is inside: the answer is written to the network after.
func (r *renderer) render(c *gin.Context, status int, page string, data *pageData, cache cacheControl) {
	body, err := httpkit.LimitCPU(func() ([]byte, error) { return r.execute(page, data) })
	switch {
	case errors.Is(err, httpkit.ErrBusy) && r.busy != nil:
		r.busy(c, data.Lang)
		return
	case err != nil:
		httpkit.WriteError(c, r.logger, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", string(cache))
	h.Set("Vary", "Accept-Language")
	h.Set("Content-Language", data.Lang)
	c.Data(status, "text/html; charset=utf-8", body)
}

// execute renders page with data, whole or not at all.
func (r *renderer) execute(page string, data *pageData) ([]byte, error) {
	var buf bytes.Buffer
	if err := r.pages[data.Lang][page].ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", page, err)
	}
	return buf.Bytes(), nil
}
