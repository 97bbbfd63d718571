package main

import (
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// compressText gzips the wizard's pages, stylesheet and script of at least
// gzhttp.DefaultMinSize (1 KB) for clients that accept it. The clients'
// documents (Thunderbird XML, Autodiscover, PACC, about 1–2 KB) are left
// as they are: gzip saves about a kilobyte there and costs more CPU than
// serving the cached answer (BenchmarkEngine/thunderbird-gzip: about 10 µs
// → 27 µs when they were compressed), on the path that takes the most
// requests. Images, profiles and small answers go as they are. gzhttp
// adds Vary: Accept-Encoding to what it compresses and drops
// Accept-Ranges (we serve no ranges). A compressed answer keeps its
// handler's entity tag, weakened (W/"…"): the bytes differ from the
// uncompressed ones, the content does not (RFC 9110 §8.8.1), and
// If-None-Match compares weakly (httpkit.ETagMatches), so a browser's
// revalidation of a compressed copy still gets its 304.
func compressText(h http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.EnableZstd(false), gzhttp.ContentTypeFilter(isPage))
	if err != nil {
		panic("gzhttp options are constant: " + err.Error())
	}
	gz := wrap(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A client that takes no gzip pays nothing for the wrappers.
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.ServeHTTP(w, r)
			return
		}
		gz.ServeHTTP(&weakETagWriter{ResponseWriter: w}, r)
	})
}

// isPage reports whether a Content-Type is one of the wizard's: a page,
// its stylesheet or its script.
func isPage(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "text/html") || strings.HasPrefix(ct, "text/css") || strings.Contains(ct, "javascript")
}

// weakETagWriter weakens the entity tag of an answer that gzhttp encoded.
type weakETagWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (w *weakETagWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *weakETagWriter) WriteHeader(code int) {
	w.wroteHeader = true
	h := w.Header()
	if etag := h.Get("ETag"); etag != "" && h.Get("Content-Encoding") != "" && !strings.HasPrefix(etag, "W/") {
		h.Set("ETag", "W/"+etag)
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *weakETagWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
