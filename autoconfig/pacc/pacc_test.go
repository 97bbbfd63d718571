package pacc_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// paccParsed is the draft's document as a client reads it.
type paccParsed struct {
	Protocols map[string]struct {
		Host string `json:"host"`
		URL  string `json:"url"`
	} `json:"protocols"`
	Authentication struct {
		Password bool `json:"password"`
	} `json:"authentication"`
	Info struct {
		Provider struct {
			Name      string `json:"name"`
			ShortName string `json:"shortName"`
		} `json:"provider"`
		Help struct {
			Documentation string `json:"documentation"`
		} `json:"help"`
	} `json:"info"`
}

func TestPACC_DocumentGoldenAndParseBack(t *testing.T) {
	p := defaultProvider(t)
	doc, err := pacc.Render(autoconfig.NewDomain(p, "example.ch"))
	require.NoError(t, err)
	testkit.Golden(t, "pacc/default.json", doc)

	var got paccParsed
	require.NoError(t, json.Unmarshal(doc, &got))
	imap := autoconfig.NewDomain(p, "example.ch").PreferredIncoming()
	assert.Equal(t, imap.Host, got.Protocols["imap"].Host)
	assert.Equal(t, "mail.infomaniak.com", got.Protocols["submit"].Host)
	_, hasPOP3 := got.Protocols["pop3"]
	assert.False(t, hasPOP3, "discouraged POP3 is left out: PACC cannot say it is discouraged")
	assert.Len(t, got.Protocols, 2)
	assert.True(t, got.Authentication.Password)
	assert.Equal(t, p.DisplayName, got.Info.Provider.Name)
	assert.Equal(t, p.ShortName, got.Info.Provider.ShortName)
	assert.Equal(t, p.HelpURL, got.Info.Help.Documentation)
}

func TestPACC_DocumentIsByteStable(t *testing.T) {
	p := defaultProvider(t)
	a, err := pacc.Render(autoconfig.NewDomain(p, "example.ch"))
	require.NoError(t, err)
	b, err := pacc.Render(autoconfig.NewDomain(autoconfig.Default().Providers[0], "example.ch"))
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

func TestPACC_DigestMatchesDocument(t *testing.T) {
	p := defaultProvider(t)
	doc, err := pacc.Render(autoconfig.NewDomain(p, "example.ch"))
	require.NoError(t, err)
	record := pacc.DigestRecord(doc)
	sum := sha256.Sum256(doc)
	assert.Equal(t, "v=UAAC1; a=sha256; d="+base64.StdEncoding.EncodeToString(sum[:]), record)

	// The TXT record printed by `dns` pins the bytes the route serves.
	var txt string
	for _, r := range dnsrecords.ForDomain(autoconfig.NewDomain(p, "example.ch"), "autoconfig.infomaniak.com") {
		if r.Name == "_ua-auto-config.example.ch." {
			txt = r.Text
		}
	}
	assert.Equal(t, record, txt)
	rec := paccGet(t, autoconfig.Default(), "ua-auto-config.example.ch", "")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, record, pacc.DigestRecord(rec.Body.Bytes()))
}

func TestPACC_ImpliesImplicitTLSOnDefaultPorts(t *testing.T) {
	tests := []struct {
		name     string
		incoming string
		outgoing string
	}{
		{"no 465", `{protocol: imap, host: h.example, port: 993, security: tls}`, `{protocol: smtp, host: h.example, port: 587, security: starttls}`},
		{"IMAP on another port", `{protocol: imap, host: h.example, port: 1993, security: tls}`, `{protocol: smtp, host: h.example, port: 465, security: tls}`},
		{"IMAP with STARTTLS", `{protocol: imap, host: h.example, port: 143, security: starttls}`, `{protocol: smtp, host: h.example, port: 465, security: tls}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := autoconfig.Parse("c.yaml", []byte(`
providers:
  - id: h.example
    display_name: H
    domains: [h.example]
    incoming: [`+tt.incoming+`]
    outgoing: [`+tt.outgoing+`]
`))
			require.NoError(t, err)
			_, err = pacc.Render(autoconfig.NewDomain(cfg.Providers[0], "example.ch"))
			require.ErrorIs(t, err, pacc.ErrUnexpressible)
			for _, r := range dnsrecords.ForDomain(autoconfig.NewDomain(cfg.Providers[0], "h.example"), "svc.example") {
				assert.NotEqual(t, "_ua-auto-config.h.example.", r.Name, "no digest for a document that is not served")
			}
			rec := paccGet(t, cfg, "ua-auto-config.h.example", "")
			assert.Equal(t, http.StatusNotFound, rec.Code)
			assert.Contains(t, rec.Body.String(), "465")
		})
	}
}

// PACC has no username field: a client logs in with the address the user
// typed. Only providers whose every listed server takes the full address get
// a document and a digest record.
func TestPACC_OnlyWhereLoginIsTheAddress(t *testing.T) {
	tests := []struct {
		name, imapLogin, smtpLogin string
		unicode                    bool
		served                     bool
	}{
		{"default: the address", "", "", false, true},
		{"the address spelled out", "%EMAILADDRESS%", "%EMAILLOCALPART%@%EMAILDOMAIN%", false, true},
		{"local part only", "%EMAILLOCALPART%", "%EMAILADDRESS%", false, false},
		{"SMTP login differs", "%EMAILADDRESS%", "smtp-%EMAILLOCALPART%", false, false},
		{"fixed prefix", "mail+%EMAILADDRESS%", "%EMAILADDRESS%", false, false},
		{"Unicode logins spelled out", "%EMAILLOCALPART%@%EMAILDOMAIN%", "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			login := func(u string) string {
				if u == "" {
					return ""
				}
				return `, username: "` + u + `"`
			}
			cfg := testkit.ParseConfig(t, `
providers:
  - id: h.example
    display_name: H
    domains: [bücher.example]
    login: {unicode_domain: `+map[bool]string{true: "true", false: "false"}[tt.unicode]+`}
    incoming: [{protocol: imap, host: h.example, port: 993, security: tls`+login(tt.imapLogin)+`}]
    outgoing: [{protocol: smtp, host: h.example, port: 465, security: tls`+login(tt.smtpLogin)+`}]
`)
			d := autoconfig.NewDomain(cfg.Providers[0], "xn--bcher-kva.example")
			_, err := pacc.Render(d)
			var digest bool
			for _, r := range dnsrecords.ForDomain(d, "svc.example") {
				digest = digest || r.Name == "_ua-auto-config.xn--bcher-kva.example."
			}
			rec := paccGet(t, cfg, "ua-auto-config.xn--bcher-kva.example", "")
			if tt.served {
				require.NoError(t, err)
				assert.True(t, digest, "digest record")
				assert.Equal(t, http.StatusOK, rec.Code)
				return
			}
			require.ErrorIs(t, err, pacc.ErrLoginNotAddress)
			assert.False(t, digest, "no digest for a document that is not served")
			assert.Equal(t, http.StatusNotFound, rec.Code)
			assert.Contains(t, rec.Body.String(), "PACC has no username field")
		})
	}
}

func TestPACC_Route(t *testing.T) {
	tests := []struct {
		name, host, query string
		status            int
		contains          string
	}{
		{"host ua-auto-config", "ua-auto-config.example.ch", "", http.StatusOK, `"submit"`},
		{"email address", "service.example", "?emailaddress=jane%40example.ch", http.StatusOK, `"imap"`},
		{"ip host", "192.0.2.1:8080", "", http.StatusBadRequest, "no email address given"},
		{"bad address", "service.example", "?emailaddress=%3Cscript%3E", http.StatusBadRequest, "invalid email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := paccGet(t, autoconfig.Default(), tt.host, tt.query)
			assert.Equal(t, tt.status, rec.Code)
			assert.Contains(t, rec.Body.String(), tt.contains)
			assert.NotContains(t, rec.Body.String(), "<script>")
			if tt.status == http.StatusOK {
				assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				assert.NotEmpty(t, rec.Header().Get("ETag"))
			} else {
				assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			}
		})
	}
}

func TestPACC_UnknownDomainIs404(t *testing.T) {
	cfg, err := autoconfig.Parse("c.yaml", []byte(`
providers:
  - id: h.example
    display_name: H
    domains: [h.example]
    incoming: [{protocol: imap, host: h.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: h.example, port: 465, security: tls}]
`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, paccGet(t, cfg, "ua-auto-config.h.example", "").Code)
	assert.Equal(t, http.StatusNotFound, paccGet(t, cfg, "ua-auto-config.other.example", "").Code)
}

func TestPACC_MethodsAndConditionalGet(t *testing.T) {
	e := paccEngine(t, autoconfig.Default())
	const host = "ua-auto-config.example.ch"
	rec := testkit.Do(e, http.MethodHead, pacc.Path, host, nil)
	assert.Equal(t, http.StatusOK, rec.Code)
	etag := rec.Header().Get("ETag")

	rec = testkit.Do(e, http.MethodGet, pacc.Path, host, testkit.Header("If-None-Match", etag))
	assert.Equal(t, http.StatusNotModified, rec.Code)

	rec = testkit.DoBody(e, http.MethodPost, pacc.Path, "", nil, "{}")
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

func defaultProvider(t *testing.T) *autoconfig.Provider {
	t.Helper()
	return autoconfig.Default().Providers[0]
}

func paccEngine(t *testing.T, cfg *autoconfig.Config) *gin.Engine {
	return testkit.Engine(t, pacc.New(testkit.Deps(cfg)))
}

func paccGet(t *testing.T, cfg *autoconfig.Config, host, query string) *httptest.ResponseRecorder {
	t.Helper()
	return testkit.Do(paccEngine(t, cfg), http.MethodGet, pacc.Path+query, host, nil)
}

// The draft's member names (-03 and later): "submit", not -02's "smtp";
// mail servers carry only "host" (no port or security member, as PACC implies
// implicit TLS on the default port); nothing outside protocols/authentication/info.
func TestPACC_MemberNamesFollowDraft(t *testing.T) {
	doc, err := pacc.Render(autoconfig.NewDomain(defaultProvider(t), "example.ch"))
	require.NoError(t, err)
	var raw map[string]map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(doc, &raw))
	assert.ElementsMatch(t, []string{"protocols", "authentication", "info"}, keysOf(raw))
	assert.ElementsMatch(t, []string{"imap", "submit"}, keysOf(raw["protocols"]))
	for name, server := range raw["protocols"] {
		var members map[string]string
		require.NoError(t, json.Unmarshal(server, &members))
		assert.Equal(t, []string{"host"}, keysOf(members), name)
	}
	assert.ElementsMatch(t, []string{"password"}, keysOf(raw["authentication"]))
	assert.ElementsMatch(t, []string{"provider", "help"}, keysOf(raw["info"]))
}

func keysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
