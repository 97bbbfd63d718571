// Package testkit is the one kit the tests of every package share: golden
// files, test data, fuzz seeds, configurations, gin engines and requests.
//
// Golden files live under the module's testdata/golden/ folder. Run
// `UPDATE_GOLDEN=1 go test ./...` to rewrite them, then read the diff. An
// environment variable, not a flag: `go test ./... -update` fails in every
// test package that does not define the flag.
package testkit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Updating reports whether UPDATE_GOLDEN asks for the golden files to be
// rewritten.
func Updating() bool { return os.Getenv("UPDATE_GOLDEN") != "" }

// Path returns the absolute path of testdata/golden/<name>.
func Path(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(ModuleRoot(t), "testdata", "golden", filepath.FromSlash(name))
}

// Golden compares got with the golden file testdata/golden/<name>.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := Path(t, name)
	if Updating() {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run UPDATE_GOLDEN=1 go test ./...")
	require.Equal(t, string(want), string(got), "output differs from %s (run UPDATE_GOLDEN=1 go test ./... and read the diff)", name)
}

// ModuleRoot is the folder holding go.mod, found upwards from the test's
// working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "go.mod not found above the test's directory")
		dir = parent
	}
}

// Testdata returns the absolute path of testdata/<name>.
func Testdata(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(ModuleRoot(t), "testdata", filepath.FromSlash(name))
}
