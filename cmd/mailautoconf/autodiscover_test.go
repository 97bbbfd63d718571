package main

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func TestGenerateAutodiscover(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"generate", "autodiscover", "--email", "jane.doe@example.ch"}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	testkit.Golden(t, "autodiscover/default.xml", stdout.Bytes())
}

func TestGenerateAutodiscover_WithConfig(t *testing.T) {
	var stdout, stderr bytes.Buffer
	cfg := testkit.Testdata(t, "config/crossformat/legacy-pop3-only.yaml")
	code := run([]string{"generate", "autodiscover", "--email", "dave@legacy.example.com", "--config", cfg}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	testkit.Golden(t, "autodiscover/legacy-pop3-only.xml", stdout.Bytes())
}

func TestGenerateAutodiscover_Errors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no email", []string{"generate", "autodiscover"}, 1},
		{"invalid email", []string{"generate", "autodiscover", "--email", "nope"}, 1},
		{"unserved domain", []string{"generate", "autodiscover", "--email", "a@unserved.test", "--config", "CONFIG"}, 1},
		{"extra argument", []string{"generate", "autodiscover", "--email", "a@example.ch", "extra"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, a := range tt.args {
				if a == "CONFIG" {
					tt.args[i] = testkit.Testdata(t, "config/crossformat/starttls-imap.yaml")
				}
			}
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tt.code, run(tt.args, &stdout, &stderr))
			assert.Empty(t, stdout.String())
			assert.NotEmpty(t, stderr.String())
		})
	}
}

// The served handler routes every casing of the POX path, answers a request
// carrying Thunderbird's Basic auth, and logs neither the credentials nor
// the address.
func TestHandler_AutodiscoverCasingAndNoCredentialsInLog(t *testing.T) {
	var logs bytes.Buffer
	h := newHandler(site{
		store:     autoconfig.NewStore(autoconfig.Default()),
		logger:    slog.New(slog.NewTextHandler(&logs, nil)),
		logOutput: &logs,
	})
	body, err := os.ReadFile(testkit.Testdata(t, "requests/thunderbird.xml"))
	require.NoError(t, err)
	for _, path := range []string{"/Autodiscover/Autodiscover.xml", "/AutoDiscover/AutoDiscover.xml", "/AUTODISCOVER/AUTODISCOVER.XML", "/autodiscover/autodiscover.xml"} {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.SetBasicAuth("tb.user@example.org", "s3cret-device-password")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code, path)
		assert.Contains(t, rec.Body.String(), "<Encryption>SSL</Encryption>")
	}
	rec := testkit.Get(h, "/AutoDiscover/AutoDiscover.json/V1.0/tb.user@example.org?Protocol=Autodiscoverv1")
	require.Equal(t, http.StatusOK, rec.Code)

	log := logs.String()
	assert.Equal(t, 5, strings.Count(log, "route=/autodiscover/autodiscover"), log)
	for _, secret := range []string{"s3cret", base64.StdEncoding.EncodeToString([]byte("tb.user@example.org:s3cret-device-password")), "Basic", "tb.user"} {
		assert.NotContains(t, log, secret)
	}
}

// Outlook's plain-HTTP probe is redirected to the https public URL. Only a
// trusted proxy's X-Forwarded-Proto: https (the request already was HTTPS)
// turns the redirect into the error document; any other client could send
// the header to suppress it.
func TestHandler_AutodiscoverProbeTrustsForwardedProtoOnlyFromProxies(t *testing.T) {
	public, err := url.Parse("https://autoconfig.example.net")
	require.NoError(t, err)
	s := testSite(&bytes.Buffer{})
	s.publicURL = public
	s.trustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	h := newHandler(s)
	for _, tc := range []struct {
		name, remote, proto string
		wantRedirect        bool
	}{
		{"untrusted client, no header", "203.0.113.7:4000", "", true},
		{"untrusted client claims https", "203.0.113.7:4000", "https", true},
		{"trusted proxy, http", "10.0.0.5:4000", "http", true},
		{"trusted proxy, https", "10.0.0.5:4000", "https", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "http://autodiscover.example.ch/Autodiscover/Autodiscover.xml", nil)
			req.RemoteAddr = tc.remote
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if tc.wantRedirect {
				require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
				assert.Equal(t, "https://autoconfig.example.net/Autodiscover/Autodiscover.xml", rec.Header().Get("Location"))
				return
			}
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Contains(t, rec.Body.String(), "<ErrorCode>600</ErrorCode>")
		})
	}
}
