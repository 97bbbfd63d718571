package profiles

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/templates"
)

// ContentType makes Safari on iOS offer to install the profile (Settings →
// Profile Downloaded); with any other type iOS saves it to Files.
const ContentType = "application/x-apple-aspen-config"

// handler serves profiles. signer is nil when profiles are served unsigned.
type handler struct {
	svc    *autoconfig.Service
	signer *Signer
	// cache holds rendered (and signed) profiles: the bytes are a function
	// of the request and the signing pair, and signing with RSA costs a
	// millisecond. Two generations of this many entries (~4 KB each).
	cache *autoconfig.DocumentCache[cacheKey]
}

// profileCacheSize is what repeated downloads need (a person tapping twice,
// a helpdesk sending the same link): profiles are one per user and device,
// so a larger cache holds memory that is rarely asked for again.
const profileCacheSize = 64

// Register adds the profile download routes to r. With a nil signer,
// profiles are served unsigned (iOS then shows them as "Not Verified").
func Register(r gin.IRouter, svc *autoconfig.Service, signer *Signer) {
	h := &handler{svc: svc, signer: signer, cache: autoconfig.NewDocumentCache[cacheKey](profileCacheSize)}
	// DownloadPath is linked from the wizard; AliasPath is the path other
	// autoconfig services serve, so existing links keep working.
	for _, path := range []string{DownloadPath, AliasPath} {
		r.GET(path, h.download)
		r.HEAD(path, h.download)
	}
}

// Request is a validated profile request.
type Request struct {
	Address autoconfig.Address
	Options Options
}

// ParseRequest validates the raw query of a profile download:
// email=ADDR, optional name=…, optional include=mail,calendar,contacts
// (repeated include parameters are joined), optional lang=en|fr|de|it (the
// wizard's page language; an unknown one is ignored).
func ParseRequest(rawQuery string) (Request, error) {
	raw, _ := autoconfig.QueryValue(rawQuery, "email")
	if raw == "" {
		return Request{}, &RequestError{Reason: "the email parameter is required"}
	}
	addr, err := autoconfig.ParseAddress(raw)
	if err != nil {
		return Request{}, err
	}
	rawName, _ := autoconfig.QueryValue(rawQuery, "name")
	name, err := ParseName(rawName)
	if err != nil {
		return Request{}, err
	}
	include, err := ParseInclude(strings.Join(slices.Collect(autoconfig.QueryValues(rawQuery, "include")), ","))
	if err != nil {
		return Request{}, err
	}
	lang, _ := autoconfig.QueryValue(rawQuery, "lang")
	if !templates.IsLangCode(lang) {
		lang = "" // the handler falls back to Accept-Language
	}
	return Request{Address: addr, Options: Options{Name: name, Include: include, Lang: lang}}, nil
}

// Header values shared by every response.
var (
	contentType    = []string{ContentType}
	privateNoStore = []string{"private, no-store"}
	varyLanguage   = []string{"Accept-Language"}
)

func (h *handler) download(c *gin.Context) {
	req, err := ParseRequest(c.Request.URL.RawQuery)
	if err != nil {
		plainError(c, err)
		return
	}
	if req.Options.Lang == "" {
		// A direct download (a link typed or mailed) speaks the device's language.
		req.Options.Lang = templates.MatchAcceptLanguage(c.GetHeader("Accept-Language"))
	}
	cfg := h.svc.Store.Config()
	p, err := h.svc.LookupIn(c.Request.Context(), cfg, req.Address.Domain)
	if err != nil {
		plainError(c, err)
		return
	}
	var pair *signingPair
	if h.signer != nil {
		pair = h.signer.pair()
	}
	doc, err := h.cache.Get(cfg, newCacheKey(p.ID, req, pair), func() ([]byte, error) {
		acct := autoconfig.NewAccount(p, req.Address)
		return autoconfig.LimitCPU(func() ([]byte, error) { return renderAndSign(acct, req.Options, pair) })
	})
	if err != nil {
		if !errors.Is(err, ErrNothingToInclude) {
			// The configuration is validated at load and the key checked
			// against its certificate: this is a bug or a broken key.
			slog.ErrorContext(c.Request.Context(), "making a profile", "provider", p.ID, "error", err)
		}
		plainError(c, publicError(err))
		return
	}
	hdr := c.Writer.Header()
	hdr["Content-Disposition"] = []string{`attachment; filename="` + FileName(req.Address) + `"`}
	// The profile names the user's address: keep it out of shared caches.
	hdr["Cache-Control"] = privateNoStore
	hdr["Vary"] = varyLanguage
	doc.Write(c.Writer, contentType)
}

// renderAndSign renders the profile and, with a pair, signs it. Its errors
// are ErrNothingToInclude, errRendering or errSigning.
func renderAndSign(acct autoconfig.Account, opts Options, pair *signingPair) ([]byte, error) {
	body, err := Render(acct, opts)
	if err != nil {
		if errors.Is(err, ErrNothingToInclude) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errRendering, err)
	}
	if pair == nil {
		return body, nil
	}
	signed, err := pair.sign(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errSigning, err)
	}
	return signed, nil
}

// cacheKey identifies a profile's bytes: the provider (with accept.mx, it
// follows the domain's MX records), the address exactly as given, the
// options, and the signing pair's generation (0: unsigned).
type cacheKey struct {
	provider   string
	address    autoconfig.Address
	options    Options
	generation uint64
}

func newCacheKey(providerID string, req Request, pair *signingPair) cacheKey {
	k := cacheKey{provider: providerID, address: req.Address, options: req.Options}
	if pair != nil {
		k.generation = pair.generation
	}
	return k
}

// FileName is the download's file name, built from the validated ASCII
// domain only (letters, digits, hyphens and dots), so it needs no quoting.
func FileName(addr autoconfig.Address) string {
	return addr.Domain + "-mail.mobileconfig"
}

// Server-side failures, answered with a 500 and logged with their cause.
var (
	errRendering = errors.New("the profile could not be made from this provider's settings")
	errSigning   = errors.New("the profile could not be signed")
)

// publicError drops the internal detail of server-side failures: the user
// sees their one-line sentinel, the log has the cause.
func publicError(err error) error {
	for _, sentinel := range []error{errRendering, errSigning} {
		if errors.Is(err, sentinel) {
			return sentinel
		}
	}
	return err
}

// statusOf maps errors to HTTP status codes, in one place.
func statusOf(err error) int {
	switch {
	case IsRequestError(err):
		return http.StatusBadRequest
	case errors.Is(err, ErrNothingToInclude):
		return http.StatusNotFound
	case errors.Is(err, errRendering), errors.Is(err, errSigning):
		return http.StatusInternalServerError
	}
	return autoconfig.StatusOf(err)
}

// plainError answers with a one-line text message; the messages never
// contain raw request input.
func plainError(c *gin.Context, err error) {
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(statusOf(err), "text/plain; charset=utf-8", []byte(err.Error()+"\n"))
}
