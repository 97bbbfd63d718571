// Package guard holds the HTTP middleware every route goes through:
// security headers, the request body cap and the forwarded scheme.
package guard

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// HSTSValue is sent on responses served over TLS: one year, as the
// autoconfig names are only ever meant to be reached over HTTPS.
const HSTSValue = "max-age=31536000"

var (
	nosniff = []string{"nosniff"}
	hsts    = []string{HSTSValue}
)

// SecurityHeaders sets the headers every response carries. Handlers run
// after it and may override them.
func SecurityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		// Assigned, not Set: the keys are canonical and the values shared
		// and never modified, so this allocates nothing on every request.
		h := c.Writer.Header()
		// Referrer-Policy is set by the HTML pages, the only responses
		// with links to follow; on the others it would do nothing.
		h["X-Content-Type-Options"] = nosniff
		// RFC 6797 §7.2: HSTS is ignored, and must not be sent, over plain HTTP.
		if isHTTPS(c.Request) {
			h["Strict-Transport-Security"] = hsts
		}
		c.Next()
	}
}

// BodyLimit caps request bodies at limit bytes. A declared larger body is
// refused at once with 413; an undeclared one (chunked) makes the handler's
// read fail with *http.MaxBytesError, which handlers map to 413.
// selfCapped lists routes whose handlers check a smaller cap of their own,
// declared length included, and answer 413 in their client's format (the
// Autodiscover POX error document): they get the reader cap only.
func BodyLimit(limit int64, selfCapped ...string) gin.HandlerFunc {
	msg := fmt.Sprintf("request body too large: the limit is %d bytes", limit)
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit && !slices.Contains(selfCapped, c.FullPath()) {
			c.Header("Connection", "close")
			httpkit.WriteText(c, http.StatusRequestEntityTooLarge, msg)
			c.Abort()
			return
		}
		// The server gives requests without a body http.NoBody: nothing to cap.
		if c.Request.Body != nil && c.Request.Body != http.NoBody {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

// ForwardedScheme sets r.URL.Scheme to the scheme the client used: https
// when the connection is TLS, or when a trusted proxy says so with
// X-Forwarded-Proto; http otherwise. It always overwrites the field, so a
// client cannot claim https with an absolute request URI.
// autoconfig.Service.BaseURL reads it to build links.
func ForwardedScheme(trusted []netip.Prefix) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		scheme := "http"
		switch {
		case r.TLS != nil:
			scheme = "https"
		case fromTrusted(r.RemoteAddr, trusted):
			if p := strings.ToLower(strings.TrimSpace(firstValue(r.Header.Get("X-Forwarded-Proto")))); p == "https" {
				scheme = "https"
			}
		}
		r.URL.Scheme = scheme
		c.Next()
	}
}

func isHTTPS(r *http.Request) bool { return r.TLS != nil || r.URL.Scheme == "https" }

// firstValue is the first of a comma-separated list: the scheme the first
// proxy saw, which is the client's.
func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return first
}

func fromTrusted(remoteAddr string, trusted []netip.Prefix) bool {
	if len(trusted) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseCIDRs parses a comma-separated list of CIDR prefixes or single IP
// addresses, as given to --trusted-proxies.
func ParseCIDRs(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix such as 10.0.0.0/8", item)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// plainKey marks the context of requests that came in on the plain-HTTP
// listener that runs beside the TLS one.
type plainKey struct{}

// MarkPlain is the BaseContext of the plain-HTTP listener's server.
func MarkPlain(ctx context.Context) context.Context {
	return context.WithValue(ctx, plainKey{}, true)
}

func arrivedPlain(r *http.Request) bool {
	v, _ := r.Context().Value(plainKey{}).(bool)
	return v
}

// RedirectPlain sends requests that came in on the plain-HTTP listener to
// HTTPS, except those for which servePlain is true (it sees the method and
// the path: Outlook's GET probe of Autodiscover is answered, its POST is
// redirected). GET and HEAD get 301;
// other methods get 308, which keeps the method and body (RFC 9110
// §15.4.9), where 301 would let a client turn a POST into a GET.
// httpsPort is the port redirects point to; 443 is left out of URLs.
func RedirectPlain(httpsPort int, servePlain func(r *http.Request) bool) gin.HandlerFunc {
	port := ""
	if httpsPort != 443 {
		port = ":" + strconv.Itoa(httpsPort)
	}
	return func(c *gin.Context) {
		r := c.Request
		if !arrivedPlain(r) || servePlain(r) {
			c.Next()
			return
		}
		host, ok := redirectHost(r.Host)
		if !ok {
			httpkit.WriteText(c, http.StatusBadRequest, "invalid Host header")
			c.Abort()
			return
		}
		status := http.StatusPermanentRedirect
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			status = http.StatusMovedPermanently
		}
		c.Header("Location", "https://"+host+port+r.URL.RequestURI())
		c.Header("Cache-Control", "no-store")
		c.Status(status)
		c.Abort()
	}
}

// redirectHost is the host name of a Host header without its port, if it
// is a plain DNS name or IP address: anything else could inject into the
// Location header.
func redirectHost(hostport string) (string, bool) {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Zone() == "" {
		if a.Is6() {
			return "[" + a.String() + "]", true
		}
		return a.String(), true
	}
	if host == "" || len(host) > 253 {
		return "", false
	}
	for i := 0; i < len(host); i++ {
		b := host[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '.') {
			return "", false
		}
	}
	return host, true
}

// wellFormedQuery reports whether url.ParseQuery accepts raw, without
// parsing it: a semicolon or a '%' not followed by two hex digits are its
// only errors. This runs on every request; FuzzWellFormedQuery checks it
// against url.ParseQuery.
func wellFormedQuery(raw string) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case ';':
			return false
		case '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

// WellFormedQuery refuses a query string that does not parse (a bad
// percent-escape, a semicolon separator): Go's URL.Query drops such pairs
// silently, and a handler would then answer for a request it never saw.
func WellFormedQuery() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !wellFormedQuery(c.Request.URL.RawQuery) {
			httpkit.WriteText(c, http.StatusBadRequest, "malformed query string: invalid percent-encoding or separator")
			c.Abort()
			return
		}
		c.Next()
	}
}
