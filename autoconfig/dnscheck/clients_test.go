package dnscheck_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/autodiscover"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/autoconfig/thunderbird"
)

// testISPDB is the ISP database stand-in of testdata/dns/clients.zone.
const testISPDB = "https://ispdb.test/v1.1/"

// oldHostConfig is the customers' previous host: what it (and the stale ISP
// database entry) gives.
const oldHostConfig = `
catch_all: oldhost.example
providers:
  - id: oldhost.example
    display_name: Old host
    incoming: [{protocol: imap, host: imap.oldhost.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.oldhost.example, port: 465, security: tls}]
`

func oldHostProvider(t *testing.T) *autoconfig.Provider {
	t.Helper()
	cfg, err := autoconfig.Parse("old.yaml", []byte(oldHostConfig))
	require.NoError(t, err)
	p, err := cfg.Lookup("any.example")
	require.NoError(t, err)
	return p
}

func serviceFor(t *testing.T, cfg *autoconfig.Config) http.Handler {
	deps := testkit.Deps(cfg)
	return testkit.Engine(t, thunderbird.New(deps), autodiscover.New(deps), pacc.New(deps))
}

// checkWeb is the loopback web of the staged cases: our service for every
// name that points at us, the old host for names that still point at it,
// and the ISP database stand-in with a stale entry for ispdb.example.
func checkWeb(t *testing.T) *dnstest.Web {
	t.Helper()
	ours := serviceFor(t, autoconfig.Default())
	oldCfg, err := autoconfig.Parse("old.yaml", []byte(oldHostConfig))
	require.NoError(t, err)
	old := serviceFor(t, oldCfg)
	stale := thunderbird.Render(autoconfig.NewDomain(oldHostProvider(t), "ispdb.example"))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		switch {
		case host == "ispdb.test":
			if r.URL.Path == "/v1.1/ispdb.example" || r.URL.Path == "/v1.1/dbonly.example" {
				w.Header().Set("Content-Type", "text/xml")
				w.Write(stale)
				return
			}
			http.NotFound(w, r)
		case host == "autoconfig.stale.example":
			old.ServeHTTP(w, r)
		default:
			ours.ServeHTTP(w, r)
		}
	})
	var names []string
	for _, d := range []string{"example.ch", "stale.example", "srv.example", "ispdb.example", "mxonly.example", "dbonly.example"} {
		names = append(names, d, "autoconfig."+d, "autodiscover."+d, "ua-auto-config."+d)
	}
	names = append(names, "autoconfig.infomaniak.com", "autoconfig.infomaniak.ch", "ispdb.test")
	return dnstest.StartWeb(t, handler, names...)
}

// stage serves example.ch.zone and clients.zone on loopback DNS.
func stage(t *testing.T) (*dnstest.Server, *dnstest.Web) {
	t.Helper()
	return dnstest.Start(t, testkit.Testdata(t, "dns/example.ch.zone"), testkit.Testdata(t, "dns/clients.zone")), checkWeb(t)
}

func clientsOf(rep dnscheck.Report) map[dnscheck.DiscoveryChain]dnscheck.ClientResult {
	out := map[dnscheck.DiscoveryChain]dnscheck.ClientResult{}
	for _, c := range rep.Clients {
		out[c.Client] = c
	}
	return out
}

func findingsOf(rep dnscheck.Report, code string) []dnscheck.Finding {
	var out []dnscheck.Finding
	for _, f := range rep.Findings {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

func noteKeys(c dnscheck.ClientResult) []string {
	var out []string
	for _, n := range c.Notes {
		out = append(out, n.Key)
	}
	return out
}

var (
	ourIMAP   = &dnscheck.ServerSetting{Protocol: "imap", Host: "mail.infomaniak.com", Port: 993, Security: "tls"}
	ourSMTP   = &dnscheck.ServerSetting{Protocol: "smtp", Host: "mail.infomaniak.com", Port: 587, Security: "starttls"}
	oldIMAP   = &dnscheck.ServerSetting{Protocol: "imap", Host: "imap.oldhost.example", Port: 993, Security: "tls"}
	oldSMTP   = &dnscheck.ServerSetting{Protocol: "smtp", Host: "smtp.oldhost.example", Port: 465, Security: "tls"}
	ours      = &dnscheck.FoundSettings{Incoming: ourIMAP, Outgoing: ourSMTP}
	oldHosts  = &dnscheck.FoundSettings{Incoming: oldIMAP, Outgoing: oldSMTP}
	autoClnts = []dnscheck.DiscoveryChain{dnscheck.ClientThunderbird, dnscheck.ClientThunderbirdAndroid, dnscheck.ClientDeltaChat}
)

func TestCheckClients_HealthyDomainEveryClientFindsOurSettings(t *testing.T) {
	srv, web := stage(t)
	rep := web.Checker(srv.Addr, testISPDB).Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)

	assert.True(t, rep.OK, "%+v", rep.Findings)
	assert.Equal(t, dnscheck.VerdictOK, rep.Verdict)
	assert.Empty(t, rep.Findings)
	require.Len(t, rep.Clients, len(dnscheck.Clients))
	for _, c := range rep.Clients {
		if c.Client == dnscheck.ClientApple {
			assert.Equal(t, dnscheck.OutcomeProfile, c.Outcome)
			assert.Nil(t, c.Found)
			continue
		}
		assert.Equal(t, dnscheck.OutcomeOurs, c.Outcome, "%s: %v %v", c.Client, c.Found, noteKeys(c))
		assert.True(t, c.Matches, c.Client)
		assert.Equal(t, ours, c.Found, c.Client)
	}
	cl := clientsOf(rep)
	assert.Equal(t, "https://autoconfig.example.ch/mail/config-v1.1.xml?emailaddress=postmaster%40example.ch", cl[dnscheck.ClientThunderbird].Source)
	assert.Equal(t, "https://autoconfig.example.ch/mail/config-v1.1.xml", cl[dnscheck.ClientThunderbirdAndroid].Source, "no emailaddress")
	assert.Equal(t, "https://autodiscover.example.ch/autodiscover/autodiscover.xml", cl[dnscheck.ClientOutlook].Source)
	assert.Contains(t, noteKeys(cl[dnscheck.ClientOutlook]), "outlook-cloud")
	assert.Equal(t, "SRV _imaps._tcp.example.ch., _submission._tcp.example.ch.", cl[dnscheck.ClientSRVFirst].Source)

	// The HTTPS fetches resolved their names through the configured
	// resolver: nothing else knows these names.
	assert.True(t, srv.Asked("autoconfig.example.ch.", "A"))
	assert.True(t, srv.Asked("autoconfig.infomaniak.com.", "A"), "the CNAME is followed through the same resolver")
	assert.Positive(t, web.Connections())
}

func TestCheckClients_StaleAutoconfigRecordToOldHost(t *testing.T) {
	srv, web := stage(t)
	rep := web.Checker(srv.Addr, testISPDB).Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "stale.example"), testServiceHost)

	cl := clientsOf(rep)
	for _, c := range autoClnts {
		assert.Equal(t, dnscheck.OutcomeOther, cl[c].Outcome, c)
		assert.False(t, cl[c].Matches, c)
		assert.Equal(t, oldHosts, cl[c].Found, c)
		assert.Contains(t, cl[c].Source, "://autoconfig.stale.example/", c)
	}
	for _, c := range []dnscheck.DiscoveryChain{dnscheck.ClientOutlook, dnscheck.ClientSRVFirst} {
		assert.Equal(t, dnscheck.OutcomeOurs, cl[c].Outcome, c)
	}

	stale := findingsOf(rep, "record-wrong")
	require.Len(t, stale, 1, "%+v", rep.Findings)
	assert.Equal(t, dnscheck.FaultOwner, stale[0].Fault)
	assert.False(t, stale[0].Required, "autoconfig is not needed for mail to work")
	assert.Equal(t, "autoconfig.stale.example.", stale[0].Subject)
	assert.ElementsMatch(t, autoClnts, stale[0].Clients)
	assert.Contains(t, stale[0].Message(), "autoconfig.oldhost.example.")
	assert.Empty(t, findingsOf(rep, "service-failed"), "the old host's document is not our fault")
	assert.Equal(t, dnscheck.VerdictOwner, rep.Verdict)
}

func TestCheckClients_StaleSRVRecordWinsForSRVFirstClients(t *testing.T) {
	srv, web := stage(t)
	rep := web.Checker(srv.Addr, testISPDB).Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "srv.example"), testServiceHost)

	cl := clientsOf(rep)
	fe := cl[dnscheck.ClientSRVFirst]
	assert.Equal(t, dnscheck.OutcomeOther, fe.Outcome)
	assert.Equal(t, &dnscheck.FoundSettings{Incoming: oldIMAP, Outgoing: ourSMTP}, fe.Found)
	for _, c := range []dnscheck.DiscoveryChain{dnscheck.ClientThunderbird, dnscheck.ClientThunderbirdAndroid, dnscheck.ClientOutlook, dnscheck.ClientDeltaChat} {
		assert.Equal(t, dnscheck.OutcomeOurs, cl[c].Outcome, "%s does not read SRV", c)
	}
	wrong := findingsOf(rep, "record-wrong")
	require.Len(t, wrong, 1, "%+v", rep.Findings)
	assert.Equal(t, "_imaps._tcp.srv.example.", wrong[0].Subject)
	assert.Equal(t, dnscheck.FaultOwner, wrong[0].Fault)
	assert.Equal(t, []dnscheck.DiscoveryChain{dnscheck.ClientSRVFirst}, wrong[0].Clients)
}

func TestCheckClients_ISPDatabaseEntryDisagrees(t *testing.T) {
	srv, web := stage(t)
	rep := web.Checker(srv.Addr, testISPDB).Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "ispdb.example"), testServiceHost)

	require.Len(t, rep.Findings, 1, "%+v", rep.Findings)
	f := rep.Findings[0]
	assert.Equal(t, dnscheck.FaultThirdParty, f.Fault)
	assert.Equal(t, "ispdb-stale", f.Code)
	assert.Equal(t, testISPDB+"ispdb.example", f.Subject)
	assert.Contains(t, f.Message(), "imap imap.oldhost.example:993 tls")
	assert.Empty(t, f.Clients, "the provider's own URLs outrank the database")
	assert.Equal(t, dnscheck.VerdictThirdParty, rep.Verdict)
	assert.False(t, rep.OK)
	for _, c := range rep.Clients {
		assert.NotEqual(t, dnscheck.OutcomeOther, c.Outcome, c.Client)
	}
}

func TestCheckClients_ISPDatabaseWinsWhenProviderURLsFail(t *testing.T) {
	// A stale entry for a domain whose own names give nothing: the
	// database outranks the MX route.
	srv, web := stage(t)
	rep := web.Checker(srv.Addr, testISPDB).Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "dbonly.example"), testServiceHost)

	stale := findingsOf(rep, "ispdb-stale")
	require.Len(t, stale, 1, "%+v", rep.Findings)
	assert.Equal(t, dnscheck.FaultThirdParty, stale[0].Fault)
	assert.ElementsMatch(t, []dnscheck.DiscoveryChain{dnscheck.ClientThunderbird, dnscheck.ClientThunderbirdAndroid,
		dnscheck.ClientDeltaChat, dnscheck.ClientSRVFirst}, stale[0].Clients)
	cl := clientsOf(rep)
	assert.Equal(t, oldHosts, cl[dnscheck.ClientThunderbird].Found)
	assert.Equal(t, testISPDB+"dbonly.example", cl[dnscheck.ClientThunderbird].Source)
	assert.Equal(t, dnscheck.OutcomeNothing, cl[dnscheck.ClientOutlook].Outcome, "Outlook does not read the database")
}

func TestCheckClients_MXAcceptedDomainWithoutCNAMEs(t *testing.T) {
	srv, web := stage(t)
	rep := web.Checker(srv.Addr, testISPDB).Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "mxonly.example"), testServiceHost)

	cl := clientsOf(rep)
	tb := cl[dnscheck.ClientThunderbird]
	assert.Equal(t, dnscheck.OutcomeOurs, tb.Outcome, "%v", noteKeys(tb))
	assert.Equal(t, "https://autoconfig.infomaniak.ch/mail/config-v1.1.xml?emailaddress=postmaster%40mxonly.example", tb.Source, "the MX route")
	android := cl[dnscheck.ClientThunderbirdAndroid]
	assert.Equal(t, dnscheck.OutcomeOurs, android.Outcome)
	assert.Contains(t, noteKeys(android), "approval-mx", "the MX answer is not DNSSEC-validated")
	for _, c := range []dnscheck.DiscoveryChain{dnscheck.ClientDeltaChat, dnscheck.ClientOutlook, dnscheck.ClientSRVFirst} {
		assert.Equal(t, dnscheck.OutcomeNothing, cl[c].Outcome, c)
		assert.Nil(t, cl[c].Found, c)
	}

	assert.Equal(t, dnscheck.VerdictOwner, rep.Verdict, "mail works: only recommended records are missing")
	for _, f := range rep.Findings {
		assert.Equal(t, dnscheck.FaultOwner, f.Fault, f.Message())
		assert.False(t, f.Required, f.Message())
	}
	byName := map[string]dnscheck.Finding{}
	for _, f := range findingsOf(rep, "record-missing") {
		byName[f.Subject] = f
	}
	assert.Equal(t, []dnscheck.DiscoveryChain{dnscheck.ClientDeltaChat}, byName["autoconfig.mxonly.example."].Clients,
		"Delta Chat never looks up the MX")
	assert.Equal(t, []dnscheck.DiscoveryChain{dnscheck.ClientOutlook}, byName["autodiscover.mxonly.example."].Clients)
	assert.Equal(t, []dnscheck.DiscoveryChain{dnscheck.ClientSRVFirst}, byName["_imaps._tcp.mxonly.example."].Clients)
}

func TestCheckClients_RequiredRecordsAreMXAndSPF(t *testing.T) {
	srv, web := stage(t)
	rep := web.Checker(srv.Addr, testISPDB).Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "nothing.example"), testServiceHost)
	assert.Equal(t, dnscheck.VerdictOwnerRequired, rep.Verdict)
	var required []string
	for _, f := range rep.Findings {
		if f.Required {
			required = append(required, f.Args[1])
		}
	}
	assert.ElementsMatch(t, []string{"MX", "TXT"}, required)
}

// deadResolver is a loopback UDP port nobody listens on: queries are
// refused at once.
func deadResolver(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc.LocalAddr().String()
	require.NoError(t, pc.Close())
	return addr
}

func TestCheckClients_UnreachableResolverIsOneFindingOfOurs(t *testing.T) {
	tests := []struct {
		name     string
		resolver func(t *testing.T) string
	}{
		{"dead", deadResolver},
		{"never answers", func(t *testing.T) string { return dnstest.StartSilent(t) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			web := checkWeb(t)
			c := web.Checker(tt.resolver(t), testISPDB)
			c.Timeout, c.Deadline = 300*time.Millisecond, 2*time.Second
			start := time.Now()
			rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)
			elapsed := time.Since(start)

			assert.Less(t, elapsed, c.Deadline, "the whole check ends within its deadline")
			require.Len(t, rep.Findings, 1, "%+v", rep.Findings)
			assert.Equal(t, dnscheck.FaultOurs, rep.Findings[0].Fault)
			assert.Equal(t, "resolver-down", rep.Findings[0].Code)
			assert.Equal(t, dnscheck.VerdictOurs, rep.Verdict)
			for _, r := range rep.Records {
				assert.Equal(t, dnscheck.CheckError, r.Status)
				assert.NotContains(t, r.Detail, c.Resolver, "the resolver's address stays out of the messages")
			}
			for _, cl := range rep.Clients {
				if cl.Client != dnscheck.ClientApple {
					assert.Equal(t, dnscheck.OutcomeUnchecked, cl.Outcome, cl.Client)
				}
			}
			assert.Zero(t, web.Connections(), "nothing was fetched without the resolver")
		})
	}
}

func TestCheckClients_OverallDeadlineBoundsSlowSteps(t *testing.T) {
	// Answers held back: the steps outlive the check's deadline, not the
	// other way round.
	srv, web := stage(t)
	srv.Hold()
	c := web.Checker(srv.Addr, testISPDB)
	c.Timeout, c.Deadline = 5*time.Second, 500*time.Millisecond
	start := time.Now()
	rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)
	assert.Less(t, time.Since(start), 2*time.Second)
	require.NotEmpty(t, rep.Findings)
	assert.Equal(t, "out-of-time", rep.Findings[len(rep.Findings)-1].Code, "%+v", rep.Findings)
	assert.Equal(t, dnscheck.VerdictOurs, rep.Verdict)
}

func TestCheckClients_InternalAddressesRefusedUnlessAllowed(t *testing.T) {
	srv, web := stage(t)
	c := web.Checker(srv.Addr, testISPDB)
	c.AllowInternal = false
	rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)

	assert.Zero(t, web.Connections(), "no connection to a loopback address")
	internal := findingsOf(rep, "internal-address")
	require.NotEmpty(t, internal)
	var hosts []string
	for _, f := range internal {
		hosts = append(hosts, f.Subject)
		assert.Equal(t, dnscheck.FaultOurs, f.Fault, "%s points at us: its address is ours", f.Subject)
		assert.Contains(t, f.Message(), "127.0.0.1")
	}
	assert.Contains(t, hosts, "autoconfig.example.ch")
	assert.Contains(t, hosts, "autodiscover.example.ch")
	assert.Empty(t, findingsOf(rep, "service-failed"), "a refused name is reported as such, not as our service failing")
	cl := clientsOf(rep)
	assert.Contains(t, noteKeys(cl[dnscheck.ClientThunderbird]), "internal")
	assert.False(t, rep.OK)

	// A customer name that does not point at us is the owner's.
	rep = c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "stale.example"), testServiceHost)
	var stale *dnscheck.Finding
	for _, f := range findingsOf(rep, "internal-address") {
		if f.Subject == "autoconfig.stale.example" {
			stale = &f
		}
	}
	require.NotNil(t, stale, "%+v", rep.Findings)
	assert.Equal(t, dnscheck.FaultOwner, stale.Fault)
	assert.Zero(t, web.Connections())

	c.AllowInternal = true
	assert.True(t, c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost).OK)
	assert.Positive(t, web.Connections())
}

// specialAddresses are one address of each kind the guard refuses
// (netguard's tests hold every range): loopback, private, link-local
// metadata, CGNAT, documentation, and IPv6 forms carrying internal IPv4.
var specialAddresses = []string{
	"127.0.0.1", "::1", "10.1.2.3", "169.254.169.254", "fd00::1", "100.100.100.200", "192.0.2.1",
	"::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "2001:0:a9fe:a9fe::1",
}

// Through the checker: a customer name that resolves into any of these
// ranges is refused, with no connection made.
func TestCheckClients_SpecialPurposeAddressesRefused(t *testing.T) {
	for _, addr := range specialAddresses {
		t.Run(addr, func(t *testing.T) {
			typ := "A"
			if strings.Contains(addr, ":") {
				typ = "AAAA"
			}
			zone := filepath.Join(t.TempDir(), "probe.zone")
			require.NoError(t, os.WriteFile(zone, []byte("$ORIGIN probe.example.\n$TTL 60\n"+
				"@ IN SOA ns hostmaster 1 7200 900 1209600 60\nautoconfig IN "+typ+" "+addr+"\n"), 0o644))
			web := checkWeb(t)
			c := web.Checker(dnstest.Start(t, zone).Addr, testISPDB)
			c.AllowInternal = false
			rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "probe.example"), testServiceHost)

			var refused []string
			for _, f := range findingsOf(rep, "internal-address") {
				if f.Subject == "autoconfig.probe.example" {
					refused = append(refused, f.Args[1])
				}
			}
			assert.Equal(t, []string{netip.MustParseAddr(addr).Unmap().String()}, refused, "%+v", rep.Findings)
			assert.Zero(t, web.Connections())
		})
	}
}

func TestCheckClients_JSONShape(t *testing.T) {
	srv, web := stage(t)
	rep := web.Checker(srv.Addr, testISPDB).Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "stale.example"), testServiceHost)
	data, err := json.Marshal(rep)
	require.NoError(t, err)
	for _, want := range []string{
		`"clients":[{"client":"thunderbird","found":{"incoming":{"protocol":"imap","host":"imap.oldhost.example","port":993,"security":"tls"}`,
		`"source":"https://autoconfig.stale.example/mail/config-v1.1.xml?emailaddress=postmaster%40stale.example","matches":false,"outcome":"other","notes":[]`,
		`{"client":"apple","found":null,"source":"","matches":false,"outcome":"profile","notes":["Apple Mail has no network discovery`,
		`"findings":[{"fault":"owner","required":false,"code":"record-wrong","subject":"autoconfig.stale.example."`,
		`"message":"autoconfig.stale.example. CNAME is autoconfig.oldhost.example.; it should be autoconfig.infomaniak.com."`,
	} {
		assert.Contains(t, strings.ReplaceAll(string(data), `\u0026`, "&"), want)
	}
}
