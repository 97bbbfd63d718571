package autoconfig

import (
	"encoding/json"
	"strings"
)

// AutodiscoverV1 is the only protocol the v2 JSON endpoint answers: it
// points Outlook 2016+ at the POX endpoint.
const AutodiscoverV1 = "AutodiscoverV1"

// JSON error codes of the v2 endpoint. InvalidProtocol is Exchange's; the
// others name the problem for people reading logs, Outlook only reads the
// status.
const (
	jsonInvalidProtocol = "InvalidProtocol"
	jsonInvalidUser     = "InvalidUser"
	jsonUserNotFound    = "UserNotFound"
)

// AutodiscoverJSONResult is the v2 endpoint's answer for AutodiscoverV1.
type AutodiscoverJSONResult struct {
	Protocol string `json:"Protocol"`
	URL      string `json:"Url"`
}

// AutodiscoverJSONError is the v2 endpoint's error body.
type AutodiscoverJSONError struct {
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// AutodiscoverJSON renders the AutodiscoverV1 answer: the POX endpoint
// under baseURL, spelled as Outlook spells it.
func AutodiscoverJSON(baseURL string) []byte {
	return mustJSON(AutodiscoverJSONResult{Protocol: AutodiscoverV1, URL: baseURL + AutodiscoverPOXLink})
}

// IsAutodiscoverV1 compares case-insensitively: Outlook sends
// "Autodiscoverv1".
func IsAutodiscoverV1(protocol string) bool {
	return strings.EqualFold(protocol, AutodiscoverV1)
}

func autodiscoverJSONError(code, message string) []byte {
	return mustJSON(AutodiscoverJSONError{ErrorCode: code, ErrorMessage: message})
}

func mustJSON(v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		// Only strings are marshalled: this cannot fail.
		panic("marshalling autodiscover JSON: " + err.Error())
	}
	return out
}
