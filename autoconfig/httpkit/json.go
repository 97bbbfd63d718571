package httpkit

import "encoding/json"

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	out, err := json.Marshal(s)
	if err != nil {
		// A string always marshals (invalid UTF-8 becomes U+FFFD).
		panic("marshalling a string: " + err.Error())
	}
	return append(b, out...)
}
