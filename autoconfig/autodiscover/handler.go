package autodiscover

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"

	"github.com/gin-gonic/gin"
)

// Autodiscover routes. Microsoft says the path is not case-sensitive, and
// gin's are: CanonicalPaths maps every spelling onto these.
const (
	POXPath  = "/autodiscover/autodiscover.xml"
	JSONPath = "/autodiscover/autodiscover.json"
	// jsonV1 precedes the address in the v2 endpoint's path
	// form: /autodiscover/autodiscover.json/v1.0/ADDR.
	jsonV1 = "/v1.0/"
	// POXLink is the POX path as Outlook spells it, used in the
	// URLs this service hands out.
	POXLink = "/Autodiscover/Autodiscover.xml"
)

// Handler serves both Autodiscover endpoints.
type Handler struct {
	deps   httpkit.Deps
	logger *slog.Logger
	// answers holds POX answers by client kind and request body: clients
	// send the same body for a user at every start, and eM Client's answer
	// differs from Outlook's for the same body.
	answers [clientKinds]*httpkit.DocumentCache[string]
	// schemas, when set, counts POX requests by the schema they ask for.
	schemas func(Schema)
}

// cacheSize bounds the answers cached by request body: one per user, about
// 2 KB each, and a client asks again only at its next start. Held small, it
// spares clients that retry at once their request's parsing without
// holding megabytes of answers no one asks again.
const cacheSize = 128

// MetricsFormat is the metrics' format label of the Autodiscover POX and
// jsonResponse answers this package serves.
const MetricsFormat = "autodiscover"

// New returns the handler.
func New(deps httpkit.Deps) *Handler {
	h := &Handler{deps: deps, logger: httpkit.Logger(deps.Logger)}
	for i := range h.answers {
		h.answers[i] = httpkit.NewDocumentCache[string](cacheSize)
	}
	return h
}

// CountSchemas makes h report the schema each POX request asks for (not
// requests it could not read) to count, which must not block: it runs on
// every request.
func (h *Handler) CountSchemas(count func(Schema)) *Handler {
	h.schemas = count
	return h
}

// Register adds the Autodiscover routes. Mount the engine behind
// CanonicalPaths: clients spell the paths in any letter case.
func (h *Handler) Register(r gin.IRouter) {
	// POST: Outlook (Windows, macOS), Thunderbird (in parallel with
	// autoconfig), eM Client and many mobile apps.
	r.POST(POXPath, h.pox)
	// GET: Outlook's plain-HTTP probe of autodiscover.<domain>, expecting a
	// redirect to HTTPS.
	r.GET(POXPath, h.probe)
	// Outlook 2016+ (and Microsoft 365 apps) ask the v2 endpoint first.
	r.GET(JSONPath, h.json)
	r.GET(JSONPath+jsonV1+"*address", h.json)
	h.deps.Declare(MetricsFormat, POXPath, JSONPath, JSONPath+jsonV1+"*address")
}

// CanonicalPaths lets h route the Autodiscover paths in any letter case, as
// Microsoft's spec requires (Outlook sends /Autodiscover/Autodiscover.xml).
// It rewrites only those paths, before the router sees them; the address
// in the v2 path form is kept as sent.
func CanonicalPaths(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := canonicalPath(r.URL.Path); ok && p != r.URL.Path {
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

func canonicalPath(path string) (string, bool) {
	if strings.EqualFold(path, POXPath) {
		return POXPath, true
	}
	rest, ok := cutPrefixFold(path, JSONPath)
	if !ok {
		return path, false
	}
	if rest == "" {
		return JSONPath, true
	}
	if address, ok := cutPrefixFold(rest, jsonV1); ok {
		return JSONPath + jsonV1 + address, true
	}
	return path, false
}

// pox answers a POX request. Errors are POX documents with HTTP
// 200, as Exchange sends them, except a body that is too large (413) or of
// a type that is not XML (415). The Authorization header is never read:
// Thunderbird sends the user's password as Basic auth, and a 401 makes it
// show "Exchange auth error".
func (h *Handler) pox(c *gin.Context) {
	if !acceptableType(c.GetHeader("Content-Type")) {
		writePOXError(c, http.StatusUnsupportedMediaType, InvalidRequest,
			"the body must be XML in UTF-8 (Content-Type text/xml or application/xml)")
		return
	}
	buf := requestBuffers.Get().(*[]byte)
	defer requestBuffers.Put(buf)
	body, err := readCappedBody(c, (*buf)[:0], maxRequest)
	*buf = body[:0]
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writePOXError(c, http.StatusRequestEntityTooLarge, InvalidRequest, "the request body is larger than 16 KiB")
		return
	case err != nil:
		writePOXError(c, http.StatusBadRequest, InvalidRequest, "the request body could not be read")
		return
	}
	cfg := h.deps.Resolver.Config()
	client := ClientOf(c.Request.Header.Get("User-Agent"))
	answer := func() ([]byte, httpkit.Subject, error) { return h.answer(c.Request.Context(), cfg, body, client) }
	var doc httpkit.Document
	if len(body) <= maxCachedRequest && !cfg.AcceptsMX() {
		// Clients send the same body for a user at every start; the answer
		// is a function of the client kind, the body and the configuration
		// only, unless accept.mx lets DNS choose the provider.
		doc, err = httpkit.GetByBody(h.answers[client], cfg, body, answer)
	} else {
		var out []byte
		var subject httpkit.Subject
		if out, subject, err = answer(); err == nil {
			doc = httpkit.Document{Body: out, Subject: subject}
		}
	}
	var pe *poxError
	if errors.As(err, &pe) {
		h.observe(c, pe.schema)
		httpkit.Tell(c, pe.subject)
		writePOXError(c, http.StatusOK, pe.code, pe.reason)
		return
	}
	// Only a request for Outlook's schema gets an answer (and only answers
	// are cached): no need to parse a cached request again to know.
	h.observe(c, SchemaOutlook)
	httpkit.Tell(c, doc.Subject)
	httpkit.WritePrivate(c, httpkit.XMLContentType, doc.Body)
}

// observe counts a request for schema, and logs one line for each mobilesync
// request with the client's family: the new Outlook for Windows asks for it
// and gets error 601, and an operator needs to know how many users meet
// that. The address is not logged.
func (h *Handler) observe(c *gin.Context, schema Schema) {
	if schema == schemaUnknown {
		return
	}
	if h.schemas != nil {
		h.schemas(schema)
	}
	if schema == SchemaMobileSync {
		h.logger.InfoContext(c.Request.Context(), "Autodiscover request for the mobilesync (ActiveSync) schema: answered error 601",
			"user_agent_family", UserAgentFamily(c.Request.Header.Get("User-Agent")))
	}
}

// maxCachedRequest bounds the bodies whose answers are cached
// (real ones are about 350 bytes), so that the cache stays small whatever
// clients send.
const maxCachedRequest = 1024

// poxError is an Autodiscover error to answer as a POX Error document.
type poxError struct {
	code    ErrorCode
	reason  string
	subject httpkit.Subject // what the request was about, when known
	schema  Schema          // the schema asked for, when the request was read
}

func (e *poxError) Error() string { return e.reason }

// answer parses a request body and renders the response, or
// returns a *poxError.
func (h *Handler) answer(ctx context.Context, cfg *autoconfig.Config, body []byte, client UserAgentKind) ([]byte, httpkit.Subject, error) {
	req, err := parseRequest(body)
	var reqErr *requestError
	if errors.As(err, &reqErr) {
		return nil, httpkit.Subject{}, &poxError{code: InvalidRequest, reason: reqErr.Reason}
	}
	schema := req.RequestedSchema()
	if schema != SchemaOutlook {
		return nil, httpkit.Subject{}, &poxError{code: SchemaNotOffered, schema: schema,
			reason: "only the Outlook responseschema/2006a is offered; ActiveSync (mobilesync) is not"}
	}
	addr, err := autoconfig.ParseAddress(req.EMailAddress)
	if err != nil {
		return nil, httpkit.Subject{}, &poxError{code: InvalidRequest, reason: err.Error(), schema: schema}
	}
	subject := httpkit.SubjectOf(addr)
	acct, err := h.deps.Resolver.AccountIn(ctx, cfg, addr, "")
	if err != nil {
		return nil, subject, &poxError{code: NotFound, reason: autoconfig.ErrUnknownDomain.Error(), subject: subject, schema: schema}
	}
	return ResponseFor(acct, client), subject, nil
}

// probe answers GET. Outlook probes
// http://autodiscover.<domain>/Autodiscover/Autodiscover.xml and follows a
// redirect to HTTPS; anything else gets Exchange's answer to a GET, an
// Invalid Request document.
func (h *Handler) probe(c *gin.Context) {
	if pub := h.deps.PublicURL; !httpkit.RequestIsHTTPS(c.Request) && pub != nil && pub.Scheme == "https" {
		httpkit.NoStore(c)
		c.Redirect(http.StatusFound, pub.String()+POXLink)
		return
	}
	writePOXError(c, http.StatusOK, InvalidRequest, "send the Autodiscover request with POST")
}

// json answers the v2 endpoint, with the address in the query
// (?Email=ADDR) or in the path (/v1.0/ADDR).
func (h *Handler) json(c *gin.Context) {
	query := c.Request.URL.Query()
	if !isV1(queryValueFold(query, "Protocol")) {
		writeJSON(c, http.StatusBadRequest, jsonError(jsonInvalidProtocol,
			"only the AutodiscoverV1 protocol is offered: this service has no ActiveSync, EWS or REST"))
		return
	}
	raw := strings.TrimPrefix(c.Param("address"), "/")
	if raw == "" {
		raw = queryValueFold(query, "Email")
	}
	if raw == "" {
		writeJSON(c, http.StatusBadRequest, jsonError(jsonInvalidUser,
			"an email address is required: ?Email=ADDR or /v1.0/ADDR"))
		return
	}
	addr, err := autoconfig.ParseAddress(raw)
	if err != nil {
		writeJSON(c, http.StatusBadRequest, jsonError(jsonInvalidUser, err.Error()))
		return
	}
	httpkit.TellAddress(c, addr)
	if _, err := h.deps.Resolver.Provider(c.Request.Context(), addr.Domain); err != nil {
		writeJSON(c, http.StatusNotFound, jsonError(jsonUserNotFound, autoconfig.ErrUnknownDomain.Error()))
		return
	}
	writeJSON(c, http.StatusOK, jsonResponse(httpkit.BaseURL(h.deps.PublicURL, c.Request)))
}

// acceptableType accepts what clients send: text/xml (Outlook;
// Thunderbird adds charset=utf-8), application/xml, no type, and
// application/x-www-form-urlencoded, the default of curl --data and of
// simple HTTP libraries. The body is read as UTF-8 XML whatever the label,
// so any other type, or a charset other than UTF-8, is refused.
func acceptableType(header string) bool {
	// What clients send is accepted without parsing it on every request.
	return slices.Contains(commonTypes, header) || parsedTypeOK(header)
}

// commonTypes are the Content-Types Outlook, Thunderbird and
// the others send, all acceptable to parsedTypeOK.
var commonTypes = []string{
	"text/xml", "text/xml; charset=utf-8", "text/xml; charset=UTF-8",
	"application/xml", "application/xml; charset=utf-8",
}

func parsedTypeOK(header string) bool {
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

func writePOXError(c *gin.Context, status int, code ErrorCode, debug string) {
	httpkit.Write(c, status, httpkit.XMLContentType, errorDocument(code, debug, time.Now(), rand.Uint32()))
}

func writeJSON(c *gin.Context, status int, body []byte) {
	httpkit.Write(c, status, httpkit.JSONContentType, body)
}
