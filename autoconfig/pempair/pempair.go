// Package pempair keeps a certificate and its key, read from two PEM files,
// up to date: the files are re-read when they change, so that a renewal
// (certbot, cert-manager, an ACME client) needs no restart and no signal.
// The TLS listener and the Apple profile signer both read their pair
// through it.
package pempair

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Parse turns the contents of the certificate and key files into the value
// the caller uses (a tls.Certificate, a signing key with its chain). It
// must check that the key belongs to the certificate: a renewal caught
// between its two file writes must fail here, not serve a mismatched pair.
type Parse[T any] func(certPEM, keyPEM []byte) (T, error)

// Options tune a Pair; the zero value re-checks the files at every call.
type Options[T any] struct {
	// CheckEvery spaces out the checks of the files (two stat calls): on a
	// hot path, two syscalls per call can cost more than the rest of the
	// work. 0 checks at every call.
	CheckEvery time.Duration
	// OnLoad is called with every value loaded, the first included, one
	// call at a time: whoever exports the expiry hears of renewals here.
	OnLoad func(T)
	// OnError is called once per version of the files that fails to load
	// after the first load (the previous value stays in use).
	OnError func(error)
}

// Pair is the value parsed from the current version of the two files.
// Safe for concurrent use.
type Pair[T any] struct {
	certPath, keyPath string
	parse             Parse[T]
	opts              Options[T]

	current atomic.Pointer[loaded[T]]
	// mu makes one goroutine reload while the others keep using the
	// current value.
	mu sync.Mutex
	// failed are the file versions that last failed to load, so that a
	// broken file is parsed once, not at every call.
	failed     atomic.Pointer[versions]
	checkEvery atomic.Int64 // nanoseconds, from Options.CheckEvery
	nextCheck  atomic.Int64 // unix nanoseconds
}

type loaded[T any] struct {
	value    T
	versions versions
}

// versions identify the versions of the two files.
type versions struct{ cert, key os.FileInfo }

// changedFrom reports whether either file differs from old: another file
// (renewals replace files or symlinks), another size or modification time.
func (v versions) changedFrom(old versions) bool {
	return fileChanged(v.cert, old.cert) || fileChanged(v.key, old.key)
}

func fileChanged(a, b os.FileInfo) bool {
	return !os.SameFile(a, b) || a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime())
}

// Load reads and parses the pair once; it fails when a file is missing or
// does not parse.
func Load[T any](certPath, keyPath string, parse Parse[T], opts Options[T]) (*Pair[T], error) {
	p := &Pair[T]{certPath: certPath, keyPath: keyPath, parse: parse, opts: opts}
	p.checkEvery.Store(int64(opts.CheckEvery))
	if err := p.Reload(); err != nil {
		return nil, err
	}
	return p, nil
}

// SetCheckEvery changes Options.CheckEvery (tests see every change with 0).
func (p *Pair[T]) SetCheckEvery(d time.Duration) {
	p.checkEvery.Store(int64(d))
	p.nextCheck.Store(0)
}

// Paths are the certificate and key files, for messages.
func (p *Pair[T]) Paths() (cert, key string) { return p.certPath, p.keyPath }

// Reload reads the files now, changed or not. On failure the value in use
// is kept and the error returned.
func (p *Pair[T]) Reload() error {
	v, err := p.stat()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err = p.loadLocked(v)
	return err
}

// Current returns the value of the files as they are now, reading them
// first when they changed since the last read. A change that does not load
// (e.g. the certificate written but not yet its key) keeps the previous
// value until both files load together.
func (p *Pair[T]) Current() T {
	cur := p.current.Load()
	if every := p.checkEvery.Load(); every > 0 {
		now := time.Now().UnixNano()
		next := p.nextCheck.Load()
		if now < next || !p.nextCheck.CompareAndSwap(next, now+every) {
			return cur.value // checked recently, or another goroutine checks now
		}
	}
	v, err := p.stat()
	if err != nil || !v.changedFrom(cur.versions) {
		// A file briefly missing during a renewal: keep the current value.
		return cur.value
	}
	if f := p.failed.Load(); f != nil && !v.changedFrom(*f) {
		return cur.value
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur = p.current.Load(); !v.changedFrom(cur.versions) {
		return cur.value // another goroutine reloaded meanwhile
	}
	next, err := p.loadLocked(v)
	if err != nil {
		if p.opts.OnError != nil {
			p.opts.OnError(err)
		}
		return cur.value
	}
	return next.value
}

// loadLocked reads and parses the files; p.mu is held.
func (p *Pair[T]) loadLocked(v versions) (*loaded[T], error) {
	l, err := p.read(v)
	if err != nil {
		p.failed.Store(&v)
		return nil, err
	}
	p.current.Store(l)
	if p.opts.OnLoad != nil {
		p.opts.OnLoad(l.value)
	}
	return l, nil
}

func (p *Pair[T]) read(v versions) (*loaded[T], error) {
	certPEM, err := os.ReadFile(p.certPath)
	if err != nil {
		return nil, fmt.Errorf("reading certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(p.keyPath)
	if err != nil {
		return nil, fmt.Errorf("reading key: %w", err)
	}
	value, err := p.parse(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading certificate %s with key %s: %w", p.certPath, p.keyPath, err)
	}
	return &loaded[T]{value: value, versions: v}, nil
}

func (p *Pair[T]) stat() (versions, error) {
	cert, err := os.Stat(p.certPath)
	if err != nil {
		return versions{}, fmt.Errorf("reading certificate: %w", err)
	}
	key, err := os.Stat(p.keyPath)
	if err != nil {
		return versions{}, fmt.Errorf("reading key: %w", err)
	}
	return versions{cert: cert, key: key}, nil
}
