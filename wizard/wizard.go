// Package wizard serves the setup wizard: the start page, the device and
// client choice, numbered steps per client with the settings table, the
// printable sheet, QR codes and the helpdesk page. Every value shown comes
// from the Account that autoconfig.Resolver resolves; templates hold none.
package wizard

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass"
)

// Options configure the wizard.
type Options struct {
	// HelpdeskToken enables /helpdesk, protected by this token (HTTP Basic
	// password or Bearer token). Empty: the helpdesk page does not exist.
	HelpdeskToken string
	// DNSCheck, with the helpdesk enabled, offers the helpdesk a live
	// check of a user's domain (POST /helpdesk/dns). Nil: not offered.
	DNSCheck DNSCheckFunc
	// ProfilesSigned: Apple profiles are signed, so iOS shows them as
	// Verified and troubleshooting need not explain "Not Verified".
	ProfilesSigned bool
	// ConfigPath is the --config the service was started with ("": the
	// embedded example): the helpdesk's command lines carry it, so that
	// run as shown they answer with this configuration, not the example.
	ConfigPath string
	// Limit is the per-client rate of the pages (not the static files):
	// each page costs a template render. Nil: not limited.
	Limit LimitFunc
	// DevicePasswords enables the one-step setup (a device password made
	// at sign-in, for providers with passwords.mint); nil: not offered.
	DevicePasswords *devicepass.Options
}

// Wizard serves the wizard's pages.
type Wizard struct {
	deps   httpkit.Deps
	logger *slog.Logger
	cats   catalogs
	pages  *renderer
	assets map[string]asset
	// qrCodes holds drawn QR codes by URL and size: drawing one takes a
	// millisecond and a page shows the same one on every visit.
	qrCodes *httpkit.DocumentCache[string]
	// helpdeskTokenHash is the SHA-256 of the helpdesk token, nil when the
	// helpdesk is disabled. Comparing hashes keeps the comparison constant
	// time even when the lengths differ.
	helpdeskTokenHash []byte
	dnsCheck          DNSCheckFunc
	profilesSigned    bool
	configPath        string
	// dnsSlots holds one value per DNS check running (maxDNSChecks).
	dnsSlots chan struct{}
	limit    LimitFunc
	refusals refusalPages
	// devicePass is the one-step setup, nil when not offered.
	devicePass *devicepass.Service
}

// qrCacheSize bounds the QR code cache: two generations of this many PNGs
// of about 1 KB.
const qrCacheSize = 256

// New loads the embedded templates, catalogs and assets. The wizard resolves
// addresses with deps.Resolver and links to deps.PublicURL.
func New(deps httpkit.Deps, opts Options) (*Wizard, error) {
	cats, err := loadCatalogs()
	if err != nil {
		return nil, err
	}
	logger := httpkit.Logger(deps.Logger)
	pages, err := newRenderer(cats, logger)
	if err != nil {
		return nil, err
	}
	assets, err := loadAssets()
	if err != nil {
		return nil, err
	}
	w := &Wizard{deps: deps, logger: logger, cats: cats, pages: pages, assets: assets,
		qrCodes:  httpkit.NewDocumentCache[string](qrCacheSize),
		dnsCheck: opts.DNSCheck, dnsSlots: make(chan struct{}, maxDNSChecks), profilesSigned: opts.ProfilesSigned,
		configPath: opts.ConfigPath, limit: opts.Limit}
	pages.busy = w.busy
	if opts.DevicePasswords != nil {
		w.devicePass = devicepass.New(deps, passPages{w}, *opts.DevicePasswords)
	}
	if opts.HelpdeskToken != "" {
		sum := sha256.Sum256([]byte(opts.HelpdeskToken))
		w.helpdeskTokenHash = sum[:]
	}
	return w, nil
}

// MetricsFormat is the metrics' format label of the wizard's pages,
// images and static files.
const MetricsFormat = "wizard"

// Register adds the wizard's routes: the pages and static files to pages,
// the QR codes and the helpdesk, which cost CPU per request, to generating
// (the server rate-limits that group). The templates, catalogs and assets
// are embedded and parsed by the tests, so a failure here is a build
// defect, not a run-time condition.
func Register(pages, generating gin.IRouter, deps httpkit.Deps, opts Options) *Wizard {
	w, err := New(deps, opts)
	if err != nil {
		panic(fmt.Sprintf("wizard: embedded templates are broken: %v", err))
	}
	w.Register(pages, generating)
	return w
}

// Register adds the wizard's routes: see the package-level Register.
func (w *Wizard) Register(pages, generating gin.IRouter) {
	g := pages.Group("", securityHeaders)
	// Each page costs a render (about half a millisecond of CPU with an
	// address): limited per client, and rendered within the render budget
	// (renderer.render). The static files are cached and free. HEAD answers
	// as GET: net/http sends the headers, not the body.
	limited := g.Group("", w.limitPages(w.limit))
	for path, page := range map[string]gin.HandlerFunc{
		"/": w.start, "/setup": w.choose, "/setup/:client": w.client,
		shortPath + ":client/*address": w.short, "/sheet": w.sheet,
	} {
		limited.GET(path, page)
		limited.HEAD(path, page)
	}
	g.GET("/static/:file", w.static)
	g.HEAD("/static/:file", w.static)
	// An image needs none of the page headers (the server's nosniff is
	// enough), and every one costs on each response.
	generating.GET("/qr.png", w.qr)
	generating.GET(ThunderbirdQRPath, w.thunderbirdQR)
	w.deps.Declare(MetricsFormat, "/", "/setup", "/setup/:client", shortPath+":client/*address", "/sheet", "/static/:file", "/qr.png", ThunderbirdQRPath)
	gen := generating.Group("", securityHeaders)
	w.registerDevicePass(gen)
	if w.helpdeskTokenHash != nil {
		h := gen.Group(helpdeskPath, w.requireHelpdeskToken)
		h.GET("", w.helpdeskForm)
		h.POST("", w.helpdeskLinks)
		h.GET("/declarations.zip", w.helpdeskDeclarations)
		if w.dnsCheck != nil {
			h.POST("/dns", w.helpdeskDNS)
		}
		w.deps.Declare(MetricsFormat, helpdeskPath, helpdeskPath+"/dns", helpdeskDeclarationsPath)
	}
}

// contentSecurityPolicy allows the page's own stylesheet and images and
// nothing else: no script at all, no framing, forms only to this service.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func securityHeaders(c *gin.Context) {
	setSecurityHeaders(c.Writer.Header())
	c.Next()
}

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	// The URLs hold the user's address: never send them to another site.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// NotFoundPage answers a request for an unknown path from a browser (one
// that accepts text/html: a person typing or following a link) with a 404
// page in the site's look and a link to the start, and reports whether it
// did. Clients of the formats ask for documents, not pages: they keep
// their own plain 404.
func (w *Wizard) NotFoundPage(c *gin.Context) bool {
	r := c.Request
	if r.Method != http.MethodGet && r.Method != http.MethodHead || !strings.Contains(r.Header.Get("Accept"), "text/html") {
		return false
	}
	setSecurityHeaders(c.Writer.Header())
	lang := negotiateLang(r)
	w.message(c, lang, http.StatusNotFound, "notfound.page.title", "notfound.page.text", "", links{lang: lang}.Home())
	return true
}

// pageData is what every page template receives; each page uses a part.
type pageData struct {
	Lang    string
	Langs   []langLink
	Title   string
	HomeURL string
	Site    siteView
	// Support is the contact in the footer: the page's provider's, or the
	// site's (siteSupport) on pages without one.
	Support supportView

	Email      string // the address as typed, to fill the form again
	Name       string
	Reason     string // why the address was refused, translated
	NameReason bool   // the name was refused

	Account    *accountView
	Clients    []clientChoice
	Client     *App
	ChooseURL  string
	SheetURL   string
	ProfileURL string
	QRURL      string
	QRTitleKey string
	QRTextKey  string
	// QRLink is the short link the QR code encodes, shown beside it for
	// people who cannot scan; QRLinkParts are its text as typed
	// (linkParts), cut where the line may break.
	QRLink      string
	QRLinkParts []string
	// TBImport is the Thunderbird for Android import code and its steps,
	// nil where the page shows none.
	TBImport *tbImportView

	// Provider is the provider's policy and own words; Steps the client's
	// numbered steps after the password step (Provider.Device); Trouble
	// the troubleshooting section; Sheet marks the printable sheet.
	Provider *providerView
	Steps    []stepView
	Trouble  *troubleView
	Sheet    bool
	// DAV is the "Calendars and contacts" section, nil where there is none.
	DAV *davView
	// IPadURL, on the Mac page, is the iPad's page: iPadOS Safari calls
	// itself a Mac.
	IPadURL string
	// SignInURL starts the one-step setup (a device password made at
	// sign-in); DevicePass is that flow's page. Empty/nil elsewhere.
	SignInURL  string
	DevicePass *devicePassView

	Message string
	BackURL string
	// Suggest is the address the user may have meant, on the
	// unserved-domain page, and SuggestURL its client list; "" for none.
	Suggest    string
	SuggestURL string

	Helpdesk *helpdeskView
	// CustomerLang is the helpdesk form's choice of language for the
	// links: a language code, or deviceLang.
	CustomerLang string
	DNSCheck     *dnsCheckView
}

// langLink is one entry of the language switcher.
type langLink struct {
	Code, Name, URL string
	Current         bool
}

// clientChoice is one entry of the client list.
type clientChoice struct {
	NameKey   string
	URL       string
	Suggested bool
	// External entries (the webmail) leave the wizard; NoteKey says what
	// they are.
	External bool
	NoteKey  string
	// PrintURL is the short link printed on paper, "" where none is.
	PrintURL string
}

// baseURL is where the service is reached: the public URL, else the
// request's; "" for a page drawn ahead of any request (the refusal pages).
func (w *Wizard) baseURL(r *http.Request) string {
	if r == nil && w.deps.PublicURL == nil {
		return ""
	}
	return httpkit.BaseURL(w.deps.PublicURL, r)
}

// newPage fills what the layout needs: language, switcher and title.
// r may be nil for a page that is no answer to one request (no switcher).
func (w *Wizard) newPage(r *http.Request, lang, titleKey string, titleArgs ...any) *pageData {
	cfg := w.deps.Resolver.Config()
	page := &pageData{
		Lang:    lang,
		Title:   w.cats.translate(lang, titleKey, titleArgs...),
		HomeURL: "/?lang=" + lang,
		Site:    w.siteView(cfg.Site, lang, w.baseURL(r)),
		Support: siteSupport(cfg),
	}
	if r != nil {
		page.Langs = w.langLinks(r, lang)
	}
	return page
}

// siteSupport is the contact of pages without a provider's: the site's
// own, or else the catch-all provider's.
func siteSupport(cfg *autoconfig.Config) supportView {
	if cfg.Site.Support.Empty() && cfg.CatchAll != nil {
		return newSupportView(cfg.CatchAll.Support)
	}
	return newSupportView(cfg.Site.Support)
}

// langLinks point to the same page in each language. The answer to a form
// POST cannot be linked: the switcher goes to the empty form (the wizard's
// only POST forms are the helpdesk's).
func (w *Wizard) langLinks(r *http.Request, current string) []langLink {
	out := make([]langLink, len(langCodes))
	for i, code := range langCodes {
		path, q := helpdeskPath, url.Values{}
		if r.Method == http.MethodGet {
			path, q = r.URL.Path, r.URL.Query()
		}
		q.Set("lang", code)
		out[i] = langLink{
			Code:    code,
			Name:    w.cats.translate(code, "language.name"),
			URL:     path + "?" + q.Encode(),
			Current: code == current,
		}
	}
	return out
}
