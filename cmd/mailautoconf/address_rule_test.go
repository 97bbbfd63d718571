package main

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

// Every route reads an address with one parser and one rule: whitespace
// around it is dropped (phone keyboards add a space, copying adds more), so
// a padded address gets exactly the answer of the plain one, in every
// client's format.
func TestEngine_EveryRouteTrimsTheAddressAlike(t *testing.T) {
	const plain, padded = "jane@example.ch", " \tjane@example.ch \u00a0"
	token := "0123456789abcdef"
	s := testSite(&bytes.Buffer{})
	s.helpdeskToken = token
	e := newEngine(s)
	query := func(path, key string) func(string) string {
		return func(addr string) string { return path + "?" + url.Values{key: {addr}}.Encode() }
	}
	type route struct {
		name   string
		method string
		target func(addr string) string
		body   func(addr string) string
		header http.Header
		want   int
	}
	routes := []route{
		{name: "autodiscover POX", method: http.MethodPost, target: func(string) string { return "/autodiscover/autodiscover.xml" },
			body: testkit.OutlookRequest, header: http.Header{"Content-Type": {"text/xml"}}, want: http.StatusOK},
		{name: "autodiscover JSON, query", target: func(addr string) string {
			return "/autodiscover/autodiscover.json?" + url.Values{"Email": {addr}, "Protocol": {"AutodiscoverV1"}}.Encode()
		}, want: http.StatusOK},
		{name: "autodiscover JSON, path", target: func(addr string) string {
			return "/autodiscover/autodiscover.json/v1.0/" + url.PathEscape(addr) + "?Protocol=AutodiscoverV1"
		}, want: http.StatusOK},
		{name: "apple profile", target: query("/apple/mail.mobileconfig", "email"), want: http.StatusOK},
		{name: "pacc", target: query("/.well-known/user-agent-configuration.json", "emailaddress"), want: http.StatusOK},
		{name: "qr", target: func(addr string) string {
			return "/qr.png?" + url.Values{"email": {addr}, "client": {"apple-ios"}}.Encode()
		}, want: http.StatusOK},
		{name: "thunderbird import code", target: query("/qr/thunderbird.png", "email"), want: http.StatusOK},
		{name: "wizard page", target: query("/setup/thunderbird", "email"), want: http.StatusOK},
		{name: "short link", target: func(addr string) string { return "/s/apple-ios/" + url.PathEscape(addr) }, want: http.StatusFound},
		{name: "helpdesk", method: http.MethodPost, target: func(string) string { return "/helpdesk" },
			body:   func(addr string) string { return url.Values{"email": {addr}}.Encode() },
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"Bearer " + token}},
			want:   http.StatusOK},
	}
	for _, path := range thunderbird.Paths {
		routes = append(routes, route{name: "thunderbird " + path, target: query(path, "emailaddress"), want: http.StatusOK})
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			answer := func(addr string) (int, string, string) {
				method, body := r.method, ""
				if method == "" {
					method = http.MethodGet
				}
				if r.body != nil {
					body = r.body(addr)
				}
				w := testkit.DoBody(e, method, r.target(addr), "", r.header, body)
				// The language switcher links this very request in another
				// language: it keeps the query as sent.
				return w.Code, w.Header().Get("Location"), languageSwitcher.ReplaceAllString(w.Body.String(), "")
			}
			wantCode, wantLocation, wantBody := answer(plain)
			require.Equal(t, r.want, wantCode, wantBody)
			code, location, body := answer(padded)
			require.Equal(t, wantCode, code, body)
			assert.Equal(t, wantLocation, location)
			assert.Equal(t, wantBody, body, "the padded address gets the plain one's answer")
		})
	}
}

var languageSwitcher = regexp.MustCompile(`(?s)<nav class="langs".*?</nav>`)
