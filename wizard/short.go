package wizard

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// short serves /s/CLIENT/ADDRESS, the link shown beside a QR code and
// encoded in it: it redirects to what the code's client opens (the steps
// page, or the Apple profile) in the phone's language.
func (w *Wizard) short(c *gin.Context) {
	req := readRequest(c)
	// The catch-all parameter starts with "/"; an address never contains
	// one unescaped that matters here, and gin has decoded the path.
	req.email = strings.TrimPrefix(c.Param("address"), "/")
	cl, known := clientByID(c.Param("client"))
	if !known {
		w.message(c, req.lang, http.StatusNotFound, "notfound.client.title", "notfound.client.text", "", links{lang: req.lang}.Home())
		return
	}
	acct, ok := w.resolve(c, req)
	if !ok {
		return
	}
	target := links{lang: req.lang, email: acct.Address.String(), name: req.name}.Target(cl, acct)
	c.Header("Cache-Control", string(noStore))
	c.Header("Referrer-Policy", "no-referrer")
	c.Redirect(http.StatusFound, target)
}
