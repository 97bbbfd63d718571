package autodiscover_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func TestRequestedSchema(t *testing.T) {
	for _, tc := range []struct {
		schema string
		want   autodiscover.Schema
	}{
		{"", autodiscover.SchemaOutlook},
		{autodiscover.OutlookNS, autodiscover.SchemaOutlook},
		{autodiscover.MobileSyncNS, autodiscover.SchemaMobileSync},
		{"HTTPS://schemas.microsoft.com/exchange/autodiscover/MOBILESYNC/responseschema/2006", autodiscover.SchemaMobileSync},
		{"https://x", autodiscover.SchemaOther},
		{"http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006x", autodiscover.SchemaOther},
		{"urn:other", autodiscover.SchemaOther},
	} {
		r := autodiscover.Request{EMailAddress: "a@example.ch", AcceptableResponseSchema: tc.schema}
		assert.Equal(t, tc.want, r.RequestedSchema(), tc.schema)
	}
}

func TestUserAgentFamily(t *testing.T) {
	for ua, want := range map[string]string{
		"": "unknown",
		"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)": "Outlook",
		"Outlook-iOS/723.4027091.prod.iphone (4.2406.0)":                             "Outlook",
		"eM Client/9.2.2157.0": "eM Client",
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.3.0": "Thunderbird",
		"curl/8.5.0":                   "unknown",
		"jane.doe@example.ch <script>": "unknown",
	} {
		assert.Equal(t, want, autodiscover.UserAgentFamily(ua), ua)
	}
}

// Every POX request that could be read is counted by the schema it asks
// for, cached answers included; each mobilesync request logs one line with
// the client's family and never the address.
func TestAutodiscoverPOX_CountsSchemasAndLogsMobileSync(t *testing.T) {
	var logs bytes.Buffer
	deps := testkit.Deps(autoconfig.Default())
	deps.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	counts := map[autodiscover.Schema]int{}
	h := autodiscover.CanonicalPaths(testkit.Engine(t, autodiscover.New(deps).CountSchemas(func(s autodiscover.Schema) { counts[s]++ })))

	outlook := requestBody(t, "outlook.xml")
	for range 3 { // the second and third are cache hits
		require.Equal(t, http.StatusOK, postPOX(h, poxPath, "text/xml", outlook).Code)
	}
	rec := postPOX(h, poxPath, "text/xml", requestBody(t, "mobilesync.xml"),
		"User-Agent", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)")
	assert.Contains(t, rec.Body.String(), "<ErrorCode>601</ErrorCode>")
	postPOX(h, poxPath, "text/xml", testkit.OutlookRequestFor("a@example.ch", autodiscover.MobileSyncNS))
	postPOX(h, poxPath, "text/xml", testkit.OutlookRequestFor("a@example.ch", "urn:something-else"))
	postPOX(h, poxPath, "text/xml", "not xml") // unread: not counted

	assert.Equal(t, map[autodiscover.Schema]int{
		autodiscover.SchemaOutlook: 3, autodiscover.SchemaMobileSync: 2, autodiscover.SchemaOther: 1,
	}, counts)
	log := logs.String()
	assert.Equal(t, 2, bytes.Count(logs.Bytes(), []byte("mobilesync")), log)
	assert.Contains(t, log, "user_agent_family=Outlook")
	assert.Contains(t, log, "user_agent_family=unknown")
	assert.NotContains(t, log, "phone.user")
	assert.NotContains(t, log, "a@example.ch")
}

func TestClientOf(t *testing.T) {
	for ua, want := range map[string]autodiscover.UserAgentKind{
		"eM Client/6.0.24144.0": autodiscover.ClientEMClient,
		"eMClient/8.1.172.0":    autodiscover.ClientEMClient,
		"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)": autodiscover.ClientOther,
		"Mozilla/5.0 Thunderbird/128.3.0":                                            autodiscover.ClientOther,
		"":                                                                           autodiscover.ClientOther,
	} {
		assert.Equal(t, want, autodiscover.ClientOf(ua), ua)
	}
}

// eM Client gets the provider's CalDAV and CardDAV servers as Protocol
// entries after the mail servers; Outlook's answer for the same account is
// the Outlook golden, without them.
func TestAutodiscoverResponse_EMClientGetsDAV(t *testing.T) {
	cfg := testkit.Config(t, "apple-dav.yaml")
	acct, err := testkit.Resolve(cfg, mustAddress(t, "Jane@Example.net"))
	require.NoError(t, err)

	outlook := autodiscover.Response(acct)
	testkit.Golden(t, "autodiscover/dav-outlook.xml", outlook)
	assert.Equal(t, outlook, autodiscover.ResponseFor(acct, autodiscover.ClientOther))
	assert.NotContains(t, string(outlook), "DAV")

	em := autodiscover.ResponseFor(acct, autodiscover.ClientEMClient)
	testkit.Golden(t, "autodiscover/dav-emclient.xml", em)
	r := parsePOXResponse(t, em)
	protos := r.Account.Protocol
	require.Len(t, protos, len(acct.Autodiscover)+2)
	for i, want := range []autoconfig.DAVEndpoint{acct.CalDAV, acct.CardDAV} {
		p := protos[len(acct.Autodiscover)+i]
		assert.Equal(t, []string{"CalDAV", "CardDAV"}[i], p.Type)
		assert.Equal(t, want.URL, p.Server)
		assert.Equal(t, "jane@example.net", p.LoginName, "the full address, as the Apple profile's DAV login")
		assert.Equal(t, "off", p.DomainRequired)
		assert.Equal(t, []string{"Type", "Server", "LoginName", "DomainRequired"}, p.Children)
	}
	// The mail servers are the same as Outlook's.
	assert.Equal(t, parsePOXResponse(t, outlook).Account.Protocol, protos[:len(acct.Autodiscover)])

	// A provider without DAV: eM Client gets what Outlook gets.
	plain, err := testkit.Resolve(autoconfig.Default(), mustAddress(t, "jane@example.ch"))
	require.NoError(t, err)
	assert.Equal(t, autodiscover.Response(plain), autodiscover.ResponseFor(plain, autodiscover.ClientEMClient))
}

// The answer cache keys on the client kind: an Outlook request first must
// not hand eM Client Outlook's answer for the same body, nor the reverse.
func TestAutodiscoverPOX_CacheKeysOnClient(t *testing.T) {
	h := newAutodiscoverHandler(t, testkit.Config(t, "apple-dav.yaml"), "")
	body := poxRequest("jane@example.net")
	for range 2 {
		outlook := postPOX(h, poxPath, "text/xml", body, "User-Agent", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)")
		require.Equal(t, http.StatusOK, outlook.Code)
		assert.NotContains(t, outlook.Body.String(), "CalDAV")
		em := postPOX(h, poxPath, "text/xml", body, "User-Agent", "eMClient/9.2.2157.0")
		require.Equal(t, http.StatusOK, em.Code)
		assert.Contains(t, em.Body.String(), "<Type>CalDAV</Type>")
		assert.Contains(t, em.Body.String(), "<Server>https://dav.example.net:8443/carddav/</Server>")
	}
}
