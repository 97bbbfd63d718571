package profiles

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// ContentType makes Safari on iOS offer to install the profile (Settings →
// Profile Downloaded); with any other type iOS saves it to Files.
const ContentType = "application/x-apple-aspen-config"

// handler serves profiles. signer is nil when profiles are served unsigned.
type handler struct {
	svc    *autoconfig.Service
	signer *Signer
}

// Register adds the profile download routes to r. With a nil signer,
// profiles are served unsigned (iOS then shows them as "Not Verified").
func Register(r gin.IRouter, svc *autoconfig.Service, signer *Signer) {
	h := &handler{svc: svc, signer: signer}
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

// ParseRequest validates the query of a profile download:
// email=ADDR, optional name=…, optional include=mail,calendar,contacts
// (repeated include parameters are joined).
func ParseRequest(q url.Values) (Request, error) {
	raw := q.Get("email")
	if raw == "" {
		return Request{}, &RequestError{Reason: "the email parameter is required"}
	}
	addr, err := autoconfig.ParseAddress(raw)
	if err != nil {
		return Request{}, err
	}
	name, err := ParseName(q.Get("name"))
	if err != nil {
		return Request{}, err
	}
	include, err := ParseInclude(strings.Join(q["include"], ","))
	if err != nil {
		return Request{}, err
	}
	return Request{Address: addr, Options: Options{Name: name, Include: include}}, nil
}

func (h *handler) download(c *gin.Context) {
	req, err := ParseRequest(c.Request.URL.Query())
	if err != nil {
		plainError(c, err)
		return
	}
	acct, err := h.svc.Resolve(c.Request.Context(), req.Address)
	if err != nil {
		plainError(c, err)
		return
	}
	body, err := Render(acct, req.Options)
	if err != nil {
		if !errors.Is(err, ErrNothingToInclude) {
			// The configuration is validated at load; this is a bug.
			slog.ErrorContext(c.Request.Context(), "rendering a profile", "provider", acct.Provider.ID, "error", err)
			err = errRendering
		}
		plainError(c, err)
		return
	}
	if h.signer != nil {
		if body, err = h.signer.Sign(body); err != nil {
			slog.ErrorContext(c.Request.Context(), "signing a profile", "error", err)
			plainError(c, errSigning)
			return
		}
	}
	hdr := c.Writer.Header()
	hdr.Set("Content-Disposition", `attachment; filename="`+FileName(req.Address)+`"`)
	// The profile names the user's address: keep it out of shared caches.
	hdr.Set("Cache-Control", "private, no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, ContentType, body)
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
