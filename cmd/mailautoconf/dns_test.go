package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func TestDNSCommand_PrintsTheGoldenZone(t *testing.T) {
	for _, args := range [][]string{
		{"dns", "example.ch"},
		{"dns", "--format", "zone", "Example.CH"},
		{"dns", "example.ch", "--format", "zone"},
	} {
		code, out, errOut := runCLI(args...)
		require.Equal(t, 0, code, errOut)
		want, err := os.ReadFile(testkit.Path(t, "dns/example.ch.zone"))
		require.NoError(t, err)
		assert.Equal(t, string(want), out, "%v", args)
	}
}

func TestDNSCommand_JSON(t *testing.T) {
	code, out, errOut := runCLI("dns", "example.ch", "--format", "json")
	require.Equal(t, 0, code, errOut)
	var records []dnsrecords.Record
	require.NoError(t, json.Unmarshal([]byte(out), &records))
	assert.Equal(t, dnsrecords.ForDomain(autoconfig.NewDomain(autoconfig.Default().Providers[0], "example.ch"), "autoconfig.infomaniak.com"), records)
}

func TestDNSCommand_Errors(t *testing.T) {
	cfg := writeConfig(t, `
providers:
  - id: h.example
    display_name: H
    domains: [h.example]
    incoming: [{protocol: imap, host: mail.h.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: mail.h.example, port: 465, security: tls}]
`)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"dns"}, 2, "exactly one DOMAIN is required"},
		{[]string{"dns", "a.example", "b.example"}, 2, "exactly one DOMAIN is required"},
		{[]string{"dns", "<bad>"}, 1, "not a domain name"},
		{[]string{"dns", "example.ch", "--format", "xml"}, 2, "--format must be zone, json or domainconnect"},
		{[]string{"dns", "other.example", "--config", cfg}, 1, "name a provider with --provider"},
		{[]string{"dns", "other.example", "--config", cfg, "--provider", "nope"}, 1, `no provider "nope"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runCLI(tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Contains(t, errOut, tt.msg)
			assert.NotContains(t, errOut, "<bad>")
		})
	}
	code, out, errOut := runCLI("dns", "other.example", "--config", cfg, "--provider", "h.example")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "_imaps._tcp.other.example.")
	assert.Contains(t, errOut, "sets no service_host", "CNAMEs need service_host")
	assert.NotContains(t, out, "CNAME")
}

// PACC has no username field: for a provider whose logins are the local
// part, `dns` leaves the digest out and says why, and `check` skips the
// document with the same reason.
func TestDNSAndCheck_SayWhyPACCIsWithheld(t *testing.T) {
	cfg := writeConfig(t, `
service_host: svc.example
providers:
  - id: h.example
    display_name: H
    domains: [h.example]
    incoming: [{protocol: imap, host: mail.h.example, port: 993, security: tls, username: "%EMAILLOCALPART%"}]
    outgoing: [{protocol: smtp, host: mail.h.example, port: 465, security: tls, username: "%EMAILLOCALPART%"}]
`)
	code, out, errOut := runCLI("dns", "h.example", "--config", cfg)
	require.Equal(t, 0, code, errOut)
	assert.NotContains(t, out, "_ua-auto-config")
	assert.Contains(t, errOut, "no _ua-auto-config TXT record (PACC digest): "+pacc.ErrLoginNotAddress.Error())

	useTestChecker(t)
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/example.ch.zone"))
	_, out, errOut = runCLI("check", "h.example", "--config", cfg, "--resolver", srv.Addr)
	assert.Regexp(t, `skipped\s+pacc\s+\S+\s+\(`+regexp.QuoteMeta(pacc.ErrLoginNotAddress.Error())+`\)`, out, errOut)
}

// useTestChecker makes `check DOMAIN` trust the test CA and reach the
// loopback customer sites.
func useTestChecker(t *testing.T) *dnstest.Web {
	web := dnstest.CustomerWeb(t)
	orig := newChecker
	newChecker = func(o checkOptions) *dnscheck.Checker {
		if o.ispdb == "" || o.ispdb == dnscheck.DefaultISPDB {
			o.ispdb = dnstest.ISPDB // the loopback stand-in, not the public database
		}
		c := web.Checker(o.resolver, o.ispdb)
		c.AllowInternal = o.allowInternal
		return c
	}
	t.Cleanup(func() { newChecker = orig })
	return web
}

// customerZone serves testdata/dns/<zone> with the names of the loopback
// web (testdata/dns/clients.zone).
func customerZone(t *testing.T, zone string) *dnstest.Server {
	t.Helper()
	return dnstest.Start(t, testkit.Testdata(t, "dns/"+zone), testkit.Testdata(t, "dns/clients.zone"))
}

func TestCheckDomain_CorrectZonePasses(t *testing.T) {
	useTestChecker(t)
	srv := customerZone(t, "example.ch.zone")
	code, out, errOut := runCLI("check", "example.ch", "--resolver", srv.Addr, "--allow-internal")
	assert.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "OK: everything is published as it should be.")
	assert.NotContains(t, out, "wrong")
}

func TestCheckDomain_PlantedMistakesFail(t *testing.T) {
	useTestChecker(t)
	srv := customerZone(t, "broken.example.zone")
	code, out, _ := runCLI("check", "--resolver", srv.Addr, "--allow-internal", "broken.example")
	assert.Equal(t, 1, code)
	for _, want := range []string{
		"wrong    MX",
		"(found 10 mx.elsewhere.example.)",
		"missing  CNAME  autodiscover.broken.example.",
		"autodiscover.broken.example has no address",
		"What each client finds:",
		"  Thunderbird              other settings  imap imap.wrong.example:993 tls, smtp smtp.wrong.example:465 tls",
		"  The domain owner’s, required for mail to work:\n    - broken.example. MX is 10 mx.elsewhere.example.; it should be 5 mta-gw.infomaniak.ch.",
		"autodiscover.broken.example. CNAME is not published; it should be autoconfig.infomaniak.com. (affects Outlook)",
	} {
		assert.Contains(t, out, want)
	}

	code, out, _ = runCLI("check", "--json", "--resolver", srv.Addr, "--allow-internal", "broken.example")
	assert.Equal(t, 1, code)
	var rep dnscheck.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.False(t, rep.OK)
	assert.Equal(t, "broken.example", rep.Domain)
	assert.Equal(t, srv.Addr, rep.Resolver)
	assert.Positive(t, rep.Problems())
	require.Len(t, rep.Clients, len(dnscheck.Clients))
	assert.Equal(t, dnscheck.ClientThunderbird, rep.Clients[0].Client)
	assert.False(t, rep.Clients[0].Matches)
	require.NotEmpty(t, rep.Findings)
	faults := map[dnscheck.Fault]int{}
	for _, f := range rep.Findings {
		faults[f.Fault]++
	}
	assert.Equal(t, 1, faults[dnscheck.FaultOurs], "the PACC document the staged service serves differs from the model")
	assert.Equal(t, 8, faults[dnscheck.FaultOwner], "one per record wrong or missing")
	assert.Contains(t, out, `"fault": "owner",`+"\n"+`      "required": true,`)
}

// Without --allow-internal, the CLI does not connect to the loopback
// addresses the test names resolve to, and says so.
func TestCheckDomain_InternalAddressesRefusedByDefault(t *testing.T) {
	web := useTestChecker(t)
	srv := customerZone(t, "example.ch.zone")
	code, out, _ := runCLI("check", "example.ch", "--resolver", srv.Addr)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "autoconfig.example.ch resolves to the internal address 127.0.0.1: the checker did not connect to it.")
	assert.Zero(t, web.Connections())
}

// A resolver that never answers: the CLI ends within the check's deadline
// with one finding of ours.
func TestCheckDomain_SilentResolverIsOneFindingOfOurs(t *testing.T) {
	useTestChecker(t)
	orig := newChecker
	newChecker = func(o checkOptions) *dnscheck.Checker {
		c := orig(o)
		c.Timeout, c.Deadline = 200*time.Millisecond, 2*time.Second
		return c
	}
	start := time.Now()
	code, out, _ := runCLI("check", "example.ch", "--resolver", dnstest.StartSilent(t), "--allow-internal")
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, 1, code)
	assert.Equal(t, 1, strings.Count(out, "Our DNS resolver did not answer"), out)
	assert.Contains(t, out, "  "+dnscheck.Text("group.ours")+":\n    - Our DNS resolver did not answer")
	assert.Contains(t, out, "The problem is ours (our resolver or our service): the customer has nothing to change.")
}

func TestCheckDomain_ISPDBFlagMustBeABaseURL(t *testing.T) {
	for _, bad := range []string{"autoconfig.thunderbird.net", "ftp://x.example/", "https://x.example/v1.1"} {
		code, _, errOut := runCLI("check", "example.ch", "--resolver", "127.0.0.1:53", "--ispdb", bad)
		assert.Equal(t, 1, code, bad)
		assert.Contains(t, errOut, "want an absolute http(s) URL ending in /", bad)
	}
}

func TestCheck_ConfigModeStillWorks(t *testing.T) {
	good := writeConfig(t, `
providers:
  - id: h.example
    display_name: H
    domains: [h.example]
    incoming: [{protocol: imap, host: mail.h.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: mail.h.example, port: 465, security: tls}]
`)
	code, out, _ := runCLI("check", "--config", good)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "OK: 1 provider(s), 1 domain(s)")

	bad := writeConfig(t, "providers:\n  - id: x\n    accept:\n      mx: [\"no good\"]\n")
	code, _, errOut := runCLI("check", "--config", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, ":4: providers[0].accept.mx[0]:")

	code, _, errOut = runCLI("check")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "check needs --config FILE or a DOMAIN")
}

func TestResolverFlagMustBeHostPort(t *testing.T) {
	for _, args := range [][]string{
		{"check", "example.ch", "--resolver", "127.0.0.1"},
		{"check", "example.ch", "--resolver", "127.0.0.1:dns"},
		{"serve", "--resolver", "[::1]", "--listen", "127.0.0.1:0"},
	} {
		code, _, errOut := runCLI(args...)
		assert.Equal(t, 1, code, "%v", args)
		assert.Contains(t, errOut, "is not HOST:PORT", "%v", args)
	}
}

// TestEngine_AcceptMX goes through the engine as serve builds it, with the
// resolver pointed at the loopback DNS server.
func TestEngine_AcceptMX(t *testing.T) {
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/mx-acceptance.zone"))
	cfg, err := autoconfig.Parse("accept.yaml", []byte(`
providers:
  - id: infomaniak.com
    display_name: Infomaniak Mail
    accept:
      mx: [mta-gw.infomaniak.ch]
    incoming: [{protocol: imap, host: mail.infomaniak.com, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: mail.infomaniak.com, port: 465, security: tls}]
`))
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	mx, err := newMXResolver(srv.Addr, cfg, logger)
	require.NoError(t, err)
	e := newEngine(site{store: autoconfig.NewStore(cfg), logger: logger, mx: mx})
	for _, tt := range []struct {
		host   string
		path   string
		status int
	}{
		{"autoconfig.customer.test", "/mail/config-v1.1.xml", http.StatusOK},
		{"autoconfig.other.test", "/mail/config-v1.1.xml", http.StatusNotFound},
		{"ua-auto-config.customer.test", pacc.Path, http.StatusOK},
		{"ua-auto-config.other.test", pacc.Path, http.StatusNotFound},
	} {
		rec := testkit.Do(e, http.MethodGet, tt.path, tt.host, nil)
		assert.Equal(t, tt.status, rec.Code, tt.host)
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

// The help of --allow-internal says what the checker refuses: every
// special-purpose range, not only the private ones.
func TestCLI_AllowInternalHelpNamesTheSpecialPurposeRanges(t *testing.T) {
	for _, args := range [][]string{{"check", "--help"}, {"serve", "--help"}} {
		_, _, stderr := runCLI(args...)
		assert.Contains(t, stderr, "IANA special-purpose registries", args)
		assert.Contains(t, stderr, "CGNAT", args)
	}
}
