package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// The admin token needs the helpdesk token's length, from the flag or
// from the environment.
func TestServe_RefusesShortAdminToken(t *testing.T) {
	err := runServe([]string{"--admin-token", "short", "--listen", "127.0.0.1:0"}, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "the admin token must be at least 16 characters long")

	t.Setenv(adminTokenEnv, "x")
	err = runServe([]string{"--listen", "127.0.0.1:0"}, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "the admin token must be at least 16 characters long")

	o := testOptions(t)
	o.adminToken = "0123456789abcdef"
	_, err = o.validate(io.Discard)
	assert.NoError(t, err, "16 characters are enough")
}

func TestServe_WarnsOfASigningKeyReadableByEveryone(t *testing.T) {
	certPath, keyPath := testkit.MustPKI(t, testkit.LeafOptions{}).MustWriteFiles(t, t.TempDir())
	require.NoError(t, os.Chmod(keyPath, 0o644))
	o := testOptions(t)
	o.sign.cert, o.sign.key = &certPath, &keyPath
	rs := startServer(t, o)
	assert.True(t, hasLine(rs.logs.String(), "the profile signing key is readable by every local user"), rs.logs.String())
}

// An --acme-cache the service owns is made private; one owned by another
// user is reported.
func TestServe_ACMECacheIsMadePrivate(t *testing.T) {
	for _, owned := range []bool{true, false} {
		dir := filepath.Join(t.TempDir(), "acme")
		require.NoError(t, os.Mkdir(dir, 0o755))
		require.NoError(t, os.Chmod(dir, 0o755))
		if !owned {
			if os.Geteuid() != 0 {
				t.Log("not root: a directory owned by another user cannot be made")
				continue
			}
			require.NoError(t, os.Chown(dir, 65534, 65534))
		}
		o := testOptions(t)
		o.acmeCache = dir
		o.acmeDirectory = "https://127.0.0.1:1/directory" // never asked: nothing is listed
		logs := &syncBuffer{}
		s, err := newServer(o, logs)
		require.NoError(t, err)
		s.listeners.close()
		s.acme.Stop()

		info, err := os.Stat(dir)
		require.NoError(t, err)
		if owned {
			assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())
			assert.True(t, hasLine(logs.String(), "made private (0700)"), logs.String())
		} else {
			assert.Equal(t, os.FileMode(0o755), info.Mode().Perm(), "only its owner may change it")
			assert.True(t, hasLine(logs.String(), "owned by another: chmod 700 it"), logs.String())
		}
	}
}
