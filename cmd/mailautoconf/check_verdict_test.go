package main

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnscheck"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// A resolver that answers NXDOMAIN for every name, the checker as shipped
// (the public ISP database, internal addresses refused): the customer's
// missing MX and SPF decide, nothing is ours, and the ISP database, whose
// name does not resolve either, could not be checked.
func TestCheckDomain_NXDOMAINEverywhereIsTheOwners(t *testing.T) {
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/clients.zone"))
	srv.SetRcode(dns.RcodeNameError)
	code, out, errOut := runCLI("check", "nx.example", "--resolver", srv.Addr, "--json")
	assert.Equal(t, 1, code, errOut)
	var rep dnscheck.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Equal(t, dnscheck.VerdictOwnerRequired, rep.Verdict)
	assert.False(t, rep.AlsoOurs)
	required := 0
	for _, f := range rep.Findings {
		assert.NotEqual(t, dnscheck.FaultOurs, f.Fault, f.Message())
		if f.Required {
			required++
		}
		if f.Code == "ispdb-unreachable" {
			assert.Equal(t, dnscheck.FaultUnchecked, f.Fault)
		}
	}
	assert.Equal(t, 2, required, "MX and SPF")

	_, out, _ = runCLI("check", "nx.example", "--resolver", srv.Addr)
	assert.Contains(t, out, "\n"+dnscheck.Text("verdict.owner-required")+"\n")
	assert.NotContains(t, out, dnscheck.Text("group.ours"))
	assert.Contains(t, out, dnscheck.Text("group.unchecked")+":\n    - The public Thunderbird ISP database (autoconfig.thunderbird.net) could not be reached")
}

// A fault of ours beside the owner's required records: the report says
// both, the owner's first, in the text and in the JSON.
func TestCheckDomain_OwnersVerdictSaysOursToo(t *testing.T) {
	useTestChecker(t)
	srv := customerZone(t, "broken.example.zone")
	_, out, _ := runCLI("check", "--resolver", srv.Addr, "--allow-internal", "broken.example")
	assert.Contains(t, out, "\n"+dnscheck.Text("verdict.owner-required")+"\n"+dnscheck.Text("verdict.also-ours")+"\n")
	assert.Regexp(t, `(?s)required for mail to work:.*recommended for automatic setup:.*`+regexp.QuoteMeta(dnscheck.Text("group.ours")), out, "findings in the verdict's order")

	_, out, _ = runCLI("check", "--json", "--resolver", srv.Addr, "--allow-internal", "broken.example")
	assert.Contains(t, out, `"verdict": "owner-required",`+"\n"+`  "also_ours": true,`)
}
