package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func TestDNSCommand_DomainConnectTemplateOfAProvider(t *testing.T) {
	code, out, errOut := runCLI("dns", "--provider", "infomaniak.com", "--format", "domainconnect")
	require.Equal(t, 0, code, errOut)
	testkit.Golden(t, "dns/infomaniak.com.email-setup.json", []byte(out))
}

// The template `dns --format domainconnect` prints, applied to a domain
// with the variables it notes, gives the records `dns --format json`
// prints (but for the SPF record's "all" term, which the DNS host merges).
func TestDNSCommand_DomainConnectAppliedGivesTheRecords(t *testing.T) {
	for _, domain := range []string{"example.ch", "bücher.ch"} {
		code, out, errOut := runCLI("dns", domain, "--format", "domainconnect")
		require.Equal(t, 0, code, errOut)
		var tmpl dnsrecords.Template
		require.NoError(t, json.Unmarshal([]byte(out), &tmpl))
		m := regexp.MustCompile(`apply to (\S+) with paccdigest=(\S+)`).FindStringSubmatch(errOut)
		require.NotNil(t, m, errOut)
		applied, err := dnsrecords.Apply(tmpl, m[1], map[string]string{dnsrecords.VarPACCDigest: m[2]})
		require.NoError(t, err)

		code, out, errOut = runCLI("dns", domain, "--format", "json")
		require.Equal(t, 0, code, errOut)
		var printed []dnsrecords.Record
		require.NoError(t, json.Unmarshal([]byte(out), &printed))
		require.Len(t, applied, len(printed))
		for i := range printed {
			want, got := printed[i], applied[i]
			want.Purpose = ""
			if strings.HasPrefix(want.Text, "v=spf1") {
				assert.Equal(t, strings.TrimSuffix(want.Text, " -all")+" "+dnsrecords.SPFMergedAll, got.Text)
				continue
			}
			assert.Equal(t, want, got)
		}
	}
}

func TestDNSCommand_DomainConnectNeedsADomainOrProvider(t *testing.T) {
	code, out, errOut := runCLI("dns", "--format", "domainconnect")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "exactly one DOMAIN is required")
	code, _, errOut = runCLI("dns", "--provider", "nope.example", "--format", "domainconnect")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `no provider "nope.example"`)
}

// With the service's state file, dns prints the previous PACC digest
// still valid after the current one.
func TestDNSCommand_PrintsThePreviousPACCDigestDuringTheWindow(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "pacc-state.json")
	h, err := pacc.LoadHistory(state, 24*time.Hour)
	require.NoError(t, err)
	before := testkit.ParseConfig(t, strings.Replace(string(autoconfig.DefaultYAML()), "display_name: Infomaniak Mail", "display_name: Infomaniak", 1))
	require.NotEqual(t, before.Providers[0].DisplayName, autoconfig.Default().Providers[0].DisplayName, "the test changes the document")
	h.Observe(before, time.Now().Add(-time.Hour))
	h.Observe(autoconfig.Default(), time.Now().Add(-time.Minute))
	require.NoError(t, h.Save())

	code, out, errOut := runCLI("dns", "example.ch", "--pacc-state", state)
	require.Equal(t, 0, code, errOut)
	current, err := pacc.Render(autoconfig.NewDomain(autoconfig.Default().Providers[0], "example.ch"))
	require.NoError(t, err)
	previous := h.Previous("infomaniak.com", time.Now())
	require.Len(t, previous, 1)
	iCur := strings.Index(out, pacc.DigestRecord(current))
	iPrev := strings.Index(out, pacc.DigestRecord([]byte(previous[0].Document)))
	assert.True(t, iCur > 0 && iPrev > iCur, "both digests, the current first:\n%s", out)

	code, out, errOut = runCLI("dns", "example.ch", "--pacc-state", filepath.Join(dir, "missing.json"))
	require.Equal(t, 0, code, "no state file yet: no previous digest")
	assert.Equal(t, 1, strings.Count(out, "v=UAAC1"), errOut)
}
