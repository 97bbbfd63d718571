package wizard

import (
	"html/template"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// providerView is the provider's policy and own words in the page's
// language: the templates hold no provider's wording.
type providerView struct {
	Name       string
	Device     bool   // a password per device (autoconfig.PasswordsDevice)
	CreateURL  string // where a device password is created, or ""
	WebmailURL string
	HelpURL    string
	Support    supportView
	// The provider's own texts in the page's language (English fallback),
	// "" when the configuration has none.
	PasswordsText string
	POP3Text      string
	Apps          []autoconfig.App
}

// supportView is the provider's support contact; Empty when there is none.
type supportView struct {
	URL, Email, Phone string
	// TelURL is a tel: link, which html/template would refuse as an unsafe
	// scheme: it is built from the phone's digits and + only.
	TelURL template.URL
	Empty  bool
}

func newSupportView(s autoconfig.Support) supportView {
	v := supportView{URL: s.URL, Email: s.Email, Phone: s.Phone, Empty: s.Empty()}
	if s.Phone != "" {
		v.TelURL = template.URL(s.TelURL()) // #nosec G203 -- digits and + only
	}
	return v
}

func newProviderView(p *autoconfig.Provider, lang string) *providerView {
	return &providerView{
		Name:          p.DisplayName,
		Device:        p.Passwords.Device(),
		CreateURL:     p.Passwords.CreateURL,
		WebmailURL:    p.WebmailURL,
		HelpURL:       p.HelpURL,
		Support:       newSupportView(p.Support),
		PasswordsText: p.Texts.Passwords.In(lang),
		POP3Text:      p.Texts.POP3.In(lang),
		Apps:          p.Apps,
	}
}

// passwordPhrase is how the steps name the password to type, following
// the provider's policy; steps take it as their argument {1}.
func (w *Wizard) passwordPhrase(lang string, device bool) string {
	if device {
		return w.cats.translate(lang, "password.phrase.device")
	}
	return w.cats.translate(lang, "password.phrase.account")
}

// siteView is the operator's name, logo and colour, or the defaults.
type siteView struct {
	Name    string
	LogoURL string
	// ThemeURL is the stylesheet of the accent colour, "" for the default.
	ThemeURL string
	// Address is the service's address as people type it, printed on paper.
	Address string
}

// Paths of the configured logo and theme: not files of templates/static,
// so they cannot be shadowed by one (static names have no "site-" prefix).
const (
	logoPath  = "/static/site-logo"
	themePath = "/static/site-theme.css"
)

func (w *Wizard) siteView(site autoconfig.Site, lang, base string) siteView {
	v := siteView{Name: site.Name, LogoURL: "/static/icon.svg"}
	if base != "" {
		v.Address = displayLink(base + "/")
	}
	if v.Name == "" {
		v.Name = w.cats.translate(lang, "site.name")
	}
	if site.Logo != nil {
		// The ETag in the URL lets browsers keep the logo until it changes.
		v.LogoURL = logoPath + site.Logo.Ext + "?v=" + site.Logo.Sum
	}
	if site.AccentColor != "" {
		v.ThemeURL = themePath + "?v=" + site.AccentColor[1:]
	}
	return v
}

// siteFile serves the configured logo and the accent colour's stylesheet,
// or reports that name is neither.
func (w *Wizard) siteFile(c *gin.Context, name string) bool {
	site := w.deps.Resolver.Config().Site
	switch {
	case site.Logo != nil && "/static/"+name == logoPath+site.Logo.Ext:
		h := c.Writer.Header()
		// An SVG opened on its own must not run script: the sandbox
		// treats it as a page of an opaque origin with scripts off.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		serveVersioned(c, site.Logo.Data, site.Logo.ContentType)
		return true
	case site.AccentColor != "" && "/static/"+name == themePath:
		css := []byte(":root { --accent: " + site.AccentColor + "; --accent-dark: " + autoconfig.DarkerColor(site.AccentColor) + "; }\n")
		serveVersioned(c, css, "text/css; charset=utf-8")
		return true
	}
	return false
}

// serveVersioned sends a file whose URL changes with its content; a
// reload can still change it under an old URL, so caches revalidate.
func serveVersioned(c *gin.Context, body []byte, ctype string) {
	c.Header("Cache-Control", "public, no-cache")
	httpkit.NewDocument(body).Serve(c.Writer, c.Request, []string{ctype})
}
