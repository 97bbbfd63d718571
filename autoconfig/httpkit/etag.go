package httpkit

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// ETagMatches implements If-None-Match's weak comparison (RFC 9110 §13.1.2):
// "*" or any listed tag equal to etag, with or without the W/ prefix.
func ETagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}

// ETag returns a strong entity tag for body.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}
