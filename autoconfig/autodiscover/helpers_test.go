package autodiscover_test

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// poxResponse is an Outlook 2006a response read back with the namespaces
// Outlook expects: Unmarshal fails on any other.
type poxResponse struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response struct {
		XMLName xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Response"`
		User    struct {
			DisplayName             string
			AutoDiscoverSMTPAddress string
		}
		Account struct {
			AccountType string
			Action      string
			Protocol    []poxProtocol
		}
	}
}

type poxProtocol struct {
	Type           string
	Server         string
	Port           int
	LoginName      string
	DomainRequired string
	SPA            string
	SSL            string
	Encryption     string
	AuthRequired   string
	UsePOPAuth     string
	SMTPLast       string
	// Children is the element order.
	Children []string `xml:"-"`
}

// poxError is an Error document read back.
type poxError struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response struct {
		XMLName xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Response"`
		Error   struct {
			Time      string `xml:"Time,attr"`
			ID        string `xml:"Id,attr"`
			ErrorCode int
			Message   string
			DebugData string
		}
	}
}

func parsePOXResponse(t testing.TB, body []byte) poxResponse {
	t.Helper()
	var r poxResponse
	require.NoError(t, xml.Unmarshal(body, &r), "response:\n%s", body)
	// The element order of each Protocol, read from the tokens.
	dec := xml.NewDecoder(strings.NewReader(string(body)))
	i, depth := -1, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if t.Name.Local == "Protocol" {
				i++
			} else if depth == 5 && i >= 0 {
				r.Response.Account.Protocol[i].Children = append(r.Response.Account.Protocol[i].Children, t.Name.Local)
			}
		case xml.EndElement:
			depth--
		}
	}
	return r
}

func parsePOXError(t testing.TB, body []byte) poxError {
	t.Helper()
	var e poxError
	require.NoError(t, xml.Unmarshal(body, &e), "response:\n%s", body)
	return e
}

// newAutodiscoverHandler is the service behind a gin engine set up as cmd
// sets it up (405 for a wrong method), with the case-insensitive paths.
func newAutodiscoverHandler(t testing.TB, cfg *autoconfig.Config, publicURL string) http.Handler {
	t.Helper()
	deps := testkit.Deps(cfg)
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		require.NoError(t, err)
		deps.PublicURL = u
	}
	return autodiscover.CanonicalPaths(testkit.Engine(t, autodiscover.New(deps)))
}

// postPOX sends body to path with the given Content-Type ("" for none).
func postPOX(h http.Handler, path, contentType, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "https://autodiscover.example.ch"+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func get(h http.Handler, target string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var (
	requestBody = testkit.RequestBody
	poxRequest  = testkit.OutlookRequest
	loadConfig  = testkit.Config
	mustAddress = testkit.Address
)

// securityOf maps SSL/Encryption back to the model, as Outlook reads them
// (Encryption overrides SSL).
func securityOf(ssl, encryption string) autoconfig.Security {
	switch encryption {
	case "SSL":
		return autoconfig.SecurityTLS
	case "TLS":
		return autoconfig.SecuritySTARTTLS
	case "None":
		return autoconfig.SecurityNone
	}
	if ssl == "off" {
		return autoconfig.SecurityNone
	}
	return autoconfig.SecurityTLS
}
