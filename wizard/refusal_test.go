package wizard

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"

	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func withLimit(limit LimitFunc) engineOption {
	return func(_ *httpkit.Deps, o *Options) { o.Limit = limit }
}

// With the render budget spent, every page is refused with a 503 page in
// the site's look, in the reader's language, with Retry-After; the static
// files are still served.
func TestPages_OverTheRenderBudgetGetABusyPage(t *testing.T) {
	e := newTestEngine(t)
	testkit.SaturateRenders(t)
	cats := testCatalogs(t)
	for _, path := range []string{"/", "/setup?email=jane@example.com", "/setup/thunderbird?email=jane@example.com", "/sheet?email=jane@example.com&lang=de"} {
		w := get(t, e, path)
		assert.Equal(t, http.StatusServiceUnavailable, w.Code, path)
		assert.Equal(t, "1", w.Header().Get("Retry-After"), path)
		assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"), path)
		lang := "en"
		if w.Header().Get("Content-Language") == "de" {
			lang = "de"
		}
		assert.Contains(t, w.Body.String(), cats.translate(lang, "refused.busy.text"), path)
		assert.Contains(t, w.Body.String(), "<footer", "%s: the site's layout", path)
		assert.NotContains(t, w.Body.String(), "jane", "%s: nothing of the request", path)
	}
	assert.Equal(t, "de", get(t, e, "/sheet?email=jane@example.com&lang=de").Header().Get("Content-Language"))
	assert.Equal(t, http.StatusOK, get(t, e, "/static/style.css").Code, "static files cost no render")
}

// Over the client's rate, a page is refused with a 429 page and the
// limiter's Retry-After, before anything is resolved or rendered.
func TestPages_OverTheClientRateGetA429Page(t *testing.T) {
	calls := 0
	limit := func(*gin.Context) (bool, int64) {
		calls++
		return calls <= 2, 7
	}
	e := newTestEngine(t, withLimit(limit))
	for i := range 2 {
		assert.Equal(t, http.StatusOK, get(t, e, fmt.Sprintf("/sheet?email=u%d@example.com", i)).Code)
	}
	w := get(t, e, "/setup/thunderbird?email=jane@example.com", "Accept-Language", "fr")
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "7", w.Header().Get("Retry-After"))
	assert.Contains(t, w.Body.String(), testCatalogs(t).translate("fr", "refused.rate.text"))
	assert.Equal(t, http.StatusOK, get(t, e, "/static/style.css").Code, "static files are not limited")
}
