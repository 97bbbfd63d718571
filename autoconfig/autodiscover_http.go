package autoconfig

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Autodiscover routes. Microsoft says the path is not case-sensitive, and
// gin's are: CanonicalPaths maps every spelling onto these.
const (
	AutodiscoverPOXPath  = "/autodiscover/autodiscover.xml"
	AutodiscoverJSONPath = "/autodiscover/autodiscover.json"
	// autodiscoverJSONv1 precedes the address in the v2 endpoint's path
	// form: /autodiscover/autodiscover.json/v1.0/ADDR.
	autodiscoverJSONv1 = "/v1.0/"
	// AutodiscoverPOXLink is the POX path as Outlook spells it, used in the
	// URLs this service hands out.
	AutodiscoverPOXLink = "/Autodiscover/Autodiscover.xml"
)

const (
	autodiscoverXMLType  = "application/xml; charset=utf-8"
	autodiscoverJSONType = "application/json; charset=utf-8"
)

// registerAutodiscover adds the Autodiscover routes.
func (s *Service) registerAutodiscover(r gin.IRouter) {
	// POST: Outlook (Windows, macOS), Thunderbird (in parallel with
	// autoconfig), eM Client and many mobile apps.
	r.POST(AutodiscoverPOXPath, s.autodiscoverPOX)
	// GET: Outlook's plain-HTTP probe of autodiscover.<domain>, expecting a
	// redirect to HTTPS.
	r.GET(AutodiscoverPOXPath, s.autodiscoverProbe)
	// Outlook 2016+ (and Microsoft 365 apps) ask the v2 endpoint first.
	r.GET(AutodiscoverJSONPath, s.autodiscoverJSON)
	r.GET(AutodiscoverJSONPath+autodiscoverJSONv1+"*address", s.autodiscoverJSON)
}

// CanonicalPaths lets h route the Autodiscover paths in any letter case, as
// Microsoft's spec requires (Outlook sends /Autodiscover/Autodiscover.xml).
// It rewrites only those paths, before the router sees them; the address
// in the v2 path form is kept as sent.
func CanonicalPaths(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := canonicalAutodiscoverPath(r.URL.Path); ok && p != r.URL.Path {
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path, u.RawPath = p, ""
			r2.URL = &u
			r = r2
		}
		h.ServeHTTP(w, r)
	})
}

func canonicalAutodiscoverPath(path string) (string, bool) {
	if strings.EqualFold(path, AutodiscoverPOXPath) {
		return AutodiscoverPOXPath, true
	}
	rest, ok := cutPrefixFold(path, AutodiscoverJSONPath)
	if !ok {
		return path, false
	}
	if rest == "" {
		return AutodiscoverJSONPath, true
	}
	if address, ok := cutPrefixFold(rest, autodiscoverJSONv1); ok {
		return AutodiscoverJSONPath + autodiscoverJSONv1 + address, true
	}
	return path, false
}

// autodiscoverPOX answers a POX request. Errors are POX documents with HTTP
// 200, as Exchange sends them, except a body that is too large (413) or of
// a type that is not XML (415). The Authorization header is never read:
// Thunderbird sends the user's password as Basic auth, and a 401 makes it
// show "Exchange auth error".
func (s *Service) autodiscoverPOX(c *gin.Context) {
	if !acceptableAutodiscoverType(c.GetHeader("Content-Type")) {
		writePOXError(c, http.StatusUnsupportedMediaType, AutodiscoverInvalidRequest,
			"the body must be XML in UTF-8 (Content-Type text/xml or application/xml)")
		return
	}
	buf := requestBuffers.Get().(*[]byte)
	defer requestBuffers.Put(buf)
	body, err := readCappedBody(c, (*buf)[:0], MaxAutodiscoverRequest)
	*buf = body[:0]
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writePOXError(c, http.StatusRequestEntityTooLarge, AutodiscoverInvalidRequest, "the request body is larger than 16 KiB")
		return
	case err != nil:
		writePOXError(c, http.StatusBadRequest, AutodiscoverInvalidRequest, "the request body could not be read")
		return
	}
	cfg := s.Store.Config()
	answer := func() ([]byte, error) { return s.autodiscoverAnswer(c.Request.Context(), cfg, body) }
	var doc Document
	if len(body) <= maxCachedAutodiscoverRequest && !cfg.AcceptsMX() {
		// Clients send the same body for a user at every start; the answer
		// is a function of the body and the configuration only, unless
		// accept.mx lets DNS choose the provider.
		doc, err = cachedByBody(s.autodiscoverDocs, cfg, body, answer)
	} else {
		var out []byte
		if out, err = answer(); err == nil {
			doc = Document{Body: out}
		}
	}
	var pe *poxError
	if errors.As(err, &pe) {
		writePOXError(c, http.StatusOK, pe.code, pe.reason)
		return
	}
	noStore(c)
	doc.Write(c.Writer, xmlContentType)
}

// maxCachedAutodiscoverRequest bounds the bodies whose answers are cached
// (real ones are about 350 bytes), so that the cache stays small whatever
// clients send.
const maxCachedAutodiscoverRequest = 1024

// poxError is an Autodiscover error to answer as a POX Error document.
type poxError struct {
	code   AutodiscoverErrorCode
	reason string
}

func (e *poxError) Error() string { return e.reason }

// autodiscoverAnswer parses a request body and renders the response, or
// returns a *poxError.
func (s *Service) autodiscoverAnswer(ctx context.Context, cfg *Config, body []byte) ([]byte, error) {
	req, err := ParseAutodiscoverRequest(body)
	var reqErr *AutodiscoverRequestError
	if errors.As(err, &reqErr) {
		return nil, &poxError{AutodiscoverInvalidRequest, reqErr.Reason}
	}
	if !req.OffersOutlookSchema() {
		return nil, &poxError{AutodiscoverSchemaNotOffered,
			"only the Outlook responseschema/2006a is offered; ActiveSync (mobilesync) is not"}
	}
	addr, err := ParseAddress(req.EMailAddress)
	if err != nil {
		return nil, &poxError{AutodiscoverInvalidRequest, err.Error()}
	}
	acct, err := s.ResolveIn(ctx, cfg, addr)
	if err != nil {
		return nil, &poxError{AutodiscoverNotFound, ErrUnknownDomain.Error()}
	}
	return AutodiscoverResponse(acct), nil
}

// autodiscoverProbe answers GET. Outlook probes
// http://autodiscover.<domain>/Autodiscover/Autodiscover.xml and follows a
// redirect to HTTPS; anything else gets Exchange's answer to a GET, an
// Invalid Request document.
func (s *Service) autodiscoverProbe(c *gin.Context) {
	if !requestIsHTTPS(c.Request) && s.PublicURL != nil && s.PublicURL.Scheme == "https" {
		noStore(c)
		c.Redirect(http.StatusFound, s.PublicURL.String()+AutodiscoverPOXLink)
		return
	}
	writePOXError(c, http.StatusOK, AutodiscoverInvalidRequest, "send the Autodiscover request with POST")
}

// autodiscoverJSON answers the v2 endpoint, with the address in the query
// (?Email=ADDR) or in the path (/v1.0/ADDR).
func (s *Service) autodiscoverJSON(c *gin.Context) {
	query := c.Request.URL.Query()
	if !IsAutodiscoverV1(queryValueFold(query, "Protocol")) {
		writeJSON(c, http.StatusBadRequest, autodiscoverJSONError(jsonInvalidProtocol,
			"only the AutodiscoverV1 protocol is offered: this service has no ActiveSync, EWS or REST"))
		return
	}
	raw := strings.TrimPrefix(c.Param("address"), "/")
	if raw == "" {
		raw = queryValueFold(query, "Email")
	}
	if raw == "" {
		writeJSON(c, http.StatusBadRequest, autodiscoverJSONError(jsonInvalidUser,
			"an email address is required: ?Email=ADDR or /v1.0/ADDR"))
		return
	}
	addr, err := ParseAddress(raw)
	if err != nil {
		writeJSON(c, http.StatusBadRequest, autodiscoverJSONError(jsonInvalidUser, err.Error()))
		return
	}
	if _, err := s.Lookup(c.Request.Context(), addr.Domain); err != nil {
		writeJSON(c, http.StatusNotFound, autodiscoverJSONError(jsonUserNotFound, ErrUnknownDomain.Error()))
		return
	}
	writeJSON(c, http.StatusOK, AutodiscoverJSON(s.BaseURL(c.Request)))
}

// acceptableAutodiscoverType accepts what clients send: text/xml (Outlook;
// Thunderbird adds charset=utf-8), application/xml, no type, and
// application/x-www-form-urlencoded, the default of curl --data and of
// simple HTTP libraries. The body is read as UTF-8 XML whatever the label,
// so any other type, or a charset other than UTF-8, is refused.
func acceptableAutodiscoverType(header string) bool {
	// What clients send is accepted without parsing it on every request.
	return slices.Contains(commonAutodiscoverTypes, header) || parsedAutodiscoverTypeOK(header)
}

// commonAutodiscoverTypes are the Content-Types Outlook, Thunderbird and
// the others send, all acceptable to parsedAutodiscoverTypeOK.
var commonAutodiscoverTypes = []string{
	"text/xml", "text/xml; charset=utf-8", "text/xml; charset=UTF-8",
	"application/xml", "application/xml; charset=utf-8",
}

func parsedAutodiscoverTypeOK(header string) bool {
	if strings.TrimSpace(header) == "" {
		return true
	}
	mediaType, params, err := mime.ParseMediaType(header)
	if err != nil {
		return false
	}
	switch mediaType {
	case "text/xml", "application/xml", "application/x-www-form-urlencoded":
	default:
		return false
	}
	charset, ok := params["charset"]
	return !ok || strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii")
}

// requestBuffers recycles POX body buffers (one request body each).
var requestBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 4096)
	return &b
}}

// readCappedBody appends the request body to dst, failing with
// *http.MaxBytesError past limit without reading further.
func readCappedBody(c *gin.Context, dst []byte, limit int64) ([]byte, error) {
	if c.Request.ContentLength > limit {
		return dst, &http.MaxBytesError{Limit: limit}
	}
	r := http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if errors.Is(err, io.EOF) {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// queryValueFold is the first value of the parameter named name, or else of
// the one spelled name in another letter case (the alphabetically first, so
// that the answer does not depend on map order).
func queryValueFold(q url.Values, name string) string {
	if v, ok := q[name]; ok && len(v) > 0 {
		return v[0]
	}
	best := ""
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 && (best == "" || k < best) {
			best = k
		}
	}
	if best == "" {
		return ""
	}
	return q[best][0]
}

func writePOXError(c *gin.Context, status int, code AutodiscoverErrorCode, debug string) {
	noStore(c)
	c.Data(status, autodiscoverXMLType, AutodiscoverError(code, debug, time.Now(), rand.Uint32()))
}

func writeJSON(c *gin.Context, status int, body []byte) {
	noStore(c)
	c.Data(status, autodiscoverJSONType, body)
}

// noStore marks a response that depends on the request body or address:
// no cache may keep it.
func noStore(c *gin.Context) {
	h := c.Writer.Header()
	h["Cache-Control"] = noStoreValue
	h["X-Content-Type-Options"] = nosniff
}

var noStoreValue = []string{"no-store"}
