package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnstest"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// Run as a helpdesk page once showed them, without --config, the commands
// answered any domain with the embedded example's settings, silently.
func TestCLI_WarnsOnceWhenAnsweringFromTheEmbeddedExample(t *testing.T) {
	example := testkit.Testdata(t, "config/example.yaml")
	for _, args := range [][]string{
		{"generate", "thunderbird", "--email", "jane@example.ch"},
		{"generate", "mobileconfig", "--email", "jane@example.ch"},
		{"dns", "example.ch"},
	} {
		code, _, stderr := runCLI(args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		assert.Equal(t, 1, strings.Count(stderr, embeddedWarning), "%v: %s", args, stderr)
	}
	for _, args := range [][]string{
		{"generate", "thunderbird", "--email", "jane@example.net", "--config", example},
		{"dns", "example.net", "--config", example},
	} {
		code, _, stderr := runCLI(args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		assert.NotContains(t, stderr, "embedded example", args)
	}
}

const acceptMXConfig = `providers:
  - id: infomaniak.com
    display_name: Infomaniak Mail
    accept:
      mx: [mta-gw.infomaniak.ch]
    incoming: [{protocol: imap, host: imap.mxonly.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: smtp.mxonly.example, port: 465, security: tls}]
`

// A domain served only through accept.mx is generated as the service
// serves it: with its provider named, or with its MX looked up.
func TestCLI_GenerateForAnMXAcceptedDomain(t *testing.T) {
	cfg := writeConfig(t, acceptMXConfig)
	srv := dnstest.Start(t, testkit.Testdata(t, "dns/mx-acceptance.zone"))

	code, _, stderr := runCLI("generate", "thunderbird", "--email", "jane@customer.test", "--config", cfg)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no mail settings for customer.test")
	assert.Contains(t, stderr, "--provider ID, or look its MX up with --resolver HOST:PORT")

	for _, extra := range [][]string{{"--provider", "infomaniak.com"}, {"--resolver", srv.Addr}} {
		args := append([]string{"generate", "thunderbird", "--email", "jane@customer.test", "--config", cfg}, extra...)
		code, stdout, stderr := runCLI(args...)
		require.Equal(t, 0, code, "%v: %s", extra, stderr)
		assert.Contains(t, stdout, "<hostname>imap.mxonly.example</hostname>", extra)
		assert.Empty(t, stderr, extra)
	}

	code, _, stderr = runCLI("generate", "autodiscover", "--email", "jane@other.test", "--config", cfg, "--resolver", srv.Addr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "points at no provider's accept.mx", "an MX elsewhere is not ours")

	code, stdout, stderr := runCLI("dns", "customer.test", "--config", cfg, "--resolver", srv.Addr)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "customer.test")
}

// An operator fixes a file in one pass: an unknown key no longer hides the
// problems after it, and every one names its line and field.
func TestCLI_CheckReportsEveryProblemInLineOrder(t *testing.T) {
	path := writeConfig(t, `providers:
  - id: h.example
    display_name: H
    domains: [h.example]
    incoming:
      - protocol: imap
        host: mail.h.example
        port: 99300
        securty: tls
    outgoing:
      - {protocol: smtp, host: mail.h.example, port: 587, security: starttls}
`)
	code, stdout, stderr := runCLI("check", "--config", path)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Equal(t, path+":6: providers[0].incoming[0].security: is required: tls, starttls or none\n"+
		path+":8: providers[0].incoming[0].port: must be between 1 and 65535 (it is 99300)\n"+
		path+":9: providers[0].incoming[0].securty: unknown field\n"+
		"3 problem(s) found\n", stderr)
}

// `certs issue` for a name the policy refuses exits non-zero and says which
// names were refused: a job that runs it must not take it for a success.
func TestCerts_IssueRefusedNameExitsNonZero(t *testing.T) {
	cfg := writeConfig(t, `providers:
  - id: h.example
    display_name: H
    domains: [h.example]
    incoming: [{protocol: imap, host: mail.h.example, port: 993, security: tls}]
    outgoing: [{protocol: smtp, host: mail.h.example, port: 465, security: tls}]
`)
	code, stdout, stderr := runCLI("certs", "issue", "unlisted.example", "--config", cfg, "--acme-cache", t.TempDir(),
		"--acme-directory", "https://127.0.0.1:9/directory", "--resolver", "127.0.0.1:9")
	assert.Equal(t, 1, code, stdout+stderr)
	assert.Contains(t, stdout, "refused autoconfig.unlisted.example: domain_not_served")
	assert.Contains(t, stderr, "mailautoconf certs: 3 name(s) refused by the certificate policy: autoconfig.unlisted.example, autodiscover.unlisted.example, ua-auto-config.unlisted.example")
}

// The helpdesk page of a served `serve --config FILE` shows the commands
// with that file: run as shown, they answer as the service does.
func TestHelpdesk_ServedPageCommandsCarryTheConfig(t *testing.T) {
	example := testkit.Testdata(t, "config/example.yaml")
	o := testOptions(t)
	o.configPath = example
	o.helpdeskToken = helpdeskTestToken
	rs := startServer(t, o)

	form := url.Values{"email": {"jane@example.net"}, "lang": {"en"}}
	req, err := http.NewRequest(http.MethodPost, rs.url("/helpdesk"), strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+helpdeskTestToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Contains(t, string(body), "mailautoconf generate thunderbird --email jane@example.net --config "+example+"\n")
}
