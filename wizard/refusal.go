package wizard

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/httpkit"
)

// LimitFunc is the per-client rate of page requests: allowed, or how many
// seconds the client should wait (the server's per-client limiter).
type LimitFunc func(c *gin.Context) (allowed bool, retryAfterSeconds int64)

// refusalPages are the pages that refuse a page request: over the client's
// rate (429) or the render budget (503), both with Retry-After (RFC 6585
// §4, RFC 9110 §10.2.3). They are in the site's look but carry nothing of
// the request, so each is rendered once per language and configuration,
// outside the render budget: a refusal must cost far less than the page it
// refuses, or a flood would spend the CPU on refusals.
type refusalPages struct {
	mu     sync.Mutex
	cfg    *autoconfig.Config // the configuration the bodies were rendered with
	bodies map[refusalKey][]byte
}

type refusalKey struct {
	lang   string
	status int
}

// refusalText is the sentence of each refusal, by status.
var refusalText = map[int]string{
	http.StatusTooManyRequests:    "refused.rate.text",
	http.StatusServiceUnavailable: "refused.busy.text",
}

// limitPages refuses a page request over the client's rate (nil limit:
// none), or at once when the render budget is spent: a page's work before
// its render (resolving the account, building its views) costs a good part
// of the render's CPU, which a flood must not get for free.
func (w *Wizard) limitPages(limit LimitFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if limit != nil {
			if ok, secs := limit(c); !ok {
				w.refuse(c, negotiateLang(c.Request), http.StatusTooManyRequests, strconv.FormatInt(secs, 10))
				c.Abort()
				return
			}
		}
		if httpkit.RenderSaturated() {
			w.busy(c, negotiateLang(c.Request))
			c.Abort()
		}
	}
}

// busy answers a page whose render found the render budget spent.
func (w *Wizard) busy(c *gin.Context, lang string) {
	w.refuse(c, lang, http.StatusServiceUnavailable, httpkit.BusyRetryAfter)
}

// refuse writes the refusal page of status in lang, with Retry-After.
func (w *Wizard) refuse(c *gin.Context, lang string, status int, retryAfter string) {
	body := w.refusalBody(lang, status)
	h := c.Writer.Header()
	h.Set("Retry-After", retryAfter)
	h.Set("Cache-Control", string(noStore))
	h.Set("Content-Language", lang)
	c.Data(status, "text/html; charset=utf-8", body)
}

func (w *Wizard) refusalBody(lang string, status int) []byte {
	cfg := w.deps.Resolver.Config()
	key := refusalKey{lang, status}
	w.refusals.mu.Lock()
	defer w.refusals.mu.Unlock()
	if w.refusals.cfg != cfg {
		w.refusals.cfg, w.refusals.bodies = cfg, map[refusalKey][]byte{}
	}
	if body, ok := w.refusals.bodies[key]; ok {
		return body
	}
	page := w.newPage(nil, lang, "refused.title")
	page.Langs = nil // links to the refused page would invite a retry at once
	page.Message = w.cats.translate(lang, refusalText[status])
	page.BackURL = page.HomeURL
	body, err := w.pages.execute("message", page)
	if err != nil {
		// The embedded templates are parsed by the tests: a bare line
		// rather than nothing.
		w.logger.Error("rendering the refusal page", "error", err)
		body = []byte(page.Message)
	}
	w.refusals.bodies[key] = body
	return body
}
