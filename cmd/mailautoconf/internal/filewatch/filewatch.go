// Package filewatch calls back when a file's content changes, however it
// was replaced: written in place, renamed over by an editor, or swapped
// as Kubernetes updates a mounted ConfigMap (the file is a symlink through
// "..data", itself a symlink that the kubelet points at a new directory,
// so the file's own path never sees an event:
// https://kubernetes.io/docs/concepts/configuration/configmap/#mounted-configmaps-are-updated-automatically).
package filewatch

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch watches the directory holding path (a replacement of path is an
// event of the directory, not of the file) and calls onChange once path
// and the ConfigMap's "..data" link have been quiet for debounce and path's
// content differs from the last content seen: one edit, however many
// events it makes, is one call, and a touch that changes nothing is none.
// Other files of the directory do not count: a log appended there every
// few hundred milliseconds would otherwise put the reload off for ever.
// It returns when ctx ends, or at once with an error when the directory
// cannot be watched.
func Watch(ctx context.Context, path string, debounce time.Duration, onChange func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", path, err)
	}
	if err := w.Add(filepath.Dir(path)); err != nil {
		w.Close()
		return fmt.Errorf("watching %s: %w", path, err)
	}
	// The content as it is now, read before returning: a change made
	// right after Watch returns must differ from it.
	last := digest(path)
	go func() {
		defer w.Close()
		run(ctx, w, path, last, debounce, onChange)
	}()
	return nil
}

func run(ctx context.Context, w *fsnotify.Watcher, path string, last [sha256.Size]byte, debounce time.Duration, onChange func()) {
	timer := time.NewTimer(debounce)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if concerns(ev.Name, path) {
				timer.Reset(debounce)
			}
		case _, ok := <-w.Errors:
			// An overflow loses events, not the change: look again.
			if !ok {
				return
			}
			timer.Reset(debounce)
		case <-timer.C:
			if d := digest(path); d != last {
				last = d
				onChange()
			}
		}
	}
}

// configMapLink is the symlink the kubelet swaps to update a mounted
// ConfigMap; the file's own name sees no event then.
const configMapLink = "..data"

// concerns reports whether an event on name may change path's content:
// path itself (written, or renamed over by an editor) or the ConfigMap's
// "..data" link beside it.
func concerns(name, path string) bool {
	base := filepath.Base(name)
	return base == filepath.Base(path) || base == configMapLink
}

// digest is the SHA-256 of path's content (following symlinks), or zero
// when it cannot be read: a file that disappears and comes back with the
// same content is no change, and reading it is the reloader's business.
func digest(path string) [sha256.Size]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return [sha256.Size]byte{}
	}
	return sha256.Sum256(data)
}
