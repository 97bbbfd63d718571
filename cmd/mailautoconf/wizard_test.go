package main

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/cmd/mailautoconf/internal/health"
)

func TestEngine_MountsWizardAndHelpdesk(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := autoconfig.NewStore(autoconfig.Default())
	serve := func(e http.Handler, target string) int {
		rec := testkit.Get(e, target)
		return rec.Code
	}

	without := newEngine(site{store: store, logger: logger})
	assert.Equal(t, http.StatusOK, serve(without, "/"))
	assert.Equal(t, http.StatusOK, serve(without, "/setup/thunderbird?email=jane@example.ch"))
	assert.Equal(t, http.StatusNotFound, serve(without, "/helpdesk"), "no token: no helpdesk")

	with := newEngine(site{store: store, logger: logger, helpdeskToken: "0123456789abcdef"})
	assert.Equal(t, http.StatusUnauthorized, serve(with, "/helpdesk"))
}

func TestServe_RefusesShortHelpdeskToken(t *testing.T) {
	err := runServe([]string{"--helpdesk-token", "short", "--listen", "127.0.0.1:0"}, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "at least 16 characters")
}

// TestEngine_HeadAndNotFoundPage: HEAD on a page answers as GET without a
// body; an unknown path is an HTML page with a way back for a browser,
// and stays plain text for the formats' clients.
func TestEngine_HeadAndNotFoundPage(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(newHandler(site{store: autoconfig.NewStore(autoconfig.Default()), logger: logger}))
	t.Cleanup(srv.Close)
	do := func(method, path, accept string) (*http.Response, string) {
		req, err := http.NewRequest(method, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", accept)
		req.Header.Set("Accept-Language", "de")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(body)
	}
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, path := range []string{"/", "/setup?email=jane@example.ch", "/setup/thunderbird?email=jane@example.ch", "/sheet?email=jane@example.ch", "/static/style.css"} {
		resp, body := do(http.MethodHead, path, browser)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Empty(t, body, path)
		get, _ := do(http.MethodGet, path, browser)
		assert.Equal(t, get.Header.Get("Content-Type"), resp.Header.Get("Content-Type"), path)
	}

	resp, body := do(http.MethodGet, "/no/such/page", browser)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, body, "<h1>Seite nicht gefunden</h1>")
	assert.Contains(t, body, `<a href="/?lang=de">`, "a way back to the start")
	assert.NotEmpty(t, resp.Header.Get("Content-Security-Policy"), "the pages' headers")

	resp, body = do(http.MethodGet, "/no/such/page", "application/xml")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "not found\n", body, "a client of a format keeps its plain answer")
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
}

// TestEngine_CompressesText: pages and the stylesheet over 1 KB are
// gzipped for a client that accepts it, with Vary: Accept-Encoding; the
// stylesheet's ETag becomes weak and still revalidates; the clients'
// documents, images and small answers go as they are.
func TestEngine_CompressesText(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := newHandler(site{store: autoconfig.NewStore(autoconfig.Default()), logger: logger})
	do := func(path string, header ...string) *httptest.ResponseRecorder {
		hdr := http.Header{}
		for i := 0; i+1 < len(header); i += 2 {
			hdr.Set(header[i], header[i+1])
		}
		return testkit.Do(h, http.MethodGet, path, "", hdr)
	}
	page := do("/setup/thunderbird?email=jane@example.ch", "Accept-Encoding", "gzip, deflate, br")
	require.Equal(t, http.StatusOK, page.Code)
	assert.Equal(t, "gzip", page.Header().Get("Content-Encoding"))
	assert.Contains(t, page.Header().Values("Vary"), "Accept-Encoding")
	zr, err := gzip.NewReader(page.Body)
	require.NoError(t, err)
	html, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Contains(t, string(html), "mail.infomaniak.com")

	plain := do("/setup/thunderbird?email=jane@example.ch")
	assert.Empty(t, plain.Header().Get("Content-Encoding"), "not without Accept-Encoding")
	assert.Equal(t, string(html), plain.Body.String())

	css := do("/static/style.css", "Accept-Encoding", "gzip")
	assert.Equal(t, "gzip", css.Header().Get("Content-Encoding"))
	etag := css.Header().Get("ETag")
	assert.True(t, strings.HasPrefix(etag, `W/"`), etag)
	assert.Equal(t, http.StatusNotModified, do("/static/style.css", "Accept-Encoding", "gzip", "If-None-Match", etag).Code)
	assert.Equal(t, strings.TrimPrefix(etag, "W/"), do("/static/style.css").Header().Get("ETag"), "the uncompressed answer's strong tag")

	png := do("/qr.png?email=jane@example.ch&client=apple-ios", "Accept-Encoding", "gzip")
	require.Equal(t, http.StatusOK, png.Code)
	assert.Empty(t, png.Header().Get("Content-Encoding"), "an image is not compressed")
	// Over 1 KB, but a client's document: cheaper to send than to compress.
	doc := do("/mail/config-v1.1.xml?emailaddress=jane@example.ch", "Accept-Encoding", "gzip, deflate, br")
	require.Equal(t, http.StatusOK, doc.Code)
	require.Greater(t, doc.Body.Len(), 1024)
	assert.Empty(t, doc.Header().Get("Content-Encoding"), "a client's document is not compressed")
	small := do(health.LivePath, "Accept-Encoding", "gzip")
	require.Equal(t, http.StatusOK, small.Code)
	assert.Empty(t, small.Header().Get("Content-Encoding"), "a small answer is not compressed")
}
