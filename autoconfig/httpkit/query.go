package httpkit

import (
	"iter"
	"net/url"
	"strings"
)

// QueryValue is the first value of key in a raw query string, as
// url.ParseQuery(raw).Get(key) would give it, and whether key is present.
//
// Every autoconfig request carries its address in the query; parsing the
// whole query into a map for one value cost a tenth of a cached request's
// time. This scans it instead and allocates only to unescape a key or value
// that is escaped. A pair url.ParseQuery rejects (a semicolon, a bad
// escape) is skipped as ParseQuery skips it; the server refuses such
// queries before handlers run. FuzzQueryValue checks it against ParseQuery.
func QueryValue(raw, key string) (string, bool) {
	for v := range QueryValues(raw, key) {
		return v, true
	}
	return "", false
}

// QueryValues yields the values of key in a raw query string, in order: the
// slice url.ParseQuery(raw)[key] would hold.
func QueryValues(raw, key string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for raw != "" {
			var pair string
			pair, raw, _ = strings.Cut(raw, "&")
			if pair == "" || strings.IndexByte(pair, ';') >= 0 {
				continue
			}
			k, v, _ := strings.Cut(pair, "=")
			if !queryKeyIs(k, key) {
				continue
			}
			v, ok := queryUnescape(v)
			if ok && !yield(v) {
				return
			}
		}
	}
}

// queryKeyIs reports whether the raw (possibly escaped) key k is key.
func queryKeyIs(k, key string) bool {
	u, ok := queryUnescape(k)
	return ok && u == key
}

// queryUnescape is url.QueryUnescape, without allocating when s has
// nothing to unescape.
func queryUnescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}
