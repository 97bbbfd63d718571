package autoconfig

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDocumentCache_RendersOncePerKey(t *testing.T) {
	c := NewDocumentCache(10)
	cfg := Default()
	renders := 0
	render := func() []byte { renders++; return []byte("doc") }
	d1 := c.Get(cfg, "example.ch", render)
	d2 := c.Get(cfg, "example.ch", render)
	assert.Equal(t, 1, renders)
	assert.Equal(t, d1, d2)
	assert.Equal(t, ETag([]byte("doc")), d1.ETag)
}

func TestDocumentCache_IsBounded(t *testing.T) {
	c := NewDocumentCache(100)
	cfg := Default()
	for i := range 10000 {
		c.Get(cfg, "d"+strconv.Itoa(i)+".example", func() []byte { return []byte("x") })
		assert.LessOrEqual(t, c.Len(), 200)
	}
}

func TestDocumentCache_KeepsKeysInUseAcrossGenerations(t *testing.T) {
	c := NewDocumentCache(2)
	cfg := Default()
	renders := 0
	hot := func() []byte { renders++; return []byte("hot") }
	for i := range 50 {
		c.Get(cfg, "hot", hot)
		c.Get(cfg, "cold"+strconv.Itoa(i), func() []byte { return nil })
	}
	assert.LessOrEqual(t, renders, 25, "a key used every other request is rarely rendered again")
}

func TestDocumentCache_NewConfigEmptiesIt(t *testing.T) {
	c := NewDocumentCache(10)
	c.Get(Default(), "example.ch", func() []byte { return []byte("old") })
	d := c.Get(Default(), "example.ch", func() []byte { return []byte("new") })
	assert.Equal(t, "new", string(d.Body), "a reloaded configuration never serves old documents")
}
