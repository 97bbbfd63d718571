package autodiscover_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

const poxPath = "/Autodiscover/Autodiscover.xml"

func TestAutodiscoverPOX_PathIsCaseInsensitive(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "")
	for _, path := range []string{
		"/autodiscover/autodiscover.xml",
		"/Autodiscover/Autodiscover.xml",
		"/AutoDiscover/AutoDiscover.xml",
		"/AUTODISCOVER/AUTODISCOVER.XML",
		"/autoDISCOVER/AutoDiscover.Xml",
	} {
		t.Run(path, func(t *testing.T) {
			rec := postPOX(h, path, "text/xml", requestBody(t, "outlook.xml"))
			require.Equal(t, http.StatusOK, rec.Code)
			r := parsePOXResponse(t, rec.Body.Bytes())
			assert.Equal(t, "jane.doe@example.ch", r.User.AutoDiscoverSMTPAddress)
		})
	}
}

func TestAutodiscoverPOX_OtherPathsAreNotRewritten(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "")
	for _, path := range []string{"/autodiscover/autodiscover.xmlx", "/x/autodiscover/autodiscover.xml", "/autodiscover/autodiscover.json/v2.0/a@example.ch"} {
		rec := postPOX(h, path, "text/xml", requestBody(t, "outlook.xml"))
		assert.Equal(t, http.StatusNotFound, rec.Code, path)
	}
}

// The curl example of the README: IMAP 993 with Encryption SSL, SMTP 587
// with Encryption TLS, for the address in the body.
func TestAutodiscoverPOX_OutlookRequest(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "")
	rec := postPOX(h, poxPath, "text/xml", requestBody(t, "outlook.xml"))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/xml; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))

	acct, err := testkit.Resolve(autoconfig.Default(), mustAddress(t, "jane.doe@example.ch"))
	require.NoError(t, err)
	assert.Equal(t, string(autodiscover.Response(acct)), rec.Body.String())
}

// Thunderbird sends the user's password as Basic auth; a 401 would make it
// show "Exchange auth error".
func TestAutodiscoverPOX_ThunderbirdBasicAuthIsIgnored(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "")
	req := httptest.NewRequest(http.MethodPost, "https://autodiscover.example.org"+poxPath, strings.NewReader(requestBody(t, "thunderbird.xml")))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.SetBasicAuth("tb.user@example.org", "s3cret-device-password")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"))
	assert.NotContains(t, rec.Body.String(), "s3cret")
	r := parsePOXResponse(t, rec.Body.Bytes())
	assert.Equal(t, "tb.user@example.org", r.Account.Protocol[0].LoginName)
}

func TestAutodiscoverPOX_OddPrefixesAndWhitespace(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "")
	rec := postPOX(h, poxPath, "application/xml", requestBody(t, "odd-prefixes.xml"))
	require.Equal(t, http.StatusOK, rec.Code)
	// The address is the mailbox as the provider treats it: its local parts
	// are case-insensitive, so the login is one form whatever was typed.
	assert.Equal(t, "odd.prefix@example.ch", parsePOXResponse(t, rec.Body.Bytes()).User.AutoDiscoverSMTPAddress)
}

func TestAutodiscoverPOX_ContentTypes(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "")
	tests := []struct {
		contentType string
		want        int
	}{
		{"", http.StatusOK},
		{"text/xml", http.StatusOK},
		{"text/xml; charset=utf-8", http.StatusOK},
		{"text/xml; charset=\"UTF-8\"", http.StatusOK},
		{"application/xml", http.StatusOK},
		{"Application/XML; charset=utf-8", http.StatusOK},
		// curl --data's default.
		{"application/x-www-form-urlencoded", http.StatusOK},
		{"application/json", http.StatusUnsupportedMediaType},
		{"multipart/form-data; boundary=x", http.StatusUnsupportedMediaType},
		{"text/xml; charset=iso-8859-1", http.StatusUnsupportedMediaType},
		{"text/xml; charset", http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			rec := postPOX(h, poxPath, tt.contentType, requestBody(t, "outlook.xml"))
			assert.Equal(t, tt.want, rec.Code)
			assert.Equal(t, "application/xml; charset=utf-8", rec.Header().Get("Content-Type"))
			if tt.want != http.StatusOK {
				assert.Equal(t, 600, parsePOXError(t, rec.Body.Bytes()).ErrorCode)
			}
		})
	}
}

func TestAutodiscoverPOX_ErrorsAreDocumentsWithStatus200(t *testing.T) {
	cfg := loadConfig(t, "crossformat/starttls-imap.yaml") // serves example.org only
	h := newAutodiscoverHandler(t, cfg, "")
	tests := []struct {
		name, body string
		code       int
	}{
		{"mobilesync schema", requestBody(t, "mobilesync.xml"), 601},
		{"unserved domain", poxRequest("someone@unserved-domain.test"), 500},
		{"invalid address", poxRequest("<script>no-at-sign"), 600},
		{"empty address", poxRequest(""), 600},
		{"not xml", "hello", 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := postPOX(h, poxPath, "text/xml", tt.body)
			require.Equal(t, http.StatusOK, rec.Code)
			e := parsePOXError(t, rec.Body.Bytes())
			assert.Equal(t, tt.code, e.ErrorCode)
			assert.NotEmpty(t, e.Message)
			assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{7}$`, e.Time)
			assert.Regexp(t, `^\d+$`, e.ID)
			// Never echo input: not the address, not the schema.
			for _, leak := range []string{"unserved-domain", "script", "mobilesync/responseschema", "hello"} {
				assert.NotContains(t, rec.Body.String(), leak)
			}
		})
	}
}

func TestAutodiscoverPOX_HostileBodiesGetError600(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "")
	for name, body := range hostileBodies(t) {
		t.Run(name, func(t *testing.T) {
			rec := postPOX(h, poxPath, "text/xml", body)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, 600, parsePOXError(t, rec.Body.Bytes()).ErrorCode)
			assert.NotContains(t, rec.Body.String(), "root:")
			assert.NotContains(t, rec.Body.String(), "lollol")
		})
	}
}

func TestAutodiscoverPOX_LargeBodiesGet413(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "")
	padding := strings.Repeat(" ", autodiscover.MaxRequest)
	tests := map[string]*http.Request{
		"10 MiB with length": httptest.NewRequest(http.MethodPost, poxPath, strings.NewReader(strings.Repeat("A", 10<<20))),
		// Chunked: no Content-Length, the reader stops at the cap.
		"10 MiB chunked":        chunked(httptest.NewRequest(http.MethodPost, poxPath, strings.NewReader(strings.Repeat("<a>", 10<<20/3)))),
		"valid request, padded": httptest.NewRequest(http.MethodPost, poxPath, strings.NewReader(requestBody(t, "outlook.xml")+padding)),
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
			assert.Equal(t, 600, parsePOXError(t, rec.Body.Bytes()).ErrorCode)
		})
	}
	t.Run("just under the cap", func(t *testing.T) {
		body := requestBody(t, "outlook.xml")
		body += strings.Repeat(" ", autodiscover.MaxRequest-len(body))
		rec := postPOX(h, poxPath, "text/xml", body)
		require.Equal(t, http.StatusOK, rec.Code)
		parsePOXResponse(t, rec.Body.Bytes())
	})
}

func chunked(r *http.Request) *http.Request {
	r.ContentLength = -1
	return r
}

func TestAutodiscoverPOX_Methods(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "")
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead} {
		t.Run(method, func(t *testing.T) {
			rec := testkit.DoBody(h, method, "https://autodiscover.example.ch"+poxPath, "", nil, requestBody(t, "outlook.xml"))
			assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
			assert.Contains(t, rec.Header().Get("Allow"), "POST")
		})
	}
}

func TestAutodiscoverPOX_GETOnHTTPSIsError600(t *testing.T) {
	for _, public := range []string{"", "https://autoconfig.example.net"} {
		h := newAutodiscoverHandler(t, autoconfig.Default(), public)
		for _, tt := range []struct {
			name   string
			target string
			scheme string // r.URL.Scheme as the server's middleware leaves it
		}{
			{"TLS", "https://autodiscover.example.ch" + poxPath, ""},
			// guard.ForwardedScheme sets the scheme to https for a trusted
			// proxy's X-Forwarded-Proto: https.
			{"behind a TLS proxy", "http://autodiscover.example.ch" + poxPath, "https"},
		} {
			t.Run(public+" "+tt.name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodGet, tt.target, nil)
				if tt.scheme != "" {
					req.URL.Scheme = tt.scheme
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				require.Equal(t, http.StatusOK, rec.Code)
				assert.Equal(t, 600, parsePOXError(t, rec.Body.Bytes()).ErrorCode)
			})
		}
	}
}

// Any client can send X-Forwarded-Proto: only the scheme the server's
// middleware derived (from TLS or a trusted proxy) counts, so a spoofed
// header does not turn Outlook's probe redirect into an error document.
func TestAutodiscoverPOX_ForwardedProtoHeaderAloneIsIgnored(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "https://autoconfig.example.net")
	rec := get(h, "http://autodiscover.example.ch"+poxPath, "X-Forwarded-Proto", "https")
	require.Equal(t, http.StatusFound, rec.Code)
	assert.Equal(t, "https://autoconfig.example.net/Autodiscover/Autodiscover.xml", rec.Header().Get("Location"))
}

// Outlook probes http://autodiscover.<domain>/Autodiscover/Autodiscover.xml
// and follows a redirect to HTTPS.
func TestAutodiscoverPOX_PlainHTTPProbeRedirectsToPublicHTTPS(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "https://autoconfig.example.net")
	rec := get(h, "http://autodiscover.example.ch/AutoDiscover/AutoDiscover.xml")
	require.Equal(t, http.StatusFound, rec.Code)
	assert.Equal(t, "https://autoconfig.example.net/Autodiscover/Autodiscover.xml", rec.Header().Get("Location"))

	t.Run("no https public URL: error document", func(t *testing.T) {
		for _, public := range []string{"", "http://autoconfig.example.net"} {
			rec := get(newAutodiscoverHandler(t, autoconfig.Default(), public), "http://autodiscover.example.ch"+poxPath)
			require.Equal(t, http.StatusOK, rec.Code, public)
			assert.Equal(t, 600, parsePOXError(t, rec.Body.Bytes()).ErrorCode)
		}
	})
}

func TestAutodiscoverJSON_Matrix(t *testing.T) {
	cfg := loadConfig(t, "crossformat/starttls-imap.yaml") // serves example.org only
	h := newAutodiscoverHandler(t, cfg, "https://autoconfig.example.net")
	const okURL = "https://autoconfig.example.net/Autodiscover/Autodiscover.xml"
	tests := []struct {
		name, target string
		status       int
		errorCode    string // "" for success
	}{
		{"query form", "/autodiscover/autodiscover.json?Email=jane@example.org&Protocol=AutodiscoverV1", 200, ""},
		{"Outlook's casing", "/autodiscover/autodiscover.json?Email=jane%40example.org&Protocol=Autodiscoverv1&RedirectCount=1", 200, ""},
		{"upper-case path", "/AutoDiscover/AutoDiscover.json?Email=jane@example.org&Protocol=AUTODISCOVERV1", 200, ""},
		{"lower-case parameter names", "/autodiscover/autodiscover.json?email=jane@example.org&protocol=autodiscoverv1", 200, ""},
		{"path form", "/autodiscover/autodiscover.json/v1.0/jane@example.org?Protocol=AutodiscoverV1", 200, ""},
		{"path form, encoded @", "/Autodiscover/Autodiscover.json/V1.0/jane%40example.org?Protocol=autodiscoverv1", 200, ""},
		{"wildcard subdomain, IDN-free", "/autodiscover/autodiscover.json/v1.0/a.b@mail.example.org?Protocol=AutodiscoverV1", 200, ""},
		{"ActiveSync", "/autodiscover/autodiscover.json?Email=jane@example.org&Protocol=ActiveSync", 400, "InvalidProtocol"},
		{"Ews", "/autodiscover/autodiscover.json/v1.0/jane@example.org?Protocol=Ews", 400, "InvalidProtocol"},
		{"Rest", "/autodiscover/autodiscover.json?Email=jane@example.org&Protocol=Rest", 400, "InvalidProtocol"},
		{"unknown protocol", "/autodiscover/autodiscover.json?Email=jane@example.org&Protocol=Zzyzx", 400, "InvalidProtocol"},
		{"no protocol", "/autodiscover/autodiscover.json?Email=jane@example.org", 400, "InvalidProtocol"},
		{"no address", "/autodiscover/autodiscover.json?Protocol=AutodiscoverV1", 400, "InvalidUser"},
		{"empty address", "/autodiscover/autodiscover.json?Email=&Protocol=AutodiscoverV1", 400, "InvalidUser"},
		{"invalid address", "/autodiscover/autodiscover.json?Email=%3Cscript%3E&Protocol=AutodiscoverV1", 400, "InvalidUser"},
		{"invalid address in path", "/autodiscover/autodiscover.json/v1.0/not-an-address?Protocol=AutodiscoverV1", 400, "InvalidUser"},
		{"unserved domain", "/autodiscover/autodiscover.json?Email=jane@unserved-domain.test&Protocol=AutodiscoverV1", 404, "UserNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(h, tt.target)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			if tt.errorCode == "" {
				var got autodiscover.JSONResult
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
				assert.Equal(t, autodiscover.JSONResult{Protocol: "AutodiscoverV1", URL: okURL}, got)
				assert.JSONEq(t, `{"Protocol":"AutodiscoverV1","Url":"`+okURL+`"}`, rec.Body.String())
				return
			}
			var got autodiscover.JSONError
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			assert.Equal(t, tt.errorCode, got.ErrorCode)
			assert.NotEmpty(t, got.ErrorMessage)
			for _, leak := range []string{"script", "unserved-domain", "not-an-address", "Zzyzx"} {
				assert.NotContains(t, rec.Body.String(), leak)
			}
		})
	}
}

// Without a public URL the link names the host the client asked.
func TestAutodiscoverJSON_URLFromRequestWithoutPublicURL(t *testing.T) {
	h := newAutodiscoverHandler(t, autoconfig.Default(), "")
	rec := get(h, "https://autodiscover.example.ch/autodiscover/autodiscover.json?Email=a@example.ch&Protocol=AutodiscoverV1")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"Protocol":"AutodiscoverV1","Url":"https://autodiscover.example.ch/Autodiscover/Autodiscover.xml"}`, rec.Body.String())
}

func TestAutodiscoverJSON_PathAddressKeepsItsCase(t *testing.T) {
	var seen string
	h := autodiscover.CanonicalPaths(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.URL.Path }))
	testkit.Get(h, "/AUTODISCOVER/autodiscover.JSON/V1.0/Jane.Doe@Example.CH?Protocol=x")
	assert.Equal(t, "/autodiscover/autodiscover.json/v1.0/Jane.Doe@Example.CH", seen)

	u, _ := url.Parse("/Mail/Config-v1.1.xml")
	h.ServeHTTP(httptest.NewRecorder(), &http.Request{Method: http.MethodGet, URL: u})
	assert.Equal(t, "/Mail/Config-v1.1.xml", seen, "other paths are left alone")
}
