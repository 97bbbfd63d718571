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
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/templates"
)

// ContentType makes Safari on iOS offer to install the profile (Settings →
// Profile Downloaded); with any other type iOS saves it to Files.
const ContentType = "application/x-apple-aspen-config"

// Handler serves profiles.
type Handler struct {
	deps   httpkit.Deps
	logger *slog.Logger
	signer *Signer // nil: profiles are served unsigned
	// cache holds rendered (and signed) profiles: the bytes are a function
	// of the request and the signing pair, and signing with RSA costs a
	// millisecond. Two generations of this many entries (~4 KB each).
	cache *httpkit.DocumentCache[cacheKey]
}

// profileCacheSize is what repeated downloads need (a person tapping twice,
// a helpdesk sending the same link): profiles are one per user and device,
// so a larger cache holds memory that is rarely asked for again.
const profileCacheSize = 64

// MetricsFormat is the metrics' format label of the Apple profiles this
// package serves.
const MetricsFormat = "apple"

// New returns the profile handler. With a nil signer, profiles are served
// unsigned (iOS then shows them as "Not Verified").
func New(deps httpkit.Deps, signer *Signer) *Handler {
	return &Handler{deps: deps, logger: httpkit.Logger(deps.Logger), signer: signer,
		cache: httpkit.NewDocumentCache[cacheKey](profileCacheSize)}
}

// Register adds the profile download routes to r.
func (h *Handler) Register(r gin.IRouter) {
	// DownloadPath is linked from the wizard; AliasPath is the path other
	// autoconfig services serve, so existing links keep working.
	for _, path := range []string{DownloadPath, AliasPath} {
		r.GET(path, h.download)
		r.HEAD(path, h.download)
	}
	// The credential data of declarations' credential assets (declarations.go).
	r.GET(CredentialPath, h.credential)
	h.deps.Declare(MetricsFormat, DownloadPath, AliasPath, CredentialPath)
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
	raw, _ := httpkit.QueryValue(rawQuery, "email")
	if raw == "" {
		return Request{}, &RequestError{Reason: "the email parameter is required"}
	}
	addr, err := autoconfig.ParseAddress(raw)
	if err != nil {
		return Request{}, err
	}
	rawName, _ := httpkit.QueryValue(rawQuery, "name")
	name, err := ParseName(rawName)
	if err != nil {
		return Request{}, err
	}
	include, err := ParseInclude(strings.Join(slices.Collect(httpkit.QueryValues(rawQuery, "include")), ","))
	if err != nil {
		return Request{}, err
	}
	lang, _ := httpkit.QueryValue(rawQuery, "lang")
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

func (h *Handler) download(c *gin.Context) {
	req, err := ParseRequest(c.Request.URL.RawQuery)
	if err != nil {
		httpkit.WriteError(c, h.logger, err)
		return
	}
	if req.Options.Lang == "" {
		// A direct download (a link typed or mailed) speaks the device's language.
		req.Options.Lang = templates.MatchAcceptLanguage(c.GetHeader("Accept-Language"))
	}
	httpkit.TellAddress(c, req.Address)
	cfg := h.deps.Resolver.Config()
	p, err := h.deps.Resolver.ProviderIn(c.Request.Context(), cfg, req.Address.Domain)
	if err != nil {
		httpkit.WriteError(c, h.logger, err)
		return
	}
	var pair *signingPair
	if h.signer != nil {
		pair = h.signer.pair()
	}
	// Keyed by the mailbox as the provider treats it: Jane.Doe@ and jane.doe@
	// are one account, one profile identity and one cached profile.
	doc, err := h.cache.Get(cfg, newCacheKey(p, req, pair), func() ([]byte, error) {
		acct := autoconfig.NewAccount(p, req.Address, req.Options.Name)
		return httpkit.LimitCPU(func() ([]byte, error) { return renderAndSign(acct, req.Options, pair) })
	})
	if err != nil {
		// ErrNothingToInclude is a 404; anything else is a bug or a broken
		// key (the configuration is validated at load and the key checked
		// against its certificate): a 500, logged with its cause.
		httpkit.WriteError(c, h.logger, err)
		return
	}
	hdr := c.Writer.Header()
	hdr["Content-Disposition"] = []string{`attachment; filename="` + FileName(req.Address) + `"`}
	// The profile names the user's address: keep it out of shared caches.
	hdr["Cache-Control"] = privateNoStore
	hdr["Vary"] = varyLanguage
	doc.Write(c.Writer, contentType)
}

// WithPassword renders acct's profile with a device password in it and
// signs it when the handler signs, within the render budget. Nothing of it
// is cached: the caller serves it once.
func (h *Handler) WithPassword(acct autoconfig.Account, opts Options, password string) ([]byte, error) {
	var pair *signingPair
	if h.signer != nil {
		pair = h.signer.pair()
	}
	return httpkit.LimitCPU(func() ([]byte, error) {
		body, err := RenderWithPassword(acct, opts, password)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errRendering, err)
		}
		return signWith(pair, body)
	})
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
	return signWith(pair, body)
}

// signWith signs body with pair; a nil pair leaves it unsigned.
func signWith(pair *signingPair, body []byte) ([]byte, error) {
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
// follows the domain's MX records), the mailbox, the options, and the
// signing pair's generation (0: unsigned).
type cacheKey struct {
	provider   string
	address    autoconfig.Address
	options    Options
	generation uint64
}

func newCacheKey(p *autoconfig.Provider, req Request, pair *signingPair) cacheKey {
	k := cacheKey{provider: p.ID, address: p.Mailbox(req.Address), options: req.Options}
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

// ErrNothingToInclude is a 404: there is no such profile.
func (e nothingToInclude) HTTPStatus() int { return http.StatusNotFound }

// Server-side failures: answered with a 500 and logged with their cause.
var (
	errRendering = errors.New("the profile could not be made from this provider's settings")
	errSigning   = errors.New("the profile could not be signed")
)
