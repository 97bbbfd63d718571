package dnscheck_test

import (
	"context"
	"net/http"
	"net/http/httptest"
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

// nxdomainEverywhere is a loopback resolver that answers NXDOMAIN for
// every name: the domain publishes nothing, and no third party resolves.
func nxdomainEverywhere(t *testing.T) *dnstest.Server {
	t.Helper()
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/clients.zone"))
	srv.SetRcode(dns.RcodeNameError)
	return srv
}

func faultsOf(rep dnscheck.Report) map[dnscheck.Fault][]string {
	out := map[dnscheck.Fault][]string{}
	for _, f := range rep.Findings {
		out[f.Fault] = append(out[f.Fault], f.Code)
	}
	return out
}

// A domain that publishes nothing: the MX and SPF decide, and names that do
// not resolve are never our service failing, with or without a service
// host to point them at.
func TestVerdict_NothingPublishedIsTheOwnersEvenWhereNoRecordIsWanted(t *testing.T) {
	for _, serviceHost := range []string{testServiceHost, ""} {
		t.Run("service host "+serviceHost, func(t *testing.T) {
			c := checkWeb(t).Checker(nxdomainEverywhere(t).Addr, testISPDB)
			rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "nx.example"), serviceHost)

			assert.Equal(t, dnscheck.VerdictOwnerRequired, rep.Verdict, "%+v", rep.Findings)
			assert.False(t, rep.AlsoOurs)
			faults := faultsOf(rep)
			assert.Empty(t, faults[dnscheck.FaultOurs], "%+v", rep.Findings)
			assert.Equal(t, []string{"ispdb-unreachable"}, faults[dnscheck.FaultUnchecked], "the ISP database's name does not resolve either")
			assert.Equal(t, []string{"verdict.owner-required"}, rep.VerdictKeys())
			assert.Equal(t, []string{"say.owner-required"}, rep.SayKeys())
			if serviceHost == "" {
				for _, f := range findingsOf(rep, "endpoint-failed") {
					assert.Equal(t, dnscheck.FaultOwner, f.Fault)
					assert.Contains(t, f.Message(), "has no address")
				}
				assert.NotEmpty(t, findingsOf(rep, "endpoint-failed"), "autoconfig. and autodiscover. are not published: the owner's")
			}
		})
	}
}

// Our resolver down is ours; with the customer's MX missing too, the
// verdict is the owner's and says ours as well.
func TestVerdict_OursBesideTheOwnersRequiredRecords(t *testing.T) {
	c := checkWeb(t).Checker(deadResolver(t), testISPDB)
	c.Timeout, c.Deadline = 300*time.Millisecond, 2*time.Second
	rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)
	assert.Equal(t, dnscheck.VerdictOurs, rep.Verdict)
	assert.False(t, rep.AlsoOurs)
	assert.Equal(t, []string{"verdict.ours"}, rep.VerdictKeys())

	// Our staged service fails for a domain whose MX is missing: the
	// name points at us (ours), and the MX is the owner's (required).
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/clients.zone"), testkit.Testdata(t, "dns/broken.example.zone"))
	c = checkWeb(t).Checker(srv.Addr, testISPDB)
	rep = c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "broken.example"), testServiceHost)
	faults := faultsOf(rep)
	require.NotEmpty(t, faults[dnscheck.FaultOurs], "%+v", rep.Findings)
	assert.Equal(t, dnscheck.VerdictOwnerRequired, rep.Verdict)
	assert.True(t, rep.AlsoOurs)
	assert.Equal(t, []string{"verdict.owner-required", "verdict.also-ours"}, rep.VerdictKeys())
	assert.Equal(t, []string{"say.owner-required", "say.also-ours"}, rep.SayKeys())
}

// The ISP database unreachable (no address, refused internal address, a
// server error, a hang past the check's deadline) is "could not check",
// never ours.
func TestVerdict_UnreachableISPDatabaseIsCouldNotCheck(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	t.Cleanup(failing.Close)
	tests := []struct {
		name, ispdb   string
		allowInternal bool
	}{
		{"no address", "https://ispdb.nowhere.test/v1.1/", true},
		{"internal address refused", testISPDB, false},
		{"server error", failing.URL + "/v1.1/", true},
		{"hangs", hang.URL + "/v1.1/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, web := stage(t)
			c := web.Checker(srv.Addr, tt.ispdb)
			c.AllowInternal = tt.allowInternal
			c.Timeout, c.Deadline = time.Second, 3*time.Second
			rep := c.Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "example.ch"), testServiceHost)

			unreachable := findingsOf(rep, "ispdb-unreachable")
			require.Len(t, unreachable, 1, "%+v", rep.Findings)
			assert.Equal(t, dnscheck.FaultUnchecked, unreachable[0].Fault)
			for _, f := range rep.Findings {
				if f.Code == "internal-address" {
					assert.NotEqual(t, "ispdb.test", f.Subject, "the database's refused address is not a finding of ours")
				}
			}
			if tt.allowInternal {
				assert.Equal(t, dnscheck.VerdictUnchecked, rep.Verdict, "%+v", rep.Findings)
				assert.False(t, rep.OK)
			} else {
				assert.Equal(t, dnscheck.VerdictOurs, rep.Verdict, "our own names resolve to loopback here: ours, and the database is not")
			}
		})
	}
}

// Without a service host no record of ours is wanted at autoconfig.D: the
// old host it still points at is the owner's, not our service answering
// wrongly.
func TestVerdict_NameWithoutAWantedRecordIsNotOurs(t *testing.T) {
	srv, web := stage(t)
	rep := web.Checker(srv.Addr, testISPDB).Check(context.Background(), autoconfig.NewDomain(defaultProvider(t), "stale.example"), "")
	assert.Empty(t, faultsOf(rep)[dnscheck.FaultOurs], "%+v", rep.Findings)
	failed := findingsOf(rep, "endpoint-failed")
	require.NotEmpty(t, failed, "%+v", rep.Findings)
	assert.Equal(t, "autoconfig.stale.example.", failed[0].Subject)
	assert.Contains(t, failed[0].Clients, dnscheck.ClientThunderbird)
	assert.Equal(t, dnscheck.VerdictOwner, rep.Verdict)
}
