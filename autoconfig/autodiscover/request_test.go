package autodiscover_test

import (
	"strings"
	"testing"

	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAutodiscoverRequest_RealBodies(t *testing.T) {
	tests := []struct {
		file, address string
		outlookSchema bool
	}{
		{"outlook.xml", "jane.doe@example.ch", true},
		{"thunderbird.xml", "tb.user@example.org", true},
		{"mobilesync.xml", "phone.user@example.ch", false},
		{"odd-prefixes.xml", "Odd.Prefix@Example.CH", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			req, err := autodiscover.ParseRequest([]byte(requestBody(t, tt.file)))
			require.NoError(t, err)
			assert.Equal(t, tt.address, req.EMailAddress)
			assert.Equal(t, tt.outlookSchema, req.OffersOutlookSchema())
		})
	}
}

func TestParseAutodiscoverRequest_Variants(t *testing.T) {
	const ns = autodiscover.RequestNS
	tests := []struct {
		name, body, address, schema string
	}{
		{"no schema", `<Autodiscover xmlns="` + ns + `"><Request><EMailAddress>a@example.ch</EMailAddress></Request></Autodiscover>`, "a@example.ch", ""},
		{"no namespace at all", `<Autodiscover><Request><EMailAddress>a@example.ch</EMailAddress></Request></Autodiscover>`, "a@example.ch", ""},
		{"EmailAddress spelling", `<Autodiscover><Request><EmailAddress>a@example.ch</EmailAddress></Request></Autodiscover>`, "a@example.ch", ""},
		{"first address wins", `<Autodiscover><Request><EMailAddress>a@example.ch</EMailAddress><EMailAddress>b@example.ch</EMailAddress></Request></Autodiscover>`, "a@example.ch", ""},
		{"escaped address", `<Autodiscover><Request><EMailAddress>a&amp;b@example.ch</EMailAddress></Request></Autodiscover>`, "a&b@example.ch", ""},
		{"CDATA address", `<Autodiscover><Request><EMailAddress><![CDATA[a@example.ch]]></EMailAddress></Request></Autodiscover>`, "a@example.ch", ""},
		{"schema before address", `<Autodiscover><Request><AcceptableResponseSchema> x </AcceptableResponseSchema><EMailAddress>a@example.ch</EMailAddress></Request></Autodiscover>`, "a@example.ch", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := autodiscover.ParseRequest([]byte(tt.body))
			require.NoError(t, err)
			assert.Equal(t, tt.address, req.EMailAddress)
			assert.Equal(t, tt.schema, req.AcceptableResponseSchema)
		})
	}
}

func TestAutodiscoverRequest_OffersOutlookSchema(t *testing.T) {
	tests := []struct {
		schema string
		want   bool
	}{
		{"", true},
		{autodiscover.OutlookNS, true},
		{strings.ToUpper(autodiscover.OutlookNS), true},
		// Copied from Microsoft's current pages; answered in the http:// namespace.
		{"https://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a", true},
		{"http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006", false},
		{"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006", false},
		{"urn:anything", false},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			req := autodiscover.Request{EMailAddress: "a@example.ch", AcceptableResponseSchema: tt.schema}
			assert.Equal(t, tt.want, req.OffersOutlookSchema())
		})
	}
}

// hostileBodies are bodies that must be refused without expanding,
// echoing or hanging on anything.
func hostileBodies(t testing.TB) map[string]string {
	return map[string]string{
		"xxe":                requestBody(t, "hostile-xxe.xml"),
		"billion laughs":     requestBody(t, "hostile-billion-laughs.xml"),
		"deeply nested":      "<Autodiscover><Request>" + strings.Repeat("<a>", 2000) + strings.Repeat("</a>", 2000) + "</Request></Autodiscover>",
		"binary":             "\x00\x01\x02\xff\xfe\x89PNG\r\n\x1a\n\x00\x00",
		"empty":              "",
		"whitespace":         " \r\n\t ",
		"not xml":            "Email=jane@example.ch",
		"truncated":          `<Autodiscover><Request><EMailAddress>a@example.ch</EMailAddress>`,
		"mismatched end tag": `<Autodiscover><Request><EMailAddress>a@example.ch</EMailAddress></Autodiscover></Request>`,
		"mismatched prefix":  `<a:Autodiscover xmlns:a="x" xmlns:b="x"><a:Request><a:EMailAddress>a@example.ch</b:EMailAddress></a:Request></a:Autodiscover>`,
		"wrong root":         `<Request><EMailAddress>a@example.ch</EMailAddress></Request>`,
		"no address":         `<Autodiscover><Request><LegacyDN>/o=x</LegacyDN></Request></Autodiscover>`,
		"address too deep":   `<Autodiscover><Request><x><EMailAddress>a@example.ch</EMailAddress></x></Request></Autodiscover>`,
		"latin-1 body":       `<?xml version="1.0" encoding="ISO-8859-1"?><Autodiscover><Request><EMailAddress>a@example.ch</EMailAddress></Request></Autodiscover>`,
		"undeclared entity":  `<Autodiscover><Request><EMailAddress>&nbsp;a@example.ch</EMailAddress></Request></Autodiscover>`,
	}
}

func TestParseAutodiscoverRequest_HostileBodiesAreRefused(t *testing.T) {
	for name, body := range hostileBodies(t) {
		t.Run(name, func(t *testing.T) {
			_, err := autodiscover.ParseRequest([]byte(body))
			var reqErr *autodiscover.RequestError
			require.ErrorAs(t, err, &reqErr)
			assert.NotContains(t, err.Error(), "lol")
			assert.NotContains(t, err.Error(), "passwd")
			assert.NotContains(t, err.Error(), "example.ch")
		})
	}
}
