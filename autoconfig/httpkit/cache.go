package httpkit

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// Document is a rendered response body with its entity tag.
type Document struct {
	Body []byte
	ETag string
	// Subject is what the request that rendered it was about, for answers
	// cached by request body (GetByBody): a hit parses nothing.
	Subject Subject
	// etagHeader and lengthHeader are header values built once: cached
	// documents are written many times.
	etagHeader, lengthHeader []string
}

// bufferedBodySize is the largest body net/http buffers before it sends the
// header (its bufferBeforeChunkingSize): for those it sets Content-Length
// itself.
const bufferedBodySize = 2048

// NewDocument computes the ETag of body.
func NewDocument(body []byte) Document {
	etag := ETag(body)
	d := Document{Body: body, ETag: etag, etagHeader: []string{etag}}
	if len(body) > bufferedBodySize {
		d.lengthHeader = []string{strconv.Itoa(len(body))}
	}
	return d
}

// Serve answers r with the document: 200 with the body, or 304 when r's
// If-None-Match names its ETag. contentType is a header value shared by all
// responses of its kind ([]string{"application/xml"}): it is assigned to
// the header, not copied, so a cached document is written without
// allocating.
func (d Document) Serve(w http.ResponseWriter, r *http.Request, contentType []string) {
	if d.etagHeader == nil {
		d = NewDocument(d.Body)
	}
	h := w.Header()
	h["X-Content-Type-Options"] = nosniff
	h["Etag"] = d.etagHeader
	if ETagMatches(r.Header.Get("If-None-Match"), d.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	d.Write(w, contentType)
}

// Write answers with status 200 and the document's body, without an ETag:
// for answers that are not revalidated, such as POST responses. Like
// Serve, it sends X-Content-Type-Options: nosniff: a document is only ever
// what its Content-Type says.
//
// Content-Length is left to net/http for bodies it buffers whole (it then
// adds it without touching the header map: every entry of that map costs a
// copy, a sort and a validation on each response); a larger body would be
// sent chunked without it.
func (d Document) Write(w http.ResponseWriter, contentType []string) {
	h := w.Header()
	h["Content-Type"] = contentType
	h["X-Content-Type-Options"] = nosniff
	if len(d.Body) > bufferedBodySize {
		if d.lengthHeader == nil {
			d.lengthHeader = []string{strconv.Itoa(len(d.Body))}
		}
		h["Content-Length"] = d.lengthHeader
	}
	w.WriteHeader(http.StatusOK)
	w.Write(d.Body)
}

// DocumentCache keeps rendered documents for the configuration in force,
// keyed by a comparable value such as the domain.
//
// It is bounded: it holds two generations of at most max entries each; when
// the current one fills up it becomes the previous one and a new one starts,
// so memory stays bounded under scans of random domains while every domain
// in use stays cached. A different configuration empties it: documents
// rendered from an old configuration are never served after a reload.
type DocumentCache[K comparable] struct {
	mu        sync.RWMutex
	cfg       *autoconfig.Config
	cur, prev map[K]Document
	max       int
}

// NewDocumentCache returns a cache of at most 2×max documents.
func NewDocumentCache[K comparable](max int) *DocumentCache[K] {
	return &DocumentCache[K]{max: max}
}

// Get returns the cached document for (cfg, key), rendering and storing it
// with render when absent. Errors of render are returned and not cached.
func (c *DocumentCache[K]) Get(cfg *autoconfig.Config, key K, render func() ([]byte, error)) (Document, error) {
	c.mu.RLock()
	d, inCur, inPrev := c.find(cfg, key)
	c.mu.RUnlock()
	if inCur {
		return d, nil
	}
	if !inPrev {
		body, err := render()
		if err != nil {
			return Document{}, err
		}
		d = NewDocument(body)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cfg != cfg {
		if c.cfg != nil && !c.newer(cfg) {
			// A request still running on the configuration a reload
			// replaced: answer it, but keep the cache of the new one.
			return d, nil
		}
		c.cfg, c.cur, c.prev = cfg, make(map[K]Document), nil
	}
	// A key found in the previous generation is still in use: it moves to
	// the current one without being rendered again.
	if len(c.cur) >= c.max {
		c.prev, c.cur = c.cur, make(map[K]Document, c.max)
	}
	c.cur[key] = d
	return d, nil
}

// newer reports whether cfg was loaded after the cache's configuration.
func (c *DocumentCache[K]) newer(cfg *autoconfig.Config) bool { return cfg.LoadedAfter(c.cfg) }

// Lookup returns the cached document for (cfg, key) without rendering.
func (c *DocumentCache[K]) Lookup(cfg *autoconfig.Config, key K) (Document, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, inCur, inPrev := c.find(cfg, key)
	return d, inCur || inPrev
}

func (c *DocumentCache[K]) find(cfg *autoconfig.Config, key K) (d Document, inCur, inPrev bool) {
	if c.cfg != cfg {
		return Document{}, false, false
	}
	if d, ok := c.cur[key]; ok {
		return d, true, false
	}
	d, ok := c.prev[key]
	return d, false, ok
}

// Len is the number of documents held.
func (c *DocumentCache[K]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.cur) + len(c.prev)
}

// GetByBody is cache.Get keyed by a request body, for answers that are a
// function of the body: a hit, the common case, converts the body to a
// string key without copying it. render also says what the request was
// about, which the document keeps.
func GetByBody(cache *DocumentCache[string], cfg *autoconfig.Config, body []byte, render func() ([]byte, Subject, error)) (Document, error) {
	cache.mu.RLock()
	d, ok := Document{}, false
	if cache.cfg == cfg {
		// A map index with string(body) does not allocate.
		d, ok = cache.cur[string(body)]
	}
	cache.mu.RUnlock()
	if ok {
		return d, nil
	}
	var subject Subject
	// Get moves a document of the previous generation to the current one.
	d, err := cache.Get(cfg, string(body), func() ([]byte, error) {
		out, s, err := render()
		subject = s
		return out, err
	})
	if err == nil && d.Subject == (Subject{}) {
		d.Subject = subject
		cache.setSubject(cfg, string(body), subject)
	}
	return d, err
}

// setSubject records the subject of a document just stored.
func (c *DocumentCache[K]) setSubject(cfg *autoconfig.Config, key K, s Subject) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.cur[key]; ok && c.cfg == cfg {
		d.Subject = s
		c.cur[key] = d
	}
}
