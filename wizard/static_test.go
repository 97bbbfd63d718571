package wizard

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatic_ServedWithCaching(t *testing.T) {
	e := newTestEngine(t)
	tests := map[string]string{
		"/static/style.css": "text/css; charset=utf-8",
		"/static/icon.svg":  "image/svg+xml",
	}
	for path, ctype := range tests {
		rec := get(t, e, path)
		require.Equal(t, http.StatusOK, rec.Code, path)
		assert.Equal(t, ctype, rec.Header().Get("Content-Type"))
		assert.Equal(t, "public, max-age=86400", rec.Header().Get("Cache-Control"))
		assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
		etag := rec.Header().Get("ETag")
		require.NotEmpty(t, etag)
		assert.Equal(t, http.StatusNotModified, get(t, e, path, "If-None-Match", etag).Code)
		assert.Equal(t, http.StatusNotModified, get(t, e, path, "If-None-Match", `"other", W/`+etag).Code)
		assert.Equal(t, http.StatusOK, get(t, e, path, "If-None-Match", `"other"`).Code)
	}
}

func TestStatic_NoPathTraversal(t *testing.T) {
	e := newTestEngine(t)
	for _, path := range []string{
		"/static/nope.css",
		"/static/../templates.go",
		"/static/..%2ftemplates.go",
		"/static/%2e%2e%2fi18n%2fen.json",
		"/static/..%5ctemplates.go",
		"/static/.",
		"/static/layout.html",
		"/static/i18n/en.json",
	} {
		rec := get(t, e, path)
		assert.NotEqual(t, http.StatusOK, rec.Code, path)
		assert.NotContains(t, rec.Body.String(), "package templates", path)
		assert.NotContains(t, rec.Body.String(), "site.name", path)
	}
}
