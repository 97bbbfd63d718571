package autodiscover_test

import (
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

// parsePOXResponse reads a response with the package's reader and checks
// the namespaces Outlook requires.
func parsePOXResponse(t testing.TB, body []byte) autodiscover.POXResponse {
	t.Helper()
	r, err := autodiscover.ReadResponse(body)
	require.NoError(t, err, "response:\n%s", body)
	require.Equal(t, autodiscover.ResponseNS, r.Namespace)
	require.Equal(t, autodiscover.OutlookNS, r.ResponseNamespace)
	return r
}

// parsePOXError reads an Error document with the package's reader.
func parsePOXError(t testing.TB, body []byte) *autodiscover.POXError {
	t.Helper()
	_, err := autodiscover.ReadResponse(body)
	var e *autodiscover.POXError
	require.ErrorAs(t, err, &e, "response:\n%s", body)
	require.Equal(t, autodiscover.ResponseNS, e.Namespace)
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
