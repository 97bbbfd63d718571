package dnscheck_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// customerZone serves testdata/dns/<zone> and the names of the loopback web
// (testdata/dns/clients.zone) on loopback DNS.
func customerZone(t *testing.T, zone string) *dnstest.Server {
	t.Helper()
	return dnstest.Start(t, testkit.Testdata(t, "dns/"+zone), testkit.Testdata(t, "dns/clients.zone"))
}

// checkDomain runs the checker against the loopback DNS server serving
// testdata/dns/<zone> and the loopback customer sites.
func checkDomain(t *testing.T, zone, domain string) (dnscheck.Report, *dnstest.Server) {
	t.Helper()
	srv := customerZone(t, zone)
	c := dnstest.CustomerWeb(t).Checker(srv.Addr, testISPDB)
	return c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), domain), testServiceHost), srv
}

func TestCheck_CorrectZonePasses(t *testing.T) {
	rep, _ := checkDomain(t, "example.ch.zone", "example.ch")
	for _, r := range rep.Records {
		assert.Equal(t, dnscheck.CheckOK, r.Status, "%s %s: %s %v", r.Name, r.Type, r.Detail, r.Found)
	}
	for _, e := range rep.Endpoints {
		assert.Equal(t, dnscheck.CheckOK, e.Status, "%s: %s", e.Name, e.Detail)
	}
	assert.True(t, rep.OK)
	assert.Zero(t, rep.Problems())
	assert.Len(t, rep.Records, 13, "one check per name and type")
	assert.Len(t, rep.Endpoints, 3)
}

func TestCheck_PlantedMistakesAreReported(t *testing.T) {
	rep, _ := checkDomain(t, "broken.example.zone", "broken.example")
	assert.False(t, rep.OK)

	records := map[string]dnscheck.RecordCheck{}
	for _, r := range rep.Records {
		records[r.Name+" "+r.Type] = r
	}
	tests := []struct {
		key    string
		status dnscheck.CheckStatus
		found  []string
	}{
		{"broken.example. MX", dnscheck.CheckWrong, []string{"10 mx.elsewhere.example."}},
		{"broken.example. TXT", dnscheck.CheckMissing, nil}, // the unrelated TXT is ignored
		{"autoconfig.broken.example. CNAME", dnscheck.CheckWrong, []string{"autoconfig.elsewhere.example."}},
		{"autodiscover.broken.example. CNAME", dnscheck.CheckMissing, nil},
		{"ua-auto-config.broken.example. CNAME", dnscheck.CheckOK, []string{"autoconfig.infomaniak.com."}},
		{"_imaps._tcp.broken.example. SRV", dnscheck.CheckWrong, []string{"0 1 143 mail.infomaniak.com."}},
		{"_imap._tcp.broken.example. SRV", dnscheck.CheckMissing, nil},
		{"_submissions._tcp.broken.example. SRV", dnscheck.CheckMissing, nil},
		{"_submission._tcp.broken.example. SRV", dnscheck.CheckOK, []string{"0 1 587 mail.infomaniak.com."}},
		{"_ua-auto-config.broken.example. TXT", dnscheck.CheckWrong, []string{`"v=UAAC1; a=sha256; d=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="`}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			r, ok := records[tt.key]
			require.True(t, ok, "no check for %s", tt.key)
			assert.Equal(t, tt.status, r.Status, r.Detail)
			assert.Equal(t, tt.found, r.Found)
			if tt.status == dnscheck.CheckWrong {
				assert.Contains(t, r.Detail, "found ")
			}
		})
	}

	endpoints := map[string]dnscheck.EndpointCheck{}
	for _, e := range rep.Endpoints {
		endpoints[e.Name] = e
	}
	assert.Equal(t, dnscheck.CheckWrong, endpoints["autoconfig"].Status)
	assert.Contains(t, endpoints["autoconfig"].Detail, "imap imap.wrong.example:993 tls")
	assert.Equal(t, dnscheck.CheckError, endpoints["autodiscover"].Status, "no autodiscover name: nothing to connect to")
	assert.Contains(t, endpoints["autodiscover"].Detail, "autodiscover.broken.example has no address")
	assert.Equal(t, dnscheck.CheckWrong, endpoints["pacc"].Status)
	assert.Contains(t, endpoints["pacc"].Detail, "differs")
}

func TestCheck_ModelChangedSincePublishing(t *testing.T) {
	// The model changed (a new help URL) but neither the service nor the
	// zone did: the served document and the published digest are stale.
	srv := customerZone(t, "example.ch.zone")
	c := dnstest.CustomerWeb(t).Checker(srv.Addr, testISPDB)
	p := defaultProvider(t)
	rep := c.Check(context.Background(), autoconfig.NewDomain(p, "example.ch"), testServiceHost)
	require.True(t, rep.OK)

	changed := *p
	changed.HelpURL = "https://help.example/"
	rep = c.Check(context.Background(), autoconfig.NewDomain(&changed, "example.ch"), testServiceHost)
	for _, e := range rep.Endpoints {
		if e.Name == "pacc" {
			assert.Equal(t, dnscheck.CheckWrong, e.Status)
		}
	}
	for _, r := range rep.Records {
		if r.Name == "_ua-auto-config.example.ch." {
			assert.Equal(t, dnscheck.CheckWrong, r.Status, "the published digest is of the old document")
		}
	}
}

func TestCheck_ServfailAndTimeoutAreErrors(t *testing.T) {
	srv := customerZone(t, "example.ch.zone")
	srv.SetRcode(dns.RcodeServerFailure)
	c := dnstest.CustomerWeb(t).Checker(srv.Addr, testISPDB)
	rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)
	assert.False(t, rep.OK)
	require.NotEmpty(t, rep.Records)
	assert.Equal(t, dnscheck.CheckError, rep.Records[0].Status)
	assert.Contains(t, rep.Records[0].Detail, "SERVFAIL")
	failed := findingsOf(rep, "lookup-failed")
	require.Len(t, failed, len(rep.Records), "SERVFAIL comes from the domain's name servers: one finding per record")
	assert.Equal(t, dnscheck.FaultOwner, failed[0].Fault)
	assert.True(t, failed[0].Required, "the MX could not be verified")

	c = dnstest.CustomerWeb(t).Checker(dnstest.StartSilent(t), testISPDB)
	c.Timeout = 50 * time.Millisecond
	rep = c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)
	assert.False(t, rep.OK)
	assert.Equal(t, dnscheck.CheckError, rep.Records[0].Status)
}

func TestCheck_UntrustedCertificateIsWrong(t *testing.T) {
	srv := customerZone(t, "example.ch.zone")
	c := dnstest.CustomerWeb(t).Checker(srv.Addr, testISPDB)
	c.RootCAs = dnstest.CustomerSites(t).Roots // another CA
	rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)
	for _, e := range rep.Endpoints {
		assert.Equal(t, dnscheck.CheckWrong, e.Status, e.Name)
		assert.Contains(t, e.Detail, "the certificate is not valid for ", e.Name)
	}
	// The names point at us: the certificate is ours to fix.
	failed := findingsOf(rep, "service-failed")
	require.Len(t, failed, 3)
	for _, f := range failed {
		assert.Equal(t, dnscheck.FaultOurs, f.Fault)
	}
	assert.Equal(t, dnscheck.VerdictOurs, rep.Verdict)
	// Thunderbird for Android asks the user to approve what an untrusted
	// certificate serves; Thunderbird desktop goes on down its chain.
	android := clientsOf(rep)[dnscheck.ClientThunderbirdAndroid]
	assert.Equal(t, dnscheck.OutcomeOurs, android.Outcome)
	assert.Contains(t, noteKeys(android), "approval-certificate")
}

// The live check verifies the RFC 6764 records of a provider with DAV
// URLs: a published path that differs from the model is wrong, not missing.
func TestCheck_DAVRecords(t *testing.T) {
	cfg := testkit.Config(t, "apple-dav.yaml")
	d := autoconfig.NewDomain(testkit.Provider(t, cfg, "example.net"), "example.net")
	zone := string(dnsrecords.ZoneFile("example.net", dnsrecords.ForDomain(d, testServiceHost)))
	require.Contains(t, zone, `"path=/caldav/"`)
	zone = strings.Replace(zone, `"path=/caldav/"`, `"path=/wrong/"`, 1)
	path := filepath.Join(t.TempDir(), "example.net.zone")
	require.NoError(t, os.WriteFile(path, []byte(zone+"example.net. IN SOA ns1.example.net. hostmaster.example.net. 1 7200 900 1209600 300\n"), 0o644))
	srv := dnstest.Start(t, path, testkit.Testdata(t, "dns/clients.zone"))
	c := dnstest.CustomerWeb(t).Checker(srv.Addr, testISPDB)
	rep := c.Check(context.Background(), d, testServiceHost)

	records := map[string]dnscheck.RecordCheck{}
	for _, r := range rep.Records {
		records[r.Name+" "+r.Type] = r
	}
	for key, want := range map[string]dnscheck.CheckStatus{
		"_caldavs._tcp.example.net. SRV":  dnscheck.CheckOK,
		"_caldavs._tcp.example.net. TXT":  dnscheck.CheckWrong,
		"_caldav._tcp.example.net. SRV":   dnscheck.CheckOK,
		"_carddavs._tcp.example.net. SRV": dnscheck.CheckOK,
		"_carddavs._tcp.example.net. TXT": dnscheck.CheckOK,
		"_carddav._tcp.example.net. SRV":  dnscheck.CheckOK,
	} {
		r, ok := records[key]
		require.True(t, ok, "no check for %s", key)
		assert.Equal(t, want, r.Status, "%s: %s", key, r.Detail)
	}
	assert.Equal(t, []string{`"path=/wrong/"`}, records["_caldavs._tcp.example.net. TXT"].Found)
	assert.False(t, rep.OK)
}

const testServiceHost = "autoconfig.infomaniak.com"

func defaultProvider(t *testing.T) *autoconfig.Provider {
	t.Helper()
	return autoconfig.Default().Providers[0]
}
