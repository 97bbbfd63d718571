package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// hostileConfig serves example.com with what every format needs (PACC
// wants SMTP on 465 with TLS).
const hostileConfig = `providers:
  - id: example.com
    display_name: Example
    domains: [example.com]
    incoming: [{protocol: imap, host: imap.example.com, port: 993, security: tls}]
    outgoing:
      - {protocol: smtp, host: smtp.example.com, port: 587, security: starttls}
      - {protocol: smtp, host: smtp.example.com, port: 465, security: tls}
`

// Paths of the routes the cases below cover.
const (
	pox      = autodiscover.POXPath
	poxLink  = autodiscover.POXLink
	adJSON   = autodiscover.JSONPath
	paccPath = pacc.Path
	profile  = "/apple/mail.mobileconfig"
	qr       = "/qr.png"
	helpdesk = "/helpdesk"
)

// poxBody is an Outlook request for address (escaped as XML text).
var poxBody = testkit.OutlookRequest

var (
	xmlType = map[string]string{"Content-Type": "text/xml"}
	// tenMiB is a body far over every cap.
	tenMiB = strings.Repeat("<a>", (10<<20)/3)

	xxeBody = `<?xml version="1.0"?><!DOCTYPE Autodiscover [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
		strings.Replace(poxBody("X@example.com"), "X@", "&xxe;@", 1)[len(`<?xml version="1.0" encoding="utf-8"?>`):]
	billionLaughsBody = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
		`<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>` +
		`<Autodiscover><Request><EMailAddress>&lol3;@example.com</EMailAddress></Request></Autodiscover>`
	deepBody = "<Autodiscover><Request>" + strings.Repeat("<a>", 2000) + strings.Repeat("</a>", 2000) + "</Request></Autodiscover>"
)

// poxError asserts an Autodiscover Error document with code.
func poxError(code string) func(t *testing.T, resp *http.Response, body string) {
	return func(t *testing.T, resp *http.Response, body string) {
		assert.Equal(t, "application/xml; charset=utf-8", resp.Header.Get("Content-Type"))
		assert.Contains(t, body, "<ErrorCode>"+code+"</ErrorCode>")
		assert.Empty(t, resp.Header.Get("WWW-Authenticate"))
	}
}

// jsonError asserts an Autodiscover v2 JSON error with code.
func jsonError(code string) func(t *testing.T, resp *http.Response, body string) {
	return func(t *testing.T, resp *http.Response, body string) {
		assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
		assert.Contains(t, body, `"ErrorCode":"`+code+`"`)
	}
}

func contentType(want string) func(t *testing.T, resp *http.Response, body string) {
	return func(t *testing.T, resp *http.Response, _ string) {
		assert.Equal(t, want, resp.Header.Get("Content-Type"))
	}
}

// profileNamed asserts a profile download whose file name is built from
// the validated domain only, whatever the query held.
func profileNamed(domain string) func(t *testing.T, resp *http.Response, body string) {
	return func(t *testing.T, resp *http.Response, _ string) {
		assert.Equal(t, `attachment; filename="`+domain+`-mail.mobileconfig"`, resp.Header.Get("Content-Disposition"))
		assert.Equal(t, "application/x-apple-aspen-config", resp.Header.Get("Content-Type"))
		assert.Len(t, resp.Header.Values("Content-Disposition"), 1)
	}
}

func noDownload(t *testing.T, resp *http.Response, _ string) {
	assert.Empty(t, resp.Header.Values("Content-Disposition"))
	assert.Empty(t, resp.Header.Values("X-Injected"))
}

// htmlPage asserts a wizard page: HTML, with the wizard's CSP.
func htmlPage(t *testing.T, resp *http.Response, _ string) {
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
}

const script = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"

var autodiscoverHostileCases = []hostileCase{
	{name: "POX: valid request", method: "POST", target: poxLink, header: xmlType, body: poxBody("jane@example.com"), want: 200,
		msg: "<Server>imap.example.com</Server>", check: contentType("application/xml; charset=utf-8")},
	// Errors are POX documents with HTTP 200, as Exchange sends them.
	{name: "POX: XXE", method: "POST", target: pox, header: xmlType, body: xxeBody, want: 200, msg: "DOCTYPE",
		check: func(t *testing.T, resp *http.Response, body string) {
			poxError("600")(t, resp, body)
			assert.NotContains(t, body, "root:")
		}},
	{name: "POX: billion laughs", method: "POST", target: pox, header: xmlType, body: billionLaughsBody, want: 200, msg: "DOCTYPE",
		check: func(t *testing.T, resp *http.Response, body string) {
			poxError("600")(t, resp, body)
			assert.NotContains(t, body, "lollol")
		}},
	{name: "POX: 2000-deep nesting", method: "POST", target: pox, header: xmlType, body: deepBody, want: 200, msg: "nested too deeply", check: poxError("600")},
	{name: "POX: 10 MiB chunked", method: "POST", target: pox, header: xmlType, body: tenMiB, chunked: true, want: 413, msg: "larger than 16 KiB", check: poxError("600")},
	{name: "POX: 10 MiB with Content-Length", method: "POST", target: pox, header: xmlType, body: tenMiB, want: 413, msg: "larger than 16 KiB", check: poxError("600")},
	{name: "POX: 17 KiB", method: "POST", target: pox, header: xmlType, body: strings.Repeat(" ", 17<<10), want: 413, msg: "larger than 16 KiB", check: poxError("600")},
	{name: "POX: binary body", method: "POST", target: pox, body: "\x00\x01\xff\xfe\x80garbage\x00", want: 200, msg: "not well-formed XML", check: poxError("600")},
	{name: "POX: empty body", method: "POST", target: pox, header: xmlType, want: 200, msg: "the body is empty", check: poxError("600")},
	{name: "POX: JSON content type", method: "POST", target: pox, header: map[string]string{"Content-Type": "application/json"}, body: "{}", want: 415, msg: "XML in UTF-8", check: poxError("600")},
	{name: "POX: Latin-1 charset", method: "POST", target: pox, header: map[string]string{"Content-Type": "text/xml; charset=iso-8859-1"}, body: poxBody("jane@example.com"), want: 415, check: poxError("600")},
	{name: "POX: malformed content type", method: "POST", target: pox, header: map[string]string{"Content-Type": "text/xml; charset="}, body: poxBody("jane@example.com"), want: 415, check: poxError("600")},
	// Outlook's GET probe: without an https --public-url, an error document.
	{name: "POX: GET", target: poxLink, want: 200, msg: "send the Autodiscover request with POST", check: poxError("600")},
	{name: "POX: PUT", method: "PUT", target: pox, header: xmlType, body: poxBody("jane@example.com"), want: 405, msg: "method not allowed"},
	{name: "POX: DELETE", method: "DELETE", target: poxLink, want: 405, msg: "method not allowed",
		check: func(t *testing.T, resp *http.Response, _ string) {
			assert.Contains(t, resp.Header.Get("Allow"), "POST")
		}},
	// Thunderbird sends the user's password as Basic auth: never a 401.
	{name: "POX: Basic auth header", method: "POST", target: poxLink, header: map[string]string{"Content-Type": "text/xml; charset=utf-8",
		"Authorization": "Basic amFuZUBleGFtcGxlLmNvbTpzM2NyZXQ="}, body: poxBody("jane@example.com"), want: 200,
		msg: "<Encryption>SSL</Encryption>", check: func(t *testing.T, resp *http.Response, _ string) {
			assert.Empty(t, resp.Header.Get("WWW-Authenticate"))
		}},
	{name: "POX: mobilesync schema", method: "POST", target: pox, header: xmlType,
		body: strings.Replace(poxBody("jane@example.com"), "outlook/responseschema/2006a", "mobilesync/responseschema/2006", 1), want: 200, check: poxError("601")},
	{name: "POX: unserved domain", method: "POST", target: pox, header: xmlType, body: poxBody("jane@example.net"), want: 200, check: poxError("500")},
	{name: "POX: script address", method: "POST", target: pox, header: xmlType, body: poxBody("<script>alert(1)</script>@example.com"), want: 200, check: poxError("600")},
	{name: "POX: CR LF in address", method: "POST", target: pox, header: xmlType, body: poxBody("jane@example.com\r\nX-Injected: 1"), want: 200, check: poxError("600")},
	{name: "POX: odd path casing", method: "POST", target: "/AUTODISCOVER/autodiscover.XML", header: xmlType, body: poxBody("jane@example.com"), want: 200, msg: "imap.example.com"},

	{name: "JSON: valid", target: adJSON + "?Email=jane%40example.com&Protocol=Autodiscoverv1", want: 200, msg: `"Protocol":"AutodiscoverV1"`,
		check: contentType("application/json; charset=utf-8")},
	{name: "JSON: unknown protocol", target: adJSON + "?Email=jane%40example.com&Protocol=ActiveSync", want: 400, check: jsonError("InvalidProtocol")},
	{name: "JSON: hostile protocol", target: adJSON + "?Email=jane%40example.com&Protocol=" + script, want: 400, check: jsonError("InvalidProtocol")},
	{name: "JSON: no protocol", target: adJSON + "?Email=jane%40example.com", want: 400, check: jsonError("InvalidProtocol")},
	{name: "JSON: missing Email", target: adJSON + "?Protocol=AutodiscoverV1", want: 400, check: jsonError("InvalidUser")},
	{name: "JSON: empty Email", target: adJSON + "?Email=&Protocol=AutodiscoverV1", want: 400, check: jsonError("InvalidUser")},
	{name: "JSON: invalid Email", target: adJSON + "?Email=jane&Protocol=AutodiscoverV1", want: 400, check: jsonError("InvalidUser")},
	{name: "JSON: script Email", target: adJSON + "?Email=" + script + "%40example.com&Protocol=AutodiscoverV1", want: 400, check: jsonError("InvalidUser")},
	{name: "JSON: CR LF in Email", target: adJSON + "?Email=jane%40example.com%0D%0AX-Injected:%201&Protocol=AutodiscoverV1", want: 400,
		check: func(t *testing.T, resp *http.Response, body string) {
			jsonError("InvalidUser")(t, resp, body)
			assert.Empty(t, resp.Header.Values("X-Injected"))
		}},
	{name: "JSON: unserved domain", target: adJSON + "?Email=jane%40example.net&Protocol=AutodiscoverV1", want: 404, check: jsonError("UserNotFound")},
	{name: "JSON: path form", target: "/Autodiscover/Autodiscover.json/v1.0/jane%40example.com?Protocol=AutodiscoverV1", want: 200, msg: "/Autodiscover/Autodiscover.xml"},
	{name: "JSON: path form, script address", target: adJSON + "/v1.0/" + script + "%40example.com?Protocol=AutodiscoverV1", want: 400, check: jsonError("InvalidUser")},
	{name: "JSON: path form, traversal", target: adJSON + "/v1.0/..%2f..%2fetc%2fpasswd?Protocol=AutodiscoverV1", want: 400, check: jsonError("InvalidUser")},
	{name: "JSON: path form, NUL", target: adJSON + "/v1.0/jane%00%40example.com?Protocol=AutodiscoverV1", want: 400, check: jsonError("InvalidUser")},
	{name: "JSON: POST", method: "POST", target: adJSON + "?Email=jane%40example.com&Protocol=AutodiscoverV1", want: 405},
}

var paccHostileCases = []hostileCase{
	{name: "PACC: valid Host", target: paccPath, host: "ua-auto-config.example.com", want: 200, msg: `"submit"`},
	{name: "PACC: unserved Host", target: paccPath, host: "ua-auto-config.example.net", want: 404, msg: `"error"`, check: contentType("application/json; charset=utf-8")},
	// net/http refuses a Host header with characters no host name has.
	{name: "PACC: script in Host", target: paccPath, host: "ua-auto-config.<script>.com", want: 400},
	{name: "PACC: quote in Host", target: paccPath, host: `ua-auto-config.a"b.com`, want: 400},
	{name: "PACC: bare IP Host", target: paccPath, host: "192.0.2.1", want: 400, msg: `"error"`},
	{name: "PACC: Host of 300 characters", target: paccPath, host: strings.Repeat("a.", 150) + "com", want: 400, msg: `"error"`},
	{name: "PACC: script emailaddress", target: paccPath + "?emailaddress=" + script + "%40example.com", want: 400, msg: `"error"`},
	{name: "PACC: CR LF in emailaddress", target: paccPath + "?emailaddress=jane%40example.com%0D%0AX-Injected:%201", want: 400, msg: `"error"`},
	{name: "PACC: valid emailaddress", target: paccPath + "?emailaddress=jane%40example.com", host: "autoconfig.example.org", want: 200, msg: `"imap"`},
	{name: "PACC: POST", method: "POST", target: paccPath, host: "ua-auto-config.example.com", want: 405},
}

var profileHostileCases = []hostileCase{
	{name: "profile: valid", target: profile + "?email=jane%40example.com&name=Jane%20Doe", want: 200, check: profileNamed("example.com")},
	{name: "profile: alias path", target: "/email.mobileconfig?email=jane%40example.com", want: 200, check: profileNamed("example.com")},
	{name: "profile: no email", target: profile, want: 400, msg: "email parameter is required", check: noDownload},
	{name: "profile: script email", target: profile + "?email=" + script + "%40example.com", want: 400, msg: "invalid email address", check: noDownload},
	{name: "profile: unserved domain", target: profile + "?email=jane%40example.net", want: 404, msg: "example.net", check: noDownload},
	{name: "profile: CR LF in email", target: profile + "?email=jane%40example.com%0D%0AX-Injected:%201", want: 400, check: noDownload},
	{name: "profile: CR LF in name", target: profile + "?email=jane%40example.com&name=Jane%0D%0AX-Injected:%201", want: 400, msg: "control", check: noDownload},
	// A name with quotes is a valid name: it must not reach the header.
	{name: "profile: quotes in name", target: profile + "?email=jane%40example.com&name=Jane%22%3B%20filename%3D%22evil.sh", want: 200, check: profileNamed("example.com")},
	{name: "profile: quoted local part", target: profile + "?email=%22ja%5C%22ne%22%40example.com", want: 200, check: profileNamed("example.com")},
	{name: "profile: IDN domain", target: profile + "?email=jane%40b%C3%BCcher.example", want: 404, msg: "xn--bcher-kva.example", check: noDownload},
	{name: "profile: name of 101", target: profile + "?email=jane%40example.com&name=" + strings.Repeat("n", 101), want: 400, msg: "the name is too long", check: noDownload},
	{name: "profile: name of 10 KiB", target: profile + "?email=jane%40example.com&name=" + strings.Repeat("n", 10<<10), want: 400, msg: "the name is too long", check: noDownload},
	{name: "profile: unknown include", target: profile + "?email=jane%40example.com&include=mail,shell", want: 400, msg: "include", check: noDownload},
	// The provider has no CalDAV URL.
	{name: "profile: include nothing offered", target: profile + "?email=jane%40example.com&include=calendar", want: 404, check: noDownload},
	{name: "profile: HEAD", method: "HEAD", target: profile + "?email=jane%40example.com", want: 200, check: profileNamed("example.com")},
	{name: "profile: POST", method: "POST", target: profile + "?email=jane%40example.com", want: 405, msg: "method not allowed", check: noDownload},
}

var qrHostileCases = []hostileCase{
	{name: "QR: valid", target: qr + "?email=jane%40example.com&client=apple-ios", want: 200, check: contentType("image/png")},
	{name: "QR: size 0", target: qr + "?email=jane%40example.com&client=apple-ios&size=0", want: 400, msg: "from 128 to 1024"},
	{name: "QR: size 127", target: qr + "?email=jane%40example.com&client=apple-ios&size=127", want: 400, msg: "from 128 to 1024"},
	{name: "QR: size 128", target: qr + "?email=jane%40example.com&client=apple-ios&size=128", want: 200, check: contentType("image/png")},
	{name: "QR: size 1025", target: qr + "?email=jane%40example.com&client=apple-ios&size=1025", want: 400, msg: "from 128 to 1024"},
	{name: "QR: size 10^9", target: qr + "?email=jane%40example.com&client=apple-ios&size=1000000000", want: 400, msg: "from 128 to 1024"},
	{name: "QR: size overflowing int64", target: qr + "?email=jane%40example.com&client=apple-ios&size=99999999999999999999", want: 400, msg: "from 128 to 1024"},
	{name: "QR: size -1", target: qr + "?email=jane%40example.com&client=apple-ios&size=-1", want: 400, msg: "from 128 to 1024"},
	{name: "QR: size not a number", target: qr + "?email=jane%40example.com&client=apple-ios&size=big", want: 400, msg: "from 128 to 1024"},
	{name: "QR: size 0x100", target: qr + "?email=jane%40example.com&client=apple-ios&size=0x100", want: 400, msg: "from 128 to 1024"},
	{name: "QR: unknown client", target: qr + "?email=jane%40example.com&client=" + script, want: 400, msg: "Unknown or missing mail app"},
	{name: "QR: no client", target: qr + "?email=jane%40example.com", want: 400, msg: "Unknown or missing mail app"},
	{name: "QR: script email", target: qr + "?email=" + script + "%40example.com&client=apple-ios", want: 400, msg: "Invalid email address"},
	{name: "QR: unserved domain", target: qr + "?email=jane%40example.net&client=apple-ios", want: 404, msg: "example.net"},
	{name: "QR: German message", target: qr + "?email=jane%40example.com&client=apple-ios&size=1&lang=de", want: 400, check: contentType("text/plain; charset=utf-8")},
	{name: "QR: POST", method: "POST", target: qr + "?email=jane%40example.com&client=apple-ios", want: 405},
}

var wizardHostileCases = []hostileCase{
	{name: "wizard: start page", target: "/", want: 200, check: htmlPage},
	// The start form is filled in again with the address as typed, escaped.
	{name: "wizard: script address on start page", target: "/?email=" + script, want: 200, msg: "&lt;script&gt;", check: htmlPage},
	{name: "wizard: script address on setup", target: "/setup?email=" + script + "%40example.com", want: 400, msg: "&lt;script&gt;", check: htmlPage},
	{name: "wizard: attribute breakout address", target: "/setup?email=%22%3E%3Cscript%3E%40example.com", want: 400, check: htmlPage},
	// A name is free text, carried on in the links, percent-encoded.
	{name: "wizard: script name", target: "/setup?email=jane%40example.com&name=" + script, want: 200, msg: "name=%3Cscript%3Ealert", check: htmlPage},
	{name: "wizard: script name on start page", target: "/?name=%22%3E" + script, want: 200, msg: "&#34;&gt;&lt;script&gt;", check: htmlPage},
	{name: "wizard: CR LF in name", target: "/setup?email=jane%40example.com&name=a%0D%0Ab", want: 400, msg: "control characters", check: htmlPage},
	{name: "wizard: name of 10 KiB", target: "/sheet?email=jane%40example.com&name=" + strings.Repeat("n", 10<<10), want: 400, check: htmlPage},
	{name: "wizard: unserved domain", target: "/setup?email=jane%40example.net", want: 404, msg: "example.net", check: htmlPage},
	{name: "wizard: unknown client", target: "/setup/%3Cscript%3E?email=jane%40example.com", want: 404, msg: "Unknown mail app", check: htmlPage},
	// "%2F" decodes to a path separator: no such route.
	{name: "wizard: client with a slash", target: "/setup/" + script + "?email=jane%40example.com", want: 404, msg: "not found"},
	{name: "wizard: client page", target: "/setup/thunderbird?email=jane%40example.com", want: 200, msg: "imap.example.com", check: htmlPage},
	{name: "wizard: sheet, script address", target: "/sheet?email=" + script, want: 400, check: htmlPage},
	// An unknown language falls back to English.
	{name: "wizard: unknown lang", target: "/setup?email=jane%40example.com&lang=xx", want: 200, msg: `lang="en"`, check: htmlPage},
	{name: "wizard: script lang", target: "/setup?email=jane%40example.com&lang=" + script, want: 200, msg: `lang="en"`, check: htmlPage},
	{name: "wizard: hostile Accept-Language", target: "/", header: map[string]string{"Accept-Language": "<script>;q=9, " + strings.Repeat("x-", 500) + "de;q=abc"}, want: 200, msg: `lang="en"`, check: htmlPage},
	{name: "wizard: German Accept-Language", target: "/", header: map[string]string{"Accept-Language": "de-CH, en;q=0.5"}, want: 200, msg: `lang="de"`, check: htmlPage},
	{name: "wizard: POST on a page", method: "POST", target: "/setup?email=jane%40example.com", want: 405},

	{name: "static: stylesheet", target: "/static/style.css", want: 200, check: contentType("text/css; charset=utf-8")},
	{name: "static: unknown file", target: "/static/nothing.js", want: 404, msg: "not found"},
	{name: "static: encoded traversal", target: "/static/..%2f..%2fetc%2fpasswd", want: 404, msg: "not found"},
	{name: "static: raw traversal", target: "/static/../../etc/passwd", want: 404, msg: "not found"},
	{name: "static: encoded dot-dot", target: "/static/%2e%2e/", want: 404, msg: "not found"},
	{name: "static: dot-dot file", target: "/static/%2e%2e", want: 404, msg: "not found"},
	{name: "static: encoded NUL", target: "/static/style.css%00", want: 404, msg: "not found"},
	{name: "static: NUL and traversal", target: "/static/%00..%2ftemplates.go", want: 404, msg: "not found"},
	{name: "static: template source", target: "/static/..%2flayout.html", want: 404, msg: "not found"},
	{name: "static: DELETE", method: "DELETE", target: "/static/style.css", want: 405},

	// Without --helpdesk-token the helpdesk does not exist.
	{name: "helpdesk: not configured", target: helpdesk, want: 404, msg: "not found"},
	{name: "helpdesk: not configured, Bearer", target: helpdesk, header: map[string]string{"Authorization": "Bearer guess"}, want: 404},
	{name: "helpdesk: not configured, POST", method: "POST", target: helpdesk, body: "email=jane%40example.com", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, want: 404},
}

// helpdeskToken is the token of the server TestHostileInput_Helpdesk starts.
const helpdeskTestToken = "the-helpdesk-token-0123456789"

var helpdeskHostileCases = []hostileCase{
	{name: "no token", target: helpdesk, want: 401, msg: "Sign-in required",
		check: func(t *testing.T, resp *http.Response, _ string) {
			assert.Len(t, resp.Header.Values("WWW-Authenticate"), 2)
		}},
	{name: "wrong Bearer", target: helpdesk, header: map[string]string{"Authorization": "Bearer guess"}, want: 401, msg: "Sign-in required"},
	{name: "token prefix", target: helpdesk, header: map[string]string{"Authorization": "Bearer " + helpdeskTestToken[:20]}, want: 401},
	{name: "wrong Basic password", target: helpdesk, header: map[string]string{"Authorization": "Basic dTpndWVzcw=="}, want: 401},
	{name: "8 KiB Authorization", target: helpdesk, header: map[string]string{"Authorization": "Bearer " + strings.Repeat("x", 8<<10)}, want: 401},
	// Over MaxHeaderBytes (16 KiB, plus net/http's 4 KiB slack).
	{name: "24 KiB Authorization", target: helpdesk, header: map[string]string{"Authorization": "Bearer " + strings.Repeat("x", 24<<10)}, want: 431},
	{name: "malformed Basic", target: helpdesk, header: map[string]string{"Authorization": "Basic %%%"}, want: 401},
	{name: "POST without token", method: "POST", target: helpdesk, body: "email=jane%40example.com",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, want: 401},
	{name: "right Bearer", target: helpdesk, header: map[string]string{"Authorization": "Bearer " + helpdeskTestToken}, want: 200, check: htmlPage},
	{name: "right token, script address", method: "POST", target: helpdesk, body: "email=" + script + "%40example.com",
		header: map[string]string{"Authorization": "Bearer " + helpdeskTestToken, "Content-Type": "application/x-www-form-urlencoded"}, want: 400, msg: "&lt;script&gt;", check: htmlPage},
	{name: "right token, script name", method: "POST", target: helpdesk, body: "email=jane%40example.com&name=" + script,
		header: map[string]string{"Authorization": "Bearer " + helpdeskTestToken, "Content-Type": "application/x-www-form-urlencoded"}, want: 200, msg: "&lt;script&gt;", check: htmlPage},
	{name: "right token, cross-site form", method: "POST", target: helpdesk, body: "email=jane%40example.com",
		header: map[string]string{"Authorization": "Bearer " + helpdeskTestToken, "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site"}, want: 403, check: htmlPage},
	{name: "right token, 10 MiB form", method: "POST", target: helpdesk, body: tenMiB, chunked: true,
		header: map[string]string{"Authorization": "Bearer " + helpdeskTestToken, "Content-Type": "application/x-www-form-urlencoded"}, want: 400, msg: "too large", check: htmlPage},
}
