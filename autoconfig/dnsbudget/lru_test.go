package dnsbudget_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mailautoconf/mailautoconf/autoconfig/dnsbudget"
)

// A full cache forgets the least recently used key, not everything: the
// names in use survive a flood of new ones.
func TestLRU_EvictsLeastRecentlyUsed(t *testing.T) {
	c := dnsbudget.NewLRU[int](2)
	c.Put("a", 1)
	c.Put("b", 2)
	_, _ = c.Get("a")
	c.Put("c", 3)
	_, ok := c.Get("b")
	assert.False(t, ok, "b was the least recently used")
	v, ok := c.Get("a")
	assert.True(t, ok)
	assert.Equal(t, 1, v)
	assert.Equal(t, 2, c.Len())
}
