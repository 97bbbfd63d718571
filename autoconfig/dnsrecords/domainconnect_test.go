package dnsrecords_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/dnsrecords"
	"github.com/mailautoconf/mailautoconf/autoconfig/pacc"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// templateCase is one provider of one configuration and a domain it serves.
type templateCase struct {
	name        string
	provider    *autoconfig.Provider
	domain      string
	serviceHost string
}

// templateCases are every provider of the embedded default and of the
// configurations under testdata/config, each with one domain it serves.
func templateCases(t *testing.T) []templateCase {
	t.Helper()
	cases := []templateCase{{"default", defaultProvider(t), "example.ch", testServiceHost},
		{"default-idn", defaultProvider(t), "xn--bcher-kva.ch", testServiceHost},
		{"default-no-service-host", defaultProvider(t), "example.ch", ""}}
	root := testkit.Testdata(t, "config")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		cfg, err := autoconfig.LoadFile(path)
		require.NoError(t, err, path)
		for _, p := range cfg.Providers {
			domain := strings.TrimPrefix(p.Domains[0], "*.")
			cases = append(cases, templateCase{filepath.Base(path) + "/" + p.ID, p, domain, cfg.ServiceHost})
		}
		return nil
	})
	require.NoError(t, err)
	return cases
}

// comparable is a record as DNS holds it: its purpose is the printout's.
// The SPF record the DNS host merges ends with its own "all" term (the
// Domain Connect spec advises ~all): it is compared without it.
func comparable(records []dnsrecords.Record) []dnsrecords.Record {
	out := make([]dnsrecords.Record, len(records))
	for i, r := range records {
		r.Purpose = ""
		if r.Type == "TXT" && strings.HasPrefix(r.Text, "v=spf1 ") {
			terms := strings.Fields(r.Text)
			r.Text = strings.Join(terms[:len(terms)-1], " ")
			r.Value = ""
		}
		out[i] = r
	}
	return out
}

func TestDomainConnect_ApplyingTheTemplateGivesTheDNSRecords(t *testing.T) {
	for _, tc := range templateCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := dnsrecords.DomainConnect(tc.provider, tc.serviceHost)
			require.NoError(t, err)
			d := autoconfig.NewDomain(tc.provider, tc.domain)
			got, err := dnsrecords.Apply(tmpl, tc.domain, dnsrecords.Variables(d))
			require.NoError(t, err)
			assert.Equal(t, comparable(dnsrecords.ForDomain(d, tc.serviceHost)), comparable(got))
		})
	}
}

// The client-setup groups are every record but MX and SPF.
func TestDomainConnect_ClientSetupGroupsLeaveMXAndSPFAlone(t *testing.T) {
	p := defaultProvider(t)
	tmpl, err := dnsrecords.DomainConnect(p, testServiceHost)
	require.NoError(t, err)
	d := autoconfig.NewDomain(p, "example.ch")
	got, err := dnsrecords.Apply(tmpl, "example.ch", dnsrecords.Variables(d), dnsrecords.ClientSetupGroups...)
	require.NoError(t, err)
	var want []dnsrecords.Record
	for _, r := range dnsrecords.ForDomain(d, testServiceHost) {
		if r.Type != "MX" && !strings.HasPrefix(r.Text, "v=spf1") {
			want = append(want, r)
		}
	}
	assert.Equal(t, comparable(want), comparable(got))
	for _, r := range got {
		assert.NotEqual(t, "MX", r.Type)
		assert.NotContains(t, r.Text, "v=spf1")
	}
}

func TestDomainConnect_ValidAgainstTheSpecSchema(t *testing.T) {
	schema := compileTemplateSchema(t)
	for _, tc := range templateCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := dnsrecords.DomainConnect(tc.provider, tc.serviceHost)
			require.NoError(t, err)
			assert.NoError(t, schema.Validate(jsonValue(t, tmpl)))
		})
	}
	// The schema can fail: a record without its TTL, an SRV without port.
	bad := `{"providerId":"p","providerName":"P","serviceId":"s","serviceName":"S","records":[
		{"type":"SRV","service":"_imaps","protocol":"_tcp","name":"@","target":"h","priority":0,"weight":1,"ttl":3600}]}`
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
	require.NoError(t, err)
	assert.Error(t, schema.Validate(v))
}

// The rules of the spec the schema does not hold, and the shapes of the
// repository's templates (e.g. forwardemail.net.email.json).
func TestDomainConnect_RecordShapesFollowTheSpec(t *testing.T) {
	for _, tc := range templateCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := dnsrecords.DomainConnect(tc.provider, tc.serviceHost)
			require.NoError(t, err)
			assert.Equal(t, tc.provider.ID, tmpl.ProviderID)
			assert.False(t, tmpl.HostRequired)
			for _, r := range tmpl.Records {
				assert.NotEmpty(t, r.GroupID)
				assert.NotContains(t, r.GroupID+r.TxtConflictMatchingPrefix, "%", "groupId and the prefix take no variables")
				assert.NotContains(t, r.Host+r.Name+r.PointsTo+r.Target, "%", "variables only where they vary")
				assert.False(t, strings.HasSuffix(r.Host, ".") || strings.HasSuffix(r.Name, "."), "names are relative")
				switch r.Type {
				case "CNAME":
					assert.NotEqual(t, "@", r.Host, "no CNAME at the apex")
				case "SPFM":
					assert.NotContains(t, r.SPFRules, "v=spf1")
					assert.NotContains(t, r.SPFRules, "all")
				case "TXT":
					assert.Contains(t, []string{"All", "Prefix"}, r.TxtConflictMatchingMode)
				}
				if r.TxtConflictMatchingMode == "Prefix" {
					assert.True(t, strings.HasPrefix(r.Data, r.TxtConflictMatchingPrefix))
				}
			}
		})
	}
}

// Re-applying the template replaces the PACC digest: its TXT record
// conflicts with any TXT starting v=UAAC1, and only the digest varies.
func TestDomainConnect_PACCDigestIsAPrefixMatchedVariable(t *testing.T) {
	p := defaultProvider(t)
	tmpl, err := dnsrecords.DomainConnect(p, testServiceHost)
	require.NoError(t, err)
	i := slices.IndexFunc(tmpl.Records, func(r dnsrecords.TemplateRecord) bool { return r.Host == pacc.Label })
	require.GreaterOrEqual(t, i, 0)
	r := tmpl.Records[i]
	assert.Equal(t, dnsrecords.GroupPACC, r.GroupID)
	assert.Equal(t, "v=UAAC1; a=sha256; d=%paccdigest%", r.Data)
	assert.Equal(t, "Prefix", r.TxtConflictMatchingMode)
	assert.Equal(t, "v=UAAC1", r.TxtConflictMatchingPrefix)
	assert.Contains(t, tmpl.VariableDescription, "%paccdigest%")

	_, err = dnsrecords.Apply(tmpl, "example.ch", nil)
	assert.ErrorContains(t, err, "%paccdigest%", "a missing variable is refused, not applied empty")
}

func TestDomainConnect_Golden(t *testing.T) {
	tmpl, err := dnsrecords.DomainConnect(defaultProvider(t), testServiceHost)
	require.NoError(t, err)
	out, err := json.MarshalIndent(tmpl, "", "  ")
	require.NoError(t, err)
	testkit.Golden(t, "dns/infomaniak.com.email-setup.json", append(out, '\n'))
}

// compileTemplateSchema compiles the spec's template.schema (a copy in
// testdata/schema/domainconnect, with its licence).
func compileTemplateSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(testkit.Testdata(t, "schema/domainconnect/template.schema"))
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("template.schema", doc))
	schema, err := c.Compile("template.schema")
	require.NoError(t, err)
	return schema
}

// jsonValue is v as the schema validator reads JSON.
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	return out
}

// During a rollover window the zone carries the current digest and the
// previous one; the template carries the current one only, with prefix
// matching, so applying it again replaces the previous one.
func TestDNSRecords_PreviousPACCDigestDuringTheWindow(t *testing.T) {
	p := defaultProvider(t)
	d := autoconfig.NewDomain(p, "example.ch")
	doc, err := pacc.Render(d)
	require.NoError(t, err)
	old := pacc.Generation{Document: "{}\n", Digest: pacc.Digest([]byte("{}\n")),
		Until: time.Date(2026, 12, 13, 0, 0, 0, 0, time.UTC)}
	var txt []dnsrecords.Record
	for _, r := range dnsrecords.ForDomain(d, testServiceHost, old) {
		if strings.HasPrefix(r.Name, pacc.Label+".") {
			txt = append(txt, r)
		}
	}
	require.Len(t, txt, 2)
	assert.Equal(t, pacc.DigestRecord(doc), txt[0].Text)
	assert.Equal(t, "v=UAAC1; a=sha256; d="+old.Digest, txt[1].Text)
	assert.Contains(t, txt[1].Purpose, "valid until 2026-12-13 00:00 UTC")
	rrs := parseZone(t, dnsrecords.ZoneFile("example.ch", dnsrecords.ForDomain(d, testServiceHost, old)))
	assert.Len(t, rrs, len(dnsrecords.ForDomain(d, testServiceHost))+1)

	tmpl, err := dnsrecords.DomainConnect(p, testServiceHost)
	require.NoError(t, err)
	applied, err := dnsrecords.Apply(tmpl, "example.ch", dnsrecords.Variables(d), dnsrecords.GroupPACC)
	require.NoError(t, err)
	var digests []string
	for _, r := range applied {
		if r.Type == "TXT" {
			digests = append(digests, r.Text)
		}
	}
	assert.Equal(t, []string{pacc.DigestRecord(doc)}, digests)
}
