// Package httpkit is the HTTP plumbing every format package shares: cached
// documents with entity tags, the CPU gate of expensive renders, query
// parsing without allocation, and the one writer of responses and errors.
// It knows no format: each format package parses its request, asks the
// autoconfig.Resolver and renders; httpkit writes the bytes.
package httpkit

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// Content types and cache policies, as header values shared by every
// response of their kind: assigned, never copied (see Document.Write).
var (
	XMLContentType  = []string{"application/xml; charset=utf-8"}
	JSONContentType = []string{"application/json; charset=utf-8"}
	TextContentType = []string{"text/plain; charset=utf-8"}

	publicMaxAge   = []string{"public, max-age=3600"}
	busyRetryAfter = []string{BusyRetryAfter}
	noStoreValue   = []string{"no-store"}
	nosniff        = []string{"nosniff"}
)

// WriteCacheable writes a document that depends only on the URL and Host,
// with an ETag so that clients and caches can revalidate it.
func WriteCacheable(c *gin.Context, contentType []string, doc Document) {
	// No "Vary: Host" although the domain may come from Host: the host is
	// part of the URL that caches key on (RFC 9111 §2).
	c.Writer.Header()["Cache-Control"] = publicMaxAge
	doc.Serve(c.Writer, c.Request, contentType)
}

// WritePrivate writes a document that depends on the request's address or
// body: no cache may keep it.
func WritePrivate(c *gin.Context, contentType []string, body []byte) {
	NoStore(c)
	Document{Body: body}.Write(c.Writer, contentType)
}

// Write answers with status and body, not cacheable: for error documents in
// a client's own format (Autodiscover's POX errors, JSON errors).
func Write(c *gin.Context, status int, contentType []string, body []byte) {
	NoStore(c)
	h := c.Writer.Header()
	h["Content-Type"] = contentType
	c.Writer.WriteHeader(status)
	c.Writer.Write(body)
}

// NoStore marks a response no cache may keep, and that is only ever what
// its Content-Type says.
func NoStore(c *gin.Context) {
	h := c.Writer.Header()
	h["Cache-Control"] = noStoreValue
	h["X-Content-Type-Options"] = nosniff
}

// WriteText answers with status and one line of text, not cacheable.
func WriteText(c *gin.Context, status int, line string) {
	Write(c, status, TextContentType, []byte(line+"\n"))
}

// StatusError is an error answered with a given status and message. Its
// message must not contain request input.
type StatusError struct {
	Status int
	Msg    string
}

func (e *StatusError) Error() string { return e.Msg }

// Error returns a StatusError.
func Error(status int, msg string) error { return &StatusError{Status: status, Msg: msg} }

// Status maps an error to its HTTP status code, in one place: errors that
// carry a status (StatusError, or any error with an HTTPStatus method),
// invalid addresses and requests without a domain (400), unknown domains
// (404). Anything else is an internal fault: 500, never blamed on the
// client.
func Status(err error) int {
	var se *StatusError
	var hs interface{ HTTPStatus() int }
	switch {
	case errors.As(err, &se):
		return se.Status
	case errors.As(err, &hs):
		return hs.HTTPStatus()
	case autoconfig.IsAddressError(err), errors.Is(err, autoconfig.ErrNoDomain):
		return http.StatusBadRequest
	case errors.Is(err, autoconfig.ErrUnknownDomain):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// internalError is what a client reads of an internal fault; the cause is
// in the log.
const internalError = "internal error: the service could not answer this request"

// publicMessage is the one line a client reads of err.
func publicMessage(err error, status int) string {
	if status >= http.StatusInternalServerError && !errors.Is(err, ErrBusy) {
		return internalError
	}
	return err.Error()
}

// logIfInternal logs the errors that are the service's fault, with the
// route pattern only: never the URL, which holds addresses. A busy answer
// is no fault: it gets its Retry-After instead.
func logIfInternal(c *gin.Context, logger *slog.Logger, err error, status int) {
	if errors.Is(err, ErrBusy) {
		// Not a fault: a budget doing its job, which the access log counts.
		c.Writer.Header()["Retry-After"] = busyRetryAfter
		return
	}
	if status >= http.StatusInternalServerError && logger != nil {
		logger.ErrorContext(c.Request.Context(), "request failed: answered with an internal error",
			"route", c.FullPath(), "status", status, "error", err.Error())
	}
}

// WriteError answers err as one line of text with its status (Status).
// Internal errors are logged with their cause and answered without it.
func WriteError(c *gin.Context, logger *slog.Logger, err error) {
	status := Status(err)
	logIfInternal(c, logger, err, status)
	WriteText(c, status, publicMessage(err, status))
}

// WriteJSONError answers err as {"error": "..."} with its status, for
// clients that read JSON.
func WriteJSONError(c *gin.Context, logger *slog.Logger, err error) {
	status := Status(err)
	logIfInternal(c, logger, err, status)
	body := append(appendJSONString([]byte(`{"error":`), publicMessage(err, status)), "}\n"...)
	Write(c, status, JSONContentType, body)
}

// Logger is logger, or one that discards everything when it is nil.
func Logger(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return logger
}

// BaseURL is the absolute base URL (no trailing slash) for links in
// responses: public when the operator configured it, or else the scheme
// and host of the request.
func BaseURL(public *url.URL, r *http.Request) string {
	if public != nil {
		return public.String()
	}
	scheme := "http"
	if RequestIsHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// RequestIsHTTPS reports whether the client reached the service over HTTPS:
// a TLS connection here, or r.URL.Scheme "https", which the server's
// middleware sets only for a trusted proxy's X-Forwarded-Proto. The header
// itself is never read here: any client could send it.
func RequestIsHTTPS(r *http.Request) bool {
	return r.TLS != nil || r.URL.Scheme == "https"
}

// RequestedDomain is the domain of the address in query parameter param,
// or, when the parameter is absent, the domain of the Host header (clients
// that send no address: Thunderbird for Android, K-9 Mail, PACC). It tells
// the access log what the request was about.
func RequestedDomain(c *gin.Context, param string) (string, error) {
	if raw, ok := QueryValue(c.Request.URL.RawQuery, param); ok {
		addr, err := autoconfig.ParseAddress(raw)
		if err != nil {
			return "", err
		}
		TellAddress(c, addr)
		return addr.Domain, nil
	}
	domain, err := autoconfig.DomainFromHost(c.Request.Host)
	if err == nil {
		TellDomain(c, domain)
	}
	return domain, err
}

// Deps are what every format's handler is built from.
type Deps struct {
	Resolver *autoconfig.Resolver
	// PublicURL is the service's absolute base URL (scheme and host, no
	// trailing slash), used where a response links to the service; nil:
	// derived from each request (BaseURL).
	PublicURL *url.URL
	// Logger receives internal errors; nil discards them.
	Logger *slog.Logger
	// Formats, when set, learns the format of every route registered.
	Formats *Formats
}

// Declare records the format of routes in d.Formats, when set.
func (d Deps) Declare(format string, routes ...string) {
	if d.Formats != nil {
		d.Formats.Declare(format, routes...)
	}
}
