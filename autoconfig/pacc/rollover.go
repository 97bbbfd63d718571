package pacc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// Digest rollover. The _ua-auto-config TXT record pins the exact bytes of
// the document, so a change of the provider's settings breaks the PACC
// setup of every customer domain until its owner publishes the new digest.
// To leave them time, the previous documents stay valid for a window after
// a change: `dns` prints their digests too, `check` calls a domain that
// publishes only a previous one "update pending" instead of wrong, and the
// service answers such a domain with the previous document, the one its
// digest pins (a client accepts a document only if a published digest
// matches it; several records may coexist during a change).
//
// The history is kept in a small JSON state file, written by the service
// whenever a configuration is put in force (at start and at each reload):
// a process that starts after a change (a restart, `dns`, `check`) finds
// the previous documents there. The configuration cannot hold them itself:
// it is what changed.

// Generation is one PACC document a provider served.
type Generation struct {
	// Digest is the base64 SHA-256 of Document: the d= of the TXT record.
	Digest string `json:"digest"`
	// Document is the exact bytes served.
	Document string `json:"document"`
	// Until ends a previous generation's validity; zero for the current.
	Until time.Time `json:"until,omitzero"`
}

// providerHistory is one provider's current document and the previous
// ones still valid, newest first.
type providerHistory struct {
	Current  Generation   `json:"current"`
	Previous []Generation `json:"previous,omitempty"`
}

// History is the PACC documents of every provider, current and previous,
// and where they are kept. Safe for concurrent use.
type History struct {
	// Window is how long a replaced document stays valid.
	Window time.Duration

	path      string
	mu        sync.RWMutex
	providers map[string]*providerHistory
}

// stateFile is the state file's JSON.
type stateFile struct {
	Providers map[string]*providerHistory `json:"providers"`
}

// LoadHistory reads the state file at path (a missing file is an empty
// history); window is how long a replaced document stays valid.
func LoadHistory(path string, window time.Duration) (*History, error) {
	h := &History{Window: window, path: path, providers: map[string]*providerHistory{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the PACC state file: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("reading the PACC state file %s: %w", path, err)
	}
	if f.Providers != nil {
		h.providers = f.Providers
	}
	return h, nil
}

// providerDocument is p's document: it depends on the provider only (see
// Render), so any domain gives it. nil when p has none.
func providerDocument(p *autoconfig.Provider) []byte {
	doc, err := Render(autoconfig.NewDomain(p, "pacc.invalid"))
	if err != nil {
		return nil
	}
	return doc
}

// Observe records the documents of cfg's providers as current at now: a
// provider whose document changed keeps its previous one valid until
// now+Window. Expired generations are dropped. It reports whether the
// history changed (then Save it).
func (h *History) Observe(cfg *autoconfig.Config, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	changed := false
	for _, p := range cfg.Providers {
		doc := providerDocument(p)
		ph := h.providers[p.ID]
		if ph == nil {
			ph = &providerHistory{}
			h.providers[p.ID] = ph
		}
		n := len(ph.Previous)
		ph.Previous = slices.DeleteFunc(ph.Previous, func(g Generation) bool { return !now.Before(g.Until) })
		changed = changed || len(ph.Previous) != n
		if doc == nil || ph.Current.Document == string(doc) {
			continue
		}
		if ph.Current.Digest != "" && h.Window > 0 {
			old := ph.Current
			old.Until = now.Add(h.Window)
			ph.Previous = append([]Generation{old}, ph.Previous...)
		}
		ph.Current = Generation{Digest: Digest(doc), Document: string(doc)}
		changed = true
	}
	return changed
}

// Save writes the history to its state file, atomically.
func (h *History) Save() error {
	h.mu.RLock()
	data, err := json.MarshalIndent(stateFile{Providers: h.providers}, "", "  ")
	h.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("encoding the PACC state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".pacc-state-*")
	if err != nil {
		return fmt.Errorf("writing the PACC state file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the PACC state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the PACC state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), h.path); err != nil {
		return fmt.Errorf("writing the PACC state file: %w", err)
	}
	return nil
}

// Previous returns the provider's previous documents still valid at now,
// newest first.
func (h *History) Previous(providerID string, now time.Time) []Generation {
	if h == nil {
		return nil
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	ph := h.providers[providerID]
	if ph == nil {
		return nil
	}
	var out []Generation
	for _, g := range ph.Previous {
		if now.Before(g.Until) {
			out = append(out, g)
		}
	}
	return out
}

// Pinned chooses the document to serve a domain that publishes the TXT
// records published: current, unless the domain pins none of its digest
// but a previous, still valid one, whose bytes are then served.
func (h *History) Pinned(providerID string, current []byte, published []string, now time.Time) []byte {
	has := func(digest string) bool {
		return slices.ContainsFunc(published, func(txt string) bool { return recordDigest(txt) == digest })
	}
	if has(Digest(current)) {
		return current
	}
	for _, g := range h.Previous(providerID, now) {
		if has(g.Digest) {
			return []byte(g.Document)
		}
	}
	return current
}

// recordDigest is the d= of a digest record ("" if it has none): tags are
// separated by semicolons, unknown ones ignored.
func recordDigest(txt string) string {
	for tag := range strings.SplitSeq(txt, ";") {
		if d, ok := strings.CutPrefix(strings.TrimSpace(tag), "d="); ok {
			return d
		}
	}
	return ""
}
