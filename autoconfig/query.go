package autoconfig

import (
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
		if strings.IndexByte(v, '%') < 0 && strings.IndexByte(v, '+') < 0 {
			return v, true
		}
		if u, err := url.QueryUnescape(v); err == nil {
			return u, true
		}
	}
	return "", false
}

// queryKeyIs reports whether the raw (possibly escaped) key k is key.
func queryKeyIs(k, key string) bool {
	if strings.IndexByte(k, '%') < 0 && strings.IndexByte(k, '+') < 0 {
		return k == key
	}
	u, err := url.QueryUnescape(k)
	return err == nil && u == key
}
