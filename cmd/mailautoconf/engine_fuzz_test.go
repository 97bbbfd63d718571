package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// FuzzEngineQuery sends any path, query and Host through the full engine:
// no input may cause a 5xx or a panic, or be reflected raw.
func FuzzEngineQuery(f *testing.F) {
	for _, seed := range testkit.FuzzSeeds(f, "FuzzEngineQuery") {
		f.Add(seed[0], seed[1], seed[2])
	}
	e := newEngine(testSite(&bytes.Buffer{}))
	f.Fuzz(func(t *testing.T, path, rawQuery, host string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r := &http.Request{
			Method:     http.MethodGet,
			URL:        &url.URL{Path: path, RawQuery: rawQuery},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1, ProtoMinor: 1,
			Header:     http.Header{},
			Host:       host,
			RemoteAddr: "192.0.2.1:1234",
			RequestURI: path,
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("status %d for path %q query %q host %q: %s", w.Code, path, rawQuery, host, w.Body.String())
		}
		if w.Code >= 400 {
			q, _ := url.ParseQuery(rawQuery)
			for _, v := range q["emailaddress"] {
				if strings.ContainsRune(v, '@') && len(v) > 3 && strings.Contains(w.Body.String(), v) {
					t.Fatalf("error body reflects the address %q: %s", v, w.Body.String())
				}
			}
		}
		for name, values := range w.Header() {
			for _, v := range values {
				if strings.ContainsAny(v, "\r\n") {
					t.Fatalf("header %s carries a line break: %q", name, v)
				}
			}
		}
	})
}
