package testkit

import (
	"encoding/xml"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Namespaces of an Outlook Autodiscover request and of the schema it asks
// for (written here, not imported, so that the kit checks the package
// rather than repeating it).
const (
	outlookRequestNS  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
	outlookResponseNS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

// OutlookRequest is the POX request body Outlook sends for address,
// asking for the Outlook response schema.
func OutlookRequest(address string) string {
	return OutlookRequestFor(address, outlookResponseNS)
}

// OutlookRequestFor asks for another response schema (mobilesync, for the
// new Outlook).
func OutlookRequestFor(address, schema string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="` + outlookRequestNS + `"><Request><EMailAddress>`)
	_ = xml.EscapeText(&b, []byte(address))
	b.WriteString(`</EMailAddress><AcceptableResponseSchema>` + schema + `</AcceptableResponseSchema></Request></Autodiscover>`)
	return b.String()
}

// RequestBody is testdata/requests/<name>: request bodies captured from
// real clients.
func RequestBody(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(Testdata(t, "requests/"+name))
	require.NoError(t, err)
	return string(data)
}
