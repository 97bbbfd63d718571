package logwriter

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

// lockedBuffer is the shared test kit's log destination.
type lockedBuffer = testkit.LogBuffer

func TestWriter_BuffersUntilIntervalOrClose(t *testing.T) {
	var out lockedBuffer
	w := New(&out, 4096, time.Hour)
	_, err := w.Write([]byte("line 1\n"))
	require.NoError(t, err)
	assert.Empty(t, out.String(), "held in the buffer")
	require.NoError(t, w.Close())
	assert.Equal(t, "line 1\n", out.String(), "written out on Close")
}

func TestWriter_FlushesPeriodically(t *testing.T) {
	var out lockedBuffer
	w := New(&out, 4096, 5*time.Millisecond)
	defer w.Close()
	_, err := w.Write([]byte("line\n"))
	require.NoError(t, err)
	assert.Eventually(t, func() bool { return out.String() == "line\n" }, 5*time.Second, time.Millisecond)
}

func TestWriter_WritesWhenFullAndKeepsLinesWhole(t *testing.T) {
	var out lockedBuffer
	w := New(&out, 64, time.Hour)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				fmt.Fprintf(w, "goroutine %d line %03d\n", g, i)
			}
		}()
	}
	wg.Wait()
	require.NoError(t, w.Close())
	lines := bytes.Split(bytes.TrimSuffix([]byte(out.String()), []byte("\n")), []byte("\n"))
	assert.Len(t, lines, 400)
	for _, l := range lines {
		assert.Regexp(t, `^goroutine \d line \d{3}$`, string(l))
	}
}
