package wizard

import (
	"crypto/sha256"
	"crypto/subtle"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// helpdeskPath is the helpdesk form; the DNS check is under it.
const helpdeskPath = "/helpdesk"

// maxHelpdeskForm bounds the helpdesk form body: an address and a name.
const maxHelpdeskForm = 4 << 10

// helpdeskView is what the helpdesk page shows for one user: absolute
// links to send, and the command lines that write the same documents.
type helpdeskView struct {
	Address    string
	ChooseURL  string
	SheetURL   string
	ProfileURL string
	// DeclarationsURL is the download of the Apple declarations, for an
	// MDM administrator: relative, as it is for the helpdesk itself.
	DeclarationsURL string
	// ThunderbirdQRURL is the Thunderbird for Android import code, ""
	// when the app cannot import the account (tbimport refuses it); the
	// image is shown from the relative URL (the page's own origin).
	ThunderbirdQRURL, ThunderbirdQRImage string
	Clients                              []helpdeskClient
	// MailtoURL sends the user the links and settings (no password).
	MailtoURL template.URL
	Commands  []string
	// DNSDomain is the domain the live DNS check is offered for; empty
	// when the server has no checker.
	DNSDomain string
}

type helpdeskClient struct {
	NameKey string
	PageURL string
	// ShortURL is /s/CLIENT/ADDRESS, short enough to read out on the phone.
	ShortURL string
	QRURL    string
}

// customerLang is the language of the links the helpdesk sends: the one
// chosen on the form, none for "the customer's device" (each page then
// speaks the device's), or the helpdesk page's own.
func customerLang(choice, pageLang string) string {
	switch {
	case choice == deviceLang:
		return ""
	case isLangCode(choice):
		return choice
	}
	return pageLang
}

// deviceLang is the form's choice of no language in the links.
const deviceLang = "device"

// crossOrigin rejects form posts from other sites: a browser re-sends HTTP
// Basic credentials cross-site, so the token alone does not stop CSRF. It
// checks Sec-Fetch-Site, then Origin against Host.
var crossOrigin = http.NewCrossOriginProtection()

// requireHelpdeskToken accepts the token as a Bearer token or as the
// password of HTTP Basic (any username, so a browser's login prompt works).
func (w *Wizard) requireHelpdeskToken(c *gin.Context) {
	if token, ok := helpdeskToken(c.Request); ok {
		sum := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(sum[:], w.helpdeskTokenHash) == 1 {
			c.Next()
			return
		}
	}
	c.Header("WWW-Authenticate", `Basic realm="mailautoconf helpdesk", charset="UTF-8"`)
	c.Writer.Header().Add("WWW-Authenticate", `Bearer realm="mailautoconf helpdesk"`)
	lang := negotiateLang(c.Request)
	w.message(c, lang, http.StatusUnauthorized, "helpdesk.unauthorized.title", "helpdesk.unauthorized.text", "", links{lang: lang}.Home())
	c.Abort()
}

func helpdeskToken(r *http.Request) (string, bool) {
	if _, password, ok := r.BasicAuth(); ok {
		return password, true
	}
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(token), true
	}
	return "", false
}

// helpdeskForm is the empty form.
func (w *Wizard) helpdeskForm(c *gin.Context) {
	lang := negotiateLang(c.Request)
	page := w.newPage(c.Request, lang, "helpdesk.title")
	page.HomeURL = links{lang: lang}.Home()
	page.CustomerLang = lang
	w.pages.render(c, http.StatusOK, "helpdesk", page, noStore)
}

// helpdeskLinks answers the form: every link for the address and name.
func (w *Wizard) helpdeskLinks(c *gin.Context) {
	lang, ok := w.readHelpdeskForm(c)
	if !ok {
		return
	}
	email, name := strings.TrimSpace(c.PostForm("email")), c.PostForm("name")
	page := w.newPage(c.Request, lang, "helpdesk.title")
	page.HomeURL = links{lang: lang}.Home()
	page.Email, page.Name = email, name
	custLang := customerLang(c.PostForm("customer_lang"), lang)
	page.CustomerLang = custLang
	if custLang == "" {
		page.CustomerLang = deviceLang
	}
	if !validName(name) {
		page.NameReason = true
		w.pages.render(c, http.StatusBadRequest, "helpdesk", page, noStore)
		return
	}
	addr, err := autoconfig.ParseAddress(email)
	if err != nil {
		page.Reason = w.addressReason(lang, err)
		w.pages.render(c, httpkit.Status(err), "helpdesk", page, noStore)
		return
	}
	httpkit.TellAddress(c, addr)
	acct, err := w.deps.Resolver.Account(c.Request.Context(), addr, name)
	if err != nil {
		page.Reason = w.cats.translate(lang, "reason.unserved", addr.UnicodeDomain)
		w.pages.render(c, httpkit.Status(err), "helpdesk", page, noStore)
		return
	}
	l := links{base: httpkit.BaseURL(w.deps.PublicURL, c.Request), lang: custLang, email: addr.String(), name: name}
	view := &helpdeskView{
		Address:   addr.String(),
		ChooseURL: l.Choose(),
		SheetURL:  l.Sheet(),
		// In the customer's language, or without one: the device's.
		ProfileURL:      l.Profile(),
		DeclarationsURL: declarationsLink(addr.String(), name),
		Commands:        generateCommands(addr.String(), name, w.configFlags(addr.Domain, acct.Provider)),
	}
	for _, cl := range clients {
		view.Clients = append(view.Clients, helpdeskClient{NameKey: cl.NameKey(), PageURL: l.Client(cl.ID), ShortURL: l.ShortIn(cl.ID), QRURL: l.QR(cl.ID)})
	}
	mailLang := custLang
	if mailLang == "" {
		mailLang = lang
	}
	view.MailtoURL = w.instructionsMailto(newAccountView(acct, false), view, mailLang)
	// The import code, absolute to be sent; for an account the app cannot
	// import, the page says so instead of offering a link that answers 422.
	if tb := w.newTBImportView(acct, l, acct.Provider.Passwords.Device()); tb != nil {
		view.ThunderbirdQRURL, view.ThunderbirdQRImage = l.ThunderbirdQR(), tb.ImageURL
	}
	if w.dnsCheck != nil {
		view.DNSDomain = addr.Domain
	}
	page.Helpdesk = view
	w.pages.render(c, http.StatusOK, "helpdesk", page, noStore)
}

// readHelpdeskForm refuses cross-origin posts, then parses the bounded
// form body of a helpdesk POST and picks the language. On failure it has
// written the answer.
func (w *Wizard) readHelpdeskForm(c *gin.Context) (lang string, ok bool) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxHelpdeskForm)
	if err := crossOrigin.Check(c.Request); err != nil {
		lang := negotiateLang(c.Request)
		w.message(c, lang, http.StatusForbidden, "helpdesk.forbidden.title", "helpdesk.forbidden.text", "", "/helpdesk?lang="+lang)
		return "", false
	}
	if err := c.Request.ParseForm(); err != nil {
		lang := negotiateLang(c.Request)
		w.message(c, lang, http.StatusBadRequest, "helpdesk.title", "helpdesk.form.invalid", "", "/helpdesk?lang="+lang)
		return "", false
	}
	return negotiateLang(c.Request), true
}

// configFlags are the command-line flags that make `mailautoconf generate`
// answer domain as this service does: its configuration file, and the
// provider of a domain it serves through accept.mx only (offline, the CLI
// cannot know it without an MX lookup).
func (w *Wizard) configFlags(domain string, p *autoconfig.Provider) string {
	var flags string
	if w.configPath != "" {
		flags += " --config " + shellQuote(w.configPath)
	}
	if _, err := w.deps.Resolver.Config().Lookup(domain); err != nil {
		flags += " --provider " + shellQuote(p.ID)
	}
	return flags
}

// generateCommands are the `mailautoconf generate` lines that write, offline,
// what the service serves for this user; configFlags choose the
// configuration in force.
func generateCommands(email, name, configFlags string) []string {
	flags := " --email " + shellQuote(email)
	mobileconfigFlags := flags
	if name != "" {
		mobileconfigFlags += " --name " + shellQuote(name)
	}
	flags += configFlags
	mobileconfigFlags += configFlags
	return []string{
		"mailautoconf generate thunderbird" + flags,
		"mailautoconf generate autodiscover" + flags,
		"mailautoconf generate mobileconfig" + mobileconfigFlags,
		"mailautoconf generate declarations" + mobileconfigFlags + " -o declarations.zip",
	}
}

// shellQuote makes s one word for a POSIX shell: bare when it holds only
// characters no shell interprets, else in single quotes, where only the
// single quote itself needs care. Each one becomes (close the quotes, an
// escaped quote, reopen):
//
//	'\''
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
