package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
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
