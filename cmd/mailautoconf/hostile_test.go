package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileCase is one request sent as raw bytes, so that malformed targets,
// headers and bodies reach the server exactly as an attacker sends them.
type hostileCase struct {
	name   string
	method string            // default GET
	target string            // request-target, sent as is
	host   string            // Host header; default autoconfig.example.com; "-" sends none
	header map[string]string // extra headers
	body   string
	// bodyLength, when set, is the declared Content-Length instead of
	// len(body): the server must decide before reading.
	bodyLength int
	want       int    // expected status
	msg        string // substring of the response body
	// check, when set, asserts more on the response.
	check func(t *testing.T, resp *http.Response, body string)
}

const tb = "/mail/config-v1.1.xml" // Thunderbird's path

// hostileCases is the table. Routes added by other packages append their
// cases here (Autodiscover XML bodies, profile names, QR sizes, wizard
// languages); statuses other than 4xx are noted where they are deliberate.
var hostileCases = []hostileCase{
	// Well-formed requests, as a baseline.
	{name: "valid address", target: tb + "?emailaddress=jane%40example.com", want: 200},
	{name: "no address: domain from Host", target: tb, want: 200},
	{name: "unknown domain", target: tb + "?emailaddress=jane%40example.net", want: 404, msg: "no mail settings for example.net"},

	// Malformed addresses.
	{name: "empty address", target: tb + "?emailaddress=", want: 400, msg: "it is empty"},
	{name: "no @", target: tb + "?emailaddress=jane.example.com", want: 400, msg: "invalid email address"},
	{name: "two @", target: tb + "?emailaddress=a%40b%40example.com", want: 400, msg: "more than one @"},
	{name: "empty local part", target: tb + "?emailaddress=%40example.com", want: 400, msg: "before @ is empty"},
	{name: "empty domain", target: tb + "?emailaddress=jane%40", want: 400, msg: "after @ is empty"},
	{name: "leading dot in domain", target: tb + "?emailaddress=jane%40.example.com", want: 400, msg: "empty part"},
	{name: "two dots in local part", target: tb + "?emailaddress=ja..ne%40example.com", want: 400, msg: "two dots"},
	{name: "single-label domain", target: tb + "?emailaddress=jane%40localhost", want: 400, msg: "at least one dot"},
	{name: "IP literal domain", target: tb + "?emailaddress=jane%40%5B127.0.0.1%5D", want: 400, msg: "IP address"},
	{name: "IP address domain", target: tb + "?emailaddress=jane%40192.0.2.1", want: 400, msg: "IP address"},
	{name: "hyphen label", target: tb + "?emailaddress=jane%40-example.com", want: 400, msg: "invalid email address"},
	{name: "space", target: tb + "?emailaddress=jane+doe%40example.com", want: 400, msg: "space"},
	{name: "angle brackets", target: tb + "?emailaddress=%3Cjane%40example.com%3E", want: 400, msg: "only allowed in quotes"},
	{name: "HTML in local part", target: tb + "?emailaddress=%3Cscript%3E%40example.com", want: 400, msg: "only allowed in quotes"},

	// Over-long input.
	{name: "local part of 65", target: tb + "?emailaddress=" + strings.Repeat("a", 65) + "%40example.com", want: 400, msg: "longer than 64"},
	{name: "label of 64", target: tb + "?emailaddress=jane%40" + strings.Repeat("a", 64) + ".com", want: 400, msg: "longer than 63"},
	{name: "address of 1,000", target: tb + "?emailaddress=" + strings.Repeat("a", 990) + "%40example.com", want: 400, msg: "longer than"},
	{name: "query of 20 KiB", target: tb + "?emailaddress=" + strings.Repeat("a", 20<<10), want: 431},
	{name: "path of 8 KiB", target: "/" + strings.Repeat("a", 8<<10), want: 404, msg: "not found"},

	// IDN and Unicode.
	{name: "IDN address", target: tb + "?emailaddress=jane%40b%C3%BCcher.example", want: 404, msg: "xn--bcher-kva.example"},
	{name: "invalid punycode", target: tb + "?emailaddress=jane%40xn--zz.example", want: 400, msg: "not a valid domain"},
	// UTS #46 maps emoji to punycode: a valid, unknown domain.
	{name: "emoji domain", target: tb + "?emailaddress=jane%40%F0%9F%98%80.example", want: 404, msg: "no mail settings for xn--e28h.example"},
	{name: "right-to-left override", target: tb + "?emailaddress=jane%40exa%E2%80%AEmple.com", want: 400, msg: "control or invisible"},
	{name: "zero-width joiner", target: tb + "?emailaddress=ja%E2%80%8Dne%40example.com", want: 400, msg: "control or invisible"},
	{name: "NUL", target: tb + "?emailaddress=jane%00%40example.com", want: 400, msg: "control"},
	{name: "invalid UTF-8", target: tb + "?emailaddress=jane%C0%AF%40example.com", want: 400, msg: "not valid UTF-8"},

	// Header and file-name injection.
	{name: "CR LF in address", target: tb + "?emailaddress=jane%40example.com%0D%0ASet-Cookie:%20a=b", want: 400, msg: "invalid email address",
		check: func(t *testing.T, resp *http.Response, _ string) { assert.Empty(t, resp.Header.Values("Set-Cookie")) }},
	{name: "quote and CR in address", target: tb + "?emailaddress=%22ja%0Dne%22%40example.com", want: 400, msg: "invalid email address"},
	{name: "quoted local part with @ is valid", target: tb + "?emailaddress=%22a%40b%22%40example.com", want: 200},
	{name: "unbalanced quote", target: tb + "?emailaddress=%22jane%40example.com", want: 400, msg: "invalid email address"},
	{name: "raw CR LF in target", target: tb + "?a=\r\nX-Injected: 1", want: 400},
	// net/http replaces obsolete line folding with a space (RFC 9112 §5.2).
	{name: "header obs-fold", target: tb, header: map[string]string{"X-A": "b\r\n c"}, want: 200},

	// Percent-encoding.
	{name: "invalid escape in query", target: tb + "?emailaddress=%zz", want: 400, msg: "malformed query string"},
	{name: "truncated escape in query", target: tb + "?emailaddress=jane%40example.com%", want: 400, msg: "malformed query string"},
	{name: "semicolon separator", target: tb + "?a=1;emailaddress=jane%40example.com", want: 400, msg: "malformed query string"},
	{name: "invalid escape in path", target: "/mail/config%zz-v1.1.xml", want: 400},

	// Path traversal and path tricks.
	{name: "dot-dot", target: "/mail/../../etc/passwd", want: 404},
	{name: "encoded dot-dot", target: "/%2e%2e/%2e%2e/etc/passwd", want: 404},
	{name: "dot-dot into a real path", target: "/x/.." + tb, want: 404},
	// net/http decodes %2F before routing: the same document, no traversal.
	{name: "encoded slash", target: "/mail%2fconfig-v1.1.xml", want: 200},
	{name: "double slash", target: "/" + tb, want: 404},
	{name: "backslash", target: "/mail\\config-v1.1.xml", want: 404},
	// gin redirects a trailing slash to the route (documented 3xx).
	{name: "trailing slash", target: tb + "/", want: 301},

	// Methods.
	{name: "POST on Thunderbird path", method: "POST", target: tb, want: 405, msg: "method not allowed",
		check: func(t *testing.T, resp *http.Response, _ string) { assert.Contains(t, resp.Header.Get("Allow"), "GET") }},
	{name: "PUT", method: "PUT", target: tb, body: "x", want: 405},
	{name: "DELETE", method: "DELETE", target: tb, want: 405},
	{name: "OPTIONS", method: "OPTIONS", target: tb, want: 405},
	{name: "TRACE", method: "TRACE", target: tb, want: 405},
	{name: "unknown method", method: "BREW", target: tb, want: 405},
	{name: "POST /healthz", method: "POST", target: "/healthz", want: 405},
	{name: "DELETE /metrics", method: "DELETE", target: "/metrics", want: 405},
	{name: "GET /admin/reload", target: "/admin/reload", want: 405},
	{name: "HEAD is served", method: "HEAD", target: tb + "?emailaddress=jane%40example.com", want: 200},

	// Admin endpoint.
	{name: "reload without token", method: "POST", target: "/admin/reload", want: 401, msg: "unauthorized"},
	{name: "reload with wrong token", method: "POST", target: "/admin/reload", header: map[string]string{"Authorization": "Bearer guess"}, want: 401},
	{name: "reload with Basic auth", method: "POST", target: "/admin/reload", header: map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4="}, want: 401},
	{name: "reload with 8 KiB token", method: "POST", target: "/admin/reload", header: map[string]string{"Authorization": "Bearer " + strings.Repeat("x", 8<<10)}, want: 401},

	// Hosts.
	{name: "no Host header", target: tb, host: "-", want: 400},
	{name: "IP Host, no address", target: tb, host: "127.0.0.1", want: 400, msg: "no email address given"},
	{name: "non-ASCII Host", target: tb, host: "autoconfig.b\xc3\xbccher.example", want: 400},
	{name: "Host with leading dot", target: tb, host: ".0", want: 400, msg: "no email address given"},
	{name: "absolute-form target picks the Host", target: "http://autoconfig.example.net" + tb, want: 404, msg: "example.net"},

	// Headers and bodies.
	// net/http allows 4 KiB over MaxHeaderBytes (16 KiB).
	{name: "24 KiB cookie", target: tb, header: map[string]string{"Cookie": strings.Repeat("c", 24<<10)}, want: 431},
	{name: "many headers", target: tb, header: manyHeaders(1000), want: 431},
	{name: "declared 10 MiB body", method: "POST", target: tb, bodyLength: 10 << 20, want: 413, msg: "request body too large"},
	{name: "spoofed X-Forwarded-Proto", target: tb + "?emailaddress=jane%40example.com", header: map[string]string{"X-Forwarded-Proto": "https"}, want: 200,
		check: func(t *testing.T, resp *http.Response, _ string) {
			assert.Empty(t, resp.Header.Get("Strict-Transport-Security"))
		}},
	{name: "huge If-None-Match", target: tb, header: map[string]string{"If-None-Match": strings.Repeat(`"x",`, 2000)}, want: 200},
	// Thunderbird documents have no language; an unknown one is ignored.
	{name: "unknown Accept-Language", target: tb, header: map[string]string{"Accept-Language": "xx-INVALID;;q=abc, *"}, want: 200},
	{name: "unknown lang parameter", target: tb + "?lang=zz-%00", want: 200},
}

func manyHeaders(n int) map[string]string {
	h := make(map[string]string, n)
	for i := range n {
		h[fmt.Sprintf("X-H%d", i)] = strings.Repeat("v", 30)
	}
	return h
}

// sendRaw writes the case as HTTP/1.1 bytes and reads one response, within
// the deadline of ctx.
func sendRaw(ctx context.Context, addr string, tc hostileCase) (*http.Response, string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, "", err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	method := tc.method
	if method == "" {
		method = "GET"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, tc.target)
	switch tc.host {
	case "":
		b.WriteString("Host: autoconfig.example.com\r\n")
	case "-":
	default:
		fmt.Fprintf(&b, "Host: %s\r\n", tc.host)
	}
	for k, v := range tc.header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	length := len(tc.body)
	if tc.bodyLength != 0 {
		length = tc.bodyLength
	}
	if length > 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", length)
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(tc.body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return nil, "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(body), err
}

// TestHostileInput sends every case to a real server built like serve's
// (timeouts, header limit, all middleware), with an admin token set.
func TestHostileInput(t *testing.T) {
	require.GreaterOrEqual(t, len(hostileCases), 50)
	o := testOptions(t)
	o.configPath = configFile(t, configA)
	o.adminToken = "the-admin-token"
	o.rateLimit = "0" // the admin cases must not be rate limited
	rs := startServer(t, o)
	addr := rs.mainLn.Addr().String()

	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, body, err := sendRaw(ctx, addr, tc)
			require.NoError(t, err, "no answer in time")
			assert.Equal(t, tc.want, resp.StatusCode, body)
			assert.Less(t, resp.StatusCode, 500)
			if tc.msg != "" {
				assert.Contains(t, body, tc.msg)
			}
			if resp.StatusCode >= 400 && tc.target != "" {
				// Messages never echo the raw request.
				assert.NotContains(t, body, "jane%40")
				assert.NotContains(t, body, "<script>")
			}
			if tc.check != nil {
				tc.check(t, resp, body)
			}
		})
	}
	assert.NotContains(t, rs.logs.String(), "panic")
}
