package autodiscover

import (
	"encoding/json"
	"strings"
)

// v1Protocol is the only protocol the v2 JSON endpoint answers: it
// points Outlook 2016+ at the POX endpoint.
const v1Protocol = "AutodiscoverV1"

// jsonResponse error codes of the v2 endpoint. InvalidProtocol is Exchange's; the
// others name the problem for people reading logs, Outlook only reads the
// status.
const (
	jsonInvalidProtocol = "InvalidProtocol"
	jsonInvalidUser     = "InvalidUser"
	jsonUserNotFound    = "UserNotFound"
)

// JSONResult is the v2 endpoint's answer for V1.
type JSONResult struct {
	Protocol string `json:"Protocol"`
	URL      string `json:"Url"`
}

// JSONError is the v2 endpoint's error body.
type JSONError struct {
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// jsonResponse renders the V1 answer: the POX endpoint
// under baseURL, spelled as Outlook spells it.
func jsonResponse(baseURL string) []byte {
	return mustJSON(JSONResult{Protocol: v1Protocol, URL: baseURL + POXLink})
}

// isV1 compares case-insensitively: Outlook sends
// "Autodiscoverv1".
func isV1(protocol string) bool {
	return strings.EqualFold(protocol, v1Protocol)
}

func jsonError(code, message string) []byte {
	return mustJSON(JSONError{ErrorCode: code, ErrorMessage: message})
}

func mustJSON(v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		// Only strings are marshalled: this cannot fail.
		panic("marshalling autodiscover JSON: " + err.Error())
	}
	return out
}
