package main

import (
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// compressText gzips text answers (pages, stylesheets, XML and JSON
// documents) of at least gzhttp.DefaultMinSize (1 KB) for clients that
// accept it; images, profiles and small answers go as they are. gzhttp
// adds Vary: Accept-Encoding to what it compresses and drops
// Accept-Ranges (we serve no ranges). A compressed answer keeps its
// handler's entity tag, weakened (W/"…"): the bytes differ from the
// uncompressed ones, the content does not (RFC 9110 §8.8.1), and
// If-None-Match compares weakly (httpkit.ETagMatches), so a browser's
// revalidation of a compressed copy still gets its 304.
func compressText(h http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.EnableZstd(false), gzhttp.ContentTypeFilter(isText))
	if err != nil {
		panic("gzhttp options are constant: " + err.Error())
	}
	gz := wrap(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gz.ServeHTTP(&weakETagWriter{ResponseWriter: w}, r)
	})
}

// isText reports whether a Content-Type is text worth compressing.
func isText(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "xml") || strings.Contains(ct, "json")
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
