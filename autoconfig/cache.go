package autoconfig

import "sync"

// Document is a rendered response body with its entity tag.
type Document struct {
	Body []byte
	ETag string
	// etagHeader is ETag as a header value, built once: cached documents
	// are written many times.
	etagHeader []string
}

// NewDocument computes the ETag of body.
func NewDocument(body []byte) Document {
	etag := ETag(body)
	return Document{Body: body, ETag: etag, etagHeader: []string{etag}}
}

// DocumentCache keeps rendered documents for the configuration in force,
// keyed by a string such as the domain.
//
// It is bounded: it holds two generations of at most max entries each; when
// the current one fills up it becomes the previous one and a new one starts,
// so memory stays bounded under scans of random domains while every domain
// in use stays cached. A different configuration empties it: documents
// rendered from an old configuration are never served after a reload.
type DocumentCache struct {
	mu        sync.RWMutex
	cfg       *Config
	cur, prev map[string]Document
	max       int
}

// NewDocumentCache returns a cache of at most 2×max documents.
func NewDocumentCache(max int) *DocumentCache {
	return &DocumentCache{max: max}
}

// Get returns the cached document for (cfg, key), rendering and storing it
// with render when absent. Errors of render are returned and not cached.
func (c *DocumentCache) Get(cfg *Config, key string, render func() ([]byte, error)) (Document, error) {
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
		c.cfg, c.cur, c.prev = cfg, make(map[string]Document), nil
	}
	// A key found in the previous generation is still in use: it moves to
	// the current one without being rendered again.
	if len(c.cur) >= c.max {
		c.prev, c.cur = c.cur, make(map[string]Document, c.max)
	}
	c.cur[key] = d
	return d, nil
}

// newer reports whether cfg was loaded after the cache's configuration.
func (c *DocumentCache) newer(cfg *Config) bool { return cfg.loaded > c.cfg.loaded }

// Lookup returns the cached document for (cfg, key) without rendering.
func (c *DocumentCache) Lookup(cfg *Config, key string) (Document, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, inCur, inPrev := c.find(cfg, key)
	return d, inCur || inPrev
}

func (c *DocumentCache) find(cfg *Config, key string) (d Document, inCur, inPrev bool) {
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
func (c *DocumentCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.cur) + len(c.prev)
}
