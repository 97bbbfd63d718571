package wizard

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// QR code sizes in pixels: large enough to scan from a screen, small enough
// that a request cannot make the service draw huge images.
const (
	qrMinSize     = 128
	qrMaxSize     = 1024
	qrDefaultSize = 256
)

// qr serves /qr.png?email=ADDR&client=CLIENT[&size=N][&lang=L][&name=N]: a
// PNG of the absolute URL a phone should open for that client.
func (w *Wizard) qr(c *gin.Context) {
	req := readRequest(c)
	cl, ok := clientByID(c.Query("client"))
	if !ok {
		w.plainError(c, http.StatusBadRequest, w.cats.translate(req.lang, "qr.error.client"))
		return
	}
	size, ok := qrSize(c.Query("size"))
	if !ok {
		w.plainError(c, http.StatusBadRequest, w.cats.translate(req.lang, "qr.error.size"))
		return
	}
	if !validName(req.name) {
		w.plainError(c, http.StatusBadRequest, w.cats.translate(req.lang, "helpdesk.name.invalid"))
		return
	}
	addr, err := autoconfig.ParseAddress(req.email)
	if err != nil {
		w.plainError(c, autoconfig.StatusOf(err), w.cats.translate(req.lang, "qr.error.address", w.addressReason(req.lang, err)))
		return
	}
	if _, err := w.svc.Resolve(c.Request.Context(), addr); err != nil {
		w.plainError(c, autoconfig.StatusOf(err), w.cats.translate(req.lang, "qr.error.domain", addr.UnicodeDomain))
		return
	}
	// The language is carried only when the request named one: the phone's
	// own Accept-Language is the better guess otherwise.
	lang := c.Query("lang")
	if !isLangCode(lang) {
		lang = ""
	}
	target := links{base: w.svc.BaseURL(c.Request), lang: lang, email: addr.String(), name: req.name}.Target(cl)
	png, err := qrPNG(target, size)
	if err != nil {
		w.plainError(c, http.StatusBadRequest, w.cats.translate(req.lang, "qr.error.address", err.Error()))
		return
	}
	writeImage(c, png, w.svc.PublicURL == nil)
}

func qrSize(s string) (int, bool) {
	if s == "" {
		return qrDefaultSize, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < qrMinSize || n > qrMaxSize {
		return 0, false
	}
	return n, true
}

// qrPNG draws text as a QR code. Medium error correction (15%) survives a
// phone camera at an angle while keeping modules large for long URLs.
// go-qrcode is deterministic: the same URL and size give the same bytes.
func qrPNG(text string, size int) ([]byte, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("encoding QR code: %w", err)
	}
	return png, nil
}

// writeImage sends an image that depends only on its URL (and the Host
// header when no public URL is configured). The URL names an address, so
// only the user's browser may keep it, not shared caches.
func writeImage(c *gin.Context, body []byte, varyHost bool) {
	etag := autoconfig.ETag(body)
	h := c.Writer.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=86400")
	if varyHost {
		h.Set("Vary", "Host")
	}
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "image/png", body)
}

// plainError answers a non-HTML endpoint with one line of text.
func (w *Wizard) plainError(c *gin.Context, status int, msg string) {
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/plain; charset=utf-8", []byte(msg+"\n"))
}
