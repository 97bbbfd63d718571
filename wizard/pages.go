package wizard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// request is what every wizard page reads from the query string.
type request struct {
	lang  string
	email string // as typed
	name  string
}

func readRequest(c *gin.Context) request {
	return request{
		lang: negotiateLang(c.Request),
		// Phone keyboards add a space after an address; copying adds more.
		email: strings.TrimSpace(c.Query("email")),
		name:  c.Query("name"),
	}
}

// start is step 1: what the service does, and the address field. The form
// is a GET so that the next page can be bookmarked and shared.
func (w *Wizard) start(c *gin.Context) {
	req := readRequest(c)
	page := w.newPage(c.Request, req.lang, "start.title")
	page.Email = req.email
	if validName(req.name) {
		page.Name = req.name
	}
	cache := revalidate
	if req.email != "" {
		cache = noStore
	}
	w.pages.render(c, http.StatusOK, "start", page, cache)
}

// choose is step 2: the device and client list, the guessed one first.
func (w *Wizard) choose(c *gin.Context) {
	req := readRequest(c)
	page, l, _, ok := w.accountPage(c, req, "choose.title", false)
	if !ok {
		return
	}
	ua := c.GetHeader("User-Agent")
	guess, also := guessClient(ua), alsoSuggested(ua)
	for _, cl := range orderedClients(guess, also) {
		page.Clients = append(page.Clients, clientChoice{
			NameKey:   cl.NameKey(),
			URL:       l.Client(cl.ID),
			Suggested: cl.ID == guess || cl.ID == also,
		})
	}
	if u := page.Provider.WebmailURL; u != "" {
		page.Clients = append(page.Clients, clientChoice{NameKey: "client.webmail.name", URL: u, External: true, NoteKey: "client.webmail.note"})
	}
	w.pages.render(c, http.StatusOK, "choose", page, noStore)
}

// client is step 3: the numbered steps of one client and the settings.
func (w *Wizard) client(c *gin.Context) {
	req := readRequest(c)
	cl, known := clientByID(c.Param("client"))
	if !known {
		w.message(c, req.lang, http.StatusNotFound, "notfound.client.title", "notfound.client.text", "", links{lang: req.lang, email: req.email}.Choose())
		return
	}
	page, l, acct, ok := w.accountPage(c, req, cl.NameKey(), cl.Profile())
	if !ok {
		return
	}
	page.Client = &cl
	base := httpkit.BaseURL(w.deps.PublicURL, c.Request)
	page.Steps = w.steps(cl, req.lang, acct.Address, hostOf(base), page.Provider.Device)
	page.Trouble = w.newTroubleView(acct, &cl, l, base)
	page.DAV = w.newDAVView(acct, &cl, l, page.Provider.Device)
	if cl.Profile() {
		page.ProfileURL = l.Profile()
	}
	page.SignInURL = w.signInURL(acct, cl, l)
	if cl.ID == "apple-mac" {
		page.IPadURL = l.Client("apple-ios")
	}
	if cl.Mobile && !isPhone(c.GetHeader("User-Agent")) {
		abs := links{base: httpkit.BaseURL(w.deps.PublicURL, c.Request), lang: l.lang, email: l.email, name: l.name}
		if cl.importCode {
			// The import code replaces the code that only opens this page
			// on the phone: one code to scan, and the one that does more.
			page.TBImport = w.newTBImportView(acct, abs, page.Provider.Device)
		}
		if page.TBImport == nil {
			page.QRURL = l.QR(cl.ID)
			page.QRLink = links{base: abs.base, email: l.email, name: l.name}.Short(cl.ID)
			page.QRLinkParts = linkParts(page.QRLink)
			page.QRTitleKey, page.QRTextKey = "qr.phone.title", "qr.phone.text"
			if cl.Profile() {
				page.QRTitleKey, page.QRTextKey = "qr.apple.title", "qr.apple.text"
			}
		}
	}
	w.pages.render(c, http.StatusOK, "client", page, noStore)
}

// sheet is the printable one-page settings sheet.
func (w *Wizard) sheet(c *gin.Context) {
	req := readRequest(c)
	page, l, acct, ok := w.accountPage(c, req, "sheet.title", false)
	if !ok {
		return
	}
	page.Sheet = true
	page.Trouble = w.newTroubleView(acct, nil, l, httpkit.BaseURL(w.deps.PublicURL, c.Request))
	page.DAV = w.newDAVView(acct, nil, l, page.Provider.Device)
	// Paper can be scanned: the sheet carries the import code whatever
	// the device that prints it.
	page.TBImport = w.newTBImportView(acct, links{base: httpkit.BaseURL(w.deps.PublicURL, c.Request), lang: l.lang, email: l.email, name: l.name}, page.Provider.Device)
	w.pages.render(c, http.StatusOK, "sheet", page, noStore)
}

// accountPage resolves the request's address and starts a page about that
// account, with its links. When it cannot, it has answered the request
// (the form with the reason, or the unserved-domain page) and ok is false.
//
// appleProfile says the page is about an Apple profile, whose one SMTP
// server the settings table then recommends.
func (w *Wizard) accountPage(c *gin.Context, req request, titleKey string, appleProfile bool) (page *pageData, l links, acct autoconfig.Account, ok bool) {
	acct, ok = w.resolve(c, req)
	if !ok {
		return nil, links{}, acct, false
	}
	l = links{lang: req.lang, email: acct.Address.String(), name: req.name}
	page = w.newPage(c.Request, req.lang, titleKey)
	w.fillAccount(page, acct, l, appleProfile)
	return page, l, acct, true
}

func (w *Wizard) fillAccount(page *pageData, acct autoconfig.Account, l links, appleProfile bool) {
	view := newAccountView(acct, appleProfile)
	page.Account = &view
	page.Name = l.name
	page.HomeURL = l.Home()
	page.ChooseURL = l.Choose()
	page.SheetURL = l.Sheet()
	page.Provider = newProviderView(acct.Provider, l.lang)
	if !page.Provider.Support.Empty {
		page.Support = page.Provider.Support
	}
}

// stepView is one numbered step of a client page.
type stepView struct {
	Text string
	// Download: the step downloads the Apple profile, and its button
	// (with the calendars and contacts choice) is here.
	Download bool
	// Note explains what the step's screen shows, "" when nothing needs it.
	Note string
}

// steps are the client's numbered steps in lang, after the password step
// that the template adds for device passwords; {0} is the address to
// type, {1} names the password. host is this service's, which an unsigned
// profile names as its origin.
func (w *Wizard) steps(cl App, lang string, addr autoconfig.Address, host string, device bool) []stepView {
	phrase := w.passwordPhrase(lang, device)
	address, asciiNote := addr.String(), ""
	if cl.asciiAddress && addr.ASCII() != addr.String() {
		address = addr.ASCII()
		asciiNote = w.cats.translate(lang, "steps.address.ascii", w.cats.translate(lang, cl.NameKey()), addr.String())
	}
	keys := cl.StepKeys()
	out := make([]stepView, len(keys))
	for i, k := range keys {
		out[i] = stepView{Text: w.cats.translate(lang, k, address, phrase), Download: i+1 == cl.downloadStep}
		if asciiNote != "" && strings.Contains(w.cats.translate(lang, k), "{0}") {
			out[i].Note = asciiNote
		}
		if i+1 == cl.installStep && !w.profilesSigned {
			out[i].Note = w.cats.translate(lang, "steps.apple.unverified", host)
		}
	}
	return out
}

// hostOf is the host of this service's base URL, for "downloaded from".
func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil {
		return u.Host
	}
	return base
}

// resolve validates the address and name and resolves the account. On
// failure it has written the answer: the form again with the reason (400),
// or the unserved-domain page (404).
func (w *Wizard) resolve(c *gin.Context, req request) (autoconfig.Account, bool) {
	if !validName(req.name) {
		w.message(c, req.lang, http.StatusBadRequest, "name.invalid.title", "helpdesk.name.invalid", "", links{lang: req.lang}.Home())
		return autoconfig.Account{}, false
	}
	addr, err := autoconfig.ParseAddress(req.email)
	if err != nil {
		w.invalidAddress(c, req, err)
		return autoconfig.Account{}, false
	}
	httpkit.TellAddress(c, addr)
	acct, err := w.deps.Resolver.Account(c.Request.Context(), addr, req.name)
	if err != nil {
		w.unserved(c, req, addr, err)
		return autoconfig.Account{}, false
	}
	return acct, true
}

// invalidAddress shows the start form again, filled in, with the reason.
func (w *Wizard) invalidAddress(c *gin.Context, req request, err error) {
	page := w.newPage(c.Request, req.lang, "start.invalid.title")
	page.Email = req.email
	page.Name = req.name
	page.Reason = w.addressReason(req.lang, err)
	w.pages.render(c, httpkit.Status(err), "start", page, noStore)
}

// unserved says the domain has no settings here, with the site's contact
// (the footer) and, for a near-miss of a domain it knows, the address the
// user may have meant.
func (w *Wizard) unserved(c *gin.Context, req request, addr autoconfig.Address, err error) {
	page := w.messagePage(c, req.lang, "notfound.domain.title", "notfound.domain.text", addr.UnicodeDomain, links{lang: req.lang, email: req.email, name: req.name}.Home())
	if near := w.deps.Resolver.Config().NearDomain(addr.Domain); near != "" {
		page.Suggest = addr.Local + "@" + near
		page.SuggestURL = links{lang: req.lang, email: page.Suggest, name: req.name}.Choose()
	}
	w.pages.render(c, httpkit.Status(err), "message", page, noStore)
}

// message renders a title and one sentence, with a link back.
func (w *Wizard) message(c *gin.Context, lang string, status int, titleKey, textKey, arg, back string) {
	w.pages.render(c, status, "message", w.messagePage(c, lang, titleKey, textKey, arg, back), noStore)
}

func (w *Wizard) messagePage(c *gin.Context, lang, titleKey, textKey, arg, back string) *pageData {
	page := w.newPage(c.Request, lang, titleKey)
	page.Message = w.cats.translate(lang, textKey, arg)
	page.BackURL = back
	return page
}

// addressReason translates an AddressError's reason; its English text is
// the catalog key. The reason never contains the input.
func (w *Wizard) addressReason(lang string, err error) string {
	var ae *autoconfig.AddressError
	if !errors.As(err, &ae) {
		return w.cats.translate(lang, "reason.it is empty")
	}
	key := "reason." + ae.Reason
	if _, ok := w.cats[fallbackLang][key]; !ok {
		return ae.Reason
	}
	return w.cats.translate(lang, key)
}

// validName accepts an optional display name by the profiles' rule: the
// name is passed on to the profile link.
func validName(name string) bool {
	_, err := profiles.ParseName(name)
	return err == nil
}
