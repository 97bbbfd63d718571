package httpkit

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

func TestDocumentCache_RendersOncePerKey(t *testing.T) {
	c := NewDocumentCache[string](10)
	cfg := autoconfig.Default()
	renders := 0
	render := func() ([]byte, error) { renders++; return []byte("doc"), nil }
	d1, err := c.Get(cfg, "example.ch", render)
	require.NoError(t, err)
	d2, err := c.Get(cfg, "example.ch", render)
	require.NoError(t, err)
	assert.Equal(t, 1, renders)
	assert.Equal(t, d1, d2)
	assert.Equal(t, ETag([]byte("doc")), d1.ETag)
}

func TestDocumentCache_IsBounded(t *testing.T) {
	c := NewDocumentCache[string](100)
	cfg := autoconfig.Default()
	for i := range 10000 {
		c.Get(cfg, "d"+strconv.Itoa(i)+".example", func() ([]byte, error) { return []byte("x"), nil })
		assert.LessOrEqual(t, c.Len(), 200)
	}
}

func TestDocumentCache_KeepsKeysInUseAcrossGenerations(t *testing.T) {
	c := NewDocumentCache[string](2)
	cfg := autoconfig.Default()
	renders := 0
	hot := func() ([]byte, error) { renders++; return []byte("hot"), nil }
	for i := range 50 {
		c.Get(cfg, "hot", hot)
		c.Get(cfg, "cold"+strconv.Itoa(i), func() ([]byte, error) { return nil, nil })
	}
	assert.LessOrEqual(t, renders, 25, "a key used every other request is rarely rendered again")
}

func TestDocumentCache_ErrorsAreNotCached(t *testing.T) {
	c := NewDocumentCache[string](10)
	cfg := autoconfig.Default()
	_, err := c.Get(cfg, "k", func() ([]byte, error) { return nil, errors.New("boom") })
	require.EqualError(t, err, "boom")
	d, err := c.Get(cfg, "k", func() ([]byte, error) { return []byte("ok"), nil })
	require.NoError(t, err)
	assert.Equal(t, "ok", string(d.Body))
}

func TestDocumentCache_NewConfigEmptiesIt(t *testing.T) {
	c := NewDocumentCache[string](10)
	_, err := c.Get(autoconfig.Default(), "example.ch", func() ([]byte, error) { return []byte("old"), nil })
	require.NoError(t, err)
	d, err := c.Get(autoconfig.Default(), "example.ch", func() ([]byte, error) { return []byte("new"), nil })
	require.NoError(t, err)
	assert.Equal(t, "new", string(d.Body), "a reloaded configuration never serves old documents")
}

func TestDocumentCache_LookupDoesNotRender(t *testing.T) {
	c := NewDocumentCache[string](10)
	cfg := autoconfig.Default()
	_, ok := c.Lookup(cfg, "k")
	assert.False(t, ok)
	_, err := c.Get(cfg, "k", func() ([]byte, error) { return []byte("v"), nil })
	require.NoError(t, err)
	d, ok := c.Lookup(cfg, "k")
	assert.True(t, ok)
	assert.Equal(t, "v", string(d.Body))
	_, ok = c.Lookup(autoconfig.Default(), "k")
	assert.False(t, ok, "another configuration sees nothing")
}

func TestLimitCPU_AdmitsOneRenderPerCore(t *testing.T) {
	var running, most atomic.Int32
	var wg sync.WaitGroup
	for range 4 * cap(renderSlots) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := LimitCPU(func() ([]byte, error) {
				n := running.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				running.Add(-1)
				return nil, nil
			})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, int(most.Load()), cap(renderSlots))
	assert.Positive(t, most.Load())
}

func TestDocumentCache_RequestsOnTheReplacedConfigKeepTheNewCache(t *testing.T) {
	c := NewDocumentCache[string](10)
	old, current := autoconfig.Default(), autoconfig.Default()
	_, err := c.Get(current, "k", func() ([]byte, error) { return []byte("new"), nil })
	require.NoError(t, err)
	d, err := c.Get(old, "k", func() ([]byte, error) { return []byte("old"), nil })
	require.NoError(t, err)
	assert.Equal(t, "old", string(d.Body), "a request on the old configuration gets its own document")
	d, ok := c.Lookup(current, "k")
	assert.True(t, ok, "and the new configuration's cache is kept")
	assert.Equal(t, "new", string(d.Body))
}
