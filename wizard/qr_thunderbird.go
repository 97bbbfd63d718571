package wizard

import (
	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/tbimport"
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
	q, ok := w.readQR(c, cfg)
	if !ok {
		return
	}
	payload, err := tbimport.Payload(q.acct)
	if err != nil {
		httpkit.WriteError(c, w.logger, err)
		return
	}
	w.drawQR(c, cfg, key, string(payload), q)
}
