package dnsrecords_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

const testServiceHost = "autoconfig.infomaniak.com"

func defaultRecords(t *testing.T) []dnsrecords.Record {
	t.Helper()
	return dnsrecords.ForDomain(autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)
}

func TestDNSRecords_ZoneGolden(t *testing.T) {
	testkit.Golden(t, "dns/example.ch.zone", dnsrecords.ZoneFile("example.ch", defaultRecords(t)))
}

func TestDNSRecords_JSONGolden(t *testing.T) {
	out, err := json.MarshalIndent(defaultRecords(t), "", "  ")
	require.NoError(t, err)
	testkit.Golden(t, "dns/example.ch.json", append(out, '\n'))
}

// TestDNSRecords_ZoneParsesBackToTheModel reads the zone with a real zone
// parser and compares every record with what the model says.
func TestDNSRecords_ZoneParsesBackToTheModel(t *testing.T) {
	p := defaultProvider(t)
	zone := dnsrecords.ZoneFile("example.ch", defaultRecords(t))
	rrs := parseZone(t, zone)

	doc, err := pacc.Render(autoconfig.NewDomain(p, "example.ch"))
	require.NoError(t, err)
	want := []string{
		"example.ch.\t3600\tIN\tMX\t5 mta-gw.infomaniak.ch.",
		"example.ch.\t3600\tIN\tTXT\t\"v=spf1 include:spf.infomaniak.ch -all\"",
		"autoconfig.example.ch.\t3600\tIN\tCNAME\tautoconfig.infomaniak.com.",
		"autodiscover.example.ch.\t3600\tIN\tCNAME\tautoconfig.infomaniak.com.",
		"ua-auto-config.example.ch.\t3600\tIN\tCNAME\tautoconfig.infomaniak.com.",
		"_imaps._tcp.example.ch.\t3600\tIN\tSRV\t0 1 993 mail.infomaniak.com.",
		"_imap._tcp.example.ch.\t3600\tIN\tSRV\t0 0 0 .",
		"_pop3s._tcp.example.ch.\t3600\tIN\tSRV\t10 1 995 mail.infomaniak.com.",
		"_pop3._tcp.example.ch.\t3600\tIN\tSRV\t0 0 0 .",
		"_submission._tcp.example.ch.\t3600\tIN\tSRV\t0 1 587 mail.infomaniak.com.",
		"_submissions._tcp.example.ch.\t3600\tIN\tSRV\t10 1 465 mail.infomaniak.com.",
		"_autodiscover._tcp.example.ch.\t3600\tIN\tSRV\t0 1 443 autoconfig.infomaniak.com.",
		"_ua-auto-config.example.ch.\t3600\tIN\tTXT\t\"" + pacc.DigestRecord(doc) + "\"",
	}
	got := make([]string, len(rrs))
	for i, rr := range rrs {
		got[i] = rr.String()
	}
	assert.Equal(t, want, got)

	// The same facts, read field by field from the parsed records.
	mx := rrs[0].(*dns.MX)
	assert.Equal(t, p.MX[0].Host+".", mx.Mx)
	assert.Equal(t, uint16(p.MX[0].Priority), mx.Preference)
	assert.Equal(t, []string{p.SPF}, rrs[1].(*dns.TXT).Txt)
	for i, s := range append(append([]autoconfig.Server{}, autoconfig.NewDomain(p, "example.ch").Incoming...), autoconfig.NewDomain(p, "example.ch").Outgoing...) {
		label := map[string]string{"imap/tls": "_imaps", "pop3/tls": "_pop3s", "smtp/starttls": "_submission", "smtp/tls": "_submissions"}[string(s.Protocol)+"/"+string(s.Security)]
		srv := findSRV(t, rrs, label+"._tcp.example.ch.")
		assert.Equal(t, s.Host+".", srv.Target, "server %d", i)
		assert.Equal(t, uint16(s.Port), srv.Port, "server %d", i)
	}
}

// TestDNSRecords_NamedCheckzoneAcceptsTheZone runs BIND's own checker on
// the exact bytes `dns` prints, included from a zone with an SOA and NS (the
// output is what an owner adds to the zone they already have).
func TestDNSRecords_NamedCheckzoneAcceptsTheZone(t *testing.T) {
	checker, err := exec.LookPath("named-checkzone")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("named-checkzone is missing in CI: .ci/run installs bind9-utils")
		}
		t.Skip("named-checkzone not installed (Debian: bind9-utils)")
	}
	for name, records := range map[string][]dnsrecords.Record{
		"default":          defaultRecords(t),
		"calendar and DAV": davRecords(t, "example.ch"),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fragment := filepath.Join(dir, "records.zone")
			require.NoError(t, os.WriteFile(fragment, dnsrecords.ZoneFile("example.ch", records), 0o644))
			wrapper := filepath.Join(dir, "example.ch.zone")
			require.NoError(t, os.WriteFile(wrapper, []byte(`$TTL 3600
example.ch. IN SOA ns1.example.ch. hostmaster.example.ch. 1 7200 900 1209600 300
example.ch. IN NS ns1.example.ch.
ns1.example.ch. IN A 192.0.2.1
$INCLUDE `+fragment+`
`), 0o644))
			// -i local: check integrity without looking names up on the network.
			out, err := exec.Command(checker, "-i", "local", "example.ch", wrapper).CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), "OK")
		})
	}
}

// davRecords are the records of the DAV example provider
// (testdata/config/apple-dav.yaml: CalDAV on 443, CardDAV on 8443).
func davRecords(t *testing.T, domain string) []dnsrecords.Record {
	t.Helper()
	cfg := testkit.Config(t, "apple-dav.yaml")
	return dnsrecords.ForDomain(autoconfig.NewDomain(testkit.Provider(t, cfg, "example.net"), domain), testServiceHost)
}

func TestDNSRecords_DAVGolden(t *testing.T) {
	records := davRecords(t, "example.net")
	testkit.Golden(t, "dns/example.net-dav.zone", dnsrecords.ZoneFile("example.net", records))
	out, err := json.MarshalIndent(records, "", "  ")
	require.NoError(t, err)
	testkit.Golden(t, "dns/example.net-dav.json", append(out, '\n'))
}

// RFC 6764: _caldavs/_carddavs SRV to the DAV host and port (§3), the
// context path in TXT "path=" on the same name (§4), and the plain-HTTP
// services marked not offered with the "." target; read back with a zone
// parser.
func TestDNSRecords_RFC6764(t *testing.T) {
	cfg := testkit.Config(t, "apple-dav.yaml")
	d := autoconfig.NewDomain(testkit.Provider(t, cfg, "example.net"), "example.net")
	rrs := parseZone(t, dnsrecords.ZoneFile("example.net", davRecords(t, "example.net")))
	for _, tc := range []struct {
		service string
		ep      autoconfig.DAVEndpoint
		path    string
		port    uint16
	}{
		{"caldav", d.CalDAV, "/caldav/", 443},
		{"carddav", d.CardDAV, "/carddav/", 8443},
	} {
		t.Run(tc.service, func(t *testing.T) {
			srv := findSRV(t, rrs, "_"+tc.service+"s._tcp.example.net.")
			assert.Equal(t, "dav.example.net.", srv.Target)
			assert.Equal(t, tc.port, srv.Port)
			assert.Equal(t, uint16(tc.ep.Port), srv.Port)
			var paths []string
			for _, rr := range rrs {
				if txt, ok := rr.(*dns.TXT); ok && txt.Hdr.Name == "_"+tc.service+"s._tcp.example.net." {
					paths = append(paths, strings.Join(txt.Txt, ""))
				}
			}
			assert.Equal(t, []string{"path=" + tc.path}, paths)
			assert.Equal(t, ".", findSRV(t, rrs, "_"+tc.service+"._tcp.example.net.").Target, "not offered without TLS")
		})
	}
}

// A DAV URL over plain HTTP is published as such, and the TLS service as not
// offered; a provider without DAV publishes no DAV record.
func TestDNSRecords_DAVWithoutTLSAndWithoutDAV(t *testing.T) {
	cfg := testkit.ParseConfig(t, `
providers:
  - id: h.example
    display_name: H
    domains: [h.example]
    incoming: [{protocol: imap, host: mail.h.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: mail.h.example, port: 465, security: tls}]
    carddav_url: http://dav.h.example:8080
`)
	records := dnsrecords.ForDomain(autoconfig.NewDomain(cfg.Providers[0], "h.example"), "")
	plain := recordNamed(t, records, "_carddav._tcp.h.example.")
	assert.Equal(t, "0 1 8080 dav.h.example.", plain.Value)
	assert.Equal(t, ".", recordNamed(t, records, "_carddavs._tcp.h.example.").Target)
	for _, r := range records {
		assert.NotContains(t, r.Name, "caldav", "no CalDAV URL, no CalDAV record")
		if r.Type == "TXT" && strings.HasPrefix(r.Text, "path=") {
			assert.Equal(t, "_carddav._tcp.h.example.", r.Name)
			assert.Equal(t, "path=/", r.Text)
		}
	}
	for _, r := range defaultRecords(t) {
		assert.NotContains(t, r.Name, "dav", "the default provider has no DAV URL")
	}
}

func TestDNSRecords_SubmissionsNotSMTPS(t *testing.T) {
	for _, r := range defaultRecords(t) {
		assert.NotContains(t, r.Name, "_smtps", "RFC 8314 names implicit-TLS submission _submissions._tcp")
	}
	srv := recordNamed(t, defaultRecords(t), "_submissions._tcp.example.ch.")
	assert.Equal(t, 465, srv.Port)
}

func TestDNSRecords_NotOfferedServicesHaveDotTarget(t *testing.T) {
	for _, name := range []string{"_imap._tcp.example.ch.", "_pop3._tcp.example.ch."} {
		r := recordNamed(t, defaultRecords(t), name)
		assert.Equal(t, ".", r.Target, name)
		assert.Equal(t, "0 0 0 .", r.Value, name)
	}
}

func TestDNSRecords_POP3HasWorsePriorityThanIMAP(t *testing.T) {
	imaps := recordNamed(t, defaultRecords(t), "_imaps._tcp.example.ch.")
	pop3s := recordNamed(t, defaultRecords(t), "_pop3s._tcp.example.ch.")
	assert.Less(t, imaps.Priority, pop3s.Priority, "RFC 6186 §3.4: clients compare priorities across IMAP and POP3")
}

func TestDNSRecords_NoServiceHostLeavesOutCNAMEs(t *testing.T) {
	for _, r := range dnsrecords.ForDomain(autoconfig.NewDomain(defaultProvider(t), "example.ch"), "") {
		assert.NotEqual(t, "CNAME", r.Type)
		assert.NotEqual(t, "_autodiscover._tcp.example.ch.", r.Name)
	}
}

func TestDNSRecords_IDNDomainIsPunycode(t *testing.T) {
	domain, err := autoconfig.NormalizeDomain("bücher.example")
	require.NoError(t, err)
	zone := dnsrecords.ZoneFile(domain, dnsrecords.ForDomain(autoconfig.NewDomain(defaultProvider(t), domain), testServiceHost))
	assert.Contains(t, string(zone), "autoconfig.xn--bcher-kva.example.")
	parseZone(t, zone)
}

func parseZone(t *testing.T, zone []byte) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(bytes.NewReader(zone), "", "records.zone")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	require.NoError(t, zp.Err())
	return rrs
}

func findSRV(t *testing.T, rrs []dns.RR, name string) *dns.SRV {
	t.Helper()
	for _, rr := range rrs {
		if srv, ok := rr.(*dns.SRV); ok && strings.EqualFold(srv.Hdr.Name, name) {
			return srv
		}
	}
	t.Fatalf("no SRV record %s", name)
	return nil
}

func recordNamed(t *testing.T, records []dnsrecords.Record, name string) dnsrecords.Record {
	t.Helper()
	for _, r := range records {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no record %s", name)
	return dnsrecords.Record{}
}

func defaultProvider(t *testing.T) *autoconfig.Provider {
	t.Helper()
	return autoconfig.Default().Providers[0]
}

// TestDNSRecords_EveryServiceHostPrefixPointsAtTheService: the records
// cover every name the service answers for and a certificate covers.
func TestDNSRecords_EveryServiceHostPrefixPointsAtTheService(t *testing.T) {
	cnames := map[string]string{}
	for _, r := range defaultRecords(t) {
		if r.Type == "CNAME" {
			cnames[r.Name] = r.Target
		}
	}
	require.Len(t, cnames, len(autoconfig.ServiceHostPrefixes()))
	for _, prefix := range autoconfig.ServiceHostPrefixes() {
		assert.Equal(t, testServiceHost+".", cnames[prefix+"example.ch."], prefix)
	}
}
