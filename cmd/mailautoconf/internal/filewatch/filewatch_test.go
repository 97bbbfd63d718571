package filewatch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const debounce = 50 * time.Millisecond

// configMapDir lays out dir as the kubelet mounts a ConfigMap: the data in
// a timestamped directory, "..data" pointing at it, and config.yaml
// pointing through "..data".
func configMapDir(t *testing.T, content string) (dir, path string) {
	dir = t.TempDir()
	swapConfigMap(t, dir, "..2026_11_30_12_00_00.1", content)
	require.NoError(t, os.Symlink("..data/config.yaml", filepath.Join(dir, "config.yaml")))
	return dir, filepath.Join(dir, "config.yaml")
}

// swapConfigMap writes a new data directory and moves "..data" to it
// atomically, with a rename of a temporary symlink, as the kubelet does.
func swapConfigMap(t *testing.T, dir, version, content string) {
	t.Helper()
	data := filepath.Join(dir, version)
	require.NoError(t, os.Mkdir(data, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(data, "config.yaml"), []byte(content), 0o644))
	tmp := filepath.Join(dir, "..data_tmp")
	require.NoError(t, os.Symlink(version, tmp))
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, "..data")))
}

func watch(t *testing.T, path string, debounce time.Duration) *atomic.Int32 {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var calls atomic.Int32
	require.NoError(t, Watch(ctx, path, debounce, func() { calls.Add(1) }))
	return &calls
}

// watchContents watches path and returns what each call found in the
// file, in order. A test that must show a change made no call writes one
// more change after it as a marker: calls come in order, so an unwanted
// call shows in the list before the marker's.
func watchContents(t *testing.T, path string, debounce time.Duration) func() []string {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var mu sync.Mutex
	var seen []string
	require.NoError(t, Watch(ctx, path, debounce, func() {
		data, err := os.ReadFile(path)
		assert.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, string(data))
	}))
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// lastIs reports whether the last call found content.
func lastIs(seen func() []string, content string) func() bool {
	return func() bool {
		s := seen()
		return len(s) > 0 && s[len(s)-1] == content
	}
}

func TestWatch_KubernetesSymlinkSwapIsOneChange(t *testing.T) {
	dir, path := configMapDir(t, "a: 1\n")
	seen := watchContents(t, path, debounce)
	swapConfigMap(t, dir, "..2026_11_30_12_01_00.2", "a: 2\n")
	require.Eventually(t, lastIs(seen, "a: 2\n"), 5*time.Second, 10*time.Millisecond)

	// The kubelet also re-writes an unchanged ConfigMap: no call.
	swapConfigMap(t, dir, "..2026_11_30_12_02_00.3", "a: 2\n")
	swapConfigMap(t, dir, "..2026_11_30_12_03_00.4", "a: 3\n") // the marker
	require.Eventually(t, lastIs(seen, "a: 3\n"), 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, []string{"a: 2\n", "a: 3\n"}, seen(), "one call per swap that changes the file, none for the unchanged one")
}

func TestWatch_BurstOfWritesIsOneChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte("a: 1\n"), 0o600))
	// Long enough that the writes below, even on a loaded machine, come
	// within one quiet period of each other.
	const quiet = 500 * time.Millisecond
	seen := watchContents(t, path, quiet)
	for i := range 5 {
		// Written in place, piece by piece, as a slow editor would (the
		// pause is the editor's pace, not a wait).
		require.NoError(t, os.WriteFile(path, []byte("a: 1"+string(rune('0'+i))+"\n"), 0o600))
		time.Sleep(5 * time.Millisecond)
	}
	require.Eventually(t, lastIs(seen, "a: 14\n"), 5*time.Second, 10*time.Millisecond)
	require.NoError(t, os.WriteFile(path, []byte("a: 2\n"), 0o600)) // the marker
	require.Eventually(t, lastIs(seen, "a: 2\n"), 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, []string{"a: 14\n", "a: 2\n"}, seen(), "the burst is one call")
}

func TestWatch_MissingDirectoryIsAnError(t *testing.T) {
	err := Watch(context.Background(), "/nonexistent/dir/config.yaml", debounce, func() {})
	assert.ErrorContains(t, err, "watching /nonexistent/dir/config.yaml")
}

// A neighbouring file that changes more often than the debounce (a log
// appended every 0.3 s) must not put the reload off: only the file and the
// ConfigMap link count. With the directory as the debounce's measure, the
// reload waited for ever.
func TestWatch_BusyNeighbourDoesNotStarveTheReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte("a: 1\n"), 0o600))
	calls := watch(t, path, time.Second)

	log, err := os.Create(filepath.Join(dir, "service.log"))
	require.NoError(t, err)
	t.Cleanup(func() { log.Close() })
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				log.WriteString("a line\n")
			}
		}
	}()

	require.NoError(t, os.WriteFile(path, []byte("a: 2\n"), 0o600))
	assert.Eventually(t, func() bool { return calls.Load() == 1 }, 3*time.Second, 20*time.Millisecond,
		"reloaded within 3 s while a neighbour changes every 0.3 s")
}

func TestConcerns(t *testing.T) {
	path := "/etc/mailautoconf/config.yaml"
	for name, want := range map[string]bool{
		"/etc/mailautoconf/config.yaml":             true,
		"/etc/mailautoconf/..data":                  true,
		"/etc/mailautoconf/service.log":             false,
		"/etc/mailautoconf/..data_tmp":              false,
		"/etc/mailautoconf/.config.yaml.swp":        false,
		"/etc/mailautoconf/..2026_11_30_12_00_00.1": false,
	} {
		assert.Equal(t, want, concerns(name, path), name)
	}
}
