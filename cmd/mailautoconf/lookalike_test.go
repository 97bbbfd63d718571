package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// A lookalike domain (Cyrillic а among Latin letters) is shown in ASCII
// wherever a person reads it, as browsers show it; a genuine IDN stays in
// Unicode.
func TestEngine_LookalikeDomainsShownInASCII(t *testing.T) {
	h := newHandler(siteFor(autoconfig.Default()))
	const pox = `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>jane@%s</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`
	routes := []struct {
		name, method, target, body string
	}{
		{"wizard", "GET", "/setup/thunderbird?lang=en&email=", ""},
		{"Apple profile", "GET", "/apple/mail.mobileconfig?name=Jane&email=", ""},
		{"Autodiscover", "POST", "/Autodiscover/Autodiscover.xml", pox},
	}
	// shown must be in the answer, hidden must not (logins are in ASCII,
	// so a genuine IDN's ASCII form is there too).
	domains := []struct {
		typed, shown, hidden string
	}{
		{"xn--pple-43d.com", "xn--pple-43d.com", "аpple.com"},
		{"аpple.com", "xn--pple-43d.com", "аpple.com"},
		{"bücher.example", "bücher.example", ""},
	}
	for _, rt := range routes {
		for _, d := range domains {
			t.Run(rt.name+"/"+d.typed, func(t *testing.T) {
				var req *http.Request
				if rt.body != "" {
					req = httptest.NewRequest(rt.method, rt.target, strings.NewReader(strings.Replace(rt.body, "%s", d.typed, 1)))
					req.Header.Set("Content-Type", "text/xml")
				} else {
					req = httptest.NewRequest(rt.method, rt.target+url.QueryEscape("jane@"+d.typed), nil)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				assert.Equal(t, http.StatusOK, w.Code)
				body := w.Body.String()
				if rt.name == "Autodiscover" && d.shown == "bücher.example" {
					// Autodiscover shows no domain: its address and
					// logins are in ASCII.
					assert.Contains(t, body, "jane@xn--bcher-kva.example")
					return
				}
				assert.Contains(t, body, d.shown)
				if d.hidden != "" {
					assert.NotContains(t, body, d.hidden)
				}
			})
		}
	}
}
