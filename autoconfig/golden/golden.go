// Package golden compares test output with files under the module's
// testdata/golden/ folder. Run `go test ./... -update` to rewrite them, then
// read the diff.
//
// Every package whose tests use it registers the -update flag by importing
// it; a package with tests that does not must still not break
// `go test ./... -update`, so each test package imports this one.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// Updating reports whether -update was given.
func Updating() bool { return *update }

// Path returns the absolute path of testdata/golden/<name>.
func Path(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(ModuleRoot(t), "testdata", "golden", filepath.FromSlash(name))
}

// Assert compares got with the golden file testdata/golden/<name>.
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	path := Path(t, name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./... -update")
	require.Equal(t, string(want), string(got), "output differs from %s (run go test ./... -update and read the diff)", name)
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
