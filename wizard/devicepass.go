package wizard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/wizard/devicepass"
)

// devicePassView is the one-step setup's page: the device form, or the
// password's delivery.
type devicePassView struct {
	// The form (Form true): its action, token, prefilled name and the
	// reason a name was refused (a catalog key).
	Form      bool
	Action    string
	FormToken string
	Device    string
	Reason    string
	// ChooseShown adds a second button: the password shown instead of
	// the code.
	ChooseShown bool

	// The result: one of ProfileURL (Apple), QRURL (Thunderbird for
	// Android) or Password (every other app; this page is its one display).
	ProfileURL string
	QRURL      string
	Password   string
	ID         string
	RevokeURL  string
}

// passImportSize is the drawn size of the import code with a password.
const passImportSize = 320

// passPages draws devicepass's pages in the wizard's look.
type passPages struct{ w *Wizard }

var _ devicepass.Pages = passPages{}

// signInURL is the client page's "Sign in to create a password for this
// device" link, or "" where the one-step setup is not offered.
func (w *Wizard) signInURL(acct autoconfig.Account, cl App, l links) string {
	if w.devicePass == nil || !devicepass.Enabled(acct) {
		return ""
	}
	q := l.query()
	q.Set("client", cl.ID)
	return l.url(devicepass.StartPath, q)
}

func (p passPages) App(id, lang, name string) (devicepass.App, bool) {
	cl, ok := clientByID(id)
	if !ok {
		return devicepass.App{}, false
	}
	out := devicepass.App{ID: id, Delivery: devicepass.Shown}
	switch {
	case cl.Profile():
		out.Delivery = devicepass.Profile
	case cl.importCode:
		out.Delivery = devicepass.ImportCode
	}
	device := p.w.cats.translate(lang, "devicepass.device."+id)
	if name != "" {
		device = p.w.cats.translate(lang, "devicepass.device.named", name, device)
	}
	out.DeviceName = device
	return out, true
}

// page starts a page of the flow about v's account. The language switcher
// is left out: following it would ask for a step again (and a password
// shown once is gone).
func (p passPages) page(c *gin.Context, v devicepass.View, titleKey string) *pageData {
	lang := v.Lang
	if !isLangCode(lang) {
		lang = negotiateLang(c.Request)
	}
	page := p.w.newPage(c.Request, lang, titleKey)
	page.Langs = nil
	if v.Address.Domain == "" {
		return page
	}
	acct, err := p.w.deps.Resolver.Account(c.Request.Context(), v.Address, v.Name)
	if err != nil {
		return page
	}
	cl, known := clientByID(v.Client)
	p.w.fillAccount(page, acct, links{lang: lang, email: acct.Address.String(), name: v.Name}, known && cl.Profile())
	if known {
		page.Client = &cl
	}
	return page
}

func (p passPages) Device(c *gin.Context, v devicepass.DeviceView) {
	page := p.page(c, v.View, "devicepass.device.title")
	page.DevicePass = &devicePassView{Form: true, Action: devicepass.DevicePath, FormToken: v.FormToken, Device: v.Device, Reason: v.Reason,
		ChooseShown: v.ChooseShown}
	status := http.StatusOK
	if v.Reason != "" {
		status = http.StatusBadRequest
	}
	p.w.pages.render(c, status, "devicepass", page, noStore)
}

// resultPolicy is the page policy with the one script of the service: the
// copy button beside a password shown once (static/copy.js).
const resultPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func (p passPages) Result(c *gin.Context, v devicepass.ResultView) {
	page := p.page(c, v.View, "devicepass.result.title")
	view := &devicePassView{Device: v.Device, ID: v.ID, RevokeURL: v.RevokeURL}
	switch v.Delivery {
	case devicepass.Profile:
		view.ProfileURL = devicepass.ProfilePath
	case devicepass.ImportCode:
		view.QRURL = devicepass.QRPath
	default:
		view.Password = v.Password
		c.Header("Content-Security-Policy", resultPolicy)
	}
	page.DevicePass = view
	p.w.pages.render(c, http.StatusOK, "devicepass", page, noStore)
}

func (p passPages) Failure(c *gin.Context, f devicepass.Failure) {
	page := p.page(c, f.View, "devicepass.error."+f.Reason+".title")
	page.Message = p.w.cats.translate(page.Lang, "devicepass.error."+f.Reason+".text")
	page.BackURL = links{lang: page.Lang}.Home()
	if page.Account != nil && page.Client != nil {
		page.BackURL = links{lang: page.Lang, email: page.Account.Address, name: f.Name}.Client(page.Client.ID)
	}
	p.w.pages.render(c, f.Status, "message", page, noStore)
}

func (p passPages) QRCode(text string) ([]byte, error) { return qrPNG(text, passImportSize) }

// registerDevicePass adds the one-step setup's routes to r, when enabled.
func (w *Wizard) registerDevicePass(r gin.IRouter) {
	if w.devicePass != nil {
		w.devicePass.Register(r)
	}
}
