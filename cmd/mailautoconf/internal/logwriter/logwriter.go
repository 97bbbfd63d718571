// Package logwriter buffers log output so that a busy server does not make
// one write system call per access-log line.
package logwriter

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer collects whole log lines and writes them out when its buffer is
// full and at least every interval; Close writes what is left. A crash can
// lose at most one interval of lines.
type Writer struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// New returns a Writer in front of w with a buffer of size bytes.
func New(w io.Writer, size int, interval time.Duration) *Writer {
	lw := &Writer{buf: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	go lw.flushEvery(interval)
	return lw
}

// Write buffers p. slog handlers write one whole line per call, so lines
// are never interleaved.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Flush()
}

// Close stops the periodic flush and writes out what is buffered.
func (w *Writer) Close() error {
	close(w.stop)
	<-w.done
	return w.Flush()
}

func (w *Writer) flushEvery(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.Flush()
		}
	}
}
