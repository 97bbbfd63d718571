package autoconfig_test

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/golden"
)

// customerZone serves testdata/dns/<zone> and the names of the loopback web
// (testdata/dns/clients.zone) on loopback DNS.
func customerZone(t *testing.T, zone string) *dnstest.Server {
	t.Helper()
	return dnstest.Start(t, golden.Testdata(t, "dns/"+zone), golden.Testdata(t, "dns/clients.zone"))
}

// checkDomain runs the checker against the loopback DNS server serving
// testdata/dns/<zone> and the loopback customer sites.
func checkDomain(t *testing.T, zone, domain string) (autoconfig.Report, *dnstest.Server) {
	t.Helper()
	srv := customerZone(t, zone)
	c := dnstest.CustomerWeb(t).Checker(srv.Addr, testISPDB)
	return c.Check(context.Background(), defaultProvider(t), domain, testServiceHost), srv
}

func TestCheck_CorrectZonePasses(t *testing.T) {
	rep, _ := checkDomain(t, "example.ch.zone", "example.ch")
	for _, r := range rep.Records {
		assert.Equal(t, autoconfig.CheckOK, r.Status, "%s %s: %s %v", r.Name, r.Type, r.Detail, r.Found)
	}
	for _, e := range rep.Endpoints {
		assert.Equal(t, autoconfig.CheckOK, e.Status, "%s: %s", e.Name, e.Detail)
	}
	assert.True(t, rep.OK)
	assert.Zero(t, rep.Problems())
	assert.Len(t, rep.Records, 13, "one check per name and type")
	assert.Len(t, rep.Endpoints, 3)
}

func TestCheck_PlantedMistakesAreReported(t *testing.T) {
	rep, _ := checkDomain(t, "broken.example.zone", "broken.example")
	assert.False(t, rep.OK)

	records := map[string]autoconfig.RecordCheck{}
	for _, r := range rep.Records {
		records[r.Name+" "+r.Type] = r
	}
	tests := []struct {
		key    string
		status autoconfig.CheckStatus
		found  []string
	}{
		{"broken.example. MX", autoconfig.CheckWrong, []string{"10 mx.elsewhere.example."}},
		{"broken.example. TXT", autoconfig.CheckMissing, nil}, // the unrelated TXT is ignored
		{"autoconfig.broken.example. CNAME", autoconfig.CheckWrong, []string{"autoconfig.elsewhere.example."}},
		{"autodiscover.broken.example. CNAME", autoconfig.CheckMissing, nil},
		{"ua-auto-config.broken.example. CNAME", autoconfig.CheckOK, []string{"autoconfig.infomaniak.com."}},
		{"_imaps._tcp.broken.example. SRV", autoconfig.CheckWrong, []string{"0 1 143 mail.infomaniak.com."}},
		{"_imap._tcp.broken.example. SRV", autoconfig.CheckMissing, nil},
		{"_submissions._tcp.broken.example. SRV", autoconfig.CheckMissing, nil},
		{"_submission._tcp.broken.example. SRV", autoconfig.CheckOK, []string{"0 1 587 mail.infomaniak.com."}},
		{"_ua-auto-config.broken.example. TXT", autoconfig.CheckWrong, []string{`"v=UAAC1; a=sha256; d=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="`}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			r, ok := records[tt.key]
			require.True(t, ok, "no check for %s", tt.key)
			assert.Equal(t, tt.status, r.Status, r.Detail)
			assert.Equal(t, tt.found, r.Found)
			if tt.status == autoconfig.CheckWrong {
				assert.Contains(t, r.Detail, "found ")
			}
		})
	}

	endpoints := map[string]autoconfig.EndpointCheck{}
	for _, e := range rep.Endpoints {
		endpoints[e.Name] = e
	}
	assert.Equal(t, autoconfig.CheckWrong, endpoints["autoconfig"].Status)
	assert.Contains(t, endpoints["autoconfig"].Detail, "imap imap.wrong.example:993 SSL")
	assert.Equal(t, autoconfig.CheckError, endpoints["autodiscover"].Status, "no autodiscover name: nothing to connect to")
	assert.Contains(t, endpoints["autodiscover"].Detail, "autodiscover.broken.example has no address")
	assert.Equal(t, autoconfig.CheckWrong, endpoints["pacc"].Status)
	assert.Contains(t, endpoints["pacc"].Detail, "differs")
}

func TestCheck_ModelChangedSincePublishing(t *testing.T) {
	// The model changed (a new help URL) but neither the service nor the
	// zone did: the served document and the published digest are stale.
	srv := customerZone(t, "example.ch.zone")
	c := dnstest.CustomerWeb(t).Checker(srv.Addr, testISPDB)
	p := defaultProvider(t)
	rep := c.Check(context.Background(), p, "example.ch", testServiceHost)
	require.True(t, rep.OK)

	changed := *p
	changed.HelpURL = "https://help.example/"
	rep = c.Check(context.Background(), &changed, "example.ch", testServiceHost)
	for _, e := range rep.Endpoints {
		if e.Name == "pacc" {
			assert.Equal(t, autoconfig.CheckWrong, e.Status)
		}
	}
	for _, r := range rep.Records {
		if r.Name == "_ua-auto-config.example.ch." {
			assert.Equal(t, autoconfig.CheckWrong, r.Status, "the published digest is of the old document")
		}
	}
}

func TestCheck_ServfailAndTimeoutAreErrors(t *testing.T) {
	srv := customerZone(t, "example.ch.zone")
	srv.SetRcode(dns.RcodeServerFailure)
	c := dnstest.CustomerWeb(t).Checker(srv.Addr, testISPDB)
	rep := c.Check(context.Background(), defaultProvider(t), "example.ch", testServiceHost)
	assert.False(t, rep.OK)
	require.NotEmpty(t, rep.Records)
	assert.Equal(t, autoconfig.CheckError, rep.Records[0].Status)
	assert.Contains(t, rep.Records[0].Detail, "SERVFAIL")
	failed := findingsOf(rep, "lookup-failed")
	require.Len(t, failed, len(rep.Records), "SERVFAIL comes from the domain's name servers: one finding per record")
	assert.Equal(t, autoconfig.FaultOwner, failed[0].Fault)
	assert.True(t, failed[0].Required, "the MX could not be verified")

	c = dnstest.CustomerWeb(t).Checker(dnstest.StartSilent(t), testISPDB)
	c.Timeout = 50 * time.Millisecond
	rep = c.Check(context.Background(), defaultProvider(t), "example.ch", testServiceHost)
	assert.False(t, rep.OK)
	assert.Equal(t, autoconfig.CheckError, rep.Records[0].Status)
}

func TestCheck_UntrustedCertificateIsWrong(t *testing.T) {
	srv := customerZone(t, "example.ch.zone")
	c := dnstest.CustomerWeb(t).Checker(srv.Addr, testISPDB)
	c.RootCAs = dnstest.CustomerSites(t).Roots // another CA
	rep := c.Check(context.Background(), defaultProvider(t), "example.ch", testServiceHost)
	for _, e := range rep.Endpoints {
		assert.Equal(t, autoconfig.CheckWrong, e.Status, e.Name)
		assert.Contains(t, e.Detail, "the certificate is not valid for ", e.Name)
	}
	// The names point at us: the certificate is ours to fix.
	failed := findingsOf(rep, "service-failed")
	require.Len(t, failed, 3)
	for _, f := range failed {
		assert.Equal(t, autoconfig.FaultOurs, f.Fault)
	}
	assert.Equal(t, autoconfig.VerdictOurs, rep.Verdict)
	// Thunderbird for Android asks the user to approve what an untrusted
	// certificate serves; Thunderbird desktop goes on down its chain.
	android := clientsOf(rep)[autoconfig.ClientThunderbirdAndroid]
	assert.Equal(t, autoconfig.OutcomeOurs, android.Outcome)
	assert.Contains(t, noteKeys(android), "approval-certificate")
}
