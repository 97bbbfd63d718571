package wizard

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"runtime"
	"strconv"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// QR code sizes in pixels: large enough to scan from a screen, small enough
// that a request cannot make the service draw huge images.
const (
	qrMinSize     = 128
	qrMaxSize     = 1024
	qrDefaultSize = 256
)

// qr serves /qr.png?email=ADDR&client=CLIENT[&size=N][&lang=L][&name=N]: a
// PNG of the short link (/s/CLIENT/ADDRESS) a phone should open for that
// client; lang is only the language of error messages.
func (w *Wizard) qr(c *gin.Context) {
	// A code is drawn once per URL: the key is the request itself (its
	// base URL and raw query), so a repeated request is answered before
	// any parsing. Only valid requests are ever stored, and the cache
	// empties when the configuration changes.
	cfg := w.deps.Resolver.Config()
	base := httpkit.BaseURL(w.deps.PublicURL, c.Request)
	key := base + "?" + c.Request.URL.RawQuery
	if doc, ok := w.qrCodes.Lookup(cfg, key); ok {
		writeImage(c, doc)
		return
	}
	cl, ok := clientByID(c.Query("client"))
	if !ok {
		w.plainError(c, http.StatusBadRequest, w.cats.translate(readRequest(c).lang, "qr.error.client"))
		return
	}
	q, ok := w.readQR(c, cfg)
	if !ok {
		return
	}
	// The short link, which people can also type: it carries no language,
	// since the phone's own Accept-Language is the better guess.
	target := links{base: base, email: q.acct.Address.String(), name: q.name}.Short(cl.ID)
	w.drawQR(c, cfg, key, target, q)
}

// qrRequest is what both QR routes read from the query, checked and
// resolved.
type qrRequest struct {
	lang string // of error messages
	size int
	name string
	acct autoconfig.Account
}

// readQR reads and checks the size, the name and the address of a QR
// request and resolves its account. When it cannot, it has answered with
// one line of text: a bad size or name (400), an invalid address (400) or
// a domain not served (404).
func (w *Wizard) readQR(c *gin.Context, cfg *autoconfig.Config) (qrRequest, bool) {
	req := readRequest(c)
	q := qrRequest{lang: req.lang}
	var ok bool
	if q.size, ok = qrSize(c.Query("size")); !ok {
		w.plainError(c, http.StatusBadRequest, w.cats.translate(req.lang, "qr.error.size"))
		return q, false
	}
	name, err := profiles.ParseName(req.name)
	if err != nil {
		w.plainError(c, http.StatusBadRequest, w.cats.translate(req.lang, "helpdesk.name.invalid"))
		return q, false
	}
	q.name = name
	addr, err := autoconfig.ParseAddress(req.email)
	if err != nil {
		w.plainError(c, httpkit.Status(err), w.cats.translate(req.lang, "qr.error.address", w.addressReason(req.lang, err)))
		return q, false
	}
	httpkit.TellAddress(c, addr)
	if q.acct, err = w.deps.Resolver.AccountIn(c.Request.Context(), cfg, addr, name); err != nil {
		w.plainError(c, httpkit.Status(err), w.cats.translate(req.lang, "qr.error.domain", addr.UnicodeDomain))
		return q, false
	}
	return q, true
}

// drawQR answers with the code of text, drawn once per key within the
// render budget: past it 503 (httpkit.ErrBusy); a text too long for a QR
// code, which only a long address or name makes, is the client's 400.
func (w *Wizard) drawQR(c *gin.Context, cfg *autoconfig.Config, key, text string, q qrRequest) {
	doc, err := w.qrCodes.Get(cfg, key, func() ([]byte, error) {
		return httpkit.LimitCPU(func() ([]byte, error) { return qrPNG(text, q.size) })
	})
	switch {
	case errors.Is(err, httpkit.ErrBusy):
		httpkit.WriteError(c, w.logger, err)
	case err != nil:
		w.plainError(c, http.StatusBadRequest, w.cats.translate(q.lang, "qr.error.address", err.Error()))
	default:
		writeImage(c, doc)
	}
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
//
// The image is encoded here rather than with go-qrcode's PNG method, which
// uses png.BestCompression: five times slower for a two-colour image that
// is only a few hundred bytes larger at BestSpeed.
func qrPNG(text string, size int) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("encoding QR code: %w", err)
	}
	var b bytes.Buffer
	if err := qrEncoder.Encode(&b, q.Image(size)); err != nil {
		return nil, fmt.Errorf("encoding QR code image: %w", err)
	}
	return b.Bytes(), nil
}

var qrEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: newPNGBuffers(runtime.GOMAXPROCS(0))}

// pngBuffers reuses the PNG encoder's scratch buffers (a deflate writer of
// about 600 KB each) between images. It keeps at most as many as images
// are drawn at once (httpkit.LimitCPU): a sync.Pool keeps twice that
// per processor, megabytes that a small server does not have to spare.
type pngBuffers struct{ free chan *png.EncoderBuffer }

func newPNGBuffers(max int) *pngBuffers {
	return &pngBuffers{free: make(chan *png.EncoderBuffer, max)}
}

func (p *pngBuffers) Get() *png.EncoderBuffer {
	select {
	case b := <-p.free:
		return b
	default:
		return nil // the encoder allocates one
	}
}

func (p *pngBuffers) Put(b *png.EncoderBuffer) {
	select {
	case p.free <- b:
	default: // enough are kept
	}
}

// writeImage sends an image that depends only on its URL (and the Host
// header when no public URL is configured). The URL names an address, so
// only the user's browser may keep it, not shared caches.
func writeImage(c *gin.Context, doc httpkit.Document) {
	h := c.Writer.Header()
	// The code encodes the address: like the pages that name it, it is not
	// kept in the browser's cache (shared computers); the ETag still lets
	// the browser revalidate cheaply.
	// No "Vary: Host" although the URL in the code may come from Host:
	// the host is part of the URL that caches key on (RFC 9111 §2).
	h["Cache-Control"] = privateNoCache
	doc.Serve(c.Writer, c.Request, pngType)
}

// Header values shared by every image response.
var (
	privateNoCache = []string{"private, no-cache"}
	pngType        = []string{"image/png"}
)

// plainError answers a non-HTML endpoint with one line of text.
func (w *Wizard) plainError(c *gin.Context, status int, msg string) {
	httpkit.WriteText(c, status, msg)
}
