package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
	"github.com/mailautoconf/mailautoconf/profiles"
)

// --dir writes the files profiles' golden tests hold for the same account.
func TestGenerateDeclarations_DirMatchesGolden(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI("generate", "declarations", "--email", "jane@example.net", "--include", "mail,calendar,contacts",
		"--config", testkit.Testdata(t, "config/apple-dav.yaml"), "--public-url", "https://autoconfig.example.net", "--dir", dir)
	require.Equal(t, 0, code, stderr)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 5)
	for _, e := range entries {
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		testkit.Golden(t, "declarations/dav-all/"+e.Name(), got)
	}
}

// Without --public-url the assets point at https:// and the service_host.
func TestGenerateDeclarations_ZipOnStdout(t *testing.T) {
	code, stdout, stderr := runCLI("generate", "declarations", "--email", "jane@example.ch", "--name", "Jane Doe")
	require.Equal(t, 0, code, stderr)
	cfg := autoconfig.Default()
	acct := testkit.Account(t, cfg, "jane@example.ch")
	acct.DisplayName = "Jane Doe"
	want, err := profiles.DeclarationsZip(acct, profiles.Options{Name: "Jane Doe", Include: profiles.IncludeMail}, "https://"+cfg.ServiceHost)
	require.NoError(t, err)
	assert.Equal(t, string(want), stdout)
}

func TestGenerateDeclarations_BadFlags(t *testing.T) {
	noServiceHost := testkit.Testdata(t, "config/apple-dav.yaml")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no address", nil, "--email is required"},
		{"plain http", []string{"--email", "jane@example.ch", "--public-url", "http://autoconfig.example.ch"}, "must be https"},
		{"no service host", []string{"--email", "jane@example.net", "--config", noServiceHost}, "--public-url is required"},
		{"nothing offered", []string{"--email", "jane@example.ch", "--include", "calendar"}, "offers none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"generate", "declarations"}, tc.args...)...)
			assert.NotEqual(t, 0, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.want)
		})
	}
}
