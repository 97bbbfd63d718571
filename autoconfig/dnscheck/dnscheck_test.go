package dnscheck_test

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// checkDomain runs the checker against the loopback DNS server serving
// testdata/dns/<zone> and the loopback HTTPS customer sites.
func checkDomain(t *testing.T, zone, domain string) (dnscheck.Report, *dnstest.Server) {
	t.Helper()
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/"+zone))
	sites := dnstest.CustomerSites(t)
	c := &dnscheck.Checker{Resolver: srv.Addr, HTTPClient: sites.Client()}
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
	assert.Contains(t, endpoints["autoconfig"].Detail, "imap imap.wrong.example:993 SSL")
	assert.Equal(t, dnscheck.CheckWrong, endpoints["autodiscover"].Status)
	assert.Contains(t, endpoints["autodiscover"].Detail, "certificate is not valid for autodiscover.broken.example")
	assert.Equal(t, dnscheck.CheckWrong, endpoints["pacc"].Status)
	assert.Contains(t, endpoints["pacc"].Detail, "differs")
}

func TestCheck_ModelChangedSincePublishing(t *testing.T) {
	// The model changed (a new help URL) but neither the service nor the
	// zone did: the served document and the published digest are stale.
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/example.ch.zone"))
	sites := dnstest.CustomerSites(t)
	c := &dnscheck.Checker{Resolver: srv.Addr, HTTPClient: sites.Client()}
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
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/example.ch.zone"))
	srv.SetRcode(dns.RcodeServerFailure)
	c := &dnscheck.Checker{Resolver: srv.Addr, HTTPClient: dnstest.CustomerSites(t).Client()}
	rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)
	assert.False(t, rep.OK)
	require.NotEmpty(t, rep.Records)
	assert.Equal(t, dnscheck.CheckError, rep.Records[0].Status)
	assert.Contains(t, rep.Records[0].Detail, "SERVFAIL")

	c = &dnscheck.Checker{Resolver: dnstest.StartSilent(t), HTTPClient: dnstest.CustomerSites(t).Client(), Timeout: 50 * time.Millisecond}
	rep = c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)
	assert.False(t, rep.OK)
	assert.Equal(t, dnscheck.CheckError, rep.Records[0].Status)
}

func TestCheck_UntrustedCertificateIsWrong(t *testing.T) {
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/example.ch.zone"))
	sites := dnstest.CustomerSites(t)
	otherCA := dnstest.CustomerSites(t).Roots
	c := &dnscheck.Checker{Resolver: srv.Addr, HTTPClient: dnstest.Client(sites.Addr, otherCA)}
	rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)
	for _, e := range rep.Endpoints {
		assert.Equal(t, dnscheck.CheckWrong, e.Status, e.Name)
		assert.Contains(t, e.Detail, "the certificate is not valid for ", e.Name)
	}
}

const testServiceHost = "autoconfig.infomaniak.com"

func defaultProvider(t *testing.T) *autoconfig.Provider {
	t.Helper()
	return autoconfig.Default().Providers[0]
}
