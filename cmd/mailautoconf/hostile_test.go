package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
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
	// chunked sends the body with Transfer-Encoding: chunked, so that the
	// server learns its size only by reading.
	chunked bool
	want    int    // expected status
	msg     string // substring of the response body
	// check, when set, asserts more on the response.
	check func(t *testing.T, resp *http.Response, body string)
}

const tb = "/mail/config-v1.1.xml" // Thunderbird's path

// hostileCases is the table of the Thunderbird and operations routes; each
// other route has its table in hostile_routes_test.go. Statuses other than
// 4xx are noted where they are deliberate.
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
	// No trailing-slash redirect: gin would build it before any middleware,
	// from the client's X-Forwarded-Prefix.
	{name: "trailing slash", target: tb + "/", want: 404, msg: "not found"},
	{name: "trailing slash with X-Forwarded-Prefix", target: tb + "/", header: map[string]string{"X-Forwarded-Prefix": "/evil"}, want: 404,
		check: func(t *testing.T, resp *http.Response, _ string) {
			assert.Empty(t, resp.Header.Get("Location"))
			assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
		}},

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
// the deadline of ctx. The request is written while the response is read:
// the server may answer (413) and close before a large body is sent.
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
	switch {
	case tc.chunked:
		b.WriteString("Transfer-Encoding: chunked\r\n")
	case length > 0:
		fmt.Fprintf(&b, "Content-Length: %d\r\n", length)
	}
	b.WriteString("Connection: close\r\n\r\n")
	go writeBody(conn, b.String(), tc.body, tc.chunked)
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(body), err
}

// writeBody writes the head and body; errors are ignored, as the server
// may close the connection once it has answered.
func writeBody(w io.Writer, head, body string, chunked bool) {
	if _, err := io.WriteString(w, head); err != nil || body == "" && !chunked {
		return
	}
	if !chunked {
		io.WriteString(w, body)
		return
	}
	const chunk = 32 << 10
	for len(body) > 0 {
		n := min(chunk, len(body))
		if _, err := fmt.Fprintf(w, "%x\r\n%s\r\n", n, body[:n]); err != nil {
			return
		}
		body = body[n:]
	}
	io.WriteString(w, "0\r\n\r\n")
}

// TestHostileInput sends every case to a real server built like serve's
// (timeouts, header limit, all middleware), with an admin token set, the
// operations endpoints on the public listener (so that they face the
// cases too) and rate limiting off, so that no case is answered 429.
func TestHostileInput(t *testing.T) {
	var cases []hostileCase
	for _, table := range [][]hostileCase{hostileCases, autodiscoverHostileCases, paccHostileCases,
		profileHostileCases, qrHostileCases, wizardHostileCases} {
		cases = append(cases, table...)
	}
	require.GreaterOrEqual(t, len(cases), 150)
	o := testOptions(t)
	o.configPath = configFile(t, hostileConfig)
	o.adminToken = "the-admin-token-of-tests"
	o.publicOperations = true
	o.rateLimit = "0"
	rs := startServer(t, o)
	runHostileCases(t, rs, cases)
}

// TestHostileInput_Helpdesk runs the helpdesk's cases on a server that has
// a helpdesk token.
func TestHostileInput_Helpdesk(t *testing.T) {
	o := testOptions(t)
	o.configPath = configFile(t, hostileConfig)
	o.helpdeskToken = helpdeskTestToken
	o.rateLimit = "0"
	runHostileCases(t, startServer(t, o), helpdeskHostileCases)
}

// Under a low limit, the generating routes answer 429 with Retry-After; the
// autoconfig documents stay unlimited.
func TestHostileInput_RateLimited(t *testing.T) {
	o := testOptions(t)
	o.configPath = configFile(t, hostileConfig)
	o.rateLimit = "1/h"
	o.rateBurst = 2
	rs := startServer(t, o)
	limited := hostileCase{target: qr + "?email=jane%40example.com&client=apple-ios&size=1"}
	for range 2 {
		resp, _, err := sendRaw(t.Context(), rs.mainLn.Addr().String(), limited)
		require.NoError(t, err)
		assert.Equal(t, 400, resp.StatusCode, "within the burst, even a refused request counts")
	}
	runHostileCases(t, rs, []hostileCase{
		{name: "QR over the limit", target: limited.target, want: 429, check: retryAfter},
		{name: "profile over the limit", target: profile + "?email=jane%40example.com", want: 429, check: retryAfter},
		{name: "autoconfig unlimited", target: tb + "?emailaddress=jane%40example.com", want: 200},
		{name: "Autodiscover unlimited", method: "POST", target: pox, header: xmlType, body: poxBody("jane@example.com"), want: 200},
	})
}

func retryAfter(t *testing.T, resp *http.Response, _ string) {
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After is whole seconds")
	assert.Positive(t, secs)
}

// runHostileCases sends each case to rs and checks the answer: the wanted
// status, never a 5xx or a hang, no raw input reflected.
func runHostileCases(t *testing.T, rs *runningServer, cases []hostileCase) {
	t.Helper()
	addr := rs.mainLn.Addr().String()
	for _, tc := range cases {
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
			// Reflected input is escaped in every format.
			assert.NotContains(t, body, "<script>")
			if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				// Messages never echo the raw request (HTML pages fill the
				// form in again and link the same query in each language).
				assert.NotContains(t, body, "jane%40")
			}
			if tc.check != nil {
				tc.check(t, resp, body)
			}
		})
	}
	assert.NotContains(t, rs.logs.String(), "panic")
}
