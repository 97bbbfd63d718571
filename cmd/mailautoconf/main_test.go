package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// runCLI runs the command line in-process and returns its exit status and
// output.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLI_Usage(t *testing.T) {
	code, _, stderr := runCLI()
	assert.Equal(t, 2, code)
	for _, cmd := range []string{"serve", "generate", "check", "version"} {
		assert.Contains(t, stderr, cmd)
	}
	code, _, stderr = runCLI("frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unknown command "frobnicate"`)
	code, _, _ = runCLI("--help")
	assert.Equal(t, 0, code)
}

func TestCLI_HelpOnEachCommand(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--help"}, {"check", "--help"}, {"version", "--help"},
		{"generate", "--help"}, {"generate", "thunderbird", "--help"},
	} {
		code, _, stderr := runCLI(args...)
		assert.Equal(t, 0, code, args)
		assert.Contains(t, stderr, "Usage: mailautoconf", args)
	}
}

func TestCLI_Version(t *testing.T) {
	code, stdout, _ := runCLI("version")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(stdout, "mailautoconf "), stdout)
}

func TestCLI_CheckValidConfig(t *testing.T) {
	code, stdout, stderr := runCLI("check", "--config", testkit.Testdata(t, "config/example.yaml"))
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "OK: 2 provider(s), 5 domain(s)")
}

func TestCLI_CheckBrokenConfigNamesTheLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "broken.yaml")
	data, err := os.ReadFile(testkit.Testdata(t, "config/example.yaml"))
	require.NoError(t, err)
	broken := strings.Replace(string(data), "port: 993", "port: 99300", 1)
	broken = strings.Replace(broken, "security: starttls", "security: STARTTTLS", 1)
	require.NoError(t, os.WriteFile(path, []byte(broken), 0o644))

	code, stdout, stderr := runCLI("check", "--config", path)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Equal(t, path+":42: providers[0].incoming[0].port: must be between 1 and 65535 (it is 99300)\n"+
		path+":58: providers[0].outgoing[0].security: must be tls (implicit TLS), starttls or none\n"+
		"2 problem(s) found\n", stderr)
}

// security: none on an IMAP or SMTP server works, but Thunderbird for
// Android refuses the provider's whole document: a warning with file and
// line, not an error. POP3 without TLS is not warned about (that client
// skips POP3).
func TestCLI_CheckWarnsOnSecurityNone(t *testing.T) {
	path := writeConfig(t, `providers:
  - id: h.example
    display_name: H
    domains: [h.example]
    incoming:
      - {protocol: imap, host: mail.h.example, port: 993, security: tls}
      - protocol: imap
        host: mail.h.example
        port: 143
        security: none
      - {protocol: pop3, host: mail.h.example, port: 110, security: none}
    outgoing:
      - {protocol: smtp, host: mail.h.example, port: 25, security: none}
`)
	code, stdout, stderr := runCLI("check", "--config", path)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "OK: 1 provider(s), 1 domain(s)")
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	require.Len(t, lines, 2, stderr)
	assert.True(t, strings.HasPrefix(lines[0], "warning: "+path+":10: providers[0].incoming[1].security: security: none"), lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "warning: "+path+":13: providers[0].outgoing[0].security: security: none"), lines[1])
	for _, l := range lines {
		assert.Contains(t, l, "Thunderbird for Android refuses")
	}

	code, _, stderr = runCLI("check", "--config", testkit.Testdata(t, "config/example.yaml"))
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr, "no warning without security: none")
}

func TestCLI_CheckNeedsConfig(t *testing.T) {
	code, _, stderr := runCLI("check")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "check needs --config FILE")
	code, _, stderr = runCLI("check", "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "reading configuration")
}

func TestCLI_GenerateThunderbird(t *testing.T) {
	code, stdout, stderr := runCLI("generate", "thunderbird", "--email", "Jane.Doe@Example.CH")
	require.Equal(t, 0, code, stderr)
	testkit.Golden(t, "thunderbird/default-example.ch.xml", []byte(stdout))

	code, stdout, _ = runCLI("generate", "thunderbird", "--email", "jane@example.net", "--config", testkit.Testdata(t, "config/example.yaml"))
	require.Equal(t, 0, code)
	testkit.Golden(t, "thunderbird/legacy-example.net.xml", []byte(stdout))
}

func TestCLI_GenerateErrors(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"generate"}, 2, "Usage: mailautoconf generate FORMAT"},
		{[]string{"generate", "pdf"}, 2, `unknown format "pdf"`},
		{[]string{"generate", "thunderbird"}, 1, "--email is required"},
		{[]string{"generate", "thunderbird", "--email", "bad"}, 1, "invalid email address: it has no @"},
		{[]string{"generate", "thunderbird", "--email", "a@example.org", "--config", "../../testdata/config/example.yaml"}, 1, "no mail settings for example.org"},
		{[]string{"generate", "thunderbird", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"generate", "thunderbird", "--email", "a@b.ch", "extra"}, 2, "unexpected arguments: extra"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(tt.args...)
		assert.Equal(t, tt.code, code, tt.args)
		assert.Empty(t, stdout, tt.args)
		assert.Contains(t, stderr, tt.stderr, tt.args)
	}
}

func TestParsePublicURL(t *testing.T) {
	u, err := parsePublicURL("https://autoconfig.example.com/")
	require.NoError(t, err)
	assert.Equal(t, "https://autoconfig.example.com", u.String())
	u, err = parsePublicURL("")
	require.NoError(t, err)
	assert.Nil(t, u)
	for _, bad := range []string{"autoconfig.example.com", "ftp://x.example", "https://", "https://x.example/?a=b"} {
		_, err := parsePublicURL(bad)
		assert.Error(t, err, bad)
	}
}

func siteFor(cfg *autoconfig.Config) site {
	return site{store: autoconfig.NewStore(cfg), logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestEngine_MountsAutoconfigAndAnswersUnknownPaths(t *testing.T) {
	e := newEngine(siteFor(autoconfig.Default()))
	get := func(method, target string) *httptest.ResponseRecorder {
		w := testkit.Do(e, method, target, "", nil)
		return w
	}
	assert.Equal(t, http.StatusOK, get(http.MethodGet, "/mail/config-v1.1.xml?emailaddress=jane@example.ch").Code)
	assert.Equal(t, http.StatusOK, get(http.MethodGet, "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=jane@example.ch").Code)
	w := get(http.MethodPost, "/mail/config-v1.1.xml")
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, "method not allowed\n", w.Body.String())
	w = get(http.MethodGet, "/nope")
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, "not found\n", w.Body.String())
}

func TestEngine_AccessLogHasNoAddress(t *testing.T) {
	var logs bytes.Buffer
	s := siteFor(autoconfig.Default())
	s.logger = slog.New(slog.NewTextHandler(&logs, nil))
	s.logOutput = &logs
	e := newEngine(s)
	req := httptest.NewRequest(http.MethodGet, "/mail/config-v1.1.xml?emailaddress=secret.person@example.ch", nil)
	req.SetBasicAuth("secret.person@example.ch", "hunter2")
	e.ServeHTTP(httptest.NewRecorder(), req)
	assert.Contains(t, logs.String(), "route=/mail/config-v1.1.xml")
	assert.Contains(t, logs.String(), "status=200")
	assert.NotContains(t, logs.String(), "secret.person")
	assert.NotContains(t, logs.String(), "hunter2")
}
