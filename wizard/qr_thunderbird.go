package wizard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// ThunderbirdQRPath serves the QR code that Thunderbird for Android imports
// as an account (?email=ADDR[&name=NAME][&size=N]): scanned on its first
// screen or under Settings → Import settings, it sets up IMAP and SMTP and
// asks only for the password, which the code never holds.
const ThunderbirdQRPath = "/qr/thunderbird.png"

// thunderbirdQR draws the import code of the request's account. Errors are
// one line of text: the address or name is invalid (400), the domain is not
// served (404), or the account is one the app cannot import (422).
func (w *Wizard) thunderbirdQR(c *gin.Context) {
	cfg := w.deps.Resolver.Config()
	// The code depends on the query alone (never on Host): cached by it.
	key := "tb?" + c.Request.URL.RawQuery
	if doc, ok := w.qrCodes.Lookup(cfg, key); ok {
		writeImage(c, doc)
		return
	}
	req := readRequest(c)
	size, ok := qrSize(c.Query("size"))
	if !ok {
		w.plainError(c, http.StatusBadRequest, w.cats.translate(req.lang, "qr.error.size"))
		return
	}
	name, err := profiles.ParseName(req.name)
	if err != nil {
		w.plainError(c, http.StatusBadRequest, w.cats.translate(req.lang, "helpdesk.name.invalid"))
		return
	}
	addr, err := autoconfig.ParseAddress(req.email)
	if err != nil {
		w.plainError(c, httpkit.Status(err), w.cats.translate(req.lang, "qr.error.address", w.addressReason(req.lang, err)))
		return
	}
	httpkit.TellAddress(c, addr)
	acct, err := w.deps.Resolver.AccountIn(c.Request.Context(), cfg, addr, name)
	if err != nil {
		w.plainError(c, httpkit.Status(err), w.cats.translate(req.lang, "qr.error.domain", addr.UnicodeDomain))
		return
	}
	payload, err := tbimport.Payload(acct)
	if err != nil {
		httpkit.WriteError(c, w.logger, err)
		return
	}
	doc, err := w.qrCodes.Get(cfg, key, func() ([]byte, error) {
		return httpkit.LimitCPU(func() ([]byte, error) { return qrPNG(string(payload), size) })
	})
	if err != nil {
		httpkit.WriteError(c, w.logger, err)
		return
	}
	writeImage(c, doc)
}
